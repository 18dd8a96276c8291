"""Plan -> apply -> re-plan against the stateful fake: attributes, Success Manager, tasks."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.fakes.half_character import plans_and_rewrites_a_half_character
from tierform.sync.change import Op
from tierform.sync.state import Kind

from . import states
from .states import UNMANAGED, ext


def expected_attrs(i: int) -> dict[str, str]:
    """What the account holds after a sync, as gateway text."""
    enterprise = i % 3 == 0
    score = 50 + i + (0.5 if i % 4 == 0 else 0)
    out = {
        **UNMANAGED,
        "tf_tier": "Enterprise" if enterprise else "SMB",
        "tf_csm": "Ana Ruiz" if enterprise else "Growth pod",
        "tf_health_score": str(score) if score % 1 else str(int(score)),
        "tf_health_band": "green" if i % 2 else "yellow",
    }
    if enterprise:
        out["Success Manager"] = "Ana Ruiz"
    return out


def test_plan_apply_replan_is_empty(fake, syncer):
    states.seed(fake)
    desired = states.desired()
    plan = syncer().plan(desired)
    assert Counter((c.kind, c.op) for c in plan.changes) == {
        (Kind.account, Op.create): 9,
        (Kind.work_item, Op.create): 4,
    }
    report = syncer().apply(plan)
    assert report.ok, [f.error for f in report.failures]
    assert report.counts["create"] == 13
    for i in range(1, 10):
        assert fake.attrs(ext(i)) == expected_attrs(i)
    again = syncer().plan(desired)
    assert again.is_empty, [c.to_dict() for c in again.changes]


def test_one_gateway_request_per_account_with_all_its_attributes(fake, syncer):
    states.seed(fake, 3)
    syncer().apply(syncer().plan(states.desired(3, tasks=False)))
    sent = fake.gateway_requests()
    assert len(sent) == 3
    acc3 = next(e.body for e in sent if e.body["sdr_o"] == ext(3))
    assert acc3 == {
        "sdr_s": "SP-1234-01",
        "sdr_o": ext(3),
        "sdr_o.tf_tier": "Enterprise",
        "sdr_o.tf_csm": "Ana Ruiz",
        "sdr_o.tf_health_score": "53",
        "sdr_o.tf_health_band": "green",
        "sdr_o.Success Manager": "Ana Ruiz",
    }


def test_gateway_query_encodes_a_space_as_percent_20(fake, syncer):
    """Every gateway request in the research writes a space as %20 [HTTP]; a plus is a plus."""
    states.seed(fake, 3)
    desired = states.desired(3, tasks=False)
    desired.put(Kind.account, ext(3), {**states.account_data(3), "tf_tier": "A+B Plus"})
    assert syncer().apply(syncer().plan(desired)).ok
    sent = next(e for e in fake.gateway_requests() if e.body["sdr_o"] == ext(3))
    assert "sdr_o.Success%20Manager=Ana%20Ruiz" in sent.query
    assert "sdr_o.tf_tier=A%2BB%20Plus" in sent.query and "+" not in sent.query
    assert fake.attrs(ext(3))["Success Manager"] == "Ana Ruiz"
    assert fake.attrs(ext(3))["tf_tier"] == "A+B Plus"


def test_second_apply_sends_nothing(fake, syncer):
    states.seed(fake)
    desired = states.desired()
    syncer().apply(syncer().plan(desired))
    before = fake.log.total
    plan = syncer().plan(desired)
    assert plan.is_empty
    report = syncer().apply(plan)
    assert sum(report.counts.values()) == 0
    assert not any(e.method in ("PUT",) or "pixel" in e.path for e in fake.log.entries[before:])
    assert fake.log.count(method="POST", path="/api/v3/tasks") == 4


def test_update_sends_only_the_changed_attribute(fake, syncer):
    states.seed(fake)
    syncer().apply(syncer().plan(states.desired()))
    desired = states.desired()
    desired.put(Kind.account, ext(5), {**states.account_data(5), "tf_health_band": "yellow"})
    plan = syncer().plan(desired)
    assert [(c.op, c.key, [d.field for d in c.diffs]) for c in plan.changes] == [
        (Op.update, ext(5), ["tf_health_band"])
    ]
    before = len(fake.gateway_requests())
    assert syncer().apply(plan).ok
    assert [e.body for e in fake.gateway_requests()[before:]] == [
        {"sdr_s": "SP-1234-01", "sdr_o": ext(5), "sdr_o.tf_health_band": "yellow"}
    ]
    assert fake.attrs(ext(5))["tf_health_band"] == "yellow"
    assert syncer().plan(desired).is_empty


def test_unmanaged_attributes_untouched(fake, syncer):
    states.seed(fake, 3)
    fake.accounts[ext(1)]["attributes"]["Success Manager"] = "Jo Park"  # a person's choice
    syncer().apply(syncer().plan(states.desired(3, tasks=False)))
    # ACC-001's CSM is the Growth pod (no Totango user): its Success Manager stays.
    assert fake.attrs(ext(1)) == {
        **UNMANAGED,
        "Success Manager": "Jo Park",
        "tf_tier": "SMB",
        "tf_csm": "Growth pod",
        "tf_health_score": "51",
        "tf_health_band": "green",
    }
    for entry in fake.gateway_requests():
        sent = {k for k in entry.body if k.startswith("sdr_o.")}
        assert all(k.startswith("sdr_o.tf_") or k == "sdr_o.Success Manager" for k in sent)


def test_account_dropped_from_book_loses_only_our_attributes(fake, syncer):
    states.seed(fake, 4)
    syncer().apply(syncer().plan(states.desired(4, tasks=False)))
    plan = syncer().plan(states.desired(3, tasks=False))
    assert [(c.op, c.key) for c in plan.changes] == [(Op.delete, ext(4))]
    assert syncer().apply(plan, force=True).ok
    assert fake.attrs(ext(4)) == UNMANAGED
    assert syncer().plan(states.desired(3, tasks=False)).is_empty


def test_unmatched_accounts_are_never_sent(fake, syncer):
    states.seed(fake, 8)  # ACC-009 is in the book, not in Totango
    plan = syncer().plan(states.desired(9, tasks=False))
    assert any(w.startswith("unmatched: 1 account(s)") and ext(9) in w for w in plan.warnings)
    assert ext(9) not in {c.key for c in plan.changes}
    syncer().apply(plan)
    assert ext(9) not in fake.accounts
    assert all(e.body["sdr_o"] != ext(9) for e in fake.gateway_requests())


def test_success_manager_unknown_csm_is_a_warning(fake, syncer):
    states.seed(fake, 3)
    desired = states.desired(3, tasks=False)
    desired.put(Kind.account, ext(1), {**states.account_data(1), "tf_csm": "Kim Novak"})
    plan = syncer().plan(desired)
    text = next(w for w in plan.warnings if w.startswith("CSM:"))
    assert "Kim Novak (1 account(s))" in text and "Growth pod (1 account(s))" in text
    syncer().apply(plan)
    assert "Success Manager" not in fake.attrs(ext(1))
    assert fake.attrs(ext(3))["Success Manager"] == "Ana Ruiz"


def test_csm_matched_by_roster_email_takes_the_totango_full_name(fake, syncer):
    states.seed(fake, 3)
    fake.users[0]["display_name"] = "Ana M. Ruiz"  # same e-mail, fuller name in Totango
    sync = syncer()
    sync.apply(sync.plan(states.desired(3, tasks=False)))
    assert fake.attrs(ext(3))["Success Manager"] == "Ana M. Ruiz"
    assert syncer().plan(states.desired(3, tasks=False)).is_empty


@pytest.mark.parametrize("block", ["users", "accounts", "unknown"])
def test_users_listing_in_any_block_or_said_unreadable(fake, syncer, block):
    """The users listing's reply shape is not documented: hits under ``users`` or another
    block are read; a reply with no hits block tierform knows is said plainly, and the
    Success Manager is then left alone rather than every CSM called unknown."""
    fake.users_block = block
    states.seed(fake, 3)
    desired = states.desired(3, tasks=False)
    sync = syncer()
    plan = sync.plan(desired)
    assert sync.apply(plan).ok
    notes = [w for w in plan.warnings if w.startswith("CSM:")]
    if block == "unknown":
        assert any("could not be listed (its reply held no list of users" in w for w in notes)
        assert "Success Manager" not in fake.attrs(ext(3))
    else:
        assert not any("could not be listed" in w for w in notes)
        assert fake.attrs(ext(3))["Success Manager"] == "Ana Ruiz"
    assert syncer().plan(desired).is_empty


@pytest.mark.parametrize("status", [403, 404])
def test_users_not_listable_writes_the_roster_name_unchecked(fake, syncer, status):
    """The users listing is only seen in client code [C-code]: where this token may not use
    it, the roster's full name is written (Success Manager holds "First Last" [SYSATTR])."""
    fake.users_status = status
    states.seed(fake, 3)
    desired = states.desired(3)
    sync = syncer()
    plan = sync.plan(desired)
    note = next(w for w in plan.warnings if w.startswith("CSM:"))
    assert "cannot be listed" in note and f"answered {status}" in note
    assert "without checking" in note and "Ana Ruiz" in note
    assert "Growth pod" not in note  # a pool is nobody's name
    assert not any("base_url" in w for w in plan.warnings)
    report = sync.apply(plan)
    assert report.ok, [f.error for f in report.failures]
    assert fake.attrs(ext(3))["Success Manager"] == "Ana Ruiz"
    assert "Success Manager" not in fake.attrs(ext(1))
    assert fake.live_tasks()  # tasks still go to the roster's e-mail
    assert syncer().plan(desired).is_empty


