"""Errors of local mode; each message says what to do about it."""

from __future__ import annotations


class LocalModeError(RuntimeError):
    """Local mode cannot run the job here (a missing tool, a failed image build, a server that never came up)."""


class JobFailed(LocalModeError):
    """The job's container exited non-zero; the message carries its failure reason."""

    def __init__(self, name: str, exit_code: int, reason: str | None) -> None:
        self.name = name
        self.exit_code = exit_code
        self.reason = reason
        super().__init__(f"job {name} failed with exit code {exit_code}: {reason or 'no failure reason written'}")
