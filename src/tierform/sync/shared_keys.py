"""Row dicts that share one table of keys: half the memory of a million ordinary dicts.

CPython keeps one table of keys for the instance dicts of a class, each dict holding only its
values (PEP 412): a 15-field row then takes about 190 bytes, where a dict built by a display
takes 460. A synced million-account book is a million dicts with the same few sets of fields,
read from the platform and built again as the desired state; at that size the memory is time
too (each page the process touches first costs the kernel), so each set of fields gets a class
of its own, and each row is built as the ``__dict__`` of a new instance of it.

What comes out is an ordinary ``dict`` in every respect: its type, equality, key order, JSON.
Only the layout differs, and only while it can: the rows of one class may hold any of the same
few dozen keys, in any order, and a row that would outgrow the shared table becomes an ordinary
dict of its own, as any dict would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

RESULT = "{dict}"  # stands for the built dict in a function's returned expression


def shared_keys_function(
    params: str,
    fields: Sequence[tuple[str, str]],
    returns: str = RESULT,
    namespace: Mapping[str, Any] | None = None,
    shortcut: tuple[str, str] | None = None,
) -> Callable[..., Any]:
    """``def f(<params>): return <returns>``, where ``{dict}`` in ``returns`` is the dict of
    ``fields`` (``(key, expression)`` pairs, evaluated in this order) and every call's dict
    shares one table of keys. The expressions read ``params`` and the names in ``namespace``
    (``build``, ``new_row`` and ``row_dict`` are taken); they are code, so they come from the
    caller, never from data (keys are ``repr()``'d). ``shortcut``: ``(condition, value)``,
    returned at once, with no dict built, where the condition holds."""
    body = [f"    row_dict[{key!r}] = {expression}" for key, expression in fields]
    first = [f"    if {shortcut[0]}:", f"        return {shortcut[1]}"] if shortcut else []
    source = "\n".join(
        [
            f"def build({params}):",
            *first,
            "    row_dict = new_row().__dict__",
            *body,
            f"    return {returns.replace(RESULT, 'row_dict')}",
        ]
    )
    scope = dict(namespace or {})
    scope["new_row"] = row_type()
    exec(source, scope)
    build: Callable[..., Any] = scope["build"]
    return build


def row_type() -> type:
    """A class of its own whose instances' ``__dict__`` are rows sharing one table of keys:
    ``Row = row_type()``, then ``Row().__dict__`` for each new (empty) row."""

    class Row:
        """An empty instance whose ``__dict__`` is the row (the class holds the shared keys)."""

    return Row
