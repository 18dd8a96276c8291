"""The fake itself behaves as Vitally documents its API (so the adapter tests mean something)."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.support import SlidingWindow

from .fake import VitallyFake, basic_header

H = {"Authorization": basic_header("tk_test_fake_secret"), "Content-Type": "application/json"}


@pytest.fixture
def server(clock):
    fake = VitallyFake(clock=clock)
    with fake.mock():
        yield fake


def _get(server: VitallyFake, path: str, **params: str) -> httpx.Response:
    return httpx.get(server.rest_base + path, params=params, headers=H)


def test_cursor_pages_descending_and_complete(server):
    for i in range(7):
        server.add_account(f"A{i}", f"A {i}")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": "3", "sortBy": "createdAt", **({"from": cursor} if cursor else {})}
        body = _get(server, "/accounts", **params).json()
        seen += [a["externalId"] for a in body["results"]]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == ["A6", "A5", "A4", "A3", "A2", "A1", "A0"] and pages == 3


def test_updated_at_paging_skips_a_record_updated_mid_scan(server):
    """The docs' warning, reproduced: use sortBy=createdAt for a full scan."""
    for i in range(4):
        server.add_account(f"A{i}", f"A {i}")
    first = _get(server, "/accounts", limit="2").json()  # A3, A2 by updatedAt
    httpx.put(server.rest_base + "/accounts/A0", json={"traits": {"x": 1}}, headers=H)
    rest = _get(server, "/accounts", limit="2", **{"from": first["next"]}).json()
    ids = [a["externalId"] for a in first["results"] + rest["results"]]
    assert ids == ["A3", "A2", "A1"]  # A0 moved to the front: skipped


def test_limits_and_bad_params(server):
    assert _get(server, "/accounts", limit="101").json() == {
        "message": "limit must be between 1 and 100"
    }
    assert _get(server, "/accounts", status="gone").status_code == 400


def test_traits_merge_and_null_deletes(server):
    server.add_account("A", "A", {"keep": 1, "drop": 2})
    r = httpx.put(
        server.rest_base + "/accounts/A", json={"traits": {"drop": None, "new": 3}}, headers=H
    )
    assert r.json()["traits"] == {"keep": 1, "new": 3}
    r = httpx.put(server.rest_base + "/accounts/A", json={"csmId": "x"}, headers=H)
    assert r.status_code == 400 and r.json() == {"message": "csmId is not editable via the API"}


def test_task_post_upserts_on_external_id(server):
    acc = server.add_account("A", "A")
    body = {"externalId": "t1", "accountId": acc["id"], "name": "One"}
    first = httpx.post(server.rest_base + "/tasks", json=body, headers=H).json()
    second = httpx.post(server.rest_base + "/tasks", json={**body, "name": "Two"}, headers=H).json()
    assert first["id"] == second["id"] and len(server.tasks) == 1
    assert server.tasks[first["id"]]["name"] == "Two"


def test_rate_limit_headers_and_429(clock):
    fake = VitallyFake(clock=clock, limit=3)
    with fake.mock():
        heads = [_get(fake, "/customFields").headers for _ in range(3)]
        assert [h["RateLimit-Remaining"] for h in heads] == ["2", "1", "0"]
        assert heads[0]["RateLimit-Limit"] == "3, 3;window=60"
        clock.sleep(10)
        refused = _get(fake, "/customFields")
        assert refused.status_code == 429 and refused.json() == {"error": "Too Many Requests"}
        assert refused.headers["RateLimit-Reset"] == "50"  # seconds, not an epoch
        clock.sleep(50)
        assert _get(fake, "/customFields").status_code == 200


def test_sliding_window_counts_any_60_seconds():
    window = SlidingWindow(2, 60)
    assert window.admit(0) and window.admit(30) and not window.admit(59.9)
    assert window.admit(60.0) and not window.admit(89) and window.admit(90.0)


def test_custom_fields_is_a_bare_array(server):
    server.add_custom_field("accounts", "vitally.custom.tfTier", "tf_tier")
    body = _get(server, "/customFields", model="accounts").json()
    assert isinstance(body, list) and body[0]["key"] == "vitally.custom.tfTier"


def test_unknown_route_404_error_shape(server):
    r = _get(server, "/playbooks")
    assert r.status_code == 404 and r.json() == {"error": "Not found"}


def test_batch_limits(clock):
    fake = VitallyFake(clock=clock, analytics_key="an")
    with fake.mock():
        url = fake.analytics_base + "/batch"
        auth = {"Authorization": basic_header("an")}
        too_many = [{"type": "track", "messageId": str(i)} for i in range(101)]
        assert httpx.post(url, json=too_many, headers=auth).status_code == 400
        no_id = [{"type": "account", "accountId": "A", "traits": {}}]
        assert httpx.post(url, json=no_id, headers=auth).json() == {
            "message": "Every message needs a timestamp or a messageId"
        }
        ok = [{"type": "account", "accountId": "A", "traits": {"t": 1}, "messageId": "m"}]
        assert httpx.post(url, json=ok, headers=auth).json() == {"message": "Success."}
        assert fake.account("A")["traits"] == {"t": 1}
