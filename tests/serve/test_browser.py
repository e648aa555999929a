"""The service in Debian's Chromium, through Playwright, against a real server process
(`python -m measurelib.serve`, uvicorn; SQLite and PostgreSQL), with JavaScript disabled
throughout.

An administrator is made through the one-time set-up link, creates a team and a worker;
the worker logs in, registers a person and hands over a phone-width "tablet"; the person
answers with the keyboard only and endorses the risk item; the device locks back to the
worker; the alert is at the top of the dashboard; a single-use link is completed on a
second device and cannot be used again; an episode opened in the past is overdue, its paper
baseline is keyed twice with one difference reconciled and its review is taken by
telephone beside the read-aloud script. Before and after each collection the worker's due
list and the reports (the reports page and the full impact report) are read in the
browser: the person's due item disappears when done, an overdue one shows as overdue, and
the counts of people with a baseline and a follow-up change by exactly what was
collected. (The server shows counts unsuppressed, ``min_cell = 1``, so that each change
can be seen; suppression is tested in tests/serve/test_flows.py and the outcomes tests.)
axe-core finds no WCAG 2.1 A/AA violation on the pages visited, at desktop and phone width.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from _browser import CHROMIUM_ARGS, axe_source, axe_violations, chromium_path, describe  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import PASSWORD  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None,
                       reason="Chromium is not installed (Debian package `chromium`; run "
                       "scripts/setup-system.sh)"),
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SCHEDULE = """measures: [phq-9]
timepoints:
  - {id: baseline, at: entry, tolerance: {days: 7}}
  - {id: review, every: {weeks: 6}, tolerance: {days: 14}}
  - {id: exit, at: exit, tolerance: {days: 14}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The service in its own process, on a SQLite file or a fresh PostgreSQL database."""
    folder = tmp_path_factory.mktemp("served")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEASURELIB_SERVE_")}
    env["MEASURELIB_SERVE_ORGANISATION"] = "Riverside Wellbeing"
    env["MEASURELIB_SERVE_MIN_CELL"] = "1"  # every count shown, to see each one change
    if request.param == "postgresql":
        env["MEASURELIB_SERVE_DATABASE"] = request.getfixturevalue("postgres").create_database()
    args = [sys.executable, "-m", "measurelib.serve", "--config", "serve.toml", "--port",
            str(port)]
    proc = subprocess.Popen(args, cwd=folder, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    base = f"http://localhost:{port}"
    try:
        assert proc.stdout is not None
        link = None
        while link is None:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError("the server stopped before printing the set-up link")
            link = re.search(r"http://\S+/setup/\S+", line)
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/login/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        yield {"base": base, "setup": link.group(0).replace(f"127.0.0.1:{port}",
                                                            f"localhost:{port}")}
    finally:
        proc.terminate()
        try:
            out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        assert "Traceback" not in err, err


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _context(browser: Any, viewport: dict[str, int]) -> Any:
    return browser.new_context(java_script_enabled=False, viewport=viewport)


def check_axe(browser: Any, url: str, storage: Any = None) -> None:
    """axe-core on ``url`` at desktop and phone width (in a context that lets the test
    inject axe past the page's Content-Security-Policy; the page itself runs no script)."""
    for viewport in (DESKTOP, PHONE):
        ctx = browser.new_context(viewport=viewport, bypass_csp=True, storage_state=storage)
        try:
            page = ctx.new_page()
            page.goto(url)
            found = axe_violations(page, axe_source())
            assert not found, f"{url} at {viewport['width']}px:\n{describe(found)}"
        finally:
            ctx.close()


SHOTS = os.environ.get("MEASURELIB_SERVE_SCREENSHOTS")


def shot(page: Any, name: str) -> None:
    """Save a screenshot for the docs when MEASURELIB_SERVE_SCREENSHOTS names a folder."""
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"service-{name}.png"))


def _submit(page: Any, selector: str = "main button[type=submit]") -> None:
    with page.expect_navigation():
        page.click(selector)


def _focused(page: Any) -> dict[str, Any]:
    return page.evaluate("() => { const e = document.activeElement;"
                         " return {tag: e.tagName.toLowerCase(), name: e.name || ''}; }")


