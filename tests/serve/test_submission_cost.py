"""What one form costs the service, on SQLite and PostgreSQL: the work done again for every
form is gone — the newest published version of its measure is looked up once per request
(and a new version is seen at once), and the Store neither reads a new form back nor
scores it a second time.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PHQ9 = {"interest": "1", "down": "2", "sleep": "1", "tired": "0", "appetite": "1",
        "failure": "0", "concentration": "1", "psychomotor": "0", "self_harm": "2",
        "difficulty": "1", "measure_id": "phq-9", "measure_version": "1.0.0"}


def _link(c: Any, rid: str) -> str:
    r = c.post(f"/people/{rid}/collect/", {"measure_id": "phq-9", "timepoint": "baseline",
                                           "episode": "1", "method": "link"})
    m = re.search(r'value="(http://testserver/r/[A-Za-z0-9_-]+)"', r.content.decode())
    assert m is not None
    return m.group(1).removeprefix("http://testserver")


def test_one_form_looks_its_measure_up_once_and_is_not_read_back(world: Any,
                                                                 client_for: Any) -> None:
    import sqlalchemy
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from measurelib.serve import _library
    from measurelib.serve.models import AlertTask

    phone = Client()
    phone.get(_link(client_for("worker"), world.person_a.respondent_id))
    _library.forget_latest()
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sqlalchemy.event.listen(sqlalchemy.engine.Engine, "before_cursor_execute", seen)
    try:
        with CaptureQueriesContext(connection) as queries:
            r = phone.post("/respond/", PHQ9)
    finally:
        sqlalchemy.event.remove(sqlalchemy.engine.Engine, "before_cursor_execute", seen)
    assert r.status_code == 302 and r["Location"] == "/respond/thanks/"
    lookups = [q["sql"] for q in queries.captured_queries if "publishedmeasure" in q["sql"]]
    assert len(lookups) == 1, lookups
    # the form is new: its key and alerts come from the import that stored it
    assert not [s for s in statements if "administrations.responses" in s], statements
    assert AlertTask.objects.filter(person=world.person_a,
                                    alert_id="self_harm_thoughts").count() == 1
    rows = _library.store().administrations(respondent_id=world.person_a.respondent_id,
                                            responses=False)
    assert len(rows) == 1


def test_a_new_published_version_is_seen_at_once(world: Any) -> None:
    from measurelib.serve import _library
    from measurelib.serve.models import PublishedMeasure

    example = (ROOT / "instruments" / "examples" / "feeling-today-cy-ar.yaml").read_text(
        encoding="utf-8")
    mid = f"seen-{world.tag}"
    first = example.replace("id: feeling-today", f"id: {mid}", 1)
    second = first.replace("version: 1.0.0", "version: 1.1.0", 1)
    assert second != first
    for version, text in (("1.0.0", first), ("1.1.0", second)):
        PublishedMeasure.objects.create(
            team=world.team_a, measure_id=mid, version=version, title="Seen", composer=text,
            built=text, sha256=hashlib.sha256(text.encode()).hexdigest())
        assert _library.load_measure(mid).version == version  # within the cache's second
