"""The shared HTTP layer: classifier, retries, pacing, paginators and auth, on respx fakes."""

from __future__ import annotations

import email.utils
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import respx

from tierform.adapters.http import (
    ApiClient,
    BasicAuth,
    BearerAuth,
    CursorPaginator,
    OffsetPaginator,
    Pacer,
    PagePaginator,
    PaginationLoop,
    RefreshingTokenAuth,
    RetryPolicy,
    UncertainOutcome,
    classify,
    retry_after,
)
from tierform.errors import AuthError, PermanentApiError, RateLimited, TransientApiError

BASE = "https://api.example.test/"


@dataclass
class Clock:
    t: float = 0.0
    slept: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.t += s


def response(
    status: int,
    body: object = None,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    path: str = "/x",
) -> httpx.Response:
    return httpx.Response(
        status, json=body, headers=headers, request=httpx.Request(method, BASE.rstrip("/") + path)
    )


# -- classifier ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, text",
    [
        ({"message": "bad trait"}, "bad trait"),
        ({"error": "no such account"}, "no such account"),
        ({"error": {"message": "quota", "status": "X"}}, "quota"),
        ({"errors": [{"message": "first"}]}, "first"),
    ],
)
def test_fatal_4xx_carries_the_platform_text(body: object, text: str) -> None:
    with pytest.raises(PermanentApiError) as err:
        classify(response(422, body), platform="demo")
    assert text in str(err.value) and "422" in str(err.value)


def test_status_classes() -> None:
    classify(response(200, {}), platform="demo")
    with pytest.raises(RateLimited) as limited:
        classify(response(429, {}, {"Retry-After": "12"}), platform="demo")
    assert limited.value.retry_after == 12
    with pytest.raises(TransientApiError) as unavailable:
        classify(response(503, {}), platform="demo")
    assert not isinstance(unavailable.value, UncertainOutcome)
    for status in (500, 502, 504):  # a gateway may answer these after the work was done
        with pytest.raises(UncertainOutcome):
            classify(response(status, {}), platform="demo")
    for status in (401, 403):
        with pytest.raises(AuthError):
            classify(response(status, {"message": "nope"}), platform="demo")


def test_retry_after_forms() -> None:
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert retry_after(response(429, {}, {"Retry-After": date}), now=lambda: now) == 30
    assert retry_after(response(429, {}, {"RateLimit-Reset": "9"}), now=lambda: now) == 9
    epoch = {"RateLimit-Reset": str(int(now + 45))}
    assert retry_after(response(429, {}, epoch), now=lambda: now) == 45
    assert retry_after(response(429, {}), now=lambda: now) is None


def test_the_platform_may_read_a_failure_its_status_misclassifies() -> None:
    """``kind``: a quota error sent as 403 (Google) is retried as a rate limit; a 500 whose
    body means "no rows" is final; anything else is left to the status."""

    def kind(r: httpx.Response, text: str) -> str | None:
        return {"quota": "rate_limited", "no rows": "permanent"}.get(text)

    with pytest.raises(RateLimited):
        classify(response(403, {"message": "quota"}), platform="demo", kind=kind)
    with pytest.raises(PermanentApiError) as final:
        classify(response(500, {"message": "no rows"}), platform="demo", kind=kind)
    assert final.value.status == 500
    with pytest.raises(AuthError):
        classify(response(403, {"message": "denied"}), platform="demo", kind=kind)
    with pytest.raises(UncertainOutcome):
        classify(response(500, {"message": "boom"}), platform="demo", kind=kind)


def test_secrets_are_scrubbed_from_error_text() -> None:
    with pytest.raises(AuthError) as err:
        classify(
            response(401, {"message": "key tk_test_ABCDEF is revoked"}),
            platform="demo",
            secrets=["tk_test_ABCDEF"],
        )
    assert "tk_test_ABCDEF" not in str(err.value) and "***" in str(err.value)


# -- client: retries and pacing against a stateful fake -----------------------------------


class FlakyServer:
    """Answers each path from a script of statuses, then 200 with a counter."""

    def __init__(self, script: dict[str, list[tuple[int, dict[str, str]] | Exception]]) -> None:
        self.script = script
        self.hits: dict[str, int] = {}
        self.auth_seen: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.hits[path] = self.hits.get(path, 0) + 1
        self.auth_seen.append(request.headers.get("Authorization"))
        steps = self.script.get(path, [])
        if steps:
            step = steps.pop(0)
            if isinstance(step, Exception):
                raise step
            status, headers = step
            return httpx.Response(status, json={"message": f"status {status}"}, headers=headers)
        return httpx.Response(200, json={"ok": True, "n": self.hits[path]})


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        yield router


