"""`measurelib export` and `measurelib import-definition`, run as users run them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "measurelib", *args], capture_output=True,
                          text=True, timeout=120)


def test_export_each_format(tmp_path: Path) -> None:
    for fmt, suffix in (("fhir", ".json"), ("xlsform", ".xlsx"), ("redcap", ".csv"),
                        ("jsonschema", ".json")):
        out = tmp_path / f"phq9-{fmt}{suffix}"
        p = run("export", "phq-9", "--to", fmt, "-o", str(out))
        assert p.returncode == 0, p.stderr
        assert out.stat().st_size > 500
        assert "wrote" in p.stdout
    p = run("export", "phq-9", "--to", "fhir")
    assert json.loads(p.stdout)["resourceType"] == "Questionnaire"


def test_export_reports_licence_and_scores_on_stderr(tmp_path: Path) -> None:
    p = run("export", "swemwbs", "--to", "redcap", "-o", str(tmp_path / "s.csv"))
    assert p.returncode == 0
    assert "export-text-withheld" in p.stderr and "export-score-not-expressible" in p.stderr
    p = run("export", "swemwbs", "--to", "fhir", "--format", "json", "-o",
            str(tmp_path / "s.json"))
    data = json.loads(p.stdout)
    assert {d["code"] for d in data["diagnostics"]} >= {"export-text-withheld"}


def test_export_usage_errors(tmp_path: Path) -> None:
    assert run("export", "phq-9", "--to", "pdf").returncode == 2
    assert run("export", "phq-9", "--to", "xlsform").returncode == 2
    p = run("export", "no-such-measure", "--to", "fhir")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    p = run("export", "phq-9", "--to", "fhir", "--lang", "xx")
    assert p.returncode == 2 and "lang" in p.stderr
    p = run("export", "phq-9", "--to", "fhir", "-o", str(tmp_path / "nope" / "x.json"))
    assert p.returncode == 2 and "error[output-path]" in p.stderr and "does not exist" in p.stderr


def test_import_definition_round_trip(tmp_path: Path) -> None:
    src = tmp_path / "f.xlsx"
    assert run("export", "instruments/examples/feeling-today-cy-ar.yaml", "--to", "xlsform",
               "-o", str(src)).returncode == 0
    out = tmp_path / "f.yaml"
    p = run("import-definition", str(src), "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert "import-not-carried" in p.stderr  # licence and scores
    first = out.read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    assert (out.parent / first.split("=", 1)[1]).resolve().is_file()  # editors find it
    assert run("validate", str(out)).returncode == 0
    p = run("import-definition", str(src), "--format", "json")
    assert json.loads(p.stdout)["measure"]["languages"] == ["en", "cy", "ar"]


def test_import_definition_errors(tmp_path: Any) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"resourceType": "Patient"}')
    p = run("import-definition", str(bad))
    assert p.returncode == 1 and "not a FHIR Questionnaire" in p.stderr
    assert "Traceback" not in p.stderr
    p = run("import-definition", str(tmp_path / "missing.json"))
    assert p.returncode == 2
    p = run("import-definition", str(tmp_path / "x.txt"))
    assert p.returncode == 2


def test_export_composed_measure_from_its_file(tmp_path: Path) -> None:
    out = tmp_path / "cw.csv"
    p = run("export", "instruments/examples/charity-wellbeing.yaml", "--to", "redcap", "-o",
            str(out))
    assert p.returncode == 0, p.stderr
    assert "licence: swemwbs" in p.stderr and "Traceback" not in p.stderr
    assert "export-text-withheld" in p.stderr  # the overlay's licensed text: keep it private
    assert "optimistic" in out.read_text()
