"""The build sheet's text is exact on every registered adapter, and the health step carries
tierform's own weights; marks made by a person; the plan's notes in every format."""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tierform.core.design import Specs
from tierform.core.loader import default_model
from tierform.sync import buildsheet_text as text
from tierform.sync.adapter import AdapterContext, default_description
from tierform.sync.buildsheet import BuildStep, Mark, StepStatus, apply_marks
from tierform.sync.plan import Plan
from tierform.sync.registry import Registry
from tierform.sync.render import render_json, render_markdown, render_text
from tierform.sync.state import Kind, State
from tierform.testing.conformance import sample_desired

CONFIG = (Kind.field, Kind.segment, Kind.playbook, Kind.rule, Kind.health)

# What a build step must never contain: Python reprs, empty values, raw action codes, a
# "responder" nobody can act on, or a to-do.
FORBIDDEN = {
    "dict or list repr": re.compile(r"\{'|\['|'\]|'\}"),
    "None": re.compile(r"\bNone\b"),
    "raw action code": re.compile(r"\b(?:notify|move_tier|start_playbook|create_task):"),
    "placeholder responder": re.compile(r"\bresponder\b", re.IGNORECASE),
    "to-do": re.compile(r"\b(?:TODO|TBD|FIXME)\b"),
}
# A field named in a filter line (in any platform's words) must be one tierform writes.
FILTER_FIELD = re.compile(r"(?:field|trait|attribute) `([^`]+)`")


def _adapter(platform: str) -> Any:
    """An adapter of ``platform`` with placeholder settings: describe() needs no platform."""
    cls = Registry.discover().get(platform)
    fields = cls.Settings.model_fields
    required = {n: "t.xlsx" if n == "path" else "t" for n, f in fields.items() if f.is_required()}
    settings = cls.Settings.model_construct(platform=platform, **required)
    return cls(settings, AdapterContext(platform, Path(tempfile.mkdtemp())))


def _sheet(platform: str, desired: State) -> list[str]:
    adapter = _adapter(platform)
    lines = []
    for kind in CONFIG:
        for key, data in sorted(desired.of(kind).items()):
            lines += adapter.describe(kind, key, data)
    for step in adapter.build_steps(desired):
        lines += [step.title, step.reason, *step.steps]
    return lines


def _problems(lines: list[str]) -> set[tuple[str, str]]:
    found = set()
    for line in lines:
        for what, pattern in FORBIDDEN.items():
            if pattern.search(line):
                found.add((what, line))
        if "filter" in line.lower():
            for name in FILTER_FIELD.findall(line):
                if not name.startswith("tf_"):
                    found.add(("filter on a field tierform does not write", line))
    return found


@pytest.mark.parametrize("platform", Registry.discover().names())
def test_every_adapters_build_sheet_is_exact(platform: str) -> None:
    lines = _sheet(platform, sample_desired())
    assert sorted(_problems(lines)) == []


def test_the_scan_catches_what_it_forbids() -> None:
    """The checker itself, on lines written to break each rule."""
    bad = [
        "Trigger: below {'Enterprise': 90, 'SMB': 50}",
        "Owner: None",
        "Action: notify:named CSM",
        "Send a notification to the responder",
        "Filter: account trait `industry` is `Retail`",
    ]
    assert {what for what, _ in _problems(bad)} == {
        "dict or list repr",
        "None",
        "raw action code",
        "placeholder responder",
        "filter on a field tierform does not write",
    }


def test_a_per_tier_threshold_is_one_trigger_per_tier() -> None:
    rule = sample_desired().of(Kind.rule)["renewal_prep"]
    lines = default_description(Kind.rule, "renewal_prep", rule)
    triggers = [line for line in lines if line.startswith("Trigger")]
    # The recipe's renewal lead times: 120 / 90 / 60 days, 30 for digital.
    assert triggers == [
        f"Trigger for tier {tier} (field `tf_tier` is `{tier}`): field `tf_renewal_window` "
        f"changes (the renewal is within {days} days)"
        for tier, days in (
            ("Enterprise", 120),
            ("Mid-Market", 90),
            ("SMB / Growth", 60),
            ("Self-Serve", 30),
        )
    ]


def test_tier_moves_are_filtered_on_tf_migration_and_book_fields_are_not_filters() -> None:
    rules = sample_desired().of(Kind.rule)
    upgrade = default_description(Kind.rule, "segment_upgrade", rules["segment_upgrade"])
    assert "Trigger: field `tf_migration` changes to `up`" in upgrade
    strategic = default_description(
        Kind.rule, "strategic_designation", rules["strategic_designation"]
    )
    assert strategic[0] == "No automation to create for the rule 'strategic-designation'"
    assert not any(line.startswith("Trigger") for line in strategic)


def test_playbooks_whose_steps_tierform_files_warn_against_duplicates() -> None:
    playbooks = sample_desired().of(Kind.playbook)
    named = default_description(Kind.playbook, "k", playbooks["enterprise_onboarding"])
    assert text.DUPLICATE_WARNING in named
    automated = default_description(Kind.playbook, "k", playbooks["self_serve_onboarding"])
    assert text.DUPLICATE_WARNING not in automated  # tierform files no task for automation