def client(clock: Clock, **kw: object) -> ApiClient:
    policy = RetryPolicy(max_attempts=4, initial=0.0, maximum=0.0, sleep=clock.sleep)
    return ApiClient(BASE, platform="demo", retry=policy, **kw)  # type: ignore[arg-type]


def test_429_then_success_honours_retry_after(mock: respx.MockRouter) -> None:
    server = FlakyServer({"/a": [(429, {"Retry-After": "5"}), (503, {})]})
    mock.route(host="api.example.test").mock(side_effect=server)
    clock = Clock()
    assert client(clock).get_json("a") == {"ok": True, "n": 3}
    assert clock.slept == [5.0, 0.0]


def test_a_429_without_a_wait_backs_off_past_a_minute() -> None:
    """No Retry-After or RateLimit-Reset (ChurnZero, Sheets): 2^(n-1) s plus up to a second,
    so six retries outlast a per-minute quota; a 5xx keeps the short jittered backoff, and
    the server's own wait always wins."""
    policy = RetryPolicy(rng=random.Random(11))
    limited = RateLimited("429")
    waits = [policy.wait_for(n, limited) for n in range(1, 7)]
    for n, wait in enumerate(waits):
        assert 2**n <= wait <= 2**n + 1
    assert sum(waits) >= 63
    assert all(policy.wait_for(n, TransientApiError("503")) <= 0.1 * 2 ** (n - 1) for n in (1, 3))
    assert policy.wait_for(4, RateLimited("429", retry_after=3.0)) == 3.0
    assert policy.wait_for(9, limited) <= 64 + 1  # capped at ``maximum``
    assert RetryPolicy(initial=0.0, maximum=0.0).wait_for(3, limited) == 0.0


class SlidingWindowServer:
    """``limit`` requests per ``window`` seconds, sliding; ``RateLimit-Reset`` is the whole
    seconds until the earliest request leaves the window, rounded down as some servers do."""

    def __init__(self, clock: Clock, limit: int, window: float) -> None:
        self.clock, self.limit, self.window = clock, limit, window
        self.times: list[float] = []
        self.statuses: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        now = self.clock.t
        self.times = [t for t in self.times if t > now - self.window]
        status = 429 if len(self.times) >= self.limit else 200
        if status == 200:
            self.times.append(now)
        reset = int(self.times[0] + self.window - now) if self.times else 0
        headers = {
            "RateLimit-Remaining": str(self.limit - len(self.times)),
            "RateLimit-Reset": str(reset),
        }
        self.statuses.append(status)
        return httpx.Response(status, json={}, headers=headers)


def test_a_reset_rounded_down_to_zero_is_waited_for_a_second(mock: respx.MockRouter) -> None:
    """0.3 s before the window frees a slot, the server says Reset 0: taken as is, every retry
    would land in those 0.3 s and the run would stop on a rate limit."""
    clock = Clock()
    server = SlidingWindowServer(clock, limit=2, window=10.0)
    mock.route(host="api.example.test").mock(side_effect=server)
    c = client(clock)
    c.get_json("a")
    clock.t = 9.6
    c.get_json("a")
    clock.t = 9.7  # the first request leaves the window at 10.0
    c.get_json("a")
    assert server.statuses == [200, 200, 429, 200]
    assert clock.slept == [1.0]


def test_retries_are_bounded(mock: respx.MockRouter) -> None:
    server = FlakyServer({"/a": [(503, {})] * 10})
    mock.route(host="api.example.test").mock(side_effect=server)
    with pytest.raises(TransientApiError):
        client(Clock()).get_json("a")
    assert server.hits["/a"] == 4


def test_a_failure_the_platform_reads_as_final_is_not_retried(mock: respx.MockRouter) -> None:
    server = FlakyServer({"/a": [(500, {})]})
    mock.route(host="api.example.test").mock(side_effect=server)
    final = client(Clock(), error_kind=lambda r, text: "permanent" if "500" in text else None)
    with pytest.raises(PermanentApiError):
        final.get_json("a")
    assert server.hits["/a"] == 1
    assert client(Clock()).get_json("a")["ok"]  # without the reading, a read retries a 500


def test_non_idempotent_write_is_not_replayed_after_a_dropped_connection(
    mock: respx.MockRouter,
) -> None:
    server = FlakyServer({"/w": [httpx.ReadError("reset")]})
    mock.route(host="api.example.test").mock(side_effect=server)
    with pytest.raises(UncertainOutcome):
        client(Clock()).request("POST", "w", json={})
    assert server.hits["/w"] == 1
    server.script["/g"] = [httpx.ReadError("reset")]
    assert client(Clock()).get_json("g")["ok"]  # an idempotent read is retried


