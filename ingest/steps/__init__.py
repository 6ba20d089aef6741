"""The pipeline's steps, in order: preflight, identify, extract, describe, classify, store."""

from ingest.steps.classify import ClassifyStep
from ingest.steps.describe import DescribeStep
from ingest.steps.extract import ExtractStep
from ingest.steps.preflight import IdentifyStep, PreflightStep
from ingest.steps.store import StoreStep

__all__ = ["ClassifyStep", "DescribeStep", "ExtractStep", "IdentifyStep", "PreflightStep", "StoreStep"]
