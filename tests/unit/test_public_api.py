"""The public surface: a sorted __all__, every name importable, and a light import."""

from __future__ import annotations

import subprocess
import sys

import measurelib


def test_all_is_sorted_and_unique() -> None:
    assert list(measurelib.__all__) == sorted(set(measurelib.__all__))


def test_all_lists_every_lazy_name() -> None:
    assert set(measurelib._LAZY) <= set(measurelib.__all__)


def test_every_public_name_resolves() -> None:
    for name in measurelib.__all__:
        assert getattr(measurelib, name) is not None, name
    assert set(measurelib.__all__) <= set(dir(measurelib))


def test_psychometrics_names_resolve() -> None:
    from measurelib import psychometrics

    assert list(psychometrics.__all__) == sorted(psychometrics.__all__)


def test_import_is_light() -> None:
    heavy = ["pandas", "numpy", "scipy", "pingouin", "factor_analyzer", "weasyprint",
             "sqlalchemy", "jinja2", "openpyxl", "sklearn", "jsonschema"]
    code = (
        "import sys, measurelib, measurelib.cli._main\n"
        "m = measurelib.load('phq-9')\n"
        f"print(','.join(n for n in {heavy!r} if n in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"heavy modules imported: {out.stdout.strip()}"


def test_validate_command_is_light(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import sys\n"
        "from measurelib.cli._main import main\n"
        "rc = main(['validate', 'phq-9', 'swemwbs'])\n"
        "heavy = [n for n in ('pandas', 'numpy', 'scipy', 'jinja2') if n in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))\n"
        "raise SystemExit(rc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "HEAVY:\n" in out.stdout


def test_no_lazy_function_is_also_a_module_name() -> None:
    """A submodule named like a lazily loaded public function would replace it once imported."""
    import pkgutil

    modules = {m.name for m in pkgutil.iter_modules(measurelib.__path__)}
    functions = {name for name, target in measurelib._LAZY.items() if not target.endswith(":")}
    clashes = functions & modules
    assert not clashes, f"rename the module(s) {sorted(clashes)}"