@pytest.fixture(scope="module")
def staffed(browser: Any, server: dict[str, str]) -> dict[str, Any]:
    """The administrator's first steps: the first account, a team and a worker (sam)."""
    base = server["base"]
    admin = _context(browser, DESKTOP)
    page = admin.new_page()
    page.goto(server["setup"])
    page.fill("#id_username", "admin")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    _submit(page)
    assert page.url.endswith("/manage/teams/")
    page.fill("#id_name", "Counselling")
    page.fill("#id_service", "counselling")
    page.fill("#id_measures", "phq-9")
    page.fill("#id_schedule", SCHEDULE)
    page.fill("#id_risk_text", "Ring the duty manager on 0100 000 000 today.")
    _submit(page)
    assert "Counselling" in page.content()
    page.goto(base + "/manage/staff/")
    page.fill("#id_username", "sam")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.select_option("#id_role", "worker")
    page.check("text=Counselling")
    _submit(page)
    assert "sam" in page.content()
    state = admin.storage_state()
    admin.close()
    return {"admin": state}


def _login(browser: Any, base: str, username: str, viewport: dict[str, int]) -> Any:
    ctx = _context(browser, viewport)
    page = ctx.new_page()
    page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    _submit(page)
    return ctx, page


def _due(page: Any, base: str, rid: str) -> dict[tuple[str, str], str]:
    """The worker's due list, read in the browser: (timepoint, episode) -> status of the
    person's rows.
    """
    page.goto(base + "/due/")
    out = {}
    for row in page.locator("main tbody tr").all():
        cells = [c.inner_text().strip() for c in row.locator("td").all()]
        if cells[0] == rid:
            assert cells[1] == "phq-9"
            out[(cells[2], cells[3])] = cells[5]
    return out


def _reports(page: Any, base: str) -> tuple[int, int]:
    """(people with a baseline, with a follow-up) of Counselling's PHQ-9 on the reports
    page, and the same two counts in the full impact report (asserted equal).
    """
    page.goto(base + "/reports/")
    section = page.locator("main section", has_text="Counselling: phq-9")
    if "Not available" in section.inner_text():
        assert "no 'baseline' scores" in section.inner_text()
        return 0, 0
    facts = dict(zip(section.locator("dt").all_inner_texts(),
                     section.locator("dd").all_inner_texts()))
    counts = (int(facts["People with a baseline"]),
              int(facts["With a follow-up"].split()[0]))
    with page.expect_navigation():
        section.locator("a", has_text="in the browser").click()
    cards = page.locator(".card").all_inner_texts()
    started = next(c for c in cards if "people started" in c)
    followed = next(c for c in cards if "followed up" in c)
    assert (int(started.split()[0]), int(followed.split()[0])) == counts
    return counts


def _modes(page: Any) -> dict[str, tuple[int, int]]:
    """The impact report on screen: its breakdown by mode, mode -> (baseline, paired)."""
    out = {}
    for row in page.locator("tr", has_text="mode: ").all():
        cells = row.locator("td").all_inner_texts()
        out[cells[0].removeprefix("mode: ")] = (int(cells[1]), int(cells[2]))
    return out


