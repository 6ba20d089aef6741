"""One JSON shape for an ingest outcome (``Outcome.as_dict``): the CLI's ``--json`` lines, the HTTP
deposit's answer and a worker job's answer carry the same keys with the same meaning."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from api.http.routes.deposits import DepositJob
from api.http.routes.records import DepositResult
from ingest.pipeline import Duplicate, Ingested, RejectedOutcome, outcome_from_dict

KEYS = {"outcome", "record_id", "sha256", "code", "message_vi", "message_en", "quarantine"}
text = st.text(max_size=40)
digest = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
outcomes = (st.builds(Ingested, record_id=text, sha256=digest)
            | st.builds(Duplicate, record_id=text, sha256=digest)
            | st.builds(RejectedOutcome, code=text, message_vi=text, message_en=text,
                        sha256=st.none() | digest, quarantine=st.none() | text))


@given(outcomes)
def test_every_outcome_has_the_one_shape_and_reads_back(outcome):
    d = outcome.as_dict()
    assert set(d) == KEYS
    assert outcome_from_dict(d) == outcome
    if d["outcome"] != "rejected":
        assert d["code"] is d["message_vi"] is d["quarantine"] is None and d["record_id"] is not None


def test_the_http_models_are_that_shape_without_the_server_path():
    http = set(DepositResult.model_fields) - {"job_id"}
    assert http == KEYS - {"quarantine"}
    assert set(DepositJob.model_fields) - {"job_id", "status"} == KEYS - {"quarantine"}
