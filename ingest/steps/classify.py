"""Classification at ingest: ``ClassifyStep`` runs the classifiers (built in ``api/wiring.py``);
``RetentionClassifier`` is the one every archive has.

It applies the retention rules (``retention.policy.classify``: document type, dossier, fonds,
series, keywords, priorities) to what DescribeStep found, shows the result in the outcome
(``ctx.classification["retention"]``) and asks for the decision on the record itself
(``extra["retention"]``). ``retention.hooks`` then decides it in the record's own catalogue
transaction — record, assignment, the dossier's longest period and due date commit together — so
a crash never leaves an ingested record that was never classified.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from archive.catalogue import Catalogue
from archive.catalogue.models import Dossier
from ingest.pipeline import IngestContext, NoCleanup
from retention import hooks
from retention.policy import classify

Classifier = Callable[[IngestContext], dict[str, Any]]
"""Gives ``ctx.classification`` entries (and may add to the record's metadata)."""


class ClassifyStep(NoCleanup):
    """Hooks that assign retention and series (filled by the retention package through wiring)."""

    name = "classify"

    def __init__(self, classifiers: list[Classifier] | None = None):
        self.classifiers = classifiers or []

    def applies(self, ctx: IngestContext) -> bool:
        return bool(self.classifiers)

    def run(self, ctx: IngestContext) -> None:
        for classifier in self.classifiers:
            ctx.classification.update(classifier(ctx) or {})


class RetentionClassifier:
    name = "retention"

    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        hooks.install(catalogue)  # the request it writes is decided at the record's commit

    def fields(self, ctx: IngestContext, s) -> dict[str, Any]:
        m = ctx.metadata
        fields: dict[str, Any] = {"type_name": getattr(m, "type_name", None), "subject": getattr(m, "subject", None),
                                  "issued_date": getattr(m, "issued_date", None),
                                  "series": ctx.declared.series}
        if ctx.source.dossier_code:
            d = s.execute(sa.select(Dossier).where(Dossier.code == ctx.source.dossier_code)).scalar()
            if d is not None:
                fields.update({"dossier_id": d.id, "fonds_id": d.fonds_id, "dossier_notation": d.notation,
                               "dossier_title": d.title})
        return fields

    def __call__(self, ctx: IngestContext) -> dict[str, Any]:
        with self.catalogue.session() as s:
            a = classify(self.fields(ctx, s), hooks.rules(s))
        if ctx.metadata is not None:
            ctx.metadata.extra = {**(ctx.metadata.extra or {}), hooks.KEY: hooks.request(a, ctx.declared.series)}
        if a is None:
            ctx.warnings.append("no retention rule matches: the record has no retention period yet "
                                "(không khớp quy tắc thời hạn lưu trữ nào)")
            return {"retention": None}
        return {"retention": a.as_dict()}
