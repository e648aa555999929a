"""Start-up guarded by behaviour: each command imports only the libraries it needs.

Every command runs in a fresh interpreter, as a user runs it; the test then looks at
``sys.modules``. A heavy library that a command does not need (pandas, NumPy, SciPy,
SQLAlchemy, Alembic, openpyxl, pyarrow, Jinja, the readability dictionaries) costs tenths
of a second at every start, so loading one by accident fails here, whatever the machine's
speed (no time is asserted). See docs/performance.md, "Start-up".
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ITEMS = ["interest", "down", "sleep", "tired", "appetite", "failure", "concentration",
         "psychomotor", "self_harm"]
SCHEDULE = """\
service: counselling
measures: [phq-9]
timepoints:
  - {id: baseline, at: entry, tolerance: {days: 7}}
  - {id: review, every: {weeks: 6}, tolerance: {weeks: 1}}
"""
# what every command that reads only definitions must leave alone
DATA = {"pandas", "numpy", "scipy", "sqlalchemy", "alembic", "pyarrow", "openpyxl"}
NO_STATS = {"scipy.stats", "scipy.optimize", "statsmodels", "pingouin", "factor_analyzer",
            "sklearn"}
NO_MIGRATION = {"alembic"}

# (argv, modules that must not be loaded, modules that must be: a check of the probe itself)
COMMANDS: dict[str, tuple[list[str], set[str], set[str]]] = {
    "help": (["--help"], DATA | {"jinja2", "textstat"}, set()),
    "validate": (["validate", "phq-9"], DATA | {"jinja2", "textstat"}, {"pydantic"}),
    "schema": (["schema", "-o", "schema.json"], DATA | {"jinja2"}, set()),
    "catalog": (["catalog"], DATA | {"jinja2"}, set()),
    "licence": (["licence", "phq-9"], DATA | {"jinja2"}, set()),
    "build": (["build", "phq-9", "-o", "built.yaml"], DATA | {"jinja2"}, set()),
    "lint": (["lint", "phq-9"], DATA | {"jinja2"}, {"textstat"}),
    "render html": (["render", "phq-9", "--format", "html", "-o", "f.html"], DATA,
                    {"jinja2"}),
    "render print": (["render", "phq-9", "--format", "print", "-o", "p.html"], DATA, set()),
    "render script": (["render", "phq-9", "--format", "script", "-o", "s.html"], DATA, set()),
    "template": (["template", "phq-9", "-o", "t.xlsx"], DATA - {"openpyxl", "numpy"},
                 {"openpyxl"}),
    "export fhir": (["export", "phq-9", "--to", "fhir", "-o", "q.json"], DATA - {"numpy"},
                    set()),
    "export redcap": (["export", "phq-9", "--to", "redcap", "-o", "r.csv"], DATA - {"numpy"},
                      set()),
    "export jsonschema": (["export", "phq-9", "--to", "jsonschema", "-o", "j.json"],
                          DATA - {"numpy"}, set()),
    "export xlsform": (["export", "phq-9", "--to", "xlsform", "-o", "x.xlsx"],
                       DATA - {"numpy", "openpyxl"}, set()),
    "import-definition": (["import-definition", "q.json", "-o", "back.yaml"],
                          DATA - {"numpy"}, set()),
    "score": (["score", "phq-9", "responses.csv", "-o", "scored.csv"],
              NO_STATS | {"scipy", "sqlalchemy", "alembic", "openpyxl"}, {"pandas"}),
    # the psychometric statistics take their distributions from scipy.special (the same
    # functions scipy.stats calls): importing scipy.stats would add ~0.3 s to a small run
    "assess": (["assess", "phq-9", "responses.csv"],
               {"scipy.stats", "statsmodels", "pingouin", "factor_analyzer", "sklearn",
                "sqlalchemy", "alembic"}, {"scipy.linalg", "scipy.special"}),
    "service": (["service", "counselling", "--db", "store.db", "--schedule", "schedule.yaml"],
                NO_STATS | NO_MIGRATION | {"pandas", "numpy", "scipy"}, {"sqlalchemy"}),
    "feedback": (["feedback", "--db", "store.db", "--respondent", "R1", "-o", "fb.html"],
                 NO_STATS | NO_MIGRATION | {"pandas", "numpy", "scipy", "pyarrow"},
                 {"sqlalchemy"}),
    "due": (["due", "--db", "store.db", "--on", "2026-03-01", "-o", "due.csv"],
            NO_STATS | NO_MIGRATION | {"scipy"}, set()),
    "report": (["report", "--db", "store.db", "--measure", "phq-9", "-o", "r.html"],
               NO_STATS | NO_MIGRATION, set()),
    "export-responses": (["export-responses", "phq-9", "--db", "store.db", "-o", "er.csv"],
                         NO_STATS | NO_MIGRATION | {"scipy"}, set()),
    "import (existing store)": (["import", "phq-9", "more.csv", "--db", "store.db", "-q"],
                                NO_STATS | NO_MIGRATION | {"scipy"}, {"sqlalchemy"}),
}

PROBE = """\
import json, sys
from measurelib.cli import main
try:
    rc = main({argv!r})
except SystemExit as exc:  # --help
    rc = exc.code
print(json.dumps({{"rc": rc, "modules": sorted(sys.modules)}}))
"""


def _responses(path: Path, first: int, n: int) -> None:
    rows = [",".join(["respondent_id", "timepoint", "date", *ITEMS])]
    for i in range(first, first + n):
        answers = [str((i * 7 + j * 3) % 4) for j in range(len(ITEMS))]
        rows.append(",".join([f"R{i % 8}", "baseline" if i < 8 else "review",
                              f"2026-01-{1 + i % 28:02d}", *answers]))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with response files, a FHIR Questionnaire and a small store (20 forms)."""
    from measurelib.cli import main

    here = tmp_path_factory.mktemp("startup")
    _responses(here / "responses.csv", 0, 20)
    _responses(here / "more.csv", 20, 4)
    (here / "schedule.yaml").write_text(SCHEDULE, encoding="utf-8")
    db = str(here / "store.db")
    assert main(["export", "phq-9", "--to", "fhir", "-o", str(here / "q.json")]) == 0
    assert main(["import", "phq-9", str(here / "responses.csv"), "--db", db,
                 "--service", "counselling", "-q"]) == 0
    assert main(["service", "counselling", "--db", db,
                 "--schedule", str(here / "schedule.yaml")]) == 0
    return here


@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_imports_only_what_it_needs(name: str, folder: Path) -> None:
    argv, forbidden, needed = COMMANDS[name]
    out = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], cwd=folder,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["rc"] in (0, 1), out.stderr[-3000:]  # 1: lint findings
    modules = set(probe["modules"])
    assert sorted(forbidden & modules) == []
    assert sorted(needed - modules) == []
