"""No response data reaches the logs, even when storing a form fails unexpectedly."""

from __future__ import annotations

import logging
import sys
from typing import Any

from measurelib.serve._logging import RedactFilter


def test_redact_filter_drops_exception_text() -> None:
    try:
        raise RuntimeError("INSERT failed [parameters: {'self_harm': 3, 'down': 2}]")
    except RuntimeError:
        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1,
                                   "Internal Server Error: %s", ("/tablet/",), sys.exc_info())
    assert RedactFilter().filter(record)
    text = logging.Formatter().format(record)
    assert "/tablet/" in text and "RuntimeError" in text
    assert "self_harm" not in text and "parameters" not in text


def test_a_failing_store_logs_no_answers(world: Any, client_for: Any, monkeypatch: Any,
                                         caplog: Any) -> None:
    from django.test import Client

    from measurelib.serve import _library
    from measurelib.serve.models import Collection

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("duplicate key [parameters: secret-answer-text]")

    monkeypatch.setattr(_library, "store_submission", broken)
    c = client_for("worker")
    c.post(f"/people/{world.person_a.respondent_id}/collect/", {
        "measure_id": "phq-9", "timepoint": "baseline", "episode": "1", "method": "tablet"})
    answers = {"measure_id": "phq-9", "interest": "1", "self_harm": "2"}
    r = Client(raise_request_exception=False)
    r.cookies = c.cookies
    response = r.post("/tablet/", answers)
    assert response.status_code == 500
    assert "secret-answer-text" not in response.content.decode()
    logged = caplog.text
    assert "RuntimeError" in logged and "secret-answer-text" not in logged
    # the claim was released: the hand-over can be answered again
    assert Collection.objects.get(person=world.person_a).used_at is None


def test_the_flows_at_debug_level_log_no_answer_id_or_contact(world: Any,
                                                              client_for: Any) -> None:
    """Every logger at DEBUG through the service's own (redacting) handler, while a person is
    registered with contact details, answers a risk item on a tablet and a form by link, and
    addresses naming them are refused: no answer, id, token or contact detail is logged."""
    import io
    import re
    from pathlib import Path

    from django.test import Client

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_flows import answers, make_link, start_tablet

    console = logging.getLogger("django.request").handlers[0]
    assert isinstance(console, logging.StreamHandler)
    buf = io.StringIO()
    old_stream, old_level = console.setStream(buf), console.level
    names = ("", "django", "django.request", "django.security", "django.server",
             "django.template", "axes", "measurelib")
    levels = {n: logging.getLogger(n).level for n in names}
    root = logging.getLogger()
    root.addHandler(console)
    console.setLevel(logging.DEBUG)
    for n in names:
        logging.getLogger(n).setLevel(logging.DEBUG)
    try:
        c = client_for("worker")
        r = c.post("/people/new/", {"team": world.team_a.pk, "consent": "given",
                                    "name": "Ada Quill", "phone": "07700 900123",
                                    "email": "ada.quill@example.org",
                                    "consent_scope": "Outcome measures and reports"})
        assert r.status_code == 302
        rid = r["Location"].rstrip("/").split("/")[-1]
        start_tablet(c, rid)
        assert c.post("/tablet/", answers(self_harm=2))["Location"] == "/tablet/done/"
        link = make_link(client_for("worker"), rid, timepoint="review")
        phone = Client()
        assert phone.get(link).status_code == 302
        phone.post("/respond/", {**answers(), "interest": "9"})  # refused: out of range
        assert phone.post("/respond/", answers())["Location"] == "/respond/thanks/"
        # addresses that name the person or a link, refused and logged by Django
        other = client_for("other_worker")
        assert other.get(f"/people/{rid}/").status_code == 404
        assert other.get(f"/people/{rid}/print/phq-9/?respondent=proxy").status_code == 404
        assert Client().get(link).status_code == 410
        assert Client().get("/r/not-a-real-token-abc").status_code == 404
    finally:
        root.removeHandler(console)
        console.setStream(old_stream)
        console.setLevel(old_level)
        for n, level in levels.items():
            logging.getLogger(n).setLevel(level)
    logged = buf.getvalue()
    assert "Not Found: /people/…/" in logged  # the refusals were logged, namelessly
    token = link.removeprefix("/r/")
    for secret in (rid, token, "not-a-real-token-abc", "Ada Quill", "07700 900123",
                   "ada.quill@example.org", "self_harm", "interest", "respondent=proxy"):
        assert secret not in logged, (secret, logged[-3000:])
    assert not re.search(r"P-[A-Z2-9]{8}", logged)
