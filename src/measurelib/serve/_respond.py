"""What respondents see: the form of a single-use link, and the form of a tablet handed over.

Both show the measure's own web form (``Measure.render("html")``) as the whole page, posting
back here with a CSRF token; the answers are validated by ``measurelib.parse_submission`` and
stored with ``Store.add_submission``; the declared alerts they set off become tasks.
"""

from __future__ import annotations

import base64
import hashlib
import html as _html
import re
from typing import Any

from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

import measurelib as ml
from measurelib.serve import _cat
from measurelib.serve import _library as lib
from measurelib.serve._auth import audit
from measurelib.serve._middleware import TABLET_KEY
from measurelib.serve.forms import UnlockForm
from measurelib.serve.models import AlertTask, Collection, hash_token

RESPOND_KEY = "serve_respond"


def form_policy(page: str) -> str:
    """A Content-Security-Policy for one rendered form: no script at all; its own inline
    stylesheet and style attributes allowed by their hashes only.
    """
    sheets = re.findall(r"<style>(.*?)</style>", page, flags=re.S)
    attrs = sorted(set(re.findall(r'style="([^"]*)"', page)))

    def digest(text: str) -> str:
        raw = hashlib.sha256(text.encode("utf-8")).digest()
        return "'sha256-" + base64.b64encode(raw).decode("ascii") + "'"

    styles = ["'self'", *(digest(s) for s in sheets)]
    if attrs:
        styles += ["'unsafe-hashes'", *(digest(_html.unescape(a)) for a in attrs)]
    return ("default-src 'none'; script-src 'none'; style-src " + " ".join(styles)
            + "; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
            "base-uri 'none'")


def _form_page(request: HttpRequest, collection: Collection, action: str) -> HttpResponse:
    measure = lib.load_measure(collection.measure_id)
    page = lib.form_html(measure, action=action, csrf_token=get_token(request),
                         lang=collection.lang or None, respondent=collection.respondent,
                         easy_read=collection.variant == "easy_read",
                         large_print=collection.variant == "large_print")
    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = form_policy(page)
    return response


def _open(collection: Collection | None) -> bool:
    return collection is not None and collection.state == "open"


def _submit(request: HttpRequest, collection: Collection, mode: str) -> HttpResponse | None:
    """Validate and store the posted form; None when stored, else an error page."""
    measure = lib.load_measure(collection.measure_id)
    try:
        submission = lib.parse_form(measure, request.POST)
    except ml.DataError as exc:
        problems = [getattr(d, "message", str(d)) for d in getattr(exc, "errors", [])]
        return render(request, "serve/respond_problem.html",
                      {"problems": problems or [str(exc)]}, status=400)
    now = timezone.now()
    with transaction.atomic():
        claimed = Collection.objects.filter(pk=collection.pk, used_at__isnull=True,
                                            revoked_at__isnull=True,
                                            expires_at__gt=now).update(used_at=now)
    if claimed != 1:
        return render(request, "serve/respond_closed.html", {"reason": "used"}, status=410)
    worker = collection.created_by.get_username() if collection.created_by else None
    try:
        record(request, collection.person, measure, submission, episode=collection.episode,
               timepoint=collection.timepoint, mode=mode, worker=worker,
               date=timezone.localdate().isoformat(),
               responsible=collection.person.key_worker or collection.created_by)
    except Exception:
        Collection.objects.filter(pk=collection.pk).update(used_at=None)
        raise
    return None


def record(request: HttpRequest, person: Any, measure: ml.Measure, submission: Any, *,
           episode: str, timepoint: str, mode: str, worker: str | None, date: str,
           responsible: Any) -> lib.StoredResult:
    """Store validated answers in the Store, raise the alerts they set off, and audit it."""
    stored = lib.store_submission(
        measure, submission, respondent_id=person.respondent_id, episode=episode,
        timepoint=timepoint, mode=mode, service=person.team.service, worker=worker,
        date=date)
    alerts = lib.fired_alerts(measure, submission) if stored.inserted else []
    for alert in alerts:
        task = AlertTask.objects.create(person=person, team=person.team,
                                        responsible=responsible, measure_id=measure.id,
                                        timepoint=timepoint, alert_id=alert.alert_id,
                                        severity=alert.severity, text=alert.text)
        notify(request, task)
    user = getattr(request, "user", None)
    audit(request, "submission", person=person,
          detail=f"{measure.id} {timepoint} by {mode}: "
                 f"{'stored' if stored.inserted else 'already stored for that date'}; "
                 f"{len(alerts)} alert(s)",
          username=user.get_username() if mode == "paper" and user is not None else "")
    return stored


