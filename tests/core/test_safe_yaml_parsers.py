"""The C parser reads a model as the Python parser does: same data, same lines, same messages.

The reference is the Python parser (``yaml.SafeLoader``), which read every model before.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tierform.core import safe_yaml
from tierform.core.loader import starter_text
from tierform.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tierform.yaml"


def python_parser(text: str) -> safe_yaml.YamlDoc:
    return safe_yaml._load(text, "m.yaml", yaml.SafeLoader)


@pytest.mark.skipif(safe_yaml._C_LOADER is None, reason="PyYAML built without libyaml")
@pytest.mark.parametrize("name", ["starter", "example"])
def test_valid_models_read_the_same(name):
    text = starter_text() if name == "starter" else EXAMPLE.read_text(encoding="utf-8")
    fast, slow = safe_yaml.load_yaml(text, "m.yaml"), python_parser(text)
    assert fast.data == slow.data
    assert fast.lines == slow.lines


BROKEN = [
    "tiers: [1, 2\nname: x\n",  # unclosed flow sequence
    "a: b: c\n",  # mapping value in a plain scalar
    "a:\n  - 1\n - 2\n",  # bad indentation
    "a: 'unterminated\n",
    "a: !!python/object:os.system x\n",  # a tag that constructs objects
    "a: 1\na: 2\n",  # duplicate key
    "x: &a [*a]\n",  # an alias inside itself
    "\t- tab\n",
    "a: " + "[" * 70 + "]" * 70 + "\n",  # too deep
]


@pytest.mark.parametrize("text", BROKEN)
def test_broken_documents_give_the_python_parser_message(text):
    with pytest.raises(ConfigError) as fast:
        safe_yaml.load_yaml(text, "m.yaml")
    with pytest.raises(ConfigError) as slow:
        python_parser(text)
    assert str(fast.value) == str(slow.value)
    assert [str(i) for i in fast.value.issues] == [str(i) for i in slow.value.issues]
