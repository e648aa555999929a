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
