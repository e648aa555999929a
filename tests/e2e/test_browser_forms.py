"""Forms in a real headless Chromium: keyboard-only answering, submission, scoring, axe-core.

Needs Debian's ``chromium`` (scripts/setup-system.sh) and the ``browser`` extra (Playwright,
axe-playwright-python). Skipped, with a message, only when Chromium is absent.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import measurelib as ml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _browser import (  # noqa: E402
    CHROMIUM_ARGS,
    FormServer,
    axe_source,
    axe_violations,
    chromium_path,
    describe,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "instruments" / "examples"
FEELING = EXAMPLES / "feeling-today-cy-ar.yaml"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None,
                       reason="Chromium is not installed (Debian package `chromium`; run "
                       "scripts/setup-system.sh)"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the 'browser' extra is part of 'all'
        pytest.fail("Playwright is missing: pip install 'measurelib[browser]'")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


def _focused(page: Any) -> dict[str, Any]:
    return page.evaluate(
        "() => { const e = document.activeElement; const l = e.closest('label');"
        " return {tag: e.tagName.toLowerCase(), name: e.name || '', type: e.type || '',"
        " value: e.value || '',"
        " outline: l ? getComputedStyle(l).outlineStyle : getComputedStyle(e).outlineStyle}; }")


def answer_by_keyboard(page: Any, plan: list[tuple[str, Any]]) -> None:
    """Answer each question in order with Tab, arrow keys, Space and typing only.

    ``plan`` holds ``(field name, position)``: for a radio group the 0-based position of the
    option to choose; for a text field the text to type.
    """
    for name, choice in plan:
        page.keyboard.press("Tab")
        f = _focused(page)
        assert f["name"] == name, f"Tab reached {f}, expected the question {name!r}"
        assert f["outline"] != "none", f"no visible focus on {name!r}"
        if f["type"] == "radio":
            page.keyboard.press("Space")  # choose the first option
            for _ in range(int(choice)):
                page.keyboard.press("ArrowDown")  # next option (also in right-to-left forms)
        else:
            page.keyboard.type(str(choice))
    page.keyboard.press("Tab")
    f = _focused(page)
    assert f["tag"] == "button", f"after the last question Tab reached {f}"
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_phq9_keyboard_only_submit_and_score(page: Any) -> None:
    m = ml.load("phq-9")
    html = str(m.render("html", action="/submit", hidden={"respondent_id": "R042"}))
    answers = {"interest": 1, "down": 2, "sleep": 0, "tired": 3, "appetite": 1, "failure": 0,
               "concentration": 2, "psychomotor": 0, "self_harm": 0, "difficulty": 1}
    server = FormServer(html)
    with server.running():
        page.goto(server.url)
        answer_by_keyboard(page, list(answers.items()))
        assert page.title() == "Thank you"
    assert len(server.posts) == 1
    posted = server.posts[0]
    sub = ml.parse_submission(m, {k: v if len(v) > 1 else v[0] for k, v in posted.items()})
    assert sub.metadata == {"respondent_id": "R042", "respondent_type": "self"}
    assert sub.responses == answers
    result = m.score(sub.to_frame())
    assert float(result.scores["total"].iloc[0]) == 9.0
    assert str(result.scores["total_band"].iloc[0]) == "Mild"
    assert result.scores["alerts"].iloc[0] == ""


def test_arabic_example_keyboard_only(page: Any) -> None:
    m = ml.load(FEELING)
    html = str(m.render("html", lang="ar", action="/submit"))
    server = FormServer(html)
    with server.running():
        page.goto(server.url)
        assert page.evaluate("document.documentElement.dir") == "rtl"
        answer_by_keyboard(page, [("mood", 4), ("calm", 2), ("talk", 0), ("coping", 7),
                                  ("comments", "شكرًا & <b>bye</b>")])
    posted = {k: v[0] for k, v in server.posts[0].items()}
    sub = ml.parse_submission(m, posted)
    assert sub.lang == "ar"
    assert sub.responses == {"mood": 5, "calm": 3, "talk": 1, "coping": 7,
                             "comments": "شكرًا & <b>bye</b>"}
    assert float(m.score(sub.to_frame()).scores["wellbeing"].iloc[0]) == 9.0


def test_required_and_touch_targets(page: Any) -> None:
    m = ml.load(FEELING)
    with pytest.warns(ml.VariantFallbackWarning, match="easy-read"):
        page.set_content(str(m.render("html", easy_read=True)))
    sizes = page.evaluate(
        "() => [...document.querySelectorAll('label.option')].map(l => l.getBoundingClientRect())"
        ".map(r => [r.width, r.height])")
    assert sizes and all(w >= 44 and h >= 44 for w, h in sizes), sizes
    # no horizontal scrolling on a phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


# ----------------------------------------------------------------------------- standalone
PHQ9_ANSWERS = {"interest": 1, "down": 2, "sleep": 0, "tired": 3, "appetite": 1, "failure": 0,
                "concentration": 2, "psychomotor": 0, "self_harm": 0, "difficulty": 1}


def test_standalone_form_saves_a_file_that_import_accepts(browser: Any, tmp_path: Path) -> None:
    """Without `action`, "Save my answers" (JavaScript on) downloads one CSV row; nothing is
    posted, the page stays, and `measurelib import` stores the row."""
    import subprocess

    m = ml.load("phq-9")
    html = str(m.render("html", timepoints=["baseline", "review", "exit"]))
    server = FormServer(html)
    context = browser.new_context(accept_downloads=True, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        with server.running():
            page.goto(server.url)
            note = page.locator("#standalone-js")
            assert note.is_visible() and "saved as a file" in note.inner_text()
            page.fill("#who-respondent_id", "=R042")  # a formula-like id is neutralised
            page.select_option("#who-timepoint", "baseline")
            for name, value in PHQ9_ANSWERS.items():
                page.check(f"input[name='{name}'][value='{value}']")
            with page.expect_download() as info:
                page.click("button[type=submit]")
            download = info.value
            path = tmp_path / download.suggested_filename
            download.save_as(path)
            assert page.url == server.url and not server.posts  # nothing sent, no reload
            assert download.suggested_filename in page.locator("#save-status").inner_text()
        assert re.match(r"phq-9-R042-\d{4}-\d{2}-\d{2}-\d{6}\.csv$", path.name)
        rows = path.read_text(encoding="utf-8").splitlines()
        assert len(rows) == 2
        head, values = rows[0].split(","), rows[1].split(",")
        row = dict(zip(head, values))
        assert row["respondent_id"] == "'=R042" and row["timepoint"] == "baseline"
        assert row["mode"] == "online" and re.match(r"\d{4}-\d{2}-\d{2}$", row["date"])
        assert {k: int(row[k]) for k in PHQ9_ANSWERS} == PHQ9_ANSWERS
        # the file is what `measurelib import` reads (the id as the spreadsheet shows it)
        path.write_text(path.read_text(encoding="utf-8").replace("'=R042", "R042"),
                        encoding="utf-8")
        db = tmp_path / "store.db"
        out = subprocess.run([sys.executable, "-m", "measurelib", "import", "phq-9", str(path),
                              "--db", str(db)], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert "1 stored" in out.stdout
        scored = m.score(ml.read_responses(path))
        assert float(scored.scores["total"].iloc[0]) == 9.0
    finally:
        context.close()


def test_standalone_form_without_javascript_says_it_needs_a_target(page: Any) -> None:
    """JavaScript off: the button stays disabled and the page explains; nothing reloads."""
    html = str(ml.load("phq-9").render("html"))
    server = FormServer(html)
    with server.running():
        page.goto(server.url)
        assert page.locator("button[type=submit]").is_disabled()
        text = page.locator("#standalone-note").inner_text()
        assert "measurelib render --action URL" in text and "JavaScript" in text
        assert not page.locator("#standalone-js").is_visible()
        page.fill("#who-respondent_id", "R1")
        page.keyboard.press("Enter")  # implicit submission is blocked by the disabled button
        page.wait_for_timeout(300)
        assert not server.posts and page.url == server.url
        assert page.input_value("#who-respondent_id") == "R1"  # answers still there


# ----------------------------------------------------------------------------- printing
def test_print_form_from_chromium_has_attribution_in_every_page_footer(browser: Any,
                                                                       tmp_path: Path) -> None:
    """Printed from the browser, the attribution is at the foot of every page, not at the
    top of page 1 (the running footer WeasyPrint uses is unknown to browsers)."""
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    html = str(ml.load("phq-9").render("print", large_print=True))
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content(html)
        pdf = tmp_path / "chromium.pdf"
        pdf.write_bytes(page.pdf(prefer_css_page_size=True))
    finally:
        context.close()
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          check=True).stdout.decode("utf-8")
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) >= 2
    for n, body in enumerate(pages, start=1):
        lines = [ln.strip() for ln in body.splitlines() if ln.strip()]
        foot = " ".join(lines[-6:])
        assert "Spitzer" in foot, (n, lines[-6:])
        assert "Spitzer" not in " ".join(lines[:3]), (n, lines[:3])
    assert pages[0].strip().startswith("Patient Health Questionnaire-9")


# ----------------------------------------------------------------------------- axe-core
def _forms() -> list[tuple[str, str, dict[str, Any]]]:
    """(measure source, format, options) of every shipped measure with text, and the examples."""
    cases: list[tuple[str, str, dict[str, Any]]] = []
    for entry in ml.catalog():
        if entry.kind != "measure":
            continue
        m = ml.load(entry.id)
        if any(it.text is None for it in m.items):
            continue  # licence: text not shipped
        for fmt in ("html", "print"):
            cases.append((entry.id, fmt, {}))
    for lang in ("en", "cy", "ar"):
        for fmt in ("html", "print", "script"):
            cases.append((str(FEELING), fmt, {"lang": lang}))
    cases.append((str(FEELING), "html", {"easy_read": True, "large_print": True,
                                        "respondent": "proxy"}))
    cases.append((str(FEELING), "print", {"easy_read": True, "respondent": "proxy"}))
    overlay = EXAMPLES / "swemwbs-overlay.example.yaml"
    for path in sorted(EXAMPLES.glob("*.yaml")):
        if path.name in (FEELING.name, overlay.name) or "overlay" in path.name:
            continue
        if path.name == "breaks-licence.yaml":  # shows the licence check refusing a build
            continue
        head = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not (isinstance(head, dict) and "format" in head and ("items" in head
                                                                  or "compose" in head)):
            continue  # not a measure definition (e.g. a follow-up schedule)
        for fmt in ("html", "print"):
            cases.append((str(path), fmt, {"overlay": str(overlay)}))
    cases.append(("swemwbs", "html", {"overlay": str(overlay)}))
    cases.append(("ascot-sct4", "html", {}))  # placeholders for licensed text and answers
    cases.append(("phq-9", "html", {"timepoints": ["baseline", "review", "exit"]}))
    kitchen = ROOT / "tests" / "unit" / "render" / "data" / "kitchen-sink.yaml"
    for fmt in ("html", "print", "script"):
        cases.append((str(kitchen), fmt, {}))
    cases.append((str(kitchen), "html", {"easy_read": True, "respondent": "proxy"}))
    return cases


def _id(case: tuple[str, str, dict[str, Any]]) -> str:
    source, fmt, options = case
    extra = ",".join(f"{k}={v}" for k, v in options.items() if k != "overlay")
    return f"{Path(source).stem}-{fmt}" + (f"[{extra}]" if extra else "")


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_source()


@pytest.mark.parametrize("case", _forms(), ids=_id)
def test_axe_wcag21_aa(browser: Any, axe: str, case: tuple[str, str, dict[str, Any]]) -> None:
    source, fmt, options = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.LicenceWarning)  # composed examples warn on build
        warnings.simplefilter("ignore", ml.FormWarning)  # placeholders, variant fallbacks
        try:
            measure = ml.load(source)
            html = str(measure.render(fmt, **options))
        except (ml.LicenceError, ml.DefinitionError) as exc:
            pytest.fail(f"{source} could not be rendered: {exc}")
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    try:
        page = context.new_page()
        page.set_content(html)
        violations = axe_violations(page, axe)
        assert not violations, f"{_id(case)}:\n{describe(violations)}"
        if fmt == "html":
            page.set_viewport_size({"width": 375, "height": 812})
            violations = axe_violations(page, axe)
            assert not violations, f"{_id(case)} (phone width):\n{describe(violations)}"
    finally:
        context.close()


def test_axe_finds_violations_when_there_are_some(browser: Any, axe: str) -> None:
    """The scan is live: a page with an unlabelled input and an image without alt fails."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content("<!DOCTYPE html><html><title>x</title><body><img src='data:,'>"
                         "<input type='radio' name='a'></body></html>")
        ids = {v["id"] for v in axe_violations(page, axe)}
        assert {"image-alt", "html-has-lang"} <= ids
    finally:
        context.close()


