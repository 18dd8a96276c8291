"""Read a YAML document that tierform can hold, or refuse it with file:line -- in bounded time.

YAML can express things a coverage model never needs and that hurt a naive reader: an alias
bomb (a few hundred bytes that expand to billions of nodes), tags that construct Python objects,
mapping keys that are lists, numbers past Python's digit limit, nesting deep enough to exhaust
the stack, duplicate keys (where the last one would silently win), NaN where a number belongs,
and NUL bytes. :func:`load_yaml` checks the event stream first (iteratively, so depth and size
are bounded before anything recursive runs), then composes and constructs with the safe
constructor, and returns the data with the line of every key path.

The C parser (libyaml, when PyYAML has it) reads the document; anything it finds wrong is read
again by the Python parser, so every message is the one that parser gives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from tierform.core.locate import Lines, line_index
from tierform.errors import ConfigError, Issue

MAX_DEPTH = 64
MAX_EVENTS = 2_000_000
MAX_EXPANDED_NODES = 200_000
MAX_NUMBER_DIGITS = 60
STANDARD_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "binary")
)
_NUMBER = re.compile(r"^[-+]?[0-9_]+(\.[0-9_]*)?([eE][-+]?[0-9]+)?$")
_NOT_A_NUMBER = re.compile(r"^\.(nan|NaN|NAN)$")
_INFINITY = re.compile(r"^[-+]?\.(inf|Inf|INF)$")
INFINITE_OK = frozenset({"max_acv"})  # keys where .inf means "no upper bound"


# PyYAML's libyaml-backed loader: the same events and nodes, several times faster.
_C_LOADER: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)


class _ReadAgain(Exception):
    """The C parser refused the text: read it with the Python parser for its message."""


@dataclass
class YamlDoc:
    data: Any
    lines: Lines


def load_yaml(text: str, filename: str) -> YamlDoc:
    """The document's data and line index; ConfigError (every problem found) otherwise."""
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise ConfigError(
            [Issue("contains a NUL byte: not a text file?", file=filename, line=line)]
        )
    if _C_LOADER is not None:
        try:
            return _load(text, filename, _C_LOADER)
        except _ReadAgain:
            pass
    return _load(text, filename, yaml.SafeLoader)


def _load(text: str, filename: str, loader: type[yaml.SafeLoader]) -> YamlDoc:
    _check_events(text, filename, loader)
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        if loader is not yaml.SafeLoader:
            raise _ReadAgain from None
        raise ConfigError([_yaml_issue(exc, filename)]) from None
    if root is None:
        return YamlDoc(None, {})
    problems: list[Issue] = []
    _check_nodes(root, filename, problems, None)
    size = _expanded_size(root, {})
    if size < 0:
        problems.append(
            Issue("an alias refers to the list or mapping that contains it", file=filename, line=1)
        )
    elif size > MAX_EXPANDED_NODES:
        problems.append(
            Issue(
                f"aliases expand to more than {MAX_EXPANDED_NODES:,} values (an alias bomb?): "
                "write the values out instead of referencing them",
                file=filename,
                line=1,
            )
        )
    if problems:
        raise ConfigError(problems, f"{filename}: {len(problems)} problem(s) in the YAML")
    try:
        data = yaml.SafeLoader(text).construct_document(root)
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise ConfigError([Issue(f"cannot be read: {exc}", file=filename)]) from None
    return YamlDoc(data, line_index(root))


def _yaml_issue(exc: yaml.YAMLError, filename: str) -> Issue:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    return Issue(f"not valid YAML: {exc}", file=filename, line=line)


def _check_events(text: str, filename: str, loader: type[yaml.SafeLoader]) -> None:
    """Depth and size from the event stream, before anything recursive runs."""
    depth = events = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            events += 1
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ConfigError(
                        [
                            Issue(
                                f"nested more than {MAX_DEPTH} levels deep: no model or "
                                "roster needs that; check the indentation",
                                file=filename,
                                line=event.start_mark.line + 1,
                            )
                        ]
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if events > MAX_EVENTS:
                raise ConfigError([Issue("the file is too large for a model", file=filename)])
    except yaml.YAMLError as exc:
        if loader is not yaml.SafeLoader:
            raise _ReadAgain from None
        raise ConfigError([_yaml_issue(exc, filename)]) from None


def _check_nodes(node: yaml.Node, filename: str, out: list[Issue], key: str | None) -> None:
    """Tags, keys, duplicates and numbers, each at its line (iterative: depth is bounded)."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, str | None]] = [(node, key)]
    while stack:
        current, key = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        line = current.start_mark.line + 1
        if current.tag not in STANDARD_TAGS:
            out.append(
                Issue(
                    f"YAML tag {current.tag!r} is not allowed in a model", file=filename, line=line
                )
            )
            continue
        if isinstance(current, yaml.MappingNode):
            keys: dict[str, int] = {}
            for key_node, value_node in current.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    out.append(
                        Issue(
                            "a mapping key must be a plain name, not a list or mapping",
                            file=filename,
                            line=key_node.start_mark.line + 1,
                        )
                    )
                    continue
                name = str(key_node.value)
                if key_node.tag == "tag:yaml.org,2002:merge":
                    stack.append((value_node, key))
                    continue
                if name in keys:
                    out.append(
                        Issue(
                            f"key {name!r} appears twice (also on line {keys[name]}): keep one",
                            file=filename,
                            line=key_node.start_mark.line + 1,
                        )
                    )
                keys[name] = key_node.start_mark.line + 1
                stack.append((value_node, name))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((item, key) for item in current.value)
        elif isinstance(current, yaml.ScalarNode) and not current.style:
            _check_scalar(str(current.value), key, filename, line, out)


def _check_scalar(value: str, key: str | None, filename: str, line: int, out: list[Issue]) -> None:
    where = f"{key}: " if key else ""
    if _NOT_A_NUMBER.match(value):
        out.append(
            Issue(f"{where}.nan is not a number: write the figure", file=filename, line=line)
        )
    elif _INFINITY.match(value) and key not in INFINITE_OK:
        out.append(Issue(f"{where}{value} is not a usable figure here", file=filename, line=line))
    elif _NUMBER.match(value) and sum(c.isdigit() for c in value) > MAX_NUMBER_DIGITS:
        out.append(
            Issue(
                f"{where}a number with more than {MAX_NUMBER_DIGITS} digits is not a usable figure",
                file=filename,
                line=line,
            )
        )


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many values the document has once every alias is expanded (memoised per node, so
    a bomb is measured in the time its compact form takes to walk)."""
    stack = [node]
    state: dict[int, bool] = {}
    while stack:  # post-order without recursion
        current = stack.pop()
        if id(current) in memo:
            continue
        if state.get(id(current)):
            children = _children(current)
            memo[id(current)] = 1 + sum(memo.get(id(c), 1) for c in children)
            if memo[id(current)] > MAX_EXPANDED_NODES:
                return memo[id(current)]
            continue
        state[id(current)] = True
        stack.append(current)
        for child in _children(current):
            if state.get(id(child)) and id(child) not in memo:
                return -1  # an alias to its own container: a cycle
            if id(child) not in memo:
                stack.append(child)
    return memo.get(id(node), 1)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []
