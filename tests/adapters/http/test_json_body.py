"""A platform's JSON with half of a surrogate pair escaped alone: each half is read as U+FFFD,
so every text can be written as UTF-8; everything else is read exactly as ``json.loads``."""

from __future__ import annotations

import json

import httpx
import pytest

from tierform.adapters.http.body import REPLACEMENT, json_body, json_loads


def _utf8_everywhere(value: object) -> None:
    """Every key and text encodes as UTF-8 (what the checksum, journal and terminal need)."""
    json.dumps(value, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("as_bytes", [False, True])
def test_halves_are_replaced_in_values_keys_and_nested_lists(as_bytes):
    text = (
        '{"name": "Bad \\ud800 name", "k\\uDFFFey": 1, '
        '"traits": {"tier": "Enter\\udbffprise", "tags": ["ok", "\\udc00", 3, null]}, '
        '"after": "z"}'
    )
    data = json_loads(text.encode("ascii") if as_bytes else text)
    assert data == {
        "name": f"Bad {REPLACEMENT} name",
        f"k{REPLACEMENT}ey": 1,
        "traits": {"tier": f"Enter{REPLACEMENT}prise", "tags": ["ok", REPLACEMENT, 3, None]},
        "after": "z",
    }
    assert list(data) == ["name", f"k{REPLACEMENT}ey", "traits", "after"]  # order kept
    _utf8_everywhere(data)


def test_whole_pairs_and_escaped_backslashes_are_read_as_they_are():
    # An emoji as a pair, and the six characters "\ud800" written as text (escaped backslash).
    text = '{"emoji": "\\ud83d\\ude00", "literal": "\\\\ud800", "plain": "caf\\u00e9"}'
    assert json_loads(text) == json.loads(text)
    assert json_loads(text) == {"emoji": "\U0001f600", "literal": "\\ud800", "plain": "café"}


def test_a_top_level_string_and_a_deep_body():
    assert json_loads('"\\ud800x"') == f"{REPLACEMENT}x"
    depth = 900  # as deep as the decoder goes here: the walk has no recursion of its own
    data = json_loads("[" * depth + '"\\udfff"' + "]" * depth)
    for _ in range(depth):
        data = data[0]
    assert data == REPLACEMENT


def test_a_response_body_is_decoded_the_same_way():
    body = b'{"results": [{"externalId": "A1", "name": "x\\ud800"}], "next": null}'
    response = httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
    assert json_body(response) == {
        "results": [{"externalId": "A1", "name": f"x{REPLACEMENT}"}],
        "next": None,
    }