def test_assessment_report_fits_a_phone(browser: Any) -> None:
    """Report tables shrink and wrap at phone width instead of running off the screen."""
    import pandas as pd

    df = pd.read_csv(ROOT / "tests" / "data" / "bfi.csv").iloc[:300]
    m = ml.load(ROOT / "instruments" / "banks" / "ipip-bfi.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        html = str(ml.assess(m, df, on_invalid="missing", n_iter=5).render("html"))
    context = browser.new_context(viewport={"width": 375, "height": 812})
    try:
        page = context.new_page()
        page.set_content(html)
        wide = page.evaluate(
            "() => [...document.querySelectorAll('table')].filter(t => "
            "t.getBoundingClientRect().right > window.innerWidth + 1).length")
        assert wide == 0
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


@pytest.fixture(scope="module")
def impact_report_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The impact report of the simulated example data, as HTML and PDF (through the CLI)."""
    import subprocess

    tmp = tmp_path_factory.mktemp("impact")
    data = EXAMPLES / "data"

    def run(*args: str) -> None:
        out = subprocess.run([sys.executable, "-m", "measurelib", *args], capture_output=True,
                             text=True, cwd=tmp)
        assert out.returncode == 0, out.stderr

    run("build", str(EXAMPLES / "charity-wellbeing.yaml"), "-o", "built.yaml")
    for name in ("charity-wellbeing-baseline.csv", "charity-wellbeing-review.csv"):
        run("import", "built.yaml", str(data / name), "--db", "s.db")
    files = {}
    for ext in ("html", "pdf"):
        run("report", "--db", "s.db", "--measure", "built.yaml", "--score", "swemwbs_metric",
            "-o", f"impact.{ext}")
        files[ext] = tmp / f"impact.{ext}"
    return files


def test_impact_report_tables_fit_a_phone(browser: Any, impact_report_files: dict[str, Path]
                                          ) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812})
    try:
        page = context.new_page()
        page.set_content(impact_report_files["html"].read_text(encoding="utf-8"))
        wide = page.evaluate(
            "() => [...document.querySelectorAll('table')].filter(t => "
            "t.getBoundingClientRect().right > window.innerWidth + 1).length")
        assert wide == 0
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        # long tables repeat their header on each printed page
        assert page.evaluate("() => [...document.querySelectorAll('table')].every(t => "
                             "!t.querySelector('th[scope=col]') || t.tHead)")
    finally:
        context.close()


def test_impact_report_pdf_headline_cards_in_one_row(impact_report_files: dict[str, Path]
                                                     ) -> None:
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pdf = impact_report_files["pdf"]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    text = subprocess.run(["pdftotext", "-layout", "-l", "1", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    lines = text.splitlines()
    at = next(i for i, ln in enumerate(lines) if "people started" in ln)
    # the four cards side by side: their figures on one line, their words on the next
    assert re.match(r"^\s*\d+\s+\d+\s+[\d<]+%?\s+[\d<]+%?\s*$", lines[at - 1]), lines[at - 1]
    assert lines[at].count("reliably") == 2, lines[at]


def test_standalone_form_says_what_is_missing_in_the_forms_language(browser: Any,
                                                                     tmp_path: Path) -> None:
    """JavaScript on: a required question left blank, or a number out of range, is told in
    the form's language (the words of measurelib's own submission check), not the
    browser's."""
    from measurelib.forms import ui_text

    text = FEELING.read_text(encoding="utf-8").replace(
        "    scale: faces5\n", "    scale: faces5\n    required: true\n", 1).replace(
        "    min: 0\n    max: 10\n", "    min: 0\n    max: 20\n", 1)
    path = tmp_path / "strict.yaml"
    path.write_text(text, encoding="utf-8")
    html = str(ml.load(path).render("html", lang="cy"))
    server = FormServer(html)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        with server.running():
            page.goto(server.url)
            page.fill("#who-respondent_id", "R1")
            page.fill("#who-timepoint", "baseline")
            page.fill("#input-coping", "25")
            page.click("button[type=submit]")
            said = page.evaluate("document.querySelector('input[name=mood]').validationMessage")
            assert said == ui_text("msg_required", "cy")[0].format(n=1)
            page.check("input[name=mood][value='3']")
            assert page.evaluate(
                "document.querySelector('input[name=mood]').validationMessage") == ""
            page.click("button[type=submit]")
            said = page.evaluate("document.querySelector('#input-coping').validationMessage")
            assert said == ui_text("msg_number", "cy")[0].format(n=4, min=0, max=20)
            page.fill("#input-coping", "12")
            assert page.evaluate(
                "document.querySelector('#input-coping').validationMessage") == ""
            assert not server.posts
    finally:
        context.close()
