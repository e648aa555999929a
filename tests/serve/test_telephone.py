"""Telephone administrations, on SQLite and PostgreSQL: started for a person and timepoint,
keyed once on a screen with the read-aloud script beside the form, stored with the Store's
mode ``telephone`` and told apart from paper in the timeline, the export, the subject
access export and the impact report; audit-logged.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

PHQ9 = ("interest", "down", "sleep", "tired", "appetite", "failure", "concentration",
        "psychomotor", "self_harm", "difficulty")


def answers(value: str = "1", **extra: str) -> dict[str, str]:
    data = {item: value for item in PHQ9}
    data.update({"measure_id": "phq-9", "measure_version": "1.0.0"})
    data.update(extra)
    return data


def stored(respondent_id: str) -> Any:
    from measurelib.serve import _library

    adm = _library.store().administrations("phq-9")
    return adm[adm["respondent_id"] == respondent_id]


def start(c: Any, rid: str, timepoint: str = "review", day: str | None = None,
          episode: str = "1") -> Any:
    return c.post(f"/people/{rid}/telephone/", {
        "measure_id": "phq-9", "timepoint": timepoint, "episode": episode,
        "completed_on": day or dt.date.today().isoformat()})


def test_telephone_is_its_own_mode(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import AuditEvent, PaperEntry

    rid = world.person_a.respondent_id
    c = client_for("worker")
    person_page = c.get(f"/people/{rid}/").content.decode()
    assert "Collect by telephone" in person_page and 'id="phone_measure_id"' in person_page
    assert 'id="id_measure_id"' in person_page  # the paper form's fields keep their ids
    r = start(c, rid, "baseline", day="2026-11-20")
    entry = PaperEntry.objects.get(person=world.person_a)
    assert r.status_code == 302 and r["Location"] == f"/telephone/{entry.pk}/"
    assert entry.mode == "telephone" and entry.state == "telephone, to key"
    # the paper keying screens send a telephone keying to its own screen
    assert c.get(f"/paper/{entry.pk}/")["Location"] == f"/telephone/{entry.pk}/"
    assert c.get(f"/paper/{entry.pk}/reconcile/")["Location"] == f"/paper/{entry.pk}/"
    page = c.get(f"/telephone/{entry.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and "script-src 'none'" in page["Content-Security-Policy"]
    # the script beside the form: one page, the form first, then the read-aloud aside
    layout = html.index('<div class="telephone-layout">')
    assert layout < html.index("<main>") < html.index('<aside class="read-aloud"')
    aside = html[html.index('<aside class="read-aloud"'):html.index("</aside>")]
    assert "Read-aloud script" in aside and "Read out the answers" in aside
    assert "Little interest or pleasure in doing things" in aside
    assert "<h1" not in aside  # the form's title stays the page's one first heading
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "an id of the script clashes with the form's"
    assert f"/telephone/{entry.pk}/" in html and "given on the call of 2026-11-20" in html
    # keyed once: stored at the first send, with the mode telephone and the call's date
    r = c.post(f"/telephone/{entry.pk}/", answers())
    assert r.status_code == 302 and r["Location"] == f"/people/{rid}/"
    rows = stored(rid)
    assert list(rows["mode"]) == ["telephone"] and list(rows["worker"]) == [
        world.users["worker"].get_username()]
    assert str(rows.iloc[0]["date"].date()) == "2026-11-20"
    entry.refresh_from_db()
    assert entry.state == "stored" and entry.first == "" and entry.second == ""
    # sent again (a second press): nothing more is stored
    assert c.post(f"/telephone/{entry.pk}/", answers())["Location"] == f"/people/{rid}/"
    assert len(stored(rid)) == 1
    # the timeline says how
    timeline = c.get(f"/people/{rid}/").content.decode()
    row = re.search(r"<tr><td>2026-11-20</td><td>phq-9</td><td>baseline</td><td>1</td>"
                    r"<td>([a-z]*)</td>", timeline)
    assert row is not None and row.group(1) == "telephone"
    actions = list(AuditEvent.objects.filter(person=rid).values_list("action", "username"))
    user = world.users["worker"].get_username()
    for action in ("telephone-started", "view-telephone-form", "telephone-keyed",
                   "submission"):
        assert (action, user) in actions, action


def test_telephone_in_exports_and_the_impact_report(world: Any, client_for: Any,
                                                    cfg: Any) -> None:
    import pandas as pd

    rid = world.person_a.respondent_id
    c = client_for("worker")
    today = dt.date.today()
    start(c, rid, "baseline", day=(today - dt.timedelta(days=30)).isoformat())
    from measurelib.serve.models import PaperEntry

    entry = PaperEntry.objects.get(person=world.person_a, mode="telephone")
    assert c.post(f"/telephone/{entry.pk}/", answers("2")).status_code == 302
    # a paper baseline of another person of the team: two modes to tell apart
    from measurelib.serve.models import Episode, Person

    other = Person.objects.create(team=world.team_a, respondent_id=Person.new_id(),
                                  key_worker=world.users["worker"])
    Episode.objects.create(person=other, number="1")
    c.post(f"/people/{other.respondent_id}/paper/", {
        "measure_id": "phq-9", "timepoint": "baseline", "episode": "1",
        "completed_on": (today - dt.timedelta(days=20)).isoformat()})
    paper = PaperEntry.objects.get(person=other)
    for _ in range(2):
        assert c.post(f"/paper/{paper.pk}/", answers("1")).status_code == 302
    lead = client_for("lead")
    csv = lead.get(f"/reports/{world.team_a.pk}/phq-9.csv")
    assert csv.status_code == 200
    df = pd.read_csv(io.BytesIO(csv.content))
    modes = dict(zip(df["respondent_id"], df["mode"]))
    assert modes == {rid: "telephone", other.respondent_id: "paper"}
    # the impact report breaks the baselines down by mode (no counts hidden here)
    old = cfg.min_cell
    cfg.min_cell = 1
    try:
        page = lead.get(f"/reports/{world.team_a.pk}/phq-9/impact.html").content.decode()
    finally:
        cfg.min_cell = old
    assert re.search(r"<td>mode: telephone</td><td>1</td>", page), page[:2000]
    assert re.search(r"<td>mode: paper</td><td>1</td>", page)
    export = client_for("administrator").get(f"/people/{rid}/export/").json()
    assert [f["mode"] for f in export["paper_forms"]] == ["telephone"]
    assert [a["mode"] for a in export["store"]["administrations"]] == ["telephone"]


def test_telephone_refusals(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import PaperEntry

    rid = world.person_a.respondent_id
    c = client_for("worker")
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    r = start(c, rid, day=future)
    assert r.status_code == 400 and "cannot be in the future" in r.content.decode()
    assert start(c, rid, timepoint="Not A Label").status_code == 400
    assert not PaperEntry.objects.filter(person=world.person_a).exists()
    # another team's worker cannot start one, nor open one
    other = client_for("other_worker")
    assert start(other, rid).status_code == 404
    start(c, rid)
    entry = PaperEntry.objects.get(person=world.person_a)
    assert other.get(f"/telephone/{entry.pk}/").status_code == 404
    assert other.post(f"/telephone/{entry.pk}/", answers()).status_code == 404
    # an answer that is not on the scale is refused and nothing is stored
    r = c.post(f"/telephone/{entry.pk}/", answers(interest="7"))
    assert r.status_code == 400 and len(stored(rid)) == 0
    # a viewer never reaches it
    assert client_for("viewer").get(f"/telephone/{entry.pk}/").status_code == 403
