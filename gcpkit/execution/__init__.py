"""Execution: the DAG walker and the retry policy (standard library only)."""

from gcpkit.execution.retry import (
    RateGovernor,
    call_with_retry,
    is_rate_limited,
    is_transient,
    is_transient_operation_error,
)
from gcpkit.execution.walker import Event, WalkResult, reverse, walk

__all__ = ["Event", "RateGovernor", "WalkResult", "call_with_retry", "is_rate_limited", "is_transient",
           "is_transient_operation_error", "reverse", "walk"]
