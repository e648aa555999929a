"""The report pages of this area in Debian's Chromium with JavaScript off, against a real
server process (SQLite and PostgreSQL): follow-up and completion by team and key worker on
the due and reports pages, the FHIR export form, and the assessment page of a measure
published with the composer (not enough responses yet, then a report made from the API's
forms). axe-core finds no WCAG 2.1 A/AA violation at 1280 and 390 px.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_browser import (  # noqa: E402
    DESKTOP,
    _submit,
    browser,
    check_axe,
    server,
    shot,
    staffed,
)

__all__ = ["browser", "server", "staffed"]  # the fixtures, shared with test_browser

pytestmark = [pytest.mark.browser]

ITEMS = ("connect_time", "active_moving", "notice_around", "learning_new", "give_kind")
N_PEOPLE = 30


def _publish(page: Any, base: str) -> str:
    """Compose and publish own-check (five bank questions and a total) for Counselling."""
    page.goto(base + "/measures/compose/")
    page.fill("#new-id", "own-check")
    page.fill("#new-title", "Our check-in")
    _submit(page, "main form button[type=submit]")
    page.click("summary:has-text('Community wellbeing item bank')")
    for item in ITEMS:
        page.check(f"input[name=pick][value='wellbeing-bank@1.0.0:{item}']")
    page.click("text=Add the ticked questions")
    page.fill("#score-title", "Total")
    for box in page.locator("#score input[type=checkbox]").all():
        box.check()
    _submit(page, "#score button[type=submit]")
    assert "The measure builds: no errors." in page.content(), page.inner_text("main")[:2000]
    page.click("#publish ~ form >> text=Publish")
    assert "Published" in page.content()
    return "own-check"


def _api_token(page: Any, base: str) -> str:
    page.goto(base + "/manage/api-clients/")
    page.fill("#id_name", "records")
    page.select_option("#id_team", label="Counselling")
    page.check("input[name=scopes][value='responses:write']")
    page.check("input[name=scopes][value='responses:read']")
    _submit(page)
    token = page.input_value("#token")
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", token), page.inner_text("main")[:1500]
    return token


def _post(base: str, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return dict(json.loads(r.read()))


def test_rates_fhir_and_assessment_pages(browser: Any, server: dict[str, str],
                                         staffed: dict[str, Any]) -> None:
    base = server["base"]
    ctx = browser.new_context(java_script_enabled=False, viewport=DESKTOP,
                              storage_state=staffed["admin"])
    page = ctx.new_page()
    # people with a key worker: the due page counts them
    ids = []
    for _ in range(3):
        page.goto(base + "/people/new/")
        page.select_option("#id_consent", "given")
        _submit(page)
        ids.append(page.url.rstrip("/").rsplit("/", 1)[1])
    page.goto(base + "/due/")
    assert "Follow-up and completion, by team and key worker" in page.content()
    assert page.locator("table:has(caption:text('Counselling')) th[scope=row]").first\
        .inner_text() == "Whole team"
    check_axe(browser, page.url, ctx.storage_state())
    # the team's own measure, published with the composer and added to the schedule
    mid = _publish(page, base)
    page.goto(base + "/manage/teams/")
    page.click("main >> text=Counselling")
    page.fill("#id_schedule", "measures: [phq-9, own-check]\ntimepoints:\n"
                              "  - {id: baseline, at: entry, tolerance: {days: 7}}\n")
    _submit(page)
    page.goto(base + "/reports/")
    assert "assessment report" in page.content()
    assert "No figures yet" not in page.content()  # the new measure is known, and due
    shot(page, "reports-rates")
    page.locator("details.definitions summary").click()
    assert page.locator("details.definitions dl").is_visible()
    check_axe(browser, page.url, ctx.storage_state())
    page.click(f"a[href$='/{mid}/assessment.html']")
    assert "Not enough responses yet" in page.content()
    assert "at least 25 complete responses are needed" in page.content()
    shot(page, "assessment-not-enough")
    check_axe(browser, page.url, ctx.storage_state())
    assessment_url = page.url
    # forms from another system through the API: a baseline for each person
    token = _api_token(page, base)
    for _ in range(N_PEOPLE - len(ids)):
        page.goto(base + "/people/new/")
        page.select_option("#id_consent", "given")
        _submit(page)
        ids.append(page.url.rstrip("/").rsplit("/", 1)[1])
    for i, rid in enumerate(ids):
        level, bits = 1 + i % 5, i // 5
        answers = {item: str(min(5, max(1, level + (((bits >> j) & 1) * (1 if level < 5
                                                                           else -1)))))
                   for j, item in enumerate(ITEMS)}
        _post(base, token, "/api/v1/responses", {
            "measure_id": mid, "respondent_id": rid, "timepoint": "baseline",
            "date": "2026-03-02", "answers": answers})
    page.goto(assessment_url)
    assert "Assessment of Our check-in" in page.content(), page.inner_text("body")[:1500]
    assert "Riverside Wellbeing" in page.content()  # the organisation heads the report
    shot(page, "assessment-report")
    check_axe(browser, page.url, ctx.storage_state())
    # the FHIR export of the team's forms, from the reports page's form
    page.goto(base + "/reports/")
    with page.expect_download() as info:
        page.click(f"form[action*='/{mid}/fhir/'] button:text('Answers')")
    doc = json.loads(Path(info.value.path()).read_text())
    assert doc["resourceType"] == "Bundle" and len(doc["entry"]) == N_PEOPLE
    ctx.close()
