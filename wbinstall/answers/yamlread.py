"""Read an answers file's YAML within fixed bounds, with YAML 1.2 core-schema types.

Bounds: an answers file is a few kilobytes and a few levels deep, so anything far beyond that
is refused before it costs time or memory (a "billion laughs" of nested aliases, thousands of
nested lists, a huge file). Each refusal names the limit and the line where it was crossed.

Types: PyYAML's default resolver follows YAML 1.1, where `yes`, `on` and `no` are booleans,
`0777` is octal, `1:20` is the integer 80 and `2024-01-01` is a date. Here only the YAML 1.2
core schema's forms are typed (true/false, decimal/0o/0x integers, floats, null); everything
else is the text written, so a field never receives a value its author did not write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent, StreamEndEvent
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner
from yaml.parser import Parser

MAX_BYTES = 256 * 1024  # ~100x the template
MAX_DEPTH = 32  # nested mappings/sequences; the answers use 4
MAX_NODES = 5_000  # values after expanding aliases; a full answers file has ~100


class LimitError(yaml.MarkedYAMLError):
    """The text crosses one of the bounds above."""


@dataclass(frozen=True)
class Document:
    root: Node | None  # the composed node tree (for line numbers), None for an empty file
    data: Any


class _CoreResolver(BaseResolver):
    yaml_implicit_resolvers: dict = {}


_CORE = {
    "tag:yaml.org,2002:null": (r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    "tag:yaml.org,2002:bool": (r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    "tag:yaml.org,2002:int": (r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    "tag:yaml.org,2002:float": (r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                                r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", list("-+.0123456789")),
    # `<<: *defaults` (merge keys) is not YAML 1.2, but common in hand-written files; expansion
    # is bounded like any alias.
    "tag:yaml.org,2002:merge": (r"^<<$", ["<"]),
}
for _tag, (_pattern, _first) in _CORE.items():
    _CoreResolver.add_implicit_resolver(_tag, re.compile(_pattern), _first)


class _CoreConstructor(SafeConstructor):
    yaml_constructors: dict = {}

    def construct_core_int(self, node: ScalarNode) -> int:
        text = self.construct_scalar(node)
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        try:
            if digits.startswith("0o"):
                return sign * int(digits[2:], 8)
            if digits.startswith("0x"):
                return sign * int(digits[2:], 16)
            return sign * int(digits, 10)
        except ValueError:
            raise ConstructorError(None, None, f"{text!r} is not an integer", node.start_mark) from None

    def construct_core_float(self, node: ScalarNode) -> float:
        text = self.construct_scalar(node).lower()
        if text.endswith((".inf", ".nan")):
            return {"-.inf": float("-inf"), ".nan": float("nan")}.get(text, float("inf"))
        try:
            return float(text)
        except ValueError:
            raise ConstructorError(None, None, f"{text!r} is not a number", node.start_mark) from None

    def construct_core_bool(self, node: ScalarNode) -> bool:
        text = self.construct_scalar(node).lower()
        if text not in ("true", "false"):
            raise ConstructorError(None, None, f"{text!r} is not true or false", node.start_mark)
        return text == "true"

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        for key_node, _ in node.value:
            if not (isinstance(key_node, ScalarNode) and key_node.tag == "tag:yaml.org,2002:str"):
                raise ConstructorError(None, None, "a key must be a name (text), not "
                                       f"{_describe(key_node)}", key_node.start_mark)
        return mapping

    def construct_undefined(self, node: Node) -> Any:
        raise ConstructorError(None, None, f"the tag {node.tag} is not used in answers files", node.start_mark)


for _tag, _fn in (
    ("tag:yaml.org,2002:null", SafeConstructor.construct_yaml_null),
    ("tag:yaml.org,2002:bool", _CoreConstructor.construct_core_bool),
    ("tag:yaml.org,2002:int", _CoreConstructor.construct_core_int),
    ("tag:yaml.org,2002:float", _CoreConstructor.construct_core_float),
    ("tag:yaml.org,2002:str", SafeConstructor.construct_yaml_str),
    ("tag:yaml.org,2002:seq", SafeConstructor.construct_yaml_seq),
    ("tag:yaml.org,2002:map", SafeConstructor.construct_yaml_map),
    (None, _CoreConstructor.construct_undefined),
):
    _CoreConstructor.add_constructor(_tag, _fn)


def _describe(node: Node) -> str:
    if isinstance(node, ScalarNode):
        return f"{node.value!r}"
    return "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"


class _BoundedComposer(Composer):
    """PyYAML's composer, counting depth and the size of the tree once aliases are expanded."""

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0
        self._expanded = 0
        self._weight: dict[int, int] = {}  # id(node) -> its size with aliases expanded

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            anchor = self.anchors.get(event.anchor)
            if anchor is not None and id(anchor) not in self._weight:
                # The anchored value is still being read: the alias is inside it, a cycle.
                raise LimitError(None, None, f"the alias *{event.anchor} refers to a value that contains it",
                                 event.start_mark)
            weight = self._weight.get(id(anchor), 1)
            self._count(weight, event, f"aliases expand to more than {MAX_NODES:,} values")
            return super().compose_node(parent, index)
        if isinstance(event, (MappingStartEvent, SequenceStartEvent)):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise LimitError(None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
        before = self._expanded
        self._count(1, event, f"more than {MAX_NODES:,} values")
        node = super().compose_node(parent, index)
        if not isinstance(event, ScalarEvent):
            self._depth -= 1
        self._weight[id(node)] = self._expanded - before
        return node

    def _count(self, n: int, event: Any, what: str) -> None:
        self._expanded += n
        if self._expanded > MAX_NODES:
            raise LimitError(None, None, f"{what} (the limit for an answers file)", event.start_mark)


class _PyLoader(Reader, Scanner, Parser, _BoundedComposer, _CoreConstructor, _CoreResolver):
    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        _BoundedComposer.__init__(self)
        _CoreConstructor.__init__(self)
        _CoreResolver.__init__(self)


class _CLoader(_BoundedComposer, _CoreConstructor, _CoreResolver):
    """Events from libyaml (C: scanning a long line in Python takes seconds), the bounded
    composer and the core-schema constructor in Python."""

    def __init__(self, text: str) -> None:
        from yaml._yaml import CParser  # libyaml

        self._events = CParser(text)
        _BoundedComposer.__init__(self)
        _CoreConstructor.__init__(self)
        _CoreResolver.__init__(self)

    def check_event(self, *choices: Any) -> bool:
        return self._events.check_event(*choices)

    def peek_event(self) -> Any:
        return self._events.peek_event()

    def get_event(self) -> Any:
        return self._events.get_event()

    def dispose(self) -> None:
        self._events.dispose()


_Loader = _CLoader if getattr(yaml, "__with_libyaml__", False) else _PyLoader


class SeveralDocuments(Exception):
    def __init__(self, line: int, column: int) -> None:
        super().__init__("several documents")
        self.line, self.column = line, column


def read(text: str) -> Document:
    """One YAML document, bounded. Raises yaml.YAMLError (LimitError for a bound) or SeveralDocuments."""
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        line = text.encode("utf-8")[:MAX_BYTES].count(b"\n") + 1
        raise LimitError(None, None, f"the file is {size:,} bytes, more than the {MAX_BYTES // 1024} KiB an answers "
                         f"file may have (crossed on line {line})", _LineMark(line))
    loader = _Loader(text)
    try:
        root = loader.get_node() if loader.check_node() else None
        if not loader.check_event(StreamEndEvent):
            mark = loader.peek_event().start_mark
            raise SeveralDocuments(mark.line + 1, mark.column + 1)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        # libyaml's scanner looks ahead on a line and has its own (far higher) nesting limit.
        if "maximum nesting depth" in (exc.problem or "") or "maximum nesting depth" in (exc.context or ""):
            raise LimitError(None, None, f"nested more than {MAX_DEPTH} levels deep",
                             exc.problem_mark or exc.context_mark) from None
        raise
    finally:
        loader.dispose()
    return Document(root, data)


class _LineMark:
    """A yaml Mark-like position for limits found before parsing."""

    def __init__(self, line: int) -> None:
        self.line, self.column = line - 1, 0


class _CoreSafeDumper(yaml.SafeDumper):
    """PyYAML's SafeDumper quotes text that YAML 1.1 would type (yes, 8.0); this also quotes
    text the 1.2 core schema types differently (1e3, 0o17), so a saved file reads back as written."""

    def represent_str(self, data: str) -> yaml.ScalarNode:
        node = super().represent_str(data)
        if node.style is None and _CoreResolver().resolve(ScalarNode, data, (True, False)) != "tag:yaml.org,2002:str":
            node.style = "'"
        return node


_CoreSafeDumper.add_representer(str, _CoreSafeDumper.represent_str)


def dump(data: Any, **options: Any) -> str:
    """YAML text that `read` turns back into `data` (text stays text)."""
    return yaml.dump(data, Dumper=_CoreSafeDumper, **options)
