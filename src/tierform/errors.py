"""The tierform exception tree.

Every error a user can cause derives from :class:`TierformError`; the CLI maps it to a message
and an exit code instead of a traceback::

    TierformError
    ├── ConfigError            a model file problem (carries every Issue, each with file:line:key)
    ├── BookError              an account-book problem (carries every Issue, each with its row)
    ├── AdapterError           a platform problem
    │   ├── AuthError
    │   ├── RetriableError
    │   │   ├── RateLimited
    │   │   └── TransientApiError
    │   ├── PermanentApiError
    │   └── UnsupportedFeature
    ├── UnsafePlanError        exit 2
    │   └── TooManyChanges
    ├── ChecksumMismatch
    ├── ChecksFailed           --fail-on: a check at the level asked
    ├── DriftDetected          exit 2
    └── BuildStepsPending      exit 3
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One problem found in an input, located as precisely as the input allows."""

    message: str
    file: str | None = None
    line: int | None = None
    key: str | None = None
    row: int | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file + (f":{self.line}" if self.line else ""))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.key:
            where.append(self.key)
        prefix = ": ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class TierformError(Exception):
    """Root of every error tierform raises on purpose."""

    exit_code = 1


class _IssuesError(TierformError):
    """An error that carries every problem found, not just the first."""

    def __init__(self, issues: list[Issue], headline: str = "") -> None:
        self.issues = list(issues)
        self.headline = headline
        super().__init__(self.render())

    def render(self) -> str:
        lines = [self.headline] if self.headline else []
        lines.extend(f"  {issue}" if self.headline else str(issue) for issue in self.issues)
        return "\n".join(lines)


class ConfigError(_IssuesError):
    """The model file (tierform.yaml) is not valid."""


class BookError(_IssuesError):
    """The account book cannot be read as asked."""


class AdapterError(TierformError):
    """A platform adapter failed."""


class AuthError(AdapterError):
    """The platform refused the credentials (``status``: 401 or 403 when it answered one)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RetriableError(AdapterError):
    """A fault worth retrying (rate limit, 5xx, timeout, dropped connection)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(RetriableError):
    """The platform answered 429."""


class TransientApiError(RetriableError):
    """A 5xx, a timeout or a dropped connection."""


class PermanentApiError(AdapterError):
    """A 4xx that retrying will not fix; ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class UnsupportedFeature(AdapterError):
    """The platform's API cannot do what the plan asks (strict mode)."""


class UnsafePlanError(TierformError):
    """The plan changes more than the safety policy allows without --force."""

    exit_code = 2


class TooManyChanges(UnsafePlanError):
    """Too large a share of existing managed objects would be updated or deleted."""


class ChecksumMismatch(TierformError):
    """The plan no longer matches the one that was reviewed."""


class ChecksFailed(TierformError):
    """``--fail-on``: a benchmark check reached the level the caller asked to fail on."""


class DriftDetected(TierformError):
    """The platform differs from the model (``sync --check``)."""

    exit_code = 2


class BuildStepsPending(TierformError):
    """``sync --check``: the data is aligned; only build-sheet steps a person must do in the
    platform's UI remain (exit 3, so a nightly job tells them from data drift)."""

    exit_code = 3


# -- HTTP platforms --------------------------------------------------------------------------
class UncertainOutcome(TransientApiError):
    """A failure after the request may have been processed: replaying a non-idempotent write
    could apply it twice, so only idempotent requests retry it (see adapters.http.classify)."""


class PaginationLoop(PermanentApiError):
    """The platform returned a page it had already returned."""


# -- files ------------------------------------------------------------------------------------
class JournalError(TierformError):
    """The journal file cannot be opened or written."""


class UnreadableWorkbook(TierformError):
    """The file is not a readable .xlsx workbook."""


class WorkbookLocked(TierformError):
    """The workbook is open in another program (or not writable)."""


class SheetTooLarge(TierformError):
    """More rows than a worksheet can hold."""
