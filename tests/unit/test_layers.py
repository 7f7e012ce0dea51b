"""The layering, read from the source: every import, function-level ones included.

    data (top-level modules) <- answers <- kube <- checks, manifests <- apply, rollout
        <- session <- cli, screens

A package may import only what its row allows; peers on one level never import each other
(apply and rollout meet in the session), and neither apply nor rollout drives the checks.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = "data"  # wbinstall's top-level modules: requirements, sizing, choices, checklist, ...

ALLOWED: dict[str, set[str]] = {
    DATA: {DATA},
    "answers": {DATA},
    "kube": {DATA, "answers"},
    "checks": {DATA, "answers", "kube"},
    "manifests": {DATA, "answers"},
    "apply": {DATA, "answers", "kube"},
    "rollout": {DATA, "kube"},
    "session": {DATA, "answers", "kube", "checks", "manifests", "apply", "rollout"},
    "cli": {DATA, "answers", "kube", "checks", "manifests", "session", "tui"},
    "screens": {DATA, "answers", "kube", "checks", "manifests", "session", "rollout"},
    "tui": {DATA, "answers", "screens"},  # wbinstall/tui.py: the one core module that starts the wizard
}
FACES = {"cli", "__main__"}


def _unit(module: str) -> str | None:
    """The layer unit of a dotted module name inside wbinstall (None: outside)."""
    parts = module.split(".")
    if parts[0] == "screens":
        return "screens"
    if parts[0] != "wbinstall":
        return None
    if len(parts) == 1:
        return DATA
    if parts[1] in ("screens", "assets"):
        return "screens" if parts[1] == "screens" else DATA
    if parts[1] in FACES:
        return "cli"
    if parts[1] == "tui":
        return "tui"
    if (REPO / "wbinstall" / parts[1]).is_dir():
        return parts[1]
    return DATA


def _modules() -> dict[str, Path]:
    out = {}
    for path in [*REPO.joinpath("wbinstall").rglob("*.py"), *REPO.joinpath("screens").rglob("*.py")]:
        rel = path.relative_to(REPO)
        if rel.parts[:2] in (("wbinstall", "screens"), ("wbinstall", "assets")):
            continue  # links to the top-level screens/ and assets/
        parts = list(rel.with_suffix("").parts)
        if parts[0] == "screens":
            parts = ["wbinstall", *parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(module: str, path: Path) -> set[str]:
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # `from wbinstall import requirements` imports the submodule wbinstall.requirements
            found |= {f"{stem}.{a.name}" for a in node.names} | {stem}
    return found


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in _modules().items():
        source = _unit(module)
        for target in _imports(module, path):
            unit = _unit(target)
            # `from wbinstall import x` adds the bare package too: that is the data unit only.
            if unit is not None and unit != source and not (target == "wbinstall" and unit == DATA):
                graph[source].add(unit)
    return graph


def test_every_package_imports_only_what_its_layer_allows():
    graph = package_graph()
    wrong = {src: sorted(dst - ALLOWED[src]) for src, dst in graph.items() if dst - ALLOWED[src]}
    assert not wrong, f"imports against the layering: {wrong}"


def test_every_package_is_in_the_table():
    assert set(package_graph()) <= set(ALLOWED)
    packages = {p.name for p in REPO.joinpath("wbinstall").iterdir()
                if p.is_dir() and not p.is_symlink() and p.name != "__pycache__"}
    assert packages <= set(ALLOWED), f"a new package needs its row: {packages - set(ALLOWED)}"


def test_the_reader_sees_function_level_imports(tmp_path):
    """The contract would be hollow if an import inside a function went unseen."""
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from wbinstall.rollout import follow\n    from . import kube\n")
    assert {"wbinstall.rollout", "wbinstall.rollout.follow"} <= _imports("wbinstall.apply.m", path)
    assert "wbinstall.apply.kube" in _imports("wbinstall.apply.m", path)
