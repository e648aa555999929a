"""Write the API reference pages (docs/api/*.rst) from each package's public names.

Every name in a package's ``__all__`` gets an entry, documented from its docstring by
Sphinx autodoc with numpydoc. Run ``python scripts/gen_api_docs.py``; the test suite
checks that the committed pages are up to date (tests/unit/test_api_docs.py).
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api"

#: (package, title, one-line description), in pipeline order
PACKAGES = [
    ("measurelib", "measurelib", "The names most users need, from every stage."),
    ("measurelib.definition", "definition", "The definition format: the Measure model, loading "
     "YAML with positions, the catalog, the JSON Schema."),
    ("measurelib.compose", "compose", "Building bespoke measures, licences, and the front "
     "door as_measure()."),
    ("measurelib.linting", "linting", "Checks of wording, scales, scores, burden and licences."),
    ("measurelib.forms", "forms", "Web, paper and PDF forms, read-aloud scripts, entry "
     "sheets, submissions."),
    ("measurelib.scoring", "scoring", "Scores, bands and alerts; reading and writing "
     "response files."),
    ("measurelib.outcomes", "outcomes", "The store, change and reliable change, schedules, "
     "impact reports and feedback."),
    ("measurelib.interop", "interop", "Exports (FHIR, XLSForm, REDCap, data files) and "
     "imports of definitions."),
    ("measurelib.assessment", "assessment", "Assessing a measure from its responses, with "
     "verdicts."),
    ("measurelib.psychometrics", "psychometrics", "Reliability, factor structure, CFA, "
     "agreement, simulation."),
    ("measurelib.errors", "errors", "Diagnostics, errors and warnings."),
    ("measurelib.datasets", "datasets", "Example data shipped with measurelib."),
]


def _directive(obj: object) -> str:
    if inspect.isclass(obj):
        return "autoclass"
    if callable(obj):
        return "autofunction"
    return "autodata"


def _home(package: str, name: str, obj: object) -> str:
    """The documented path of ``name``: where users import it from."""
    return f"{package}.{name}"


def page(package: str, title: str, description: str) -> str:
    mod = importlib.import_module(package)
    names = list(getattr(mod, "__all__", []))
    lines = [title, "=" * len(title), "", description, "", f".. module:: {package}", ""]
    if package != "measurelib":
        lines += [f".. currentmodule:: {package}", ""]
    else:
        lines += [".. currentmodule:: measurelib", ""]
    for name in names:
        if name.startswith("__"):
            continue
        obj = getattr(mod, name)
        if inspect.ismodule(obj):
            lines += [f"* :mod:`{obj.__name__}`", ""]
            continue
        directive = _directive(obj)
        lines.append(f".. {directive}:: {name}")
        if directive == "autoclass":
            lines.append("   :members:")
            lines.append("   :no-index:" if package == "measurelib" else "")
        elif package == "measurelib":
            lines.append("   :no-index:")
        lines.append("")
    return "\n".join(line for line in lines) .replace("\n\n\n", "\n\n").rstrip() + "\n"


def generated() -> dict[Path, str]:
    out = {API / f"{title}.rst": page(pkg, title, desc) for pkg, title, desc in PACKAGES}
    index = ["API reference", "=============", "",
             "Every public name, by pipeline stage. The top-level package re-exports the "
             "names most users need; each stage package lists all of its own.", "",
             ".. toctree::", "   :maxdepth: 1", ""]
    index += [f"   {title}" for _pkg, title, _d in PACKAGES]
    out[API / "index.rst"] = "\n".join(index) + "\n"
    return out


def main(argv: list[str] | None = None) -> int:
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    stale = []
    API.mkdir(parents=True, exist_ok=True)
    for path, text in generated().items():
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date: " + ", ".join(stale) + " (run: python scripts/gen_api_docs.py)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
