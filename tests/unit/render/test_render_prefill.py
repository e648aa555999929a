"""Render options for partial saves and pre-filled paper: ``values`` pre-fills answers (web
form) and header boxes (paper), ``items`` shows a subset of questions (one question per
page), ``stamp`` prints a code and its picture in the paper header."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import measurelib as ml

PHQ9 = ml.load("phq-9")


def _checked(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="radio" id="[^"]+" name="([^"]+)" value="([^"]+)" '
                           r'checked', page))


def test_values_check_the_saved_answers_only() -> None:
    page = str(PHQ9.render("html", action="/f", values={"interest": "2", "down": ["0"],
                                                        "sleep": "9"}))
    assert _checked(page) == {"interest": "2", "down": "0"}  # 9 is no option: not shown
    assert _checked(str(PHQ9.render("html", action="/f"))) == {}


def test_items_show_only_those_questions() -> None:
    page = str(PHQ9.render("html", action="/f", items=["self_harm"]))
    assert re.findall(r'<fieldset class="item[^"]*" id="item-([^"]+)"', page) == ["self_harm"]
    assert 'name="measure_id"' in page  # the form's own fields stay
    every = str(PHQ9.render("html", action="/f"))
    assert len(re.findall(r'<fieldset class="item ', every)) == 10


def test_bad_options_are_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match="names no question of phq-9: nope"):
        PHQ9.render("html", action="/f", items=["nope"])
    with pytest.raises(TypeError, match="`items` must be a list"):
        PHQ9.render("html", action="/f", items="interest")
    with pytest.raises(TypeError, match="`values` must be a dict"):
        PHQ9.render("html", action="/f", values=[1])
    with pytest.raises(TypeError, match=r"`values\['interest'\]`"):
        PHQ9.render("html", action="/f", values={"interest": {"a": 1}})
    with pytest.raises(ValueError, match="data:image"):
        PHQ9.render("print", stamp={"code": "X", "image": "file:///etc/passwd"})
    with pytest.raises(TypeError, match="`stamp` must be a dict"):
        PHQ9.render("print", stamp={"code": ""})


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_values_and_stamp_are_escaped(text: str) -> None:
    from markupsafe import escape

    marked = f"ZQ{text}QZ"  # markers, so that a lone `"` is not found in the markup itself
    html = str(PHQ9.render("print", values={"respondent_id": marked},
                           stamp={"code": marked, "text": marked, "alt": marked}))
    if any(bad in text for bad in ("<", ">", '"', "&")):
        assert marked not in html
    assert str(escape(marked)) in html


def test_paper_header_prefilled_with_a_stamp() -> None:
    html = str(PHQ9.render("print", values={"respondent_id": "P-ABCDEFGH",
                                            "timepoint": "baseline"},
                           stamp={"code": "ABCD-EFGH", "text": "Keying code",
                                  "image": "data:image/svg+xml;base64,PHN2Zy8+",
                                  "alt": "QR code"}))
    assert '<span class="admin-box">P-ABCDEFGH</span>' in html
    assert '<span class="admin-box">baseline</span>' in html
    assert '<span class="admin-box" aria-hidden="true"></span>' in html  # date: to write
    assert "Keying code <strong>ABCD-EFGH</strong>" in html
    assert 'src="data:image/svg+xml;base64,PHN2Zy8+" alt="QR code"' in html


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_prefilled_pdf_reads_back(tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    data = PHQ9.render("pdf", values={"respondent_id": "P-ABCDEFGH", "timepoint": "review"},
                       stamp={"code": "ABCD-EFGH", "text": "Keying code"})
    assert isinstance(data, bytes)
    (tmp_path / "f.pdf").write_bytes(data)
    text = subprocess.run(["pdftotext", str(tmp_path / "f.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "P-ABCDEFGH" in text and "review" in text and "Keying code ABCD-EFGH" in text
