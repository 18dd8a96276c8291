"""The shared HTTP layer every HTTP platform adapter uses.

* :class:`ApiClient` (``client.py``) -- one ``httpx.Client`` per adapter: explicit timeouts,
  pacing, classification, tenacity retries; see its module docstring for the request contract.
* ``auth.py`` -- ``httpx.Auth`` classes (header/API key, bearer, basic, refreshing token).
* ``pagination.py`` -- cursor / offset / page paginators with loop detection.
* ``classify.py`` -- the one response classifier (retriable 429/5xx/timeouts/dropped connections
  vs fatal 4xx carrying the platform's error text).
* ``retry.py`` -- :class:`RetryPolicy`, bounded and jittered, honouring ``Retry-After`` and
  ``RateLimit-Reset``.
* ``pacer.py`` -- :class:`Pacer`, a token bucket set from the documented limit (thread-safe).
* ``concurrency.py`` -- :func:`bounded_map`, a few requests in flight under the one pacer.
* ``adapter.py`` -- :class:`HttpAdapter`, an Adapter with all of the above wired in.
"""

from tierform.adapters.http.adapter import HttpAdapter
from tierform.adapters.http.auth import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    HeaderAuth,
    RefreshingTokenAuth,
    SecretAuth,
)
from tierform.adapters.http.batching import chunks, chunks_by_bytes
from tierform.adapters.http.classify import (
    UncertainOutcome,
    classify,
    default_error_text,
    retry_after,
)
from tierform.adapters.http.client import ApiClient, default_timeout
from tierform.adapters.http.concurrency import Outcome, bounded_map
from tierform.adapters.http.pacer import Pacer
from tierform.adapters.http.pagination import (
    CursorPaginator,
    OffsetPaginator,
    PagePaginator,
    PaginationLoop,
    Paginator,
)
from tierform.adapters.http.retry import NO_WAIT, RetryPolicy

__all__ = [
    "NO_WAIT",
    "ApiClient",
    "Outcome",
    "ApiKeyAuth",
    "BasicAuth",
    "BearerAuth",
    "CursorPaginator",
    "HeaderAuth",
    "HttpAdapter",
    "OffsetPaginator",
    "Pacer",
    "PagePaginator",
    "PaginationLoop",
    "Paginator",
    "RefreshingTokenAuth",
    "RetryPolicy",
    "SecretAuth",
    "UncertainOutcome",
    "bounded_map",
    "chunks",
    "chunks_by_bytes",
    "classify",
    "default_error_text",
    "default_timeout",
    "retry_after",
]
