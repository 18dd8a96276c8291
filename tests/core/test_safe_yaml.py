"""YAML a model cannot hold is refused with file:line, in bounded time, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tierform.core.loader import load_model_text, starter_text
from tierform.core.safe_yaml import MAX_DEPTH, MAX_EXPANDED_NODES, load_yaml
from tierform.errors import ConfigError


def alias_bomb(levels: int = 9, fan: int = 9) -> str:
    """``a`` holds ``fan`` scalars; each next level references the previous one ``fan`` times:
    fan ** levels values once expanded, from a few hundred bytes."""
    lines = ["l0: &l0 [" + ", ".join(["x"] * fan) + "]"]
    for i in range(1, levels + 1):
        refs = ", ".join([f"*l{i - 1}"] * fan)
        lines.append(f"l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


def refused(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        load_yaml(text, "model.yaml")
    return err.value


def test_alias_bomb_is_refused_from_its_compact_form() -> None:
    text = alias_bomb()
    assert len(text) < 700 and 9**9 > MAX_EXPANDED_NODES
    issue = refused(text).issues[0]
    assert issue.file == "model.yaml" and "alias" in issue.message


def test_a_few_aliases_are_fine() -> None:
    doc = load_yaml("base: &b {a: 1}\nuse:\n  <<: *b\n  c: 2\nagain: *b\n", "m.yaml")
    assert doc.data["use"] == {"a": 1, "c": 2} and doc.data["again"] == {"a": 1}


def test_self_referencing_alias_is_refused() -> None:
    assert "contains it" in refused("a: &a [1, *a]\n").issues[0].message


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("a: 1\nb: !!python/object/apply:os.system ['true']\n", 2, "tag"),
        ("a: 1\n? [x, y]\n: 2\n", 2, "plain name"),
        ("a: 1\nb: " + "7" * 5000 + "\n", 2, "digits"),
        ("tiers: 1\nother: 2\ntiers: 3\n", 3, "twice (also on line 1)"),
        ("capacity:\n  buffer: .nan\n", 2, "not a number"),
        ("capacity:\n  buffer: .inf\n", 2, "not a usable figure"),
        ("a: 1\nb: 2\x00\n", 2, "NUL"),
    ],
)
def test_refused_at_its_line(text: str, line: int, words: str) -> None:
    issue = refused(text).issues[0]
    assert issue.line == line and words in issue.message


def test_infinite_upper_bound_is_allowed() -> None:
    assert load_yaml("max_acv: .inf\n", "m.yaml").data == {"max_acv": float("inf")}


def test_deep_nesting_is_refused_before_anything_recursive() -> None:
    depth = 20_000
    issue = refused("a: " + "[" * depth + "]" * depth + "\n").issues[0]
    assert str(MAX_DEPTH) in issue.message and issue.line == 1


def test_the_model_loader_uses_it() -> None:
    assert "\ncurrency: USD" in starter_text()
    text = starter_text().replace("\ncurrency: USD", "\ncurrency: EUR\ncurrency: USD", 1)
    with pytest.raises(ConfigError) as err:
        load_model_text(text, "tierform.yaml")
    assert any("appears twice" in i.message for i in err.value.issues)


@pytest.mark.parametrize("name", ["bomb", "deep", "tag"])
def test_cli_refuses_without_traceback(name: str, tmp_path: Path) -> None:
    texts = {
        "bomb": alias_bomb(),
        "deep": "a: " + "[" * 20_000 + "]" * 20_000 + "\n",
        "tag": "tiers: !!python/name:os.system\n",
    }
    model = tmp_path / "tierform.yaml"
    model.write_text(texts[name], encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "tierform.cli", "validate", "-c", str(model)],
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard, not a performance assertion
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and str(model) in run.stderr