def test_worker_day(browser: Any, server: dict[str, str], staffed: dict[str, Any]) -> None:
    base = server["base"]
    # --- the worker, on a phone-width tablet with JavaScript off
    tablet = _context(browser, PHONE)
    page = tablet.new_page()
    page.goto(base + "/")
    assert "/login/" in page.url
    page.fill("#id_username", "sam")
    page.fill("#id_password", PASSWORD)
    _submit(page)
    page.goto(base + "/people/new/")
    page.select_option("#id_consent", "given")
    page.fill("#id_consent_scope", "Outcome measures")
    _submit(page)
    rid = page.url.rstrip("/").split("/")[-1]
    assert re.fullmatch(r"P-[A-Z2-9]{8}", rid)
    storage = tablet.storage_state()
    check_axe(browser, base + "/", storage)
    check_axe(browser, page.url, storage)
    person = page.url
    # the reports, read by the administrator on a desktop (workers see no reports)
    office = browser.new_context(java_script_enabled=False, viewport=DESKTOP,
                                 storage_state=staffed["admin"]).new_page()
    assert _due(page, base, rid) == {("baseline", "1"): "due"}
    assert _reports(office, base) == (0, 0)
    page.goto(person)
    page.select_option("#id_method", "tablet")
    _submit(page, "form[action$='/collect/'] button[type=submit]")
    assert page.url.endswith("/tablet/")
    shot(page, "tablet-form")
    assert page.locator("nav").count() == 0 and page.locator("a").count() == 0
    # the person answers with the keyboard only, endorsing item 9 (self-harm)
    plan = [("interest", 1), ("down", 2), ("sleep", 1), ("tired", 1), ("appetite", 0),
            ("failure", 1), ("concentration", 1), ("psychomotor", 0), ("self_harm", 1),
            ("difficulty", 1)]
    for name, position in plan:
        page.keyboard.press("Tab")
        assert _focused(page)["name"] == name
        page.keyboard.press("Space")
        for _ in range(position):
            page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    assert _focused(page)["tag"] == "button"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/tablet/done/")
    assert "hand the device back" in page.content()
    shot(page, "tablet-thanks")
    # the device stays locked to the respondent pages until the worker's password
    page.goto(base + f"/people/{rid}/")
    assert page.url.endswith("/tablet/done/")
    page.goto(base + "/tablet/unlock/")
    page.fill("#id_password", PASSWORD)
    _submit(page)
    assert page.url.endswith(f"/people/{rid}/")
    assert "baseline" in page.content() and "total: 8" in page.content()
    assert _due(page, base, rid) == {}  # the baseline is done
    assert _reports(office, base) == (1, 0)
    assert _modes(office) == {"tablet": (1, 0)}
    # the alert is at the top of the dashboard
    page.goto(base + "/")
    alerts = page.locator("section.alerts")
    assert rid in alerts.inner_text()
    assert page.content().index("Alerts to act on") < page.content().index("Due and overdue")
    if SHOTS:
        desk = browser.new_context(java_script_enabled=False, viewport=DESKTOP,
                                   storage_state=tablet.storage_state())
        d = desk.new_page()
        d.goto(base + "/")
        shot(d, "dashboard")
        d.goto(base + f"/people/{rid}/")
        shot(d, "person")
        desk.close()
    alerts.locator("a").first.click()
    assert "Ring the duty manager" in page.content()
    check_axe(browser, page.url, tablet.storage_state())
    page.fill("#id_action_taken", "Phoned the person; safety plan reviewed with them.")
    _submit(page)
    assert rid not in page.locator("section.alerts").inner_text()

    # --- the episode is closed: its exit falls due
    today = dt.date.today()
    page.goto(person)
    page.fill("#close-1", today.isoformat())
    _submit(page, "form[action$='/episodes/1/close/'] button[type=submit]")
    assert _due(page, base, rid) == {("exit", "1"): "due"}

    # --- a single-use link, completed on a second device
    page.goto(base + f"/people/{rid}/")
    page.fill("#id_timepoint", "exit")
    page.select_option("#id_method", "link")
    _submit(page, "form[action$='/collect/'] button[type=submit]")
    link = page.input_value("#link")
    shot(page, "link")
    assert "/r/" in link
    phone = _context(browser, PHONE)
    other = phone.new_page()
    other.goto(link)
    assert other.url.endswith("/respond/")
    check_axe(browser, other.url, phone.storage_state())
    for name in ("interest", "down", "sleep", "tired", "appetite", "failure",
                 "concentration", "psychomotor", "self_harm", "difficulty"):
        other.check(f"input[name={name}][value='0']")
    _submit(other, "form.measure-form button[type=submit]")
    assert other.url.endswith("/respond/thanks/") and "Thank you" in other.content()
    check_axe(browser, other.url)
    again = _context(browser, PHONE).new_page()
    response = again.goto(link)
    assert response is not None and response.status == 410
    check_axe(browser, link)
    page.goto(base + f"/people/{rid}/")
    assert "exit" in page.content() and "total: 0" in page.content()
    assert _due(page, base, rid) == {}
    # an exit on the baseline's own day is not a follow-up (the library pairs a baseline
    # with a later form): both counts stay
    assert _reports(office, base) == (1, 0)

    # --- a second episode, opened 50 days ago: its baseline is overdue, its review due
    opened = (today - dt.timedelta(days=50)).isoformat()
    page.goto(person)
    page.fill("#open-date", opened)
    _submit(page, "form[action$='/episodes/'] button[type=submit]")
    assert _due(page, base, rid) == {("baseline", "2"): "overdue (43 days)",
                                     ("review", "2"): "due"}
    # --- its paper baseline (dated the day it opened) keyed twice, with one difference
    # reconciled side by side
    page.goto(base + f"/people/{rid}/")
    page.select_option("#id_measure_id", "phq-9")
    page.fill("form[action$='/paper/'] input[name=timepoint]", "baseline")
    page.select_option("form[action$='/paper/'] select[name=episode]", "2")
    page.fill("form[action$='/paper/'] input[name=completed_on]", opened)
    _submit(page, "form[action$='/paper/'] button[type=submit]")
    assert "First keying" in page.content()
    check_axe(browser, page.url, tablet.storage_state())
    keyed = {"interest": "1", "down": "1", "sleep": "2", "tired": "0", "appetite": "0",
             "failure": "0", "concentration": "1", "psychomotor": "0", "self_harm": "0",
             "difficulty": "1"}
    for second in (False, True):
        for name, value in keyed.items():
            if second and name == "sleep":
                value = "3"  # the second keying differs on one answer
            page.check(f"input[name={name}][value='{value}']")
        _submit(page, "form.measure-form button[type=submit]")
    assert page.url.endswith("/reconcile/")
    assert page.locator("tbody tr").count() == 1 and "sleep" in page.inner_text("tbody")
    check_axe(browser, page.url, tablet.storage_state())
    page.check("input[name=pick_sleep][value=first]")
    _submit(page)
    assert page.url.endswith(f"/people/{rid}/"), page.inner_text("main")[:1500]
    assert opened in page.content() and "total: 5" in page.content()
    assert _due(page, base, rid) == {("review", "2"): "due"}  # the overdue one is done
    assert _reports(office, base) == (2, 0)
    assert _modes(office) == {"paper": (1, 0), "tablet": (1, 0)}

    # --- its review by telephone: the read-aloud script beside the keying form
    page.goto(person)
    page.fill("#phone_timepoint", "review")
    page.select_option("#phone_episode", "2")
    _submit(page, "form[action$='/telephone/'] button[type=submit]")
    assert re.search(r"/telephone/\d+/$", page.url)
    script = page.locator("aside.read-aloud").inner_text()
    assert "Read-aloud script" in script and "Little interest or pleasure" in script
    check_axe(browser, page.url, tablet.storage_state())
    if SHOTS:
        desk = browser.new_context(java_script_enabled=False, viewport=DESKTOP,
                                   storage_state=tablet.storage_state())
        d = desk.new_page()
        d.goto(page.url)
        shot(d, "telephone")
        desk.close()
    for name in ("interest", "down", "sleep", "tired", "appetite", "failure",
                 "concentration", "psychomotor", "self_harm", "difficulty"):
        page.check(f"main input[name={name}][value='0']")
    _submit(page, "form.measure-form button[type=submit]")
    assert page.url == person
    review = page.locator("main table tbody tr", has_text="review").inner_text()
    assert "telephone" in review and "total: 0" in review
    assert _due(page, base, rid) == {}
    assert _reports(office, base) == (2, 1)  # the review follows up episode 2's baseline
    assert _modes(office) == {"paper": (1, 1), "tablet": (1, 0)}
    office.context.close()
    for path in ("/people/", "/due/", "/account/"):
        check_axe(browser, base + path, tablet.storage_state())
    check_axe(browser, base + "/login/")
    tablet.close()
    phone.close()


