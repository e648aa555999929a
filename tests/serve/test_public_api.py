"""The service uses measurelib only through its public API (names `measurelib` exports), so
that the library's internals can move without breaking it; and nothing in measurelib
imports the service."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import measurelib as ml

SRC = Path(ml.__file__).resolve().parent
SERVE = SRC / "serve"


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.extend((a.name, []) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, [a.name for a in node.names]))
    return out


def test_serve_imports_only_the_public_api() -> None:
    bad = []
    for path in SERVE.rglob("*.py"):
        for module, names in _imports(path):
            if module == "measurelib":
                bad.extend(f"{path.name}: measurelib.{n}" for n in names
                           if n not in ml.__all__)
            elif module.startswith("measurelib.") and not module.startswith("measurelib.serve"):
                bad.append(f"{path.name}: {module}")
    assert not bad, bad


def test_nothing_in_measurelib_imports_serve() -> None:
    bad = [f"{p.relative_to(SRC)}: {m}" for p in SRC.rglob("*.py")
           if SERVE not in p.parents for m, _ in _imports(p) if m.startswith("measurelib.serve")]
    assert not bad, bad


def test_importing_measurelib_does_not_load_django() -> None:
    code = "import sys, measurelib; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
