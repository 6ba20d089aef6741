"""The difference analysis the archive runs on revisions appended after a signature: pyHanko's
default policy plus two rules.

* ``AnnotationRule`` — annotations added after signing (comments, highlights, stamps). pyHanko's
  default policy has no such rule (its documentation lists annotation support as a known gap), so
  a comment added to a signed PDF is classed with arbitrary changes. This rule clears, at
  ``ModificationLevel.ANNOTATIONS``, exactly: a page dictionary whose only change is its
  ``/Annots`` entry, the ``/Annots`` array, and newly created annotation dictionaries that are not
  form widgets (widgets belong to the form rules). Anything else in the revision stays
  unexplained and is still reported by the standard rules.
* ``TimestampFieldRule`` — a document timestamp is recognised by its ``/SubFilter
  /ETSI.RFC3161`` (the encoding of its value), not only by ``/Type /DocTimeStamp``: signers in the
  wild write ``/Type /Sig`` or ``null`` there. pyHanko clears an invisible ``/DocTimeStamp`` at
  ``LTA_UPDATES`` (ISO 32000-2 §12.8.2.2.2: DSS and document timestamps are permitted even under
  DocMDP P=1) but classes the others as form filling; this rule gives them the same level.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    ModificationLevel,
    ReferenceUpdate,
    StandardDiffPolicy,
    SuspiciousModification,
    WhitelistRule,
)
from pyhanko.sign.diff_analysis.commons import compare_dicts
from pyhanko.sign.diff_analysis.form_rules_api import FormUpdate, FormUpdatingRule
from pyhanko.sign.diff_analysis.rules.form_field_rules import (
    GenericFieldModificationRule,
    SigFieldCreationRule,
    SigFieldModificationRule,
    is_field_visible,
)
from pyhanko.sign.fields import SigSeedSubFilter


def _annot_refs(page) -> tuple[list[generic.Reference], generic.Reference | None]:
    raw = page.raw_get("/Annots") if "/Annots" in page else None
    if raw is None:
        return [], None
    arr_ref = raw.reference if isinstance(raw, generic.IndirectObject) else None
    arr = raw.get_object()
    if not isinstance(arr, generic.ArrayObject):
        raise SuspiciousModification("/Annots is not an array")
    return [a.reference for a in arr if isinstance(a, generic.IndirectObject)], arr_ref


class AnnotationRule(WhitelistRule):
    def apply(self, old: HistoricalResolver, new: HistoricalResolver) -> Iterable[ReferenceUpdate]:
        changed = set(new.explicit_refs_in_revision())
        for ref in changed:
            try:
                new_obj = new.get_object(ref)
            except Exception:  # noqa: BLE001
                continue
            if not isinstance(new_obj, generic.DictionaryObject) or new_obj.get("/Type") != "/Page":
                continue
            if old.is_ref_unassignable(ref):
                continue  # the page did not exist before: not an annotation change
            old_obj = old.get_object(ref)
            try:
                compare_dicts(old_obj, new_obj, frozenset(["/Annots"]))
            except SuspiciousModification:
                continue
            old_annots, _ = _annot_refs(old_obj)
            new_annots, arr_ref = _annot_refs(new_obj)
            added = [a for a in new_annots if a not in set(old_annots)]
            if any(not old.is_ref_unassignable(a) for a in added):
                continue  # an object of the signed revision was re-purposed as an annotation
            for a in added:
                annot = new.get_object(a)
                if not isinstance(annot, generic.DictionaryObject) or annot.get("/Subtype") in (None, "/Widget"):
                    break
            else:
                yield ReferenceUpdate(ref)
                if arr_ref is not None:
                    yield ReferenceUpdate(arr_ref)
                yield from (ReferenceUpdate(a) for a in added)


class TimestampFieldRule(SigFieldModificationRule):
    """pyHanko's signature-field rule, with an invisible field newly filled with an RFC 3161
    document timestamp cleared at ``LTA_UPDATES`` whatever its ``/Type`` says."""

    def check_form_field(self, fq_name, spec, context):
        timestamp_ref = self._new_timestamp_value(spec, context)
        for level, update in super().check_form_field(fq_name, spec, context):
            if timestamp_ref is not None and level == ModificationLevel.FORM_FILLING \
                    and update.updated_ref == timestamp_ref:
                yield ModificationLevel.LTA_UPDATES, FormUpdate(updated_ref=update.updated_ref, field_name=fq_name,
                                                                valid_when_locked=True)
            else:
                yield level, update

    @staticmethod
    def _new_timestamp_value(spec, context) -> generic.Reference | None:
        new = spec.new_field
        if spec.field_type != "/Sig" or new is None or "/V" in (spec.old_field or {}) or "/V" not in new:
            return None
        try:
            ref = new.get_value_as_reference("/V")
            sig = ref.get_object()
        except Exception:  # noqa: BLE001 - pyHanko's own rule reports a malformed /V
            return None
        if not isinstance(sig, generic.DictionaryObject) or is_field_visible(new):
            return None
        if sig.get("/SubFilter") != SigSeedSubFilter.ETSI_RFC3161.value or not context.old.is_ref_unassignable(ref):
            return None
        return ref


ARCHIVE_DIFF_POLICY = StandardDiffPolicy(
    global_rules=[*DEFAULT_DIFF_POLICY.global_rules, AnnotationRule().as_qualified(ModificationLevel.ANNOTATIONS)],
    form_rule=FormUpdatingRule(field_rules=[SigFieldCreationRule(), TimestampFieldRule(),
                                            GenericFieldModificationRule()]),
)
"""pyHanko's default policy plus ``AnnotationRule`` and ``TimestampFieldRule`` (in place of
``SigFieldModificationRule``, which it extends)."""
