"""The public surface: a sorted __all__, every name importable, and a light import."""

from __future__ import annotations

import subprocess
import sys

import measurelib

#: The public names of measurelib. A change here is a change of the public API: record it
#: in CHANGELOG.md (and deprecate before removing, as its policy says).
PUBLIC = [
    "CatalogEntry",
    "ConvergenceWarning",
    "DataError",
    "DefinitionError",
    "Diagnostic",
    "FormWarning",
    "HeywoodWarning",
    "LicenceError",
    "LicenceWarning",
    "Location",
    "Measure",
    "MeasurelibError",
    "MeasurelibWarning",
    "PlaceholderWarning",
    "SmallSampleWarning",
    "Store",
    "VariantFallbackWarning",
    "__version__",
    "as_measure",
    "assess",
    "assessment",
    "build",
    "cat",
    "catalog",
    "change",
    "compose",
    "datasets",
    "definition",
    "derive",
    "due",
    "export",
    "feedback_sheet",
    "forms",
    "impact_report",
    "import_definition",
    "interop",
    "licence_report",
    "limit",
    "limits",
    "lint",
    "linting",
    "load",
    "load_schedule",
    "loads",
    "outcomes",
    "parse_submission",
    "psychometrics",
    "read_responses",
    "render",
    "score",
    "score_file",
    "score_partitions",
    "score_spark",
    "scoring",
    "validate_responses",
    "version_map",
    "write_entry_sheet",
    "write_rci",
]


def test_all_is_the_pinned_list() -> None:
    assert list(measurelib.__all__) == PUBLIC


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


def test_every_name_the_docs_use_resolves() -> None:
    """Names written as ``ml.name`` or ``measurelib.name`` in the guides and README exist."""
    import importlib
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    texts = [p.read_text(encoding="utf-8") for p in [root / "README.md",
                                                       *sorted((root / "docs").glob("*.md"))]]
    missing = []
    for text in texts:
        for match in re.finditer(r"\b(?:ml|measurelib)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", text):
            parts = match.group(1).strip(".").split(".")
            if any(p.startswith("_") for p in parts) or parts[-1] in ("yaml", "json", "org", "db"):
                continue  # private modules, file names and the domain are not API names
            obj: object = measurelib
            for i, part in enumerate(parts):
                if hasattr(obj, part):
                    obj = getattr(obj, part)
                    continue
                try:
                    obj = importlib.import_module("measurelib." + ".".join(parts[: i + 1]))
                except ImportError:
                    missing.append(match.group(0))
                    break
    assert not missing, sorted(set(missing))


def test_moved_module_paths_still_import_with_a_deprecation_warning() -> None:
    import importlib
    import sys

    import pytest

    from measurelib._compat import MOVED

    for old, new in MOVED.items():
        sys.modules.pop(old, None)
        with pytest.warns(DeprecationWarning, match="removed in measurelib"):
            module = importlib.import_module(old)
        assert module is importlib.import_module(new)
    from measurelib.outcomes.store import Store

    with pytest.warns(DeprecationWarning):
        sys.modules.pop("measurelib.store", None)
        from measurelib.store import Store as OldStore  # type: ignore[import-not-found]
    assert OldStore is Store


def test_renamed_result_classes_keep_their_old_names_with_a_warning() -> None:
    import pytest

    import measurelib.compose
    import measurelib.forms
    import measurelib.outcomes
    import measurelib.scoring

    for package, old, new in [(measurelib.compose, "LicenceReport", "LicenceReportResult"),
                              (measurelib.forms, "Submission", "SubmissionResult"),
                              (measurelib.outcomes, "ImpactReport", "ImpactReportResult"),
                              (measurelib.scoring, "ValidatedResponses", "ValidationResult")]:
        with pytest.warns(DeprecationWarning, match=f"use {package.__name__}.{new}"):
            assert getattr(package, old) is getattr(package, new)
