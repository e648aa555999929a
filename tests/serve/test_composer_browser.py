"""The guided composer in Debian's Chromium, with JavaScript disabled, against a real server
process (SQLite and PostgreSQL): a lead picks bank questions, adds an own question with a
pictogram, previews the web and paper forms (sandboxed frames that run no script),
publishes, and a worker collects the published measure on a phone-width tablet. axe-core
finds no WCAG 2.1 A/AA violation on the composer pages at desktop and phone width.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import PASSWORD  # noqa: E402
from test_browser import (  # noqa: E402
    DESKTOP,
    PHONE,
    _context,
    _submit,
    browser,
    check_axe,
    server,
    shot,
)

__all__ = ["browser", "server"]  # the fixtures, shared with test_browser

pytestmark = [pytest.mark.browser]

SCHEDULE = """measures: [phq-9, riverside-check]
timepoints:
  - {id: baseline, at: entry, tolerance: {days: 7}}
"""


def _setup(page: Any, server: dict[str, str]) -> None:
    """The first administrator, a team and a lead."""
    base = server["base"]
    page.goto(server["setup"])
    page.fill("#id_username", "admin")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    _submit(page)
    page.fill("#id_name", "Outreach")
    page.fill("#id_service", "outreach")
    page.fill("#id_measures", "phq-9")
    _submit(page)
    for name, role in (("lee", "lead"), ("sam", "worker")):
        page.goto(base + "/manage/staff/")
        page.fill("#id_username", name)
        page.fill("#id_password1", PASSWORD)
        page.fill("#id_password2", PASSWORD)
        page.select_option("#id_role", role)
        page.check("label:has-text('Outreach')")
        _submit(page)


def _login(page: Any, base: str, name: str) -> None:
    page.goto(base + "/login/")
    page.fill("#id_username", name)
    page.fill("#id_password", PASSWORD)
    _submit(page)


def test_lead_composes_and_publishes(browser: Any, server: dict[str, str]) -> None:
    base = server["base"]
    admin = _context(browser, DESKTOP)
    _setup(admin.new_page(), server)
    admin.close()

    ctx = _context(browser, DESKTOP)
    page = ctx.new_page()
    _login(page, base, "lee")
    with page.expect_navigation():  # a form post or link: read the new page
        page.click("nav >> text=Compose")
    assert page.url.endswith("/measures/compose/")
    check_axe(browser, page.url, ctx.storage_state())
    page.fill("#new-id", "riverside-check")
    page.fill("#new-title", "Riverside check-in")
    _submit(page, "main form button[type=submit]")
    draft_url = page.url
    assert "/measures/compose/" in draft_url and draft_url.rstrip("/").split("/")[-1].isdigit()

    # pick two bank questions (the sources are <details>, opened without script)
    page.click("summary:has-text('Community wellbeing item bank')")
    page.check("label:has-text('How are you feeling today?')")
    page.check("label:has-text('I have someone I can talk to.')")
    with page.expect_navigation():
        page.click("text=Add the ticked questions")
    assert "How are you feeling today?" in page.inner_text("#questions ~ ul")
    # an own question with a shipped pictogram
    page.fill("#own-text", "<b>Do you</b> feel safe at home?")
    page.fill("#own-id", "safe_home")
    page.select_option("#own-scale", "wellbeing-bank:agree5")
    page.check("input[name=graphic][value='faces/4']")
    page.fill("#own-alt", "A smiling face")
    with page.expect_navigation():
        page.click("text=Add the question")
    assert "The measure builds: no errors." in page.content()
    # the previews are sandboxed frames with the real forms
    frames = page.locator("iframe.preview")
    assert frames.count() == 2
    assert frames.first.get_attribute("sandbox") == ""
    web = page.frame_locator("iframe[title='Preview of the web form']")
    assert web.locator("text=feel safe at home?").count() >= 1
    assert web.locator("b").count() == 0  # item text is text, not markup
    paper = page.frame_locator("iframe[title='Preview of the paper form']")
    assert paper.locator("text=feel safe at home?").count() >= 1
    page.goto(draft_url + "#preview")
    shot(page, "composer-preview")
    page.goto(draft_url + "#pick")
    page.click("summary:has-text('Patient Health Questionnaire')")
    shot(page, "composer-pick")
    check_axe(browser, draft_url, ctx.storage_state())

    # a licence breach is shown as you pick, and blocks publishing
    page.goto(base + "/")
    page.goto(draft_url)
    page.click("summary:has-text('Patient Health Questionnaire')")
    page.check("label:has-text('Little interest or pleasure in doing things')")
    with page.expect_navigation():
        page.click("text=Add the ticked questions")
    assert "licence-modification" in page.content()
    assert page.locator("#publish ~ form button[disabled]").count() == 1
    page.goto(draft_url + "#findings")
    shot(page, "composer-licence")
    check_axe(browser, draft_url, ctx.storage_state())
    with page.expect_navigation():
        page.click("form:has(input[name=item][value='phq-9@1.0.0:interest']) button")
    assert "The measure builds: no errors." in page.content()

    # a YAML upload with a mistake: located, draft kept
    page.set_input_files("#yaml-file", files=[{
        "name": "broken.yaml", "mimeType": "application/yaml",
        "buffer": b"format: 1\nid: riverside-check\nitems: [\n"}])
    with page.expect_navigation():
        page.click("form:has(#yaml-file) button")
    assert "Not saved" in page.content() and "at line 4, column 1" in page.content()
    check_axe(browser, draft_url, ctx.storage_state())

    page.goto(draft_url)
    with page.expect_navigation():
        page.click("#publish ~ form >> text=Publish")
    assert page.url.endswith("/measures/compose/")
    assert "Published" in page.content() and "riverside-check" in page.content()
    check_axe(browser, page.url, ctx.storage_state())
    # the schedule takes the new measure
    page.goto(base + "/manage/teams/")
    with page.expect_navigation():
        page.click("main >> text=Outreach")
    page.fill("#id_schedule", SCHEDULE)
    _submit(page)
    ctx.close()

    # a worker collects it on a phone-width tablet, keyboard and no script
    tablet = _context(browser, PHONE)
    page = tablet.new_page()
    _login(page, base, "sam")
    page.goto(base + "/people/new/")
    page.select_option("#id_consent", "given")
    page.fill("#id_consent_scope", "Outcome measures")
    _submit(page)
    page.select_option("#id_measure_id", "riverside-check")
    page.select_option("#id_method", "tablet")
    _submit(page, "form[action$='/collect/'] button[type=submit]")
    assert page.url.endswith("/tablet/")
    assert "feel safe at home?" in page.content()
    check_axe(browser, page.url, tablet.storage_state())
    for name, value in (("feeling_today", "4"), ("support_talk", "5"), ("safe_home", "4")):
        page.check(f"input[name={name}][value='{value}']")
    _submit(page)
    assert page.url.endswith("/tablet/done/"), page.inner_text("main")[:1500]
    tablet.close()
