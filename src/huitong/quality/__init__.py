"""Batch validation with Great Expectations: rules in expectations/<source>.yml, quarantine of failing rows.

Importing this package is cheap; Great Expectations itself is imported on the first validate_batch call.
"""

from huitong.quality.spec import SuiteError, entity_spec, has_suite
from huitong.quality.validate import (
    BatchCheck,
    BatchValidationError,
    FramedBatch,
    ValidationResult,
    frame_batch,
    validate_batch,
)

__all__ = [
    "BatchCheck",
    "BatchValidationError",
    "FramedBatch",
    "SuiteError",
    "ValidationResult",
    "entity_spec",
    "frame_batch",
    "has_suite",
    "validate_batch",
]
