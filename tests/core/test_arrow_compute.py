"""``tierform.core.arrow_compute`` calls Arrow's compute functions as ``pyarrow.compute``
does: the same results, the same ways of passing options, the same errors; and every name
the core calls exists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as reference
import pytest

from tierform.core import arrow_compute as pc

CORE = Path(pc.__file__).resolve().parent
TEXT = pa.array(["Alpha", " beta ", None, "gamma7"])
NUMBERS = pa.chunked_array([[1.5, None, -3.0], [4.0]])
FLAGS = pa.array([True, False, None, True])


def same(ours: Any, theirs: Any) -> None:
    assert type(ours) is type(theirs)
    assert ours.equals(theirs)


@pytest.mark.parametrize(
    ("name", "args", "kwargs"),
    [
        ("utf8_lower", (TEXT,), {}),
        ("utf8_trim_whitespace", (TEXT,), {}),
        ("match_substring_regex", (TEXT,), {"pattern": r"\d"}),
        ("match_substring_regex", (TEXT, r"^A"), {}),  # the option by position
        ("match_substring_regex", (TEXT,), {"pattern": "A", "ignore_case": True}),
        ("replace_substring_regex", (TEXT,), {"pattern": "a", "replacement": "_"}),
        ("is_in", (TEXT,), {"value_set": pa.array(["Alpha"])}),
        ("index_in", (TEXT,), {"value_set": pa.array(["gamma7", "Alpha"])}),
        ("equal", (NUMBERS, 4.0), {}),
        ("less", (NUMBERS, pa.scalar(0.0)), {}),
        ("and_", (FLAGS, pa.array([True, True, False, None])), {}),
        ("or_", (FLAGS, pa.array([False, False, True, None])), {}),
        ("invert", (FLAGS,), {}),
        ("if_else", (FLAGS, 1, 2), {}),
        ("binary_join_element_wise", (TEXT, TEXT, "-"), {}),  # any number of arguments
        ("binary_join_element_wise", (TEXT, TEXT, "-"), {"null_handling": "skip"}),
        ("min_max", (NUMBERS,), {}),
        ("sum", (NUMBERS,), {"skip_nulls": False}),
        ("array_sort_indices", (TEXT,), {"order": "descending"}),
        ("value_counts", (TEXT,), {}),
        ("dictionary_encode", (TEXT,), {}),
        ("drop_null", (TEXT,), {}),
        ("filter", (TEXT, FLAGS), {}),
        ("filter", (TEXT, FLAGS, "emit_null"), {}),
    ],
)
def test_a_function_gives_what_pyarrow_compute_gives(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    same(getattr(pc, name)(*args, **kwargs), getattr(reference, name)(*args, **kwargs))


def test_options_may_be_given_as_an_object_or_a_dict() -> None:
    options = reference.MatchSubstringOptions("a", ignore_case=True)
    expected = reference.match_substring(TEXT, "a", ignore_case=True)
    same(pc.match_substring(TEXT, options=options), expected)
    same(pc.match_substring(TEXT, options={"pattern": "a", "ignore_case": True}), expected)


def test_cast_is_safe_unless_told_otherwise() -> None:
    values = pa.array([1.5, 2.0])
    with pytest.raises(pa.ArrowInvalid):
        pc.cast(values, pa.int64())
    same(pc.cast(values, pa.int64(), safe=False), pa.array([1, 2]))
    same(pc.cast(values, "string"), reference.cast(values, "string"))
    unsafe = reference.CastOptions.unsafe(pa.int64())
    same(pc.cast(values, options=unsafe), pa.array([1, 2]))
    with pytest.raises(ValueError, match="either pass"):
        pc.cast(values, pa.int64(), options=unsafe)


def test_fill_null_makes_the_fill_a_value_of_the_column_type() -> None:
    same(pc.fill_null(NUMBERS, 0), reference.fill_null(NUMBERS, 0))
    same(pc.fill_null(FLAGS, False), pa.array([True, False, False, True]))
    ints = pa.array([1, None], type=pa.int8())
    same(pc.fill_null(ints, pa.scalar(7, pa.int64())), pa.array([1, 7], type=pa.int8()))
    same(pc.fill_null(TEXT, TEXT), TEXT)  # an array fills element by element


def test_take_checks_its_bounds() -> None:
    same(pc.take(TEXT, pa.array([3, 0])), pa.array(["gamma7", "Alpha"]))
    with pytest.raises(IndexError):
        pc.take(TEXT, pa.array([9]))


def test_a_table_is_filtered_and_taken_as_pyarrow_compute_does() -> None:
    table = pa.table({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    keep = pa.array([True, False, True])
    same(pc.filter(table, keep), reference.filter(table, keep))
    same(pc.take(table, pa.array([2, 0])), reference.take(table, pa.array([2, 0])))


def test_calls_that_pyarrow_compute_refuses_are_refused() -> None:
    with pytest.raises(TypeError, match="positional argument"):
        pc.utf8_lower(TEXT, TEXT)  # no options: exactly its arity
    with pytest.raises(TypeError, match="positional argument"):
        pc.equal(NUMBERS)
    with pytest.raises(TypeError):
        pc.utf8_lower(TEXT, pattern="a")
    with pytest.raises(TypeError, match="both an 'options' argument"):
        pc.match_substring(TEXT, "a", options={"pattern": "a"})
    with pytest.raises(TypeError, match="expected a"):
        pc.match_substring(TEXT, options=3)
    with pytest.raises(AttributeError, match="no compute function"):
        pc.no_such_function  # noqa: B018
    assert not hasattr(pc, "__wrapped__")  # dunder lookups never reach Arrow


def test_a_function_is_wrapped_once() -> None:
    assert pc.utf8_upper is pc.utf8_upper
    assert pc.utf8_upper.__name__ == "utf8_upper"


def test_every_function_the_core_calls_exists() -> None:
    """A misspelt name would fail only when its line runs: every ``pc.NAME`` in the core
    must be one of Arrow's functions (or one written here), as in ``pyarrow.compute``."""
    used: set[str] = set()
    for path in CORE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name != "arrow_compute.py" and "arrow_compute as pc" in text:
            used |= set(re.findall(r"\bpc\.([A-Za-z_][A-Za-z_0-9]*)", text))
    assert {"cast", "fill_null", "take", "match_substring_regex"} <= used
    for name in sorted(used):
        assert callable(getattr(pc, name)), name
        assert callable(getattr(reference, name)), name
