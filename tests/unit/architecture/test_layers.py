"""The package structure: one package per pipeline stage, dependencies pointing one way.

The import graph of ``src/measurelib`` is read from the source (every ``import`` at module
level and inside functions, except those only for type checkers) and collapsed to stage
packages. Stages form layers; an import may only point to the same or a lower layer.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src" / "measurelib"

#: Lower numbers are lower layers. A stage may import from its own or lower layers only.
LAYERS = {
    "errors": 0, "_results": 0, "_resources": 0, "_lazy": 0, "_version": 0, "datasets": 0, "_compat": 0,
    "_output": 1,
    "definition": 2,
    "compose": 3,
    "scoring": 4, "psychometrics": 4,
    "linting": 5, "forms": 5,
    "interop": 6, "outcomes": 6,
    "assessment": 7,
    "__init__": 8, "__main__": 9, "cli": 9, "serve": 9,
}

#: The two methods of :class:`Measure` that hand over to a later stage (``m.score(df)``,
#: ``m.render("html")``): a documented convenience of the public API, loaded on first call.
FACADE = {("definition", "scoring"), ("definition", "forms")}


def _stage(parts: tuple[str, ...]) -> str:
    return parts[0].removesuffix(".py")


def _imports() -> list[tuple[str, str, str, int]]:
    """(importing file, importing stage, imported stage, line) for every own import."""
    out = []
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(SRC).parts
        src_stage = _stage(rel)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        checking: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                for sub in ast.walk(node):
                    checking.add(id(sub))
        for node in ast.walk(tree):
            if id(node) in checking:
                continue
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.level:
                    continue  # relative imports stay inside their package
                if node.module == "measurelib":
                    targets = [f"measurelib.{a.name}" for a in node.names]
                else:
                    targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for t in targets:
                parts = t.split(".")
                if parts[0] != "measurelib" or len(parts) < 2:
                    continue
                out.append((str(path.relative_to(SRC)), src_stage, parts[1], node.lineno))
    return out


def test_every_stage_has_a_layer() -> None:
    stages = {_stage(p.relative_to(SRC).parts) for p in SRC.rglob("*.py")}
    assert stages <= set(LAYERS), sorted(stages - set(LAYERS))


def test_imports_point_down_the_pipeline() -> None:
    wrong = [f"{f}:{line}: {a} imports {b}" for f, a, b, line in _imports()
             if a in LAYERS and b in LAYERS and LAYERS[b] > LAYERS[a] and (a, b) not in FACADE
             and a != b]
    assert not wrong, "\n".join(wrong)


def test_no_cycle_between_stage_packages() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for _f, a, b, _line in _imports():
        if a != b and (a, b) not in FACADE:
            graph[a].add(b)
    seen: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        seen[node] = 1
        for nxt in graph[node]:
            assert seen.get(nxt) != 1, "cycle: " + " -> ".join([*stack, node, nxt])
            if nxt not in seen:
                visit(nxt, [*stack, node])
        seen[node] = 2

    for node in list(graph):
        if node not in seen:
            visit(node, [])


def test_the_library_never_imports_the_command_line() -> None:
    wrong = [f"{f}:{line}" for f, a, b, line in _imports()
             if b in ("cli", "serve") and a not in ("cli", "serve", "__main__")]
    assert not wrong, wrong


def test_facade_edges_are_only_the_two_measure_methods() -> None:
    used = {(a, b) for _f, a, b, _l in _imports() if (a, b) in FACADE}
    files = {f for f, a, b, _l in _imports() if (a, b) in FACADE}
    assert used <= FACADE and files <= {"definition/_model.py"}
