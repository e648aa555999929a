"""PDF forms through WeasyPrint, read back with poppler's pdftotext."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import measurelib as ml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
EXAMPLE = ROOT / "instruments" / "examples" / "feeling-today-cy-ar.yaml"

pytest.importorskip("weasyprint", reason="PDF output needs the 'pdf' extra (weasyprint)")
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext (Debian poppler-utils) is not installed; "
                                "run scripts/setup-system.sh")


def pdf_text(path: Path, *extra: str) -> str:
    out = subprocess.run(["pdftotext", *extra, str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_phq9_pdf_has_every_item_and_the_attribution(tmp_path: Path) -> None:
    m = ml.load("phq-9")
    out = tmp_path / "phq9.pdf"
    data = m.render("pdf", out)
    assert isinstance(data, bytes) and data.startswith(b"%PDF")
    assert out.read_bytes() == data
    text = flat(pdf_text(out))
    for item in m.items:
        assert flat(m.text(item.text) or "")[:40] in text, item.id
        assert item.code in text
    assert "Developed by Drs. Robert L. Spitzer" in text
    assert "Respondent ID" in text and "Worker" in text
    assert re.search(r"Page 1 of \d", text)


def test_pdf_escapes_definition_text(tmp_path: Path) -> None:
    m = ml.load(HERE / "data" / "nasty.yaml")
    out = tmp_path / "nasty.pdf"
    m.render("pdf", out)
    text = flat(pdf_text(out))
    assert "Question <script>alert('q1')</script> with \"quotes\" & ampersands" in text
    assert "© Holder & Sons <Ltd> \"2024\" <script>alert(4)</script>" in text
    assert "Tick <b>one</b> box & don't \"worry\"" in text


def test_pdf_in_arabic_and_welsh(tmp_path: Path) -> None:
    m = ml.load(EXAMPLE)
    for lang, phrase in (("cy", "Sut rydych chi'n teimlo heddiw?"), ("ar", "اليوم")):
        out = tmp_path / f"{lang}.pdf"
        m.render("pdf", out, lang=lang)
        assert phrase in flat(pdf_text(out)), lang


def test_easy_read_large_print_pdf(tmp_path: Path) -> None:
    m = ml.load(EXAMPLE)
    normal, big = tmp_path / "n.pdf", tmp_path / "b.pdf"
    m.render("pdf", normal)
    with pytest.warns(ml.VariantFallbackWarning, match="easy-read"):
        m.render("pdf", big, easy_read=True, large_print=True)
    pages = [pdf_text(p).count("\f") for p in (normal, big)]
    assert pages[1] > pages[0]
    assert "Pick a face" in pdf_text(big)


def test_no_item_split_across_pages(tmp_path: Path) -> None:
    """Every item's question and its last answer option land on the same page."""
    m = ml.load("phq-9")
    out = tmp_path / "phq9.pdf"
    m.render("pdf", out, large_print=True)
    pages = [flat(p) for p in pdf_text(out).split("\f") if p.strip()]
    assert len(pages) >= 2
    for item in m.items:
        start = flat(m.text(item.text) or "")[:30]
        page = next(p for p in pages if start in p)
        tail = page[page.index(start):]
        last_label = "Extremely" if item.id == "difficulty" else "Nearly every"
        assert last_label in tail, item.id


def pdf_info(path: Path, *extra: str) -> str:
    out = subprocess.run(["pdfinfo", *extra, str(path)], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="pdfinfo (poppler-utils) missing")
def test_pdf_forms_are_tagged(tmp_path: Path) -> None:
    """A tagged PDF (PDF/UA-1 where WeasyPrint has it): a structure tree that screen readers
    follow, with the title as document title and the questions as headings."""
    from measurelib._output import pdf_tagging

    assert pdf_tagging(), "the installed WeasyPrint cannot tag PDFs"
    m = ml.load("phq-9")
    out = tmp_path / "phq9.pdf"
    m.render("pdf", out)
    info = pdf_info(out)
    assert re.search(r"^Tagged:\s+yes$", info, re.M), info
    assert "Patient Health Questionnaire-9" in info
    struct = pdf_info(out, "-struct")
    assert "Document" in struct and "H1" in struct
    assert struct.count("H3") >= len(m.items)  # one heading per question
    assert 'pdfuaid:part="1"' in pdf_info(out, "-meta")  # declared PDF/UA-1


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="pdfinfo (poppler-utils) missing")
def test_pdf_reports_are_tagged(tmp_path: Path) -> None:
    """Reports go through the same PDF writer: tagged too."""
    from measurelib._output import write_pdf

    data = write_pdf("<!DOCTYPE html><html lang='en'><head><title>Report</title></head>"
                     "<body><h1>Report</h1><table><thead><tr><th>a</th></tr></thead>"
                     "<tbody><tr><td>1</td></tr></tbody></table></body></html>")
    out = tmp_path / "r.pdf"
    out.write_bytes(data)
    assert re.search(r"^Tagged:\s+yes$", pdf_info(out), re.M)
    struct = pdf_info(out, "-struct")
    assert "Table" in struct and "TH" in struct


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="pdfinfo (poppler-utils) missing")
def test_assessment_report_pdf_reads_as_a_reader_would(tmp_path: Path) -> None:
    """Verdicts start on page 1 (the table is not pushed to page 2), the table's header
    repeats on each page it spans, no row is split from its topic, the title is plain."""
    import warnings

    import pandas as pd

    df = pd.read_csv(ROOT / "tests" / "data" / "bfi.csv").iloc[:400]
    m = ml.load(ROOT / "instruments" / "banks" / "ipip-bfi.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = ml.assess(m, df, on_invalid="missing", n_iter=5)
        out = tmp_path / "assess.pdf"
        data = result.render("pdf")
    out.write_bytes(data if isinstance(data, bytes) else bytes(data))
    assert re.search(r"^Tagged:\s+yes$", pdf_info(out), re.M)
    pages = [flat(p) for p in pdf_text(out).split("\f") if p.strip()]
    assert "`" not in pages[0]
    first = pages[0]
    assert "Verdicts" in first and "Sample size" in first  # the table starts under its caption
    topics = [t for t in ("Internal consistency", "Item analysis", "Floor and ceiling")]
    spanned = [p for p in pages if any(t in p for t in topics) and "Verdict" in p]
    assert len(spanned) >= 2
    for page in spanned[1:]:
        if "Criterion (source)" in page or "What we found" in page:
            assert "Topic Verdict What we found Criterion (source)" in page
    # every verdict row: its topic and its verdict on the same page
    for page in pages:
        for topic in ("Internal consistency — agreeableness", "Item analysis — openness"):
            if topic in page:
                tail = page[page.index(topic):]
                assert re.match(r"^.{0,60}(Meets|Does not meet|Cannot conclude|Information)",
                                tail.replace(topic, "", 1).strip()), (topic, tail[:120])
