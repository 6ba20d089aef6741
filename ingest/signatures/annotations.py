"""A difference-analysis rule for annotations added after signing (comments, highlights, stamps).

pyHanko's default policy has no such rule (its documentation lists annotation support as a known
gap), so a comment added to a signed PDF is classed with arbitrary changes. This rule clears, at
``ModificationLevel.ANNOTATIONS``, exactly: a page dictionary whose only change is its ``/Annots``
entry, the ``/Annots`` array, and newly created annotation dictionaries that are not form widgets
(widgets belong to the form rules). Anything else in the revision stays unexplained and is still
reported by the standard rules.
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


ARCHIVE_DIFF_POLICY = StandardDiffPolicy(
    global_rules=[*DEFAULT_DIFF_POLICY.global_rules, AnnotationRule().as_qualified(ModificationLevel.ANNOTATIONS)],
    form_rule=DEFAULT_DIFF_POLICY.form_rule,
)
"""pyHanko's default policy plus ``AnnotationRule``."""