RISK_FOR_PERSON = "If you might act on these thoughts today, ring our crisis line on 0800 000 111."


def _youth_team(browser: Any, base: str, admin_state: Any) -> dict[str, str]:
    """A second team shown one question per page, with feedback for the person and its own
    risk text for PHQ-9 item 9; a worker (kim). Returns the admin pages to check."""
    admin = browser.new_context(java_script_enabled=False, viewport=DESKTOP,
                                storage_state=admin_state)
    page = admin.new_page()
    page.goto(base + "/manage/teams/")
    page.fill("#id_name", "Youth")
    page.fill("#id_service", "youth")
    page.fill("#id_measures", "phq-9")
    page.fill("#id_schedule", SCHEDULE)
    page.select_option("#id_paging", "question")
    page.check("#id_respondent_feedback")
    _submit(page)
    team = page.get_attribute("a:text-is('Youth')", "href")
    page.goto(base + "/manage/staff/")
    page.fill("#id_username", "kim")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.select_option("#id_role", "worker")
    page.check("label:has-text('Youth') input")
    _submit(page)
    staff = page.get_attribute("a:text-is('kim')", "href")
    page.goto(base + f"{team}risk/")
    assert "phq-9/self_harm_thoughts" in page.content()
    page.fill("#id_person_0", RISK_FOR_PERSON)
    page.fill("#id_worker_0", "Ring the person within the hour; tell the duty manager.")
    _submit(page)
    assert "Risk texts saved" in page.content()
    shot(page, "risk-texts")
    state = admin.storage_state()
    admin.close()
    return {"state": state, "team": str(team), "staff": str(staff)}


def _answer_page(page: Any, name: str, value: str, button: str = "next") -> None:
    page.check(f"input[name={name}][value='{value}']")
    _submit(page, f"button[value={button}]")