def notify(request: HttpRequest | None, task: AlertTask) -> bool:
    """E-mail the responsible worker that an alert needs action (when e-mail is configured
    and they have an address). The message names the person's pseudonymous id and links
    to the alert; it carries no answers. Returns whether a message was sent.
    """
    from django.conf import settings
    from django.core.mail import send_mail

    cfg = settings.MEASURELIB_SERVE
    user = task.responsible
    if not cfg.email_host or user is None or not user.email:
        return False
    base = cfg.base_url.rstrip("/") or (
        request.build_absolute_uri("/").rstrip("/") if request is not None else "")
    link = base + reverse("serve:alert", kwargs={"pk": task.pk})
    try:
        send_mail(f"[{cfg.organisation}] {task.severity} alert to act on",
                  f"An answer that needs action was recorded for {task.person.respondent_id} "
                  f"({task.measure_id}, {task.timepoint}).\n\nOpen the alert and record what "
                  f"you did: {link}\n", None, [user.email])
    except OSError:
        import logging

        logging.getLogger("django.request").error("alert e-mail could not be sent")
        return False
    audit(request, "alert-emailed", person=task.person, detail=f"alert {task.pk}",
          username="")
    return True


# ---------------------------------------------------------------- single-use links
@require_http_methods(["GET"])
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """A link's first stop: check the token, remember it in the session, show the form at
    an address without the token.
    """
    try:
        collection = Collection.objects.select_related("person").get(
            kind="link", token_hash=hash_token(token))
    except Collection.DoesNotExist:
        return render(request, "serve/respond_closed.html", {"reason": "unknown"}, status=404)
    if not _open(collection):
        return render(request, "serve/respond_closed.html", {"reason": collection.state},
                      status=410)
    request.session.cycle_key()
    request.session[RESPOND_KEY] = collection.pk
    return redirect("serve:respond")


def _session_collection(request: HttpRequest) -> Collection | None:
    pk = request.session.get(RESPOND_KEY)
    if pk is None:
        return None
    return Collection.objects.select_related("person", "person__team", "created_by",
                                             "person__key_worker").filter(
        pk=pk, kind="link").first()


@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest) -> HttpResponse:
    collection = _session_collection(request)
    if collection is None:
        return render(request, "serve/respond_closed.html", {"reason": "unknown"}, status=404)
    if not _open(collection):
        return render(request, "serve/respond_closed.html", {"reason": collection.state},
                      status=410)
    if _cat.is_adaptive(collection.measure_id):  # one question at a time (serve/_cat.py)
        return _cat.page(request, collection, mode="online", action=reverse("serve:respond"),
                         done="serve:respond_thanks", session_key=RESPOND_KEY)
    if request.method == "POST":
        problem = _submit(request, collection, "online")
        if problem is not None:
            return problem
        request.session.pop(RESPOND_KEY, None)
        return redirect("serve:respond_thanks")
    return _form_page(request, collection, reverse("serve:respond"))


def respond_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "serve/respond_thanks.html", {"tablet": False})


# ---------------------------------------------------------------- tablet hand-over
def _tablet_collection(request: HttpRequest) -> Collection | None:
    pk = request.session.get(TABLET_KEY)
    if pk is None or not request.user.is_authenticated:
        return None
    return Collection.objects.select_related("person", "person__team", "created_by",
                                             "person__key_worker").filter(
        pk=pk, kind="tablet", created_by=request.user).first()


@require_http_methods(["GET", "POST"])
def tablet_form(request: HttpRequest) -> HttpResponse:
    collection = _tablet_collection(request)
    if collection is None:
        request.session.pop(TABLET_KEY, None)
        return redirect("serve:dashboard")
    if collection.used_at is not None:
        return redirect("serve:tablet_done")
    if not _open(collection):
        return redirect("serve:tablet_unlock")
    if _cat.is_adaptive(collection.measure_id):  # one question at a time (serve/_cat.py)
        return _cat.page(request, collection, mode="tablet",
                         action=reverse("serve:tablet_form"), done="serve:tablet_done")
    if request.method == "POST":
        problem = _submit(request, collection, "tablet")
        if problem is not None:
            return problem
        return redirect("serve:tablet_done")
    return _form_page(request, collection, reverse("serve:tablet_form"))


def tablet_done(request: HttpRequest) -> HttpResponse:
    if _tablet_collection(request) is None:
        return redirect("serve:dashboard")
    return render(request, "serve/respond_thanks.html", {"tablet": True})


@require_http_methods(["GET", "POST"])
def tablet_unlock(request: HttpRequest) -> HttpResponse:
    """The worker takes the device back: their password ends the hand-over."""
    collection = _tablet_collection(request)
    if collection is None:
        request.session.pop(TABLET_KEY, None)
        return redirect("serve:dashboard")
    form = UnlockForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        user: Any = authenticate(request, username=request.user.get_username(),
                                 password=form.cleaned_data["password"])
        if user is not None and user.pk == request.user.pk:
            if collection.used_at is None:
                Collection.objects.filter(pk=collection.pk, used_at__isnull=True).update(
                    revoked_at=timezone.now())
            request.session.pop(TABLET_KEY, None)
            request.session.set_expiry(None)
            request.session.cycle_key()
            audit(request, "tablet-returned", person=collection.person)
            return redirect("serve:person", respondent_id=collection.person.respondent_id)
        error = "That password is not right."
    return render(request, "serve/tablet_unlock.html", {"form": form, "error": error},
                  status=200 if not error else 403)
