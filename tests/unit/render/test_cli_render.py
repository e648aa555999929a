"""measurelib render: formats, options, exit codes, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from measurelib.cli._main import main

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "instruments" / "examples" / "feeling-today-cy-ar.yaml"


def test_html_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "phq-9", "--action", "/post", "--hidden", "respondent_id=R1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<!DOCTYPE html>") and 'action="/post"' in out
    assert 'name="respondent_id" value="R1"' in out


def test_formats_to_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for fmt, name in (("print", "p.html"), ("script", "s.html"), ("script", "s.txt"),
                      ("script-text", "t.txt")):
        out = tmp_path / name
        assert main(["render", str(EXAMPLE), "--format", fmt, "--lang", "ar", "-o", str(out)]) == 0
        assert out.stat().st_size > 0
    assert "<html" not in (tmp_path / "s.txt").read_text(encoding="utf-8")
    assert "wrote" in capsys.readouterr().err


def test_variants(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(EXAMPLE), "--respondent", "proxy", "--easy-read",
                 "--large-print"]) == 0
    captured = capsys.readouterr()
    assert "How does the person you support feel today?" in captured.out
    assert "large-print" in captured.out
    # the items without easy-read (or proxy) wording are named, not silently swapped
    assert "warning: feeling-today: 3 question(s) have no easy-read wording" in captured.err
    assert "3 (F3), 4 (F4), 5 (F5)" in captured.err
    assert "have no proxy wording" in captured.err and "5 (F5)" in captured.err


def test_pdf_needs_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "phq-9", "--format", "pdf"]) == 2
    assert "-o" in capsys.readouterr().err


def test_licence_error_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without licensed text: HTML shows placeholders and warns; a PDF needs --placeholders."""
    assert main(["render", "swemwbs", "--action", "/x"]) == 0
    captured = capsys.readouterr()
    assert "[Licensed text not supplied: question 1 (S1)]" in captured.out
    assert "warning: swemwbs: the form shows placeholders" in captured.err
    pdf = tmp_path / "s.pdf"
    assert main(["render", "swemwbs", "--format", "pdf", "-o", str(pdf)]) == 1
    err = capsys.readouterr().err
    assert "text-placeholder" in err and "--overlay" in err and "--placeholders" in err
    assert not pdf.exists()
    assert main(["render", "swemwbs", "--format", "pdf", "-o", str(pdf), "--placeholders"]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")


def test_standalone_html_warns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "phq-9", "--timepoints", "baseline,exit"]) == 0
    captured = capsys.readouterr()
    assert "warning: no --action" in captured.err
    assert 'data-standalone="phq-9"' in captured.out
    assert '<option value="exit">exit</option>' in captured.out
    assert main(["render", "phq-9", "--action", "/post"]) == 0
    assert "no --action" not in capsys.readouterr().err
    assert main(["render", "phq-9", "--ask", "shoe_size"]) == 2
    assert "--ask" in capsys.readouterr().err


def test_overlay_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    overlay = ROOT / "tests" / "unit" / "render" / "data" / "overlay-swemwbs.yaml"
    assert main(["render", "swemwbs", "--overlay", str(overlay)]) == 0
    assert "Placeholder one" in capsys.readouterr().out
    assert main(["render", "swemwbs", "--overlay", str(tmp_path / "none.yaml")]) == 2


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "no-such-measure"]) == 2
    capsys.readouterr()
    assert main(["render", str(EXAMPLE), "--lang", "fr"]) == 1
    err = capsys.readouterr().err
    assert "feeling-today has no text in 'fr'" in err
    assert len(err.strip().splitlines()) <= 3  # one message, not one per text (point 17)
    assert main(["render", "phq-9", "--respondent", "proxy"]) == 1
    assert main(["render", "phq-9", "--hidden", "oops"]) == 2
    assert main(["render", "phq-9", "--hidden", "measure_id=x"]) == 2


def test_subprocess_no_traceback(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "measurelib", "render", "swemwbs", "--format",
                          "pdf", "-o", str(tmp_path / "s.pdf")], capture_output=True, text=True)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr


def test_json_record_and_json_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    out = tmp_path / "f.html"
    assert main(["render", "phq-9", "-o", str(out), "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec == {"measure": "phq-9", "version": rec["version"], "form": "html",
                   "language": "en", "path": str(out), "bytes": out.stat().st_size,
                   "warnings": rec["warnings"]}
    assert len(rec["warnings"]) == 1 and rec["warnings"][0].startswith("no --action")
    assert main(["render", "phq-9", "--format", "script-text", "--json"]) == 0
    assert "Little interest or pleasure" in json.loads(capsys.readouterr().out)["content"]
    assert main(["render", "phq-9", "--format", "pdf", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["errors"][0]["message"].startswith("--format pdf")
    assert main(["render", "swemwbs", "--format", "pdf", "-o", str(tmp_path / "s.pdf"),
                 "--json"]) == 1
    err = json.loads(capsys.readouterr().out)
    assert err["errors"][0]["code"] == "text-placeholder"