def test_a_value_holding_half_a_character_is_read_as_u_fffd_and_rewritten(fake, syncer):
    states.seed(fake)
    holder = lambda: fake.attrs(ext(3))  # noqa: E731
    plans_and_rewrites_a_half_character(fake, syncer, states.desired(), ext(3), holder, "tf_tier")


@pytest.mark.parametrize("form", ["slash", "slash-bare"])
def test_gateway_redirect_to_its_pixel_is_followed_once(fake, syncer, form):
    """``pixel.gif`` and ``pixel.gif/`` are both the pixel [HTTP]: a redirect between them on
    the same host is followed, with the write's query."""
    fake.gateway_redirect = form
    states.seed(fake, 3)
    desired = states.desired(3, tasks=False)
    report = syncer().apply(syncer().plan(desired))
    assert report.ok, [f.error for f in report.failures]
    for i in range(1, 4):
        assert fake.attrs(ext(i)) == expected_attrs(i)
    statuses = Counter(e.status for e in fake.gateway_requests())
    assert statuses == {301: 3, 200: 3}
    assert syncer().plan(desired).is_empty


def test_gateway_redirect_elsewhere_is_a_failed_write(fake, syncer):
    fake.gateway_redirect = "elsewhere"
    states.seed(fake, 3)
    report = syncer().apply(syncer().plan(states.desired(3, tasks=False)))
    assert report.counts["failed"] == 3
    error = report.failures[0].error
    assert "answered 301" in error and "https://www.totango.com/pixel.gif" in error
    assert "sdr_url" in error and "sdr_o" not in error
    assert [e.status for e in fake.gateway_requests()] == [301, 301, 301]
    assert not fake.pending


@pytest.mark.parametrize(
    ("location", "followed"),
    [
        ("/pixel.gif/", True),
        ("https://sdr.totango.com/pixel.gif/", True),
        ("/pixel.gif", False),  # the same request again, its query dropped: a loop
        ("/other/pixel.gif", False),  # not the gateway's pixel
        ("https://elsewhere.example/pixel.gif/", False),
    ],
)
def test_only_a_redirect_between_the_pixels_two_paths_is_followed(location, followed):
    from tierform.adapters.totango.client import pixel_redirect

    url = "https://sdr.totango.com/pixel.gif?sdr_s=S&sdr_o=ACC-1"
    target = pixel_redirect(url, location, "sdr_s=S&sdr_o=ACC-1")
    if followed:
        assert target == "https://sdr.totango.com/pixel.gif/?sdr_s=S&sdr_o=ACC-1"
    else:
        assert target is None
