"""Sending a single-use link to the person: by e-mail (Django's e-mail backend) or by text
message (a pluggable SMS backend).

A message says who asks, gives the link and when it expires — nothing else: no measure
name, no answers, no scores (there are none yet, and a message may be read by someone
else). Sending is rate-limited (``send_limit_person_day`` messages to one person in 24
hours, ``send_limit_user_hour`` from one member of staff in an hour) and each message is
in the audit log ("link-sent", with the channel; not the address).

**SMS plug-in point.** ``sms_backend`` in the configuration names the backend: ``console``
(prints the message: for trials), ``file`` (one file per message in ``outbox_path``: for
tests and trials), ``memory`` (kept in :attr:`MemorySms.outbox`: for tests), or the dotted
path of a class of your own, e.g. ``mycharity.sms.GatewaySms``. That class is made with
no arguments and needs one method::

    class GatewaySms:
        def send_text(self, to: str, text: str) -> None:
            ...  # call your SMS provider; raise OSError if it fails

It is given the person's phone number as recorded and the message text.
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys
import threading
import uuid
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from measurelib.serve._auth import audit, people_of, role_required
from measurelib.serve.models import AuditEvent, Collection, hash_token

__all__ = ["ConsoleSms", "FileSms", "MemorySms", "SmsBackend", "channels", "link_message",
           "link_send", "sms_backend"]

CHANNELS = {"email": "e-mail", "sms": "text message"}


class SmsBackend(Protocol):
    """What an SMS backend does: send one text to one number (raise OSError on failure)."""

    def send_text(self, to: str, text: str) -> None:
        """Send ``text`` to the phone number ``to``."""


class ConsoleSms:
    """Prints each text message to standard output (for trials)."""

    def send_text(self, to: str, text: str) -> None:
        """Print the message."""
        print(f"SMS to {to}:\n{text}\n", file=sys.stdout, flush=True)


class FileSms:
    """Writes each text message to its own file in ``outbox_path`` (for tests, trials)."""

    def send_text(self, to: str, text: str) -> None:
        """Write the message to a new file."""
        folder = Path(settings.MEASURELIB_SERVE.outbox_path or "outbox")
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{timezone.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.sms.txt"
        (folder / name).write_text(f"To: {to}\n\n{text}\n", encoding="utf-8")


class MemorySms:
    """Keeps each text message in :attr:`outbox` as ``(to, text)`` (for tests)."""

    outbox: list[tuple[str, str]] = []
    _lock = threading.Lock()

    def send_text(self, to: str, text: str) -> None:
        """Append the message to the outbox."""
        with self._lock:
            MemorySms.outbox.append((to, text))


_BUILT_IN: dict[str, type[SmsBackend]] = {"console": ConsoleSms, "file": FileSms,
                                           "memory": MemorySms}


def sms_backend() -> SmsBackend | None:
    """The configured SMS backend (None when text messages are not set up)."""
    name = str(settings.MEASURELIB_SERVE.sms_backend or "").strip()
    if not name:
        return None
    if name in _BUILT_IN:
        return _BUILT_IN[name]()
    module, _, cls = name.replace(":", ".").rpartition(".")
    try:
        backend = getattr(importlib.import_module(module), cls)()
    except (ImportError, AttributeError, ValueError, TypeError) as exc:
        raise ValueError(f"sms_backend = {name!r} cannot be used: {exc}") from None
    if not callable(getattr(backend, "send_text", None)):
        raise ValueError(f"sms_backend = {name!r} has no send_text(to, text) method")
    found: SmsBackend = backend
    return found


def channels(person: Any) -> list[tuple[str, str]]:
    """The ways a link can be sent to ``person`` now: (channel, label) pairs."""
    cfg = settings.MEASURELIB_SERVE
    out = []
    if person.email and (cfg.email_host or cfg.email_backend):
        out.append(("email", f"E-mail to {person.email}"))
    if person.phone and cfg.sms_backend:
        out.append(("sms", f"Text message to {person.phone}"))
    return out


def link_message(url: str, expires: dt.datetime) -> tuple[str, str]:
    """The subject and text of a link's message: who asks, the link, its expiry."""
    org = settings.MEASURELIB_SERVE.organisation
    when = timezone.localtime(expires).strftime("%d %B %Y")
    return (f"{org}: a short questionnaire",
            f"{org} has asked you to fill in a short questionnaire. Open this link to "
            f"answer it (it works once, until {when}):\n{url}\n\nIf you were not expecting "
            f"this, you can ignore it.")


def _over_limit(request: HttpRequest, collection: Collection) -> str | None:
    cfg = settings.MEASURELIB_SERVE
    now = timezone.now()
    sent = AuditEvent.objects.filter(action="link-sent")
    per_person = sent.filter(person=collection.person.respondent_id,
                             at__gte=now - dt.timedelta(days=1)).count()
    if per_person >= int(cfg.send_limit_person_day):
        return (f"{collection.person.respondent_id} has been sent {per_person} links in the "
                "last 24 hours, the most allowed. Give the link another way, or try "
                "tomorrow.")
    per_user = sent.filter(username=request.user.get_username(),
                           at__gte=now - dt.timedelta(hours=1)).count()
    if per_user >= int(cfg.send_limit_user_hour):
        return (f"You have sent {per_user} links in the last hour, the most allowed. Try "
                "again later.")
    return None


@role_required("administrator", "lead", "worker")
@require_POST
def link_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a link just made to its person, by e-mail or text message.

    The link's token is posted back from the page that showed it (only its hash is
    stored), so a link can be sent only by someone who has seen it.
    """
    c = get_object_or_404(Collection.objects.select_related("person"), pk=pk, kind="link",
                          person__in=people_of(request.user))
    token = str(request.POST.get("token", ""))
    channel = str(request.POST.get("channel", ""))

    def refuse(text: str, status: int) -> HttpResponse:
        return render(request, "serve/message.html",
                      {"title": "The link was not sent", "text": text}, status=status)

    if not token or hash_token(token) != c.token_hash:
        return refuse("This is not the link's page. Make a new link and send it from the "
                      "page that shows it.", 400)
    if c.state != "open":
        return refuse(f"The link is {c.state}; make a new one.", 410)
    if channel not in dict(channels(c.person)):
        return refuse("That way of sending is not available for this person (no address "
                      "recorded, or sending is not set up for the service).", 400)
    limit = _over_limit(request, c)
    if limit is not None:
        audit(request, "link-send-refused", person=c.person, detail="rate limit")
        return refuse(limit, 429)
    from django.urls import reverse

    base = settings.MEASURELIB_SERVE.base_url.rstrip("/") or request.build_absolute_uri(
        "/").rstrip("/")
    url = base + reverse("serve:open_link", kwargs={"token": token})
    subject, text = link_message(url, c.expires_at)
    try:
        if channel == "email":
            from django.core.mail import send_mail

            send_mail(subject, text, None, [c.person.email])
        else:
            backend = sms_backend()
            assert backend is not None  # channels() offered it
            backend.send_text(c.person.phone, text)
    except (OSError, ValueError):
        import logging

        logging.getLogger("django.request").error("a link could not be sent (%s)", channel)
        return refuse("The message could not be sent. Check the service's e-mail or text "
                      "message settings, or give the link another way.", 502)
    audit(request, "link-sent", person=c.person,
          detail=f"{c.measure_id} {c.timepoint} by {CHANNELS[channel]}")
    messages.success(request, f"Link sent by {CHANNELS[channel]}.")
    return redirect("serve:person", respondent_id=c.person.respondent_id)