def test_connect_errors_are_replayed_even_for_writes(mock: respx.MockRouter) -> None:
    server = FlakyServer({"/w": [httpx.ConnectError("refused")]})
    mock.route(host="api.example.test").mock(side_effect=server)
    assert client(Clock()).request("POST", "w", json={}).status_code == 200
    assert server.hits["/w"] == 2


def test_explicit_timeouts() -> None:
    c = ApiClient(BASE, platform="demo", timeout=12)
    assert c._http.timeout.read == 12 and c._http.timeout.connect == 10
    c.close()


def test_pacer_spaces_requests_to_the_documented_limit(mock: respx.MockRouter) -> None:
    server = FlakyServer({})
    mock.route(host="api.example.test").mock(side_effect=server)
    clock = Clock()
    pacer = Pacer(120, 60.0, clock=clock.now, sleep=clock.sleep)  # 2 per second
    c = client(clock, read_pacer=pacer)
    for _ in range(5):
        c.get_json("p")
    assert clock.t == pytest.approx(2.0)  # 5 requests, 0.5 s apart
    assert pacer.acquired == 5


def test_pacer_holds_when_the_server_budget_is_spent() -> None:
    clock = Clock()
    pacer = Pacer(1000, 60.0, burst=100, clock=clock.now, sleep=clock.sleep)
    pacer.acquire()
    pacer.observe(response(200, {}, {"RateLimit-Remaining": "0", "RateLimit-Reset": "20"}))
    waited = pacer.acquire()
    assert waited == pytest.approx(20.0)
    pacer.observe(response(200, {}, {"RateLimit-Remaining": "0", "RateLimit-Reset": "0"}))
    assert pacer.acquire() == pytest.approx(1.0)  # a reset rounded down to 0: a second


# -- paginators -----------------------------------------------------------------------------


def test_cursor_pagination_and_loop_detection(mock: respx.MockRouter) -> None:
    pages = {None: ([1, 2], "c1"), "c1": ([3], "c2"), "c2": ([4], None)}

    def serve(request: httpx.Request) -> httpx.Response:
        items, nxt = pages[request.url.params.get("from")]
        return httpx.Response(200, json={"results": items, "next": nxt})

    mock.get(BASE + "items").mock(side_effect=serve)
    c = client(Clock())
    assert list(c.paginate("items", CursorPaginator("from", extra={"limit": 2}))) == [1, 2, 3, 4]
    pages["c2"] = ([4], "c1")  # the server loops back
    with pytest.raises(PaginationLoop):
        list(c.paginate("items", CursorPaginator("from")))


def test_offset_and_page_paginators(mock: respx.MockRouter) -> None:
    data = list(range(7))

    def serve(request: httpx.Request) -> httpx.Response:
        p = request.url.params
        if "offset" in p:
            start, size = int(p["offset"]), int(p["limit"])
        else:
            start, size = (int(p["page"]) - 1) * int(p["per_page"]), int(p["per_page"])
        return httpx.Response(200, json={"data": data[start : start + size]})

    mock.get(BASE + "rows").mock(side_effect=serve)
    c = client(Clock())
    assert list(c.paginate("rows", OffsetPaginator(limit=3))) == data
    assert list(c.paginate("rows", PagePaginator(size=3))) == data
    mock.get(BASE + "stuck").mock(return_value=httpx.Response(200, json={"data": [1, 2, 3]}))
    with pytest.raises(PaginationLoop):
        list(c.paginate("stuck", PagePaginator(size=3)))


# -- auth -----------------------------------------------------------------------------------


class CountingTokenAuth(RefreshingTokenAuth):
    def __init__(self) -> None:
        super().__init__()
        self.fetched = 0

    def fetch_token(self) -> str:
        self.fetched += 1
        return f"token-{self.fetched}"


def test_refreshing_auth_refreshes_once_on_401(mock: respx.MockRouter) -> None:
    seen: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        ok = request.headers["Authorization"] == "Bearer token-2"
        return httpx.Response(200 if ok else 401, json={"message": "expired"})

    mock.get(BASE + "me").mock(side_effect=serve)
    auth = CountingTokenAuth()
    assert client(Clock(), auth=auth).get_json("me")
    assert seen == ["Bearer token-1", "Bearer token-2"] and auth.fetched == 2


def test_auth_reprs_hide_secrets() -> None:
    for auth in (BearerAuth("s3cr3t-token"), BasicAuth("s3cr3t-token", "")):
        assert "s3cr3t" not in repr(auth)
        assert "s3cr3t-token" in auth.secrets()
