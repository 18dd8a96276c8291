"""One response classifier for every HTTP platform: retriable vs fatal, with the platform's text.

==========================================  =========================  ==========================
what happened                               raised                     retried
==========================================  =========================  ==========================
2xx / 3xx                                   nothing                    --
429                                         RateLimited                yes (Retry-After honoured)
503; connect error / connect timeout        TransientApiError          yes
408, other 5xx; timeout; dropped conn.      UncertainOutcome           idempotent requests only
401, 403                                    AuthError                  no
other 4xx                                   PermanentApiError          no
==========================================  =========================  ==========================

Before the status decides, the platform may read the response itself (``kind``, an adapter's
``error_kind``): a quota error sent as 403 is then a ``RateLimited``, an error body that retrying
cannot change a ``PermanentApiError``.

``UncertainOutcome`` means the request may have reached the platform: replaying a non-idempotent
write (a create) could apply it twice, so only idempotent requests retry it; a write fails the
run and the next run resumes from a fresh read.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import time
from collections.abc import Callable, Iterable

import httpx

from tierform.adapters.http.body import json_body
from tierform.errors import (
    AdapterError,
    AuthError,
    PermanentApiError,
    RateLimited,
    RetriableError,
    TransientApiError,
    UncertainOutcome,
)

ErrorText = Callable[[httpx.Response], str]
ErrorHint = Callable[[httpx.Response, str], str | None]
#: A platform's own reading of a failed response, before the status decides: "rate_limited"
#: (a quota error sent with another status, e.g. Google's 403 rateLimitExceeded), "permanent"
#: (an answer that retrying cannot change, e.g. an error body that means "no such rows"), or
#: None to let the status decide.
ErrorKind = Callable[[httpx.Response, str], str | None]

MAX_TEXT = 300
MIN_RESET_WAIT = 1.0  # seconds: a RateLimit-Reset is whole seconds, possibly rounded down


def default_error_text(response: httpx.Response) -> str:
    """The platform's own error text from the common body shapes, else the body's start.

    Reads ``{"message": ...}``, ``{"error": "..."}``, ``{"error": {"message": ...}}``,
    ``{"errors": [{"message": ...}]}`` and ``{"detail": ...}``.
    """
    try:
        body = json_body(response)
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return response.text.strip()[:MAX_TEXT]
    return _text_of(body)[:MAX_TEXT] if _text_of(body) else response.text.strip()[:MAX_TEXT]


def _text_of(body: object) -> str:
    if isinstance(body, str):
        return body
    if isinstance(body, list) and body:
        return _text_of(body[0])
    if isinstance(body, dict):
        for key in ("message", "error_description", "error", "errors", "detail", "title"):
            if key in body and body[key]:
                text = _text_of(body[key])
                if text:
                    return text
    return ""


def retry_after(response: httpx.Response, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait before the next request, as the server asks for it.

    ``Retry-After`` (seconds or an HTTP date) always counts. ``RateLimit-Reset`` (seconds until
    the quota window resets, IETF draft; a value > 10^9 is read as a Unix timestamp) is a wait
    only when the quota is what failed: on a 429, or when ``RateLimit-Remaining`` is 0. APIs
    such as Vitally's send it on *every* response, so reading it on a 500 would turn each
    transient server error into a whole-window wait. The reset is a whole number of seconds
    that a server may round down (0 while the last fraction of a second runs out), so it is
    waited for at least a second: a 0 taken as is would spend every retry in that fraction.
    """
    value = response.headers.get("Retry-After")
    if value:
        seconds = _seconds(value, now)
        if seconds is not None:
            return seconds
    if response.status_code != 429 and not _quota_spent(response):
        return None
    reset = response.headers.get("RateLimit-Reset") or response.headers.get("X-RateLimit-Reset")
    if reset:
        try:
            number = float(reset)
        except ValueError:
            return None
        seconds = number - now() if number > 1e9 else number
        return max(MIN_RESET_WAIT, seconds)
    return None


def _quota_spent(response: httpx.Response) -> bool:
    remaining = response.headers.get("RateLimit-Remaining") or response.headers.get(
        "X-RateLimit-Remaining"
    )
    try:
        return remaining is not None and float(remaining) <= 0
    except ValueError:
        return False


def _seconds(value: str, now: Callable[[], float]) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - now())


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every known secret in ``text`` (a platform echoing a key must not leak it)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def classify(
    response: httpx.Response,
    *,
    platform: str,
    error_text: ErrorText = default_error_text,
    hint: ErrorHint | None = None,
    secrets: Iterable[str] = (),
    kind: ErrorKind | None = None,
) -> None:
    """Raise the right error for a failed response; return for success. ``kind`` lets the
    platform read a response its status alone misclassifies (see :data:`ErrorKind`)."""
    status = response.status_code
    if status < 400:
        return
    text = scrub(error_text(response), secrets)
    where = f"{response.request.method} {response.request.url.path}"
    message = f"{platform}: {where} answered {status}" + (f": {text}" if text else "")
    extra = hint(response, text) if hint is not None else None
    if extra:
        message += f". {extra}"
    read = kind(response, text) if kind is not None else None
    if read == "permanent":
        raise PermanentApiError(message, status=status)
    if read == "rate_limited" or status == 429:
        raise RateLimited(message, retry_after=retry_after(response))
    if status == 503:  # unavailable: the request was not taken
        raise TransientApiError(message, retry_after=retry_after(response))
    if status == 408 or status >= 500:  # a gateway's 502/504 may follow a done request
        raise UncertainOutcome(message, retry_after=retry_after(response))
    if status in (401, 403):
        raise AuthError(message, status=status)
    raise PermanentApiError(message, status=status)


def classify_transport_error(
    exc: httpx.TransportError, *, platform: str, url: str
) -> RetriableError:
    """A network failure as a retriable error; never repeats headers or the query string."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return TransientApiError(
            f"{platform}: cannot connect to {url} ({type(exc).__name__}); "
            "check the network, proxy or base_url"
        )
    return UncertainOutcome(
        f"{platform}: {url}: connection failed mid-request ({type(exc).__name__})"
    )


def is_retriable(exc: BaseException, idempotent: bool) -> bool:
    if not isinstance(exc, RetriableError):
        return False
    return idempotent or not isinstance(exc, UncertainOutcome)


__all__ = [
    "AdapterError",
    "UncertainOutcome",
    "classify",
    "classify_transport_error",
    "default_error_text",
    "is_retriable",
    "retry_after",
    "scrub",
]
