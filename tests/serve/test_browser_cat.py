"""An adaptive questionnaire in Debian's Chromium (Playwright), JavaScript off, phone width,
against a real server process (SQLite and PostgreSQL): a single-use link to the
``wellbeing-cat`` measure is answered one question per page with the keyboard (the forms'
own question, pictures included), an empty answer shows a located error, a question is
skipped, and axe-core finds no WCAG 2.1 A/AA violation on the question page, the refused
answer and the page after a skip, at desktop and phone width.

The team, person and link are made in the service's database, by a process of its own,
before the server starts.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from test_browser import (  # noqa: E402
    DESKTOP,
    PHONE,
    _context,
    _free_port,
    _submit,
    axe_source,
    axe_violations,
    browser,  # noqa: F401 - the fixture
    check_axe,
    chromium_path,
    describe,
    shot,
)

PHONE_375 = {"width": 375, "height": 812}  # the narrowest common phone

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None,
                       reason="Chromium is not installed (Debian package `chromium`; run "
                       "scripts/setup-system.sh)"),
]

SCHEDULE = """measures: [wellbeing-cat]
timepoints:
  - {id: baseline, at: entry, tolerance: {days: 7}}
"""


_PREPARE = """
import datetime as dt, sys
import django
from measurelib.serve._config import load_config
from measurelib.serve._settings import configure
configure(load_config("serve.toml"))
django.setup()
from measurelib.serve import _library
from measurelib.serve._command import init_database
from measurelib.serve._config import load_config as again
from measurelib.serve.models import Collection, Episode, Person, Team, new_token
init_database(again("serve.toml"))
team = Team.objects.create(name="Adaptive", service="adaptive", measures="wellbeing-cat",
                           schedule=sys.argv[1])
_library.check_schedule(team.service, sys.argv[1])
person = Person.objects.create(team=team, respondent_id=Person.new_id())
Episode.objects.create(person=person, number="1")
token, digest = new_token()
Collection.objects.create(kind="link", person=person, measure_id="wellbeing-cat",
                          timepoint="baseline", token_hash=digest,
                          expires_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1))
print(person.respondent_id, token)
"""


def _prepare(folder: Path, env: dict[str, str]) -> tuple[str, str]:
    """A team, a person and a link to wellbeing-cat in the service's database, made by a
    process of its own (nothing of Django's connection state is shared with this one).
    """
    out = subprocess.run([sys.executable, "-c", _PREPARE, SCHEDULE], cwd=folder, env=env,
                         capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    rid, token = out.stdout.split()[-2:]
    return rid, token


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def cat_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The service in its own process, on a database prepared with a link."""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres").create_database()
    else:
        url = str(tmp_path / "cat.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEASURELIB_SERVE_")}
    env["MEASURELIB_SERVE_DATABASE"] = url
    rid, token = _prepare(tmp_path, env)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "measurelib.serve", "--config", "serve.toml",
                             "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://localhost:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/login/", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("the server stopped") from None
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        yield {"base": base, "link": f"{base}/r/{token}", "rid": rid, "url": url}
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        assert "Traceback" not in err, err


def _axe_on(browser: Any, html: str) -> None:  # noqa: F811
    """axe-core on a page as it was served (a state no GET shows: an answer refused)."""
    for viewport in (DESKTOP, PHONE, PHONE_375):
        ctx = browser.new_context(viewport=viewport, bypass_csp=True)
        try:
            page = ctx.new_page()
            page.set_content(html)
            found = axe_violations(page, axe_source())
            assert not found, f"at {viewport['width']}px:\n{describe(found)}"
        finally:
            ctx.close()


def test_adaptive_link_on_a_phone(browser: Any, cat_server: dict[str, str]) -> None:  # noqa: F811
    phone = _context(browser, PHONE_375)
    page = phone.new_page()
    page.goto(cat_server["link"])
    assert page.url.endswith("/respond/")
    assert page.locator("script").count() == 0
    assert "Question 1" in page.locator("legend").inner_text()
    # the forms' own question: the faces question shows its pictures, every one named
    item = page.input_value("input[name=cat_item]")
    assert page.locator("img").count() == page.locator("img[alt]").count()
    shot(page, "cat-question")
    check_axe(browser, page.url, phone.storage_state())
    _axe_on(browser, page.content())  # (and at 375 px)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll
    # Next without an answer: the same question, the error announced and linked
    _submit(page)
    assert page.locator("#cat-error[role=alert]").count() == 1
    described = page.locator("fieldset").get_attribute("aria-describedby") or ""
    assert described.split()[0] == "cat-error"
    assert page.input_value("input[name=cat_item]") == item
    assert page.title().startswith("Error: ")
    _axe_on(browser, page.content())
    # Skip this question (keyboard: the second button), then the next question comes
    skip = page.locator("button[value=skip]")
    assert skip.inner_text() == "Skip this question"
    skip.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.input_value("input[name=cat_item]") != item
    assert "Question 2" in page.locator("legend").inner_text()
    check_axe(browser, page.url, phone.storage_state())
    asked = [item]
    for _ in range(13):
        if not page.url.endswith("/respond/"):
            break
        legend = page.locator("legend").inner_text()
        assert f"Question {len(asked) + 1}" in legend
        item = page.input_value("input[name=cat_item]")
        asked.append(item)
        # keyboard only: into the radio group, choose the third option, on to Next
        page.focus(f"input[name={item}] >> nth=0")
        page.keyboard.press("Space")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        third = page.locator(f"input[name={item}] >> nth=2").get_attribute("value")
        assert page.locator(f"input[name={item}]:checked").get_attribute("value") == third
        page.focus("button[value=next]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
    assert page.url.endswith("/respond/thanks/"), page.url
    assert 5 <= len(asked) <= 12 and len(set(asked)) == len(asked)  # (one skipped)
    assert "Thank you" in page.content()
    # the link is used up
    page.goto(cat_server["link"])
    assert "already been answered" in page.content()
    phone.close()
    # stored, with the final theta and its SE
    import measurelib as ml

    store = ml.Store(cat_server["url"], create=False)
    try:
        sc = store.scores("wellbeing-cat", "wellbeing_t")
    finally:
        store.close()
    mine = sc[sc["respondent_id"] == cat_server["rid"]]
    assert len(mine) == 1 and mine["se"].iloc[0] > 0
    assert re.fullmatch(r"P-[A-Z2-9]{8}", cat_server["rid"])
