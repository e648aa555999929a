"""Sending links by e-mail and text message: what a message holds, the plug-in point,
rate limits and the audit log — on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_flows import answers  # noqa: E402


class RecordingSms:
    """A plug-in SMS backend, named by its dotted path in the configuration."""

    sent: list[tuple[str, str]] = []

    def send_text(self, to: str, text: str) -> None:
        RecordingSms.sent.append((to, text))


class BrokenSms:
    def send_text(self, to: str, text: str) -> None:
        raise OSError("gateway down")


@pytest.fixture
def sending(cfg: Any, world: Any, tmp_path: Path) -> Iterator[Any]:
    from django.core import mail

    from measurelib.serve.models import Person

    saved = (cfg.email_backend, cfg.sms_backend, cfg.outbox_path)
    cfg.email_backend, cfg.sms_backend, cfg.outbox_path = "file", "memory", str(tmp_path)
    Person.objects.filter(pk=world.person_a.pk).update(email="ann@example.org",
                                                       phone="07700 900123")
    mail.outbox = []
    from measurelib.serve._send import MemorySms

    MemorySms.outbox.clear()
    yield world
    cfg.email_backend, cfg.sms_backend, cfg.outbox_path = saved


def _make(c: Any, rid: str) -> tuple[int, str, str]:
    r = c.post(f"/people/{rid}/collect/", {"measure_id": "phq-9", "timepoint": "baseline",
                                           "episode": "1", "method": "link"})
    page = r.content.decode()
    url = re.search(r'value="(http://testserver/r/[A-Za-z0-9_-]+)"', page)
    token = re.search(r'name="token" value="([A-Za-z0-9_-]+)"', page)
    pk = re.search(r'action="/links/(\d+)/send/"', page)
    assert url and token and pk, page
    return int(pk.group(1)), token.group(1), url.group(1)


def _no_health_data(text: str, rid: str) -> None:
    for word in ("phq", "PHQ", "depress", "baseline", "score", rid):
        assert word not in text


def test_link_by_email(sending: Any, client_for: Any) -> None:
    from django.core import mail

    from measurelib.serve.models import AuditEvent

    c = client_for("worker")
    rid = sending.person_a.respondent_id
    pk, token, url = _make(c, rid)
    r = c.post(f"/links/{pk}/send/", {"token": token, "channel": "email"})
    assert r.status_code == 302
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == ["ann@example.org"] and url in msg.body
    assert "Test charity" in msg.subject
    _no_health_data(msg.subject + msg.body, rid)
    event = AuditEvent.objects.get(person=rid, action="link-sent")
    assert "e-mail" in event.detail and "ann@" not in event.detail
    # the link sent still works once
    from django.test import Client

    phone = Client()
    assert phone.get(url.removeprefix("http://testserver")).status_code == 302
    assert phone.post("/respond/", answers()).status_code == 302


def test_link_by_text_message_plugin(sending: Any, client_for: Any, cfg: Any) -> None:
    from measurelib.serve._send import MemorySms

    c = client_for("worker")
    rid = sending.person_a.respondent_id
    pk, token, url = _make(c, rid)
    assert c.post(f"/links/{pk}/send/", {"token": token, "channel": "sms"}).status_code == 302
    assert MemorySms.outbox[-1][0] == "07700 900123" and url in MemorySms.outbox[-1][1]
    _no_health_data(MemorySms.outbox[-1][1], rid)
    cfg.sms_backend = f"{__name__}.RecordingSms"
    RecordingSms.sent.clear()
    pk, token, url = _make(c, rid)
    assert c.post(f"/links/{pk}/send/", {"token": token, "channel": "sms"}).status_code == 302
    assert len(RecordingSms.sent) == 1 and url in RecordingSms.sent[0][1]
    cfg.sms_backend = f"{__name__}.BrokenSms"
    pk, token, url = _make(c, rid)
    assert c.post(f"/links/{pk}/send/", {"token": token, "channel": "sms"}).status_code == 502


def test_file_backend_writes_the_message(sending: Any, cfg: Any, tmp_path: Path) -> None:
    from django.conf import settings

    from measurelib.serve._send import FileSms

    assert settings.MEASURELIB_SERVE is cfg
    FileSms().send_text("07700 900123", "hello")
    files = list(tmp_path.glob("*.sms.txt"))
    assert len(files) == 1 and "hello" in files[0].read_text()


def test_sending_refused(sending: Any, client_for: Any, cfg: Any) -> None:
    from django.core import mail

    from measurelib.serve.models import AuditEvent, Person

    c = client_for("worker")
    rid = sending.person_a.respondent_id
    pk, token, _url = _make(c, rid)
    assert c.post(f"/links/{pk}/send/", {"token": "x" * 43,
                                         "channel": "email"}).status_code == 400
    assert c.post(f"/links/{pk}/send/", {"token": token, "channel": "fax"}).status_code == 400
    # another team's worker cannot even find the link
    assert client_for("other_worker").post(
        f"/links/{pk}/send/", {"token": token, "channel": "email"}).status_code == 404
    Person.objects.filter(pk=sending.person_a.pk).update(email="")
    assert c.post(f"/links/{pk}/send/", {"token": token, "channel": "email"}).status_code == 400
    Person.objects.filter(pk=sending.person_a.pk).update(email="ann@example.org")
    # rate limit: at most send_limit_person_day messages to one person in 24 hours
    for _ in range(int(cfg.send_limit_person_day)):
        pk, token, _url = _make(c, rid)
        assert c.post(f"/links/{pk}/send/", {"token": token,
                                             "channel": "email"}).status_code == 302
    pk, token, _url = _make(c, rid)
    r = c.post(f"/links/{pk}/send/", {"token": token, "channel": "email"})
    assert r.status_code == 429 and "24 hours" in r.content.decode()
    assert len(mail.outbox) == int(cfg.send_limit_person_day)
    assert AuditEvent.objects.filter(person=rid, action="link-send-refused").count() == 1
    # and per member of staff in an hour
    saved = cfg.send_limit_user_hour
    cfg.send_limit_user_hour = 1
    try:
        b = client_for("lead")
        pb = sending.person_a
        Person.objects.filter(pk=pb.pk).update(email="ann@example.org")
        cfg.send_limit_person_day = 100
        pk, token, _url = _make(b, pb.respondent_id)
        assert b.post(f"/links/{pk}/send/", {"token": token, "channel": "email"}).status_code \
            == 302
        pk, token, _url = _make(b, pb.respondent_id)
        r = b.post(f"/links/{pk}/send/", {"token": token, "channel": "email"})
        assert r.status_code == 429 and "last hour" in r.content.decode()
    finally:
        cfg.send_limit_user_hour, cfg.send_limit_person_day = saved, 3


def test_no_channel_no_form(world: Any, client_for: Any) -> None:
    c = client_for("worker")
    r = c.post(f"/people/{world.person_a.respondent_id}/collect/",
               {"measure_id": "phq-9", "timepoint": "baseline", "episode": "1",
                "method": "link"})
    assert "/send/" not in r.content.decode()
