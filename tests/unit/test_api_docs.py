"""The API reference: every public name documented, the generated pages up to date."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from gen_api_docs import PACKAGES  # noqa: E402


def _undocumented() -> list[str]:
    out = []
    for package, *_ in PACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if not (inspect.getdoc(obj) or "").strip():
                out.append(f"{package}.{name}")
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    func = member.fget if isinstance(member, property) else member
                    if isinstance(func, (classmethod, staticmethod)):
                        func = func.__func__
                    if inspect.isfunction(func) and not (inspect.getdoc(getattr(obj, attr))
                                                         or "").strip():
                        out.append(f"{package}.{name}.{attr}")
    return sorted(set(out))


def test_every_public_name_and_method_has_a_docstring() -> None:
    assert _undocumented() == []


def test_every_package_of_the_pipeline_has_an_api_page() -> None:
    documented = {p for p, *_ in PACKAGES}
    stages = {f"measurelib.{p.name}" for p in (ROOT / "src" / "measurelib").iterdir()
              if (p / "__init__.py").exists() and not p.name.startswith("_")
              and p.name not in ("cli", "serve")}
    assert stages <= documented, sorted(stages - documented)


def test_generated_api_pages_are_up_to_date() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_api_docs.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