def _weights_in(lines: list[str]) -> dict[str, dict[str, int]]:
    """Per 'Measures for ...' line: dimension -> percent, as the admin reads it."""
    out = {}
    for line in lines:
        m = re.match(r"Measures for (every tier|tier (.+?) \(.*?\)): (.*)", line)
        if m:
            group = m.group(2) or "every tier"
            out[group] = {
                dim: int(pct) for dim, pct in re.findall(r"`tf_health_(\w+)` (\d+)%", m.group(3))
            }
    return out


def test_health_step_uses_the_scores_own_weights() -> None:
    """The recipe's weights: usage 35, engagement 25, support 20, financial 20 (growth 0 is
    not part of the score), the same for every tier unless tier weights say otherwise."""
    health = Specs.of(default_model()).health
    lines = default_description(
        Kind.health, "health-score", {"name": "Health score", "definition": health.model_dump()}
    )
    assert _weights_in(lines) == {
        "every tier": {"usage": 35, "engagement": 25, "support": 20, "financial": 20}
    }


def test_health_step_per_tier_weights_when_they_differ() -> None:
    definition = {
        "weights": {"usage": 50, "support": 50},
        "tier_weights": {"Enterprise": {"usage": 30, "engagement": 30, "support": 40}},
    }
    lines = default_description(Kind.health, "h", {"name": "H", "definition": definition})
    assert _weights_in(lines) == {
        "Enterprise": {"usage": 30, "engagement": 30, "support": 40},
        "other tiers": {"usage": 50, "support": 50},
    }


def test_vitally_health_step_uses_the_same_weights() -> None:
    from tierform.adapters.vitally import buildsheet as vitally

    health = Specs.of(default_model()).health
    lines = vitally.health_steps(
        "health-score", {"definition": health.model_dump()}, key_of=lambda name: name
    )
    found = dict(re.findall(r"`tf_health_(\w+)` \(0-100\), weight (\d+)%", "\n".join(lines)))
    assert {k: int(v) for k, v in found.items()} == {
        "usage": 35,
        "engagement": 25,
        "support": 20,
        "financial": 20,
    }


# -- marks ------------------------------------------------------------------------------------


def _step(status: StepStatus = StepStatus.unverified, steps: list[str] | None = None) -> BuildStep:
    return BuildStep(Kind.playbook, "onboarding", "playbook: Onboarding", "why", steps or ["a"])


def test_a_mark_makes_an_unverified_step_done() -> None:
    step = _step()
    apply_marks(
        [step], {"playbook:onboarding": Mark("2026-03-01T10:00:00+00:00", "Jo", step.digest)}
    )
    assert step.status is StepStatus.done
    assert step.marked is not None and (step.marked.who, step.marked.date) == ("Jo", "2026-03-01")
    assert step.to_dict()["marked"] == {"at": "2026-03-01T10:00:00+00:00", "who": "Jo"}


def test_a_mark_for_an_earlier_version_does_not_count() -> None:
    old = _step(steps=["Day 0: kickoff"])
    now = _step(steps=["Day 0: kickoff", "Day 7: check-in"])
    apply_marks([now], {"playbook:onboarding": Mark("2026-03-01T10:00:00", "Jo", old.digest)})
    assert now.status is StepStatus.unverified and now.marked is None
    assert now.stale_mark is not None and now.stale_mark.who == "Jo"


def test_what_the_platform_shows_wins_over_a_mark() -> None:
    step = _step()
    step.status = StepStatus.missing
    apply_marks([step], {"playbook:onboarding": Mark("2026-03-01T10:00:00", "Jo", step.digest)})
    assert step.status is StepStatus.missing and step.marked is None


# -- the plan's notes ---------------------------------------------------------------------


def _plan_with_meta() -> Plan:
    plan = Plan("cs", "fake")
    plan.meta.update(
        {
            "read": "partitioned by renewal month (12 partitions under 10,000 each)",
            "base_url": "https://user:s3cret@api.example.com/v1?token=abc",
            "api_key": "k-123",
            "requests": 14,
            "empty": None,
        }
    )
    return plan


def test_notes_are_shown_without_secrets() -> None:
    plan = _plan_with_meta()
    for out in (render_text(plan), render_markdown(plan)):
        assert "partitioned by renewal month (12 partitions under 10,000 each)" in out
        assert "https://api.example.com/v1" in out and "requests: 14" in out
        assert "s3cret" not in out and "token=abc" not in out and "k-123" not in out
        assert "empty" not in out
    doc = json.loads(render_json(plan))
    assert doc["meta"] == {
        "base_url": "https://api.example.com/v1",
        "read": "partitioned by renewal month (12 partitions under 10,000 each)",
        "requests": 14,
    }
    assert doc["checksum"] == Plan("cs", "fake").checksum()  # notes are not in the checksum


def test_build_step_dates_are_marks_or_the_check_day() -> None:
    from tierform.sync.buildsheet_doc import rows_of

    verified, unverified, marked = _step(), _step(), _step()
    verified.status = StepStatus.missing
    apply_marks([marked], {"playbook:onboarding": Mark("2026-03-01T10:00", "Jo", marked.digest)})
    rows = rows_of([verified, unverified, marked], dt.date(2026, 3, 5))
    assert [(r.status, r.date) for r in rows] == [
        ("missing", "2026-03-05"),
        ("unverified", ""),
        ("done (marked by Jo)", "2026-03-01"),
    ]
