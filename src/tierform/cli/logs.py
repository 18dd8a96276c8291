"""Log output with credentials redacted, whatever library wrote the line.

With ``-vv`` the HTTP libraries log request and response headers at debug level; a header such as
``Authorization``, ``accesskey`` or ``app-token``, a cookie, a URL's ``user:password@`` or a
``?token=`` query value must never reach a terminal or a CI log. The formatter redacts the
finished line, so it covers every logger and every argument shape (text, bytes reprs, tuples).
"""

from __future__ import annotations

import logging
import re

SECRET_HEADERS = (
    "authorization",
    "proxy-authorization",
    "accesskey",
    "access-key",
    "access_key",
    "app-token",
    "app_token",
    "x-api-key",
    "api-key",
    "apikey",
    "x-auth-token",
    "cookie",
    "set-cookie",
)
_NAMES = "|".join(re.escape(h) for h in SECRET_HEADERS)
REDACTED = "[redacted]"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # ('Authorization', 'Basic abc') / (b'accesskey', b'...') -- header tuples in debug reprs
    (
        re.compile(rf"""(b?['"](?:{_NAMES})['"]\s*,\s*b?)(['"])(.*?)\2""", re.IGNORECASE),
        rf"\1\2{REDACTED}\2",
    ),
    # 'Authorization': 'Basic abc' -- header dicts
    (
        re.compile(rf"""(b?['"](?:{_NAMES})['"]\s*:\s*b?)(['"])(.*?)\2""", re.IGNORECASE),
        rf"\1\2{REDACTED}\2",
    ),
    # Authorization: Basic abc -- raw header lines
    (re.compile(rf"(?im)^(\s*(?:{_NAMES})\s*:\s*).+$"), rf"\1{REDACTED}"),
    # https://user:password@host -- credentials in a URL
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s@'\"]+@", re.IGNORECASE), r"\1***@"),
    # ?token=...&api_key=... -- credentials in a query string
    (
        re.compile(
            r"([?&](?:token|access_token|app_token|api_key|apikey|key|secret|password)=)"
            r"[^&\s'\"]+",
            re.IGNORECASE,
        ),
        rf"\1{REDACTED}",
    ),
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(verbose: int) -> None:
    """Log to stderr at WARNING, INFO (-v) or DEBUG (-vv), always through the redaction."""
    level = max(logging.WARNING - 10 * verbose, logging.DEBUG)
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
