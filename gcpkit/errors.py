"""gcpkit's own error types. The CLI turns these into one clear line, a hint and an exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_LOCKED = 3
EXIT_INTERRUPTED = 130


class GcpkitError(Exception):
    """Base of every error gcpkit reports to a user. `hint` says what to do next."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class BadInput(GcpkitError):
    """The user's input is wrong; nothing was called. `where` names the file:line or parameter."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(f"{where}: {message}" if where else message, hint=hint)
        self.where = where


class LockedError(GcpkitError):
    """Another gcpkit process holds the deployment's lock, or state conflicts."""

    exit_code = EXIT_LOCKED


class OperationFailed(GcpkitError):
    """A cloud operation failed; the message names the root cause."""

    exit_code = EXIT_FAILED


class Interrupted(GcpkitError):
    exit_code = EXIT_INTERRUPTED
