"""A platform's JSON, decoded so that every text in it can be written as UTF-8.

JSON may escape half of a UTF-16 surrogate pair on its own (``"\\ud800"``), as an API does when
it cuts a character in two (a name truncated in the middle of an emoji). Python decodes that to
a string no UTF-8 writer takes: the plan's checksum, the journal and the terminal would each
fail on it. Such a half is read as U+FFFD, the replacement character, as a lenient UTF-8 decoder
reads a broken byte: the plan then shows the value as it is (``Enter\ufffdprise``) and an apply
writes the model's value over it. Only a body whose text holds a ``\\uD...`` escape is walked.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

REPLACEMENT = "\ufffd"
# After decoding, a pair is one character: any surrogate left in a string is half of one.
_HALF = re.compile("[\ud800-\udfff]")


def json_body(response: httpx.Response) -> Any:
    """``response.json()``, with each half of a surrogate pair read as U+FFFD."""
    return writable(response.json(), response.content)


def json_loads(content: bytes | str) -> Any:
    """``json.loads(content)``, with each half of a surrogate pair read as U+FFFD."""
    return writable(json.loads(content), content)


def writable(data: Any, raw: bytes | str) -> Any:
    """``data`` decoded from ``raw``, its strings (keys too) with no half surrogate left."""
    if isinstance(raw, bytes):
        escaped = b"\\ud" in raw or b"\\uD" in raw
    else:
        escaped = "\\ud" in raw or "\\uD" in raw
    return _replaced(data) if escaped else data


def _fixed(text: str) -> str:
    return _HALF.sub(REPLACEMENT, text) if _HALF.search(text) else text


def _replaced(data: Any) -> Any:
    """The halves replaced in place, container by container (no recursion: a body as deep as
    the decoder allows is walked as well)."""
    if isinstance(data, str):
        return _fixed(data)
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if any(isinstance(k, str) and _HALF.search(k) for k in node):
                items = [(_fixed(k) if isinstance(k, str) else k, v) for k, v in node.items()]
                node.clear()
                node.update(items)  # the keys' order kept
            slots: Any = node.items()
        elif isinstance(node, list):
            slots = enumerate(node)
        else:
            continue
        for slot, value in list(slots):
            if isinstance(value, str):
                if _HALF.search(value):
                    node[slot] = _fixed(value)
            elif isinstance(value, (dict, list)):
                stack.append(value)
    return data
