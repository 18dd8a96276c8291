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


def test_paging_5000(fake, syncer):
    states.seed(fake, 5001, fields=True)
    syncer().plan(states.desired(2, tasks=False))
    pages = [e for e in fake.log.select(method="POST", path="/v1/data/objects/query/Company")]
    assert [(p.body["limit"], p.body["offset"]) for p in pages] == [
        (1, 0),
        (5000, 0),
        (5000, 5000),
    ][-len(pages) :]
