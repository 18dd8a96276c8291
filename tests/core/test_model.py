"""The coverage model: defaults, semantic validation, file:line error reporting."""

from __future__ import annotations

import math

import pytest

from tierform.core.loader import default_model, load_model, load_model_text, starter_text
from tierform.core.model import CoverageLayer, LifecycleStage, TouchModel
from tierform.errors import ConfigError

TIER = """
  - name: {name}
    min_acv: {lo}
    {hi}
    touch_model: digital
    layer: digital
    touchpoints: {{onboarding: a, adoption: b, value_delivery: c, renewal: d, expansion: e,
                  escalation: f}}
"""


def tiers_yaml(*bounds: tuple[str, float, float | None]) -> str:
    body = "".join(
        TIER.format(name=n, lo=lo, hi=f"max_acv: {hi}" if hi is not None else "")
        for n, lo, hi in bounds
    )
    return "tiers:" + body


def test_default_model_is_the_recipe_framework():
    m = default_model()
    got = [(t.name, t.min_acv, t.max_acv, t.touch_model, t.layer) for t in m.tiers]
    assert got == [
        ("Enterprise", 100_000, None, TouchModel.high_touch, CoverageLayer.named),
        ("Mid-Market", 25_000, 100_000, TouchModel.hybrid, CoverageLayer.named),
        ("SMB / Growth", 5_000, 25_000, TouchModel.tech_touch, CoverageLayer.pooled),
        ("Self-Serve", 0, 5_000, TouchModel.digital, CoverageLayer.digital),
    ]
    ratios = {t.name: (t.ratio.min, t.ratio.max) for t in m.tiers if t.ratio}
    assert ratios == {"Enterprise": (10, 25), "Mid-Market": (40, 75), "SMB / Growth": (100, 200)}
    for t in m.tiers:
        if t.ratio:
            assert t.ratio.min <= t.ratio.target <= t.ratio.max
        assert set(t.touchpoints) == set(LifecycleStage)
    assert m.capacity.buffer == 1.15
    w = m.segmentation.weights
    assert (w.arr, w.complexity, w.growth, w.strategic) == (40, 25, 20, 15)


def test_starter_text_is_commented_and_loads():
    text = starter_text()
    assert text.count("#") > 10
    assert load_model_text(text, "x.yaml") == default_model()


def test_no_file_means_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_model(None) == default_model()


def test_valid_partition_loads():
    m = load_model_text(tiers_yaml(("Low", 0, 1000), ("High", 1000, None)), "m.yaml")
    assert [t.upper for t in m.tiers] == [1000, math.inf]


def test_gap_overlap_and_open_top_are_reported_with_lines():
    text = tiers_yaml(("A", 0, 1000), ("B", 2000, 5000), ("C", 4000, 9000))
    with pytest.raises(ConfigError) as err:
        load_model_text(text, "m.yaml")
    messages = [str(i) for i in err.value.issues]
    assert any("gap: no tier covers ACV 1000 to 2000" in m for m in messages)
    assert any("overlap: ACV 4000 to 5000" in m for m in messages)
    assert any("gap: no tier covers ACV >= 9000" in m for m in messages)
    # Line 1 "tiers:", tier A on lines 2-8, a blank line 9, "- name: B" on 10, min_acv on 11.
    b_issue = next(i for i in err.value.issues if "1000 to 2000" in i.message)
    assert (b_issue.file, b_issue.line, b_issue.key) == ("m.yaml", 11, "tiers.1.min_acv")


def test_every_problem_reported_at_once():
    text = """tiers:
  - name: A
    min_acv: 0
    touch_model: hybrid
    layer: named
    ratio: {min: 40, max: 75, target: 90}
    touchpoints: {onboarding: x}
segmentation:
  weights: {arr: 50, complexity: 25, growth: 20, strategic: 15}
capacity:
  buffer: 0.9
"""
    with pytest.raises(ConfigError) as err:
        load_model_text(text, "m.yaml")
    by_key = {i.key: i for i in err.value.issues}
    assert "target 90 is outside 40-75" in by_key["tiers.0.ratio"].message
    assert by_key["tiers.0.ratio"].line == 6
    assert (
        "no touchpoint for adoption, value_delivery, renewal, expansion, escalation"
        in by_key["tiers.0.touchpoints"].message
    )
    assert "weights sum to 110" in by_key["segmentation.weights"].message
    assert by_key["segmentation.weights"].line == 9
    assert "buffer 0.9 is below 1" in by_key["capacity.buffer"].message


def test_unknown_key_and_wrong_type_with_line():
    text = (
        "tiers:\n  - name: A\n    min_acv: lots\n    touch_model: digital\n"
        "    layer: digital\n    colour: red\n"
    )
    with pytest.raises(ConfigError) as err:
        load_model_text(text, "m.yaml")
    by_key = {i.key: i for i in err.value.issues}
    assert by_key["tiers.0.colour"].line == 6 and "unknown key" in by_key["tiers.0.colour"].message
    assert by_key["tiers.0.min_acv"].line == 3


def test_named_tier_needs_ratio_and_weights_must_be_non_negative():
    text = tiers_yaml(("A", 0, None)).replace("layer: digital", "layer: named")
    with pytest.raises(ConfigError) as err:
        load_model_text(text, "m.yaml")
    assert any("needs a ratio" in i.message for i in err.value.issues)


def test_bad_yaml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_model_text("tiers: [\n", "m.yaml")
    assert "not valid YAML" in str(err.value)
    with pytest.raises(ConfigError) as err:
        load_model(tmp_path / "nope.yaml")
    assert "file not found" in str(err.value)


def test_roster_must_name_known_tier_or_pool():
    text = starter_text().replace(
        "roster: []", "roster:\n  - {name: Zed, tier: Platinum}\n  - {name: Yan}"
    )
    with pytest.raises(ConfigError) as err:
        load_model_text(text, "m.yaml")
    msgs = " ".join(i.message for i in err.value.issues)
    assert "unknown tier 'Platinum'" in msgs and "needs a tier or a pool" in msgs


def test_relative_book_path_is_relative_to_model(tmp_path):
    sub = tmp_path / "client"
    sub.mkdir()
    (sub / "tierform.yaml").write_text(starter_text().replace("path: null", "path: book.csv"))
    m = load_model(sub / "tierform.yaml")
    assert m.accounts.path == str(sub / "book.csv")


def test_tier_names_must_differ_by_more_than_case():
    text = starter_text().replace("name: Self-Serve", "name: enterprise")
    with pytest.raises(ConfigError) as err:
        load_model_text(text, "m.yaml")
    assert any("used twice" in i.message for i in err.value.issues)


def test_shape_errors_do_not_hide_cross_field_problems():
    text = (
        starter_text()
        .replace("max_acv: 25000", "max_acv: 20000")
        .replace("buffer: 1.15", "buffer: lots")
    )
    with pytest.raises(ConfigError) as err:
        load_model_text(text, "m.yaml")
    messages = " | ".join(str(i) for i in err.value.issues)
    assert "capacity.buffer" in messages  # the shape error
    assert "gap: no tier covers ACV 20000 to 25000" in messages  # and the tier gap
