"""Where each key and value sits in a YAML text, so that problems can name line and column."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

Path = tuple[str | int, ...]


@dataclass
class Positions:
    # path -> (line, column), 1-based; keys point at the key, values at the value.
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    duplicates: list[tuple[Path, tuple[int, int]]] = field(default_factory=list)
    # path -> the scalar exactly as written (before YAML typed it), for messages like "quote 8.10".
    texts: dict[Path, str] = field(default_factory=dict)

    def of_key(self, path: Path) -> tuple[int, int] | None:
        """The key for this path, else the nearest enclosing one that exists."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.keys:
                return self.keys[path[:end]]
        return self.values.get(())

    def of_value(self, path: Path) -> tuple[int, int] | None:
        for end in range(len(path), -1, -1):
            if path[:end] in self.values:
                return self.values[path[:end]]
        return None


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def index(root: yaml.Node | None) -> Positions:
    positions = Positions()
    if root is None:
        return positions

    def walk(node: yaml.Node, path: Path) -> None:
        positions.values[path] = _mark(node)
        if isinstance(node, yaml.ScalarNode):
            positions.texts[path] = node.value
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
                child = (*path, key)
                if key in seen:
                    positions.duplicates.append((child, _mark(key_node)))
                seen.add(key)
                positions.keys[child] = _mark(key_node)
                walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                positions.keys[(*path, i)] = _mark(item)
                walk(item, (*path, i))

    walk(root, ())
    return positions