def test_respondent_side_and_every_staff_page(browser: Any, server: dict[str, str],
                                              staffed: dict[str, Any]) -> None:
    base = server["base"]
    youth = _youth_team(browser, base, staffed["admin"])
    for path in ("/manage/teams/", "/manage/staff/", youth["staff"], youth["team"],
                 youth["team"] + "risk/", "/manage/audit/", "/manage/api-clients/",
                 "/reports/"):
        check_axe(browser, base + path, youth["state"])
    tablet, page = _login(browser, base, "kim", PHONE)
    page.goto(base + "/people/new/")
    page.select_option("#id_consent", "given")
    _submit(page)
    rid = page.url.rstrip("/").split("/")[-1]
    person = page.url

    # --- a paper form printed with its code, found again by the code
    page.fill("#print-timepoint", "review")
    with page.expect_download() as download:
        page.click("form[action$='/printed/'] button[type=submit]")
    name = download.value.suggested_filename
    code = re.search(r"-([A-Z2-9]{8})\.pdf$", name)
    assert name.startswith(f"{rid}-phq-9-review-") and code is not None
    if SHOTS:
        pdf = Path(SHOTS) / "printed.pdf"
        download.value.save_as(pdf)
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", "-singlefile",
                        str(pdf), str(Path(SHOTS) / "service-printed")], check=True)
        pdf.unlink()
    storage = tablet.storage_state()
    check_axe(browser, f"{base}/paper/printed/{code.group(1)}.html", storage)
    page.goto(base + "/paper/code/")
    check_axe(browser, page.url, storage)
    page.fill("#id_code", f"{code.group(1)[:4].lower()}-{code.group(1)[4:]}")
    _submit(page)
    assert page.url.endswith(f"/paper/code/{code.group(1)}/") and rid in page.content()
    shot(page, "paper-code")
    check_axe(browser, page.url, storage)

    # --- a tablet hand-over, one question per page, saved half-way and finished
    page.goto(person)
    page.select_option("#id_method", "tablet")
    _submit(page, "form[action$='/collect/'] button[type=submit]")
    assert page.url.endswith("/tablet/") and "Question 1 of 10" in page.content()
    shot(page, "tablet-question")
    check_axe(browser, page.url, tablet.storage_state())
    check_axe(browser, base + "/tablet/unlock/", tablet.storage_state())
    _answer_page(page, "interest", "1")
    _answer_page(page, "down", "1")
    _answer_page(page, "sleep", "0", "save")
    assert page.url.endswith("/tablet/saved/")
    shot(page, "tablet-saved")
    check_axe(browser, page.url, tablet.storage_state())
    with page.expect_navigation():
        page.click("text=Carry on answering now")
    assert "Question 4 of 10" in page.content()
    for item in ("tired", "appetite", "failure", "concentration", "psychomotor"):
        _answer_page(page, item, "0")
    _answer_page(page, "self_harm", "1")
    assert RISK_FOR_PERSON in page.inner_text(".risk-notice")  # at once, on the next page
    shot(page, "tablet-risk")
    check_axe(browser, page.url, tablet.storage_state())
    _answer_page(page, "difficulty", "1", "finish")
    assert page.url.endswith("/tablet/done/") and RISK_FOR_PERSON in page.content()
    shot(page, "tablet-thanks-feedback")
    check_axe(browser, page.url, tablet.storage_state())
    with page.expect_navigation():
        page.click("text=See your results")
    assert page.url.endswith("/tablet/feedback/") and "your results" in page.content()
    shot(page, "respondent-feedback")
    check_axe(browser, page.url, tablet.storage_state())
    page.goto(base + "/tablet/unlock/")
    page.fill("#id_password", PASSWORD)
    _submit(page)
    assert page.url == person and "total: 3" in page.content()
    page.goto(base + "/")
    page.locator("section.alerts a").first.click()
    assert "Ring the person within the hour" in page.content()
    assert RISK_FOR_PERSON in page.content()  # what the person was shown

    # --- a link left half-answered is partial on the person's page
    page.goto(person)
    page.fill("#id_timepoint", "exit")
    page.select_option("#id_method", "link")
    _submit(page, "form[action$='/collect/'] button[type=submit]")
    link = page.input_value("#link")
    phone = _context(browser, PHONE)
    other = phone.new_page()
    other.goto(link)
    _answer_page(other, "interest", "0")
    _submit(other, "button[value=save]")
    assert other.url.endswith("/respond/saved/")
    shot(other, "link-saved")
    check_axe(browser, other.url, phone.storage_state())
    page.goto(person)
    assert "partial" in page.inner_text("#links-h + ul")
    phone.close()
    tablet.close()
