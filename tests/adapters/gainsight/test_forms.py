"""Every documented response form: read shapes, empty reads, describe, picklists."""

from __future__ import annotations

import pytest

from . import states


@pytest.mark.parametrize("shape", ["records", "flat"])
@pytest.mark.parametrize("empty", ["records", "nodata200", "400"])
def test_round_trip_in_every_read_form(fake, syncer, shape, empty):
    fake.read_shape, fake.empty = shape, empty
    states.seed(fake, 3)
    desired = states.desired(3)
    assert syncer().apply(syncer().plan(desired)).ok
    assert syncer().plan(desired).is_empty


@pytest.mark.parametrize("mode", ["post", "get"])
def test_describe_either_form(fake, syncer, mode):
    fake.describe_mode = mode
    states.seed(fake, 2)
    plan = syncer().plan(states.desired(2, tasks=False))
    assert {s.status.value for s in plan.build_steps if s.kind.value == "field"} == {"done"}


def test_picklist_flat_shape(fake, syncer):
    fake.picklist_shape = "flat"
    states.seed(fake, 2)
    assert syncer().apply(syncer().plan(states.desired(2))).ok
    cta = next(iter(fake.ctas.values()))
    assert cta["PriorityId"] == fake.picklists["CTA_PRIORITY"]["Medium"]


@pytest.mark.parametrize("served", [True, False])
def test_picklists_without_a_reason_category(fake, syncer, served):
    """The sources ask for the CTA_STATUS, CTA_PRIORITY and CTA_TYPE picklists; CTA_REASON is
    asked for too (without cta.reason its first active item is the default reason), and a
    tenant that refuses it still gives the others: CTAs keep their type, status and priority
    ids, and the reason goes by id where served."""
    if not served:
        fake.picklist_categories -= {"CTA_REASON"}
    states.seed(fake, 4)
    assert syncer().apply(syncer().plan(states.desired(2))).ok
    asked = [e.query for e in fake.log.select(path="/v2/cockpit/admin/picklist/lite")]
    assert asked and "CTA_REASON" in asked[0]
    assert all("CTA_REASON" not in a for a in asked[1::2]) == (not served)
    first = next(c for c in fake.ctas.values() if "ACC-002" in c["Name"])
    assert first.get("ReasonId") == (fake.picklists["CTA_REASON"]["Onboarding"] if served else None)
    sync = syncer(cta={"type": "Lifecycle", "reason": "Health drop"})
    assert sync.apply(sync.plan(states.desired(4))).ok
    cta = next(c for c in fake.ctas.values() if "ACC-004" in c["Name"])
    assert cta["TypeId"] == fake.picklists["CTA_TYPE"]["Lifecycle"]
    assert cta["PriorityId"] == fake.picklists["CTA_PRIORITY"]["Medium"]
    assert cta["ReasonId"] == fake.picklists["CTA_REASON"]["Health drop"]
    sent = [
        r["record"]
        for e in fake.log.select(method="POST", path="/v2/cockpit/cta", prefix=False)
        for r in e.body["requests"]
        if "ACC-004" in r["record"]["Name"]
    ]
    # by its name, and by its id too where the picklist gave one
    assert [("ReasonId" in r, r.get("reason")) for r in sent] == [(served, "Health drop")]


def test_paging_5000(fake, syncer):
    states.seed(fake, 5001, fields=True)
    syncer().plan(states.desired(2, tasks=False))
    pages = [e for e in fake.log.select(method="POST", path="/v1/data/objects/query/Company")]
    assert [(p.body["limit"], p.body["offset"]) for p in pages] == [
        (1, 0),
        (5000, 0),
        (5000, 5000),
    ][-len(pages) :]
