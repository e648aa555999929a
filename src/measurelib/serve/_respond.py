"""What respondents see: the form of a single-use link, and the form of a tablet handed over.

Both show the measure's own web form (``Measure.render("html")``) as the whole page, posting
back here with a CSRF token; the answers are validated by ``measurelib.parse_submission`` and
stored with ``Store.add_submission``; the declared alerts they set off become tasks.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html as _html
import re
from typing import Any

from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods

import measurelib as ml
from measurelib.serve import _cat
from measurelib.serve import _library as lib
from measurelib.serve import _pages as pages
from measurelib.serve import _risk as risk
from measurelib.serve import _words as words
from measurelib.serve._auth import audit
from measurelib.serve._middleware import TABLET_KEY
from measurelib.serve.forms import UnlockForm
from measurelib.serve.models import AlertTask, Collection, hash_token

RESPOND_KEY = "serve_respond"
DONE_KEY = "serve_done"  # the form this session has just sent: {"pk", "alerts"}


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


def _open(collection: Collection | None) -> bool:
    return collection is not None and collection.state == "open"


def _submit(request: HttpRequest, collection: Collection, mode: str,
            data: Any) -> HttpResponse | None:
    """Validate and store the whole form (``data``: every answer saved); None when stored,
    else an error page. The claim on the collection makes it store once.
    """
    measure = lib.load_measure(collection.measure_id)
    try:
        submission = lib.parse_form(measure, data, check_required=True)
    except ml.DataError as exc:  # told in the form's language, question by question
        problems = lib.form_problems(measure, exc, words.lang_of(collection)[0])
        return render(request, "serve/respond_problem.html", words.context(
            collection, problems=problems, back=request.path), status=400)
    return store_claimed(request, collection, measure, submission, mode)


def store_claimed(request: HttpRequest, collection: Collection, measure: ml.Measure,
                  submission: Any, mode: str) -> HttpResponse | None:
    """Claim the collection (once) and store a parsed submission; None when stored, else
    the page saying why not (already used, or refused by the store: the claim is given back
    and the answers kept). Used by whole forms and finished adaptive tests alike.
    """
    now = timezone.now()
    with transaction.atomic():
        claimed = Collection.objects.filter(pk=collection.pk, used_at__isnull=True,
                                            revoked_at__isnull=True,
                                            expires_at__gt=now).update(used_at=now)
    if claimed != 1:
        return render(request, "serve/respond_closed.html",
                      words.context(collection, reason="used"), status=410)
    worker = collection.created_by.get_username() if collection.created_by else None
    try:
        stored = record(request, collection.person, measure, submission,
                        episode=collection.episode, timepoint=collection.timepoint, mode=mode,
                        worker=worker, date=timezone.localdate().isoformat(),
                        responsible=collection.person.key_worker or collection.created_by,
                        raised=raised_for(collection))
    except ml.DataError as exc:  # the store refused it: another form for this occasion, or
        # e.g. a timepoint the schedule does not declare
        Collection.objects.filter(pk=collection.pk).update(used_at=None)
        errors = list(getattr(exc, "errors", []))
        audit(request, "submission-refused", person=collection.person,
              detail=f"{measure.id} {collection.timepoint}: "
                     f"{', '.join(d.code for d in errors)}")
        conflict = any(d.code == "store-form-conflict" for d in errors)
        lang = words.lang_of(collection)[0]
        # the person is told in their form's language; what the store said otherwise
        # (e.g. a timepoint the schedule lacks) is for the worker, in English, marked so
        problems: list[Any] = [words.plain("stored_conflict", lang)] if conflict else [
            words.english(str(d.message), lang) for d in errors] + [
            words.plain("stored_kept", lang)]
        return render(request, "serve/respond_problem.html", words.context(
            collection, title=words.plain("stored_not_title", lang), problems=problems,
            back=request.path), status=409 if conflict else 400)
    except Exception:
        Collection.objects.filter(pk=collection.pk).update(used_at=None)
        raise
    # the answers are in the Store now: the partial copy goes
    Collection.objects.filter(pk=collection.pk).update(answers="")
    request.session[DONE_KEY] = {"pk": collection.pk,
                                 "alerts": [a.alert_id for a in stored.alerts]}
    return None


def _answer(request: HttpRequest, collection: Collection, mode: str) -> HttpResponse | str:
    """One page posted: save its answers, then go back, on, stop (``"saved"``) or send the
    whole form (``"stored"``).
    """
    measure = lib.load_measure(collection.measure_id)
    plan = pages.pages(measure, collection.paging)
    index = pages.page_index(request.POST.get("serve_page"), len(plan)) or 0
    nav = request.POST.get("serve_nav", "")
    if nav not in pages.NAVS:
        nav = "finish" if index == len(plan) - 1 else "next"
    answers = pages.merge(measure, pages.saved(collection), request.POST, plan[index])
    if not pages.keep(collection, answers):
        return render(request, "serve/respond_closed.html",
                      words.context(collection, reason="used"), status=410)
    if nav != "finish":
        raise_early(request, collection, measure, answers)
    if nav == "save":
        return "saved"
    if nav in ("back", "next"):  # only Send sends: Next on the last page stays there
        target = index - 1 if nav == "back" else min(index + 1, len(plan) - 1)
        return redirect(f"{request.path}?page={max(target, 0)}")
    problem = _submit(request, collection, mode, pages.final_data(measure, answers,
                                                                   request.POST))
    return problem if problem is not None else "stored"


def _show(request: HttpRequest, collection: Collection, action: str) -> HttpResponse:
    """The page of the form asked for (or where the person stopped), with the risk text of
    any alert the answers so far set off.
    """
    measure = lib.load_measure(collection.measure_id)
    count = len(pages.pages(measure, collection.paging))
    index = pages.page_index(request.GET.get("page"), count)
    if index is None:
        index = pages.first_open_page(measure, collection)
    fired = pages.alerts_so_far(measure, pages.saved(collection))
    notices = risk.for_person(collection.person.team, measure.id, fired,
                              words.lang_of(collection)[0]) if fired else []
    return pages.form_page(request, collection, action, index, notices)


def raised_for(collection: Collection) -> frozenset[str]:
    """The alerts already raised for this collection from its saved answers."""
    return frozenset(AlertTask.objects.filter(
        person=collection.person, measure_id=collection.measure_id,
        timepoint=collection.timepoint, created_at__gte=collection.created_at,
        text__endswith=EARLY).values_list("alert_id", flat=True))


EARLY = " (Raised from answers saved on a form not yet sent.)"


def raise_early(request: HttpRequest, collection: Collection, measure: ml.Measure,
                answers: dict[str, list[str]]) -> None:
    """An alert set off by answers saved on the way is raised at once (once): a person may
    never press *Send*, and a risk answer must still reach the worker the same day.
    """
    fired = set(pages.alerts_so_far(measure, answers)) - raised_for(collection)
    for alert in measure.alerts:
        if alert.id not in fired:
            continue
        task = AlertTask.objects.create(
            person=collection.person, team=collection.person.team,
            responsible=collection.person.key_worker or collection.created_by,
            measure_id=measure.id, timepoint=collection.timepoint, alert_id=alert.id,
            severity=alert.severity, text=(measure.text(alert.text) or alert.id) + EARLY)
        notify(request, task)
        audit(request, "alert-from-saved-answers", person=collection.person,
              detail=f"{measure.id} {collection.timepoint}: {alert.id}", username="")


def record(request: HttpRequest, person: Any, measure: ml.Measure, submission: Any, *,
           episode: str, timepoint: str, mode: str, worker: str | None, date: str,
           responsible: Any, raised: frozenset[str] = frozenset()) -> Any:
    """Store validated answers in the Store, raise the alerts they set off (except those in
    ``raised``: already raised from the answers saved on the way), and audit it.

    The alerts are those the Store reports for the form. A repeated submission (a retry
    after a lost connection, or after the process stopped between storing the form and
    making its tasks) makes the tasks still missing, never a second one.
    """
    stored = lib.store_submission(
        measure, submission, respondent_id=person.respondent_id, episode=episode,
        timepoint=timepoint, mode=mode, service=person.team.service, worker=worker,
        date=date)
    alerts = list(stored.alerts)
    if not stored.created:
        have = set(AlertTask.objects.filter(person=person, measure_id=measure.id,
                                            timepoint=timepoint)
                   .values_list("alert_id", flat=True))
        alerts = [a for a in alerts if a.alert_id not in have]
    for alert in alerts:
        if alert.alert_id in raised:
            continue
        task = AlertTask.objects.create(person=person, team=person.team,
                                        responsible=responsible, measure_id=measure.id,
                                        timepoint=timepoint, alert_id=alert.alert_id,
                                        severity=alert.severity, text=alert.text)
        notify(request, task)
    user = getattr(request, "user", None)
    audit(request, "submission", person=person,
          detail=f"{measure.id} {timepoint} by {mode}: "
                 f"{'stored' if stored.created else 'already stored for that date'}; "
                 f"{len(alerts)} alert(s)",
          username=user.get_username() if mode in ("paper", "telephone") and user is not None
          else "")
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
        return _closed(request, None, "unknown")
    if not _open(collection):
        return _closed(request, collection, collection.state)
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
        return _closed(request, None, "unknown")
    if not _open(collection):
        return _closed(request, collection, collection.state)
    if _cat.is_adaptive(collection.measure_id):  # one question at a time (serve/_cat.py)
        return _cat.page(request, collection, mode="online", action=reverse("serve:respond"),
                         done="serve:respond_thanks", session_key=RESPOND_KEY)
    if request.method == "POST":
        outcome = _answer(request, collection, "online")
        if outcome == "saved":
            return redirect("serve:respond_saved")
        if outcome == "stored":
            request.session.pop(RESPOND_KEY, None)
            return redirect("serve:respond_thanks")
        assert isinstance(outcome, HttpResponse)
        return outcome
    return _show(request, collection, reverse("serve:respond"))


def respond_saved(request: HttpRequest) -> HttpResponse:
    """After *Save and finish later* on a link: how to come back."""
    collection = _session_collection(request)
    if collection is None:
        return _closed(request, None, "unknown")
    return render(request, "serve/respond_saved.html", _saved(collection, tablet=False))


def _closed(request: HttpRequest, collection: Collection | None,
            reason: str) -> HttpResponse:
    """The page of a link that cannot be used (in its form's language when it is known)."""
    return render(request, "serve/respond_closed.html",
                  words.context(collection, reason=reason),
                  status=404 if reason == "unknown" else 410)


def _saved(collection: Collection, *, tablet: bool) -> dict[str, Any]:
    """The saved page's context: how to come back, with the link's end in the form's
    language (English: "4 December 2026, 23:59"; other languages: "2026-12-04 23:59").
    """
    ctx = words.context(collection, tablet=tablet)
    ends = timezone.localtime(collection.expires_at)
    when = (date_format(ends, "j F Y, H:i") if ctx["lang"].split("-")[0] == "en"
            else ends.strftime("%Y-%m-%d %H:%M"))
    # isolated left to right: "2026-12-04 23:59" must not be reordered in Arabic text
    ctx["come_back"] = words.say("saved_link", ctx["lang"],
                                 date=format_html('<bdi dir="ltr" class="when">{}</bdi>', when))
    return ctx


def respond_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "serve/respond_thanks.html", _thanks(request, tablet=False))


def _done(request: HttpRequest) -> tuple[Collection, list[str]] | None:
    """The form this session has just sent, and the alerts it set off (None: none sent
    here in the last hour).
    """
    done = request.session.get(DONE_KEY)
    if not isinstance(done, dict):
        return None
    since = timezone.now() - dt.timedelta(hours=1)
    collection = Collection.objects.select_related("person", "person__team").filter(
        pk=done.get("pk"), used_at__gt=since).first()
    if collection is None:
        return None
    return collection, [str(a) for a in done.get("alerts") or []]


def _thanks(request: HttpRequest, *, tablet: bool) -> dict[str, Any]:
    found = _done(request)
    if found is None:
        # the language of the form just sent is not known: that of a link still in hand
        return words.context(_session_collection(request) if not tablet
                             else _tablet_collection(request),
                             tablet=tablet, risk=[], feedback=False)
    collection, alerts = found
    team = collection.person.team
    ctx = words.context(collection, tablet=tablet, feedback=team.respondent_feedback)
    ctx["risk"] = risk.for_person(team, collection.measure_id, alerts, ctx["lang"])
    return ctx


def _feedback_page(request: HttpRequest, back: str) -> HttpResponse:
    """The person's own feedback sheet for the form this session has just sent; only
    where their team allows it, and only ever for that form's person.
    """
    found = _done(request)
    if found is None or not found[0].person.team.respondent_feedback:
        return _closed(request, None, "unknown")
    collection = found[0]
    lang = words.lang_of(collection)[0]
    try:
        page = lib.feedback_html(collection.measure_id, collection.person.respondent_id)
    except (ml.MeasurelibError, ValueError):
        return render(request, "serve/respond_problem.html", words.context(
            collection, title=words.plain("results_not_ready", lang),
            problems=[words.plain("results_with_worker", lang)], back=back), status=200)
    audit(request, "respondent-feedback", person=collection.person,
          detail=collection.measure_id, username="")
    link = f'<p class="back-link"><a href="{back}">{words.say("nav_back", lang)}</a></p>'
    page = page.replace("</body>", link + "</body>", 1)
    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = form_policy(page)
    return response


def respond_feedback(request: HttpRequest) -> HttpResponse:
    """A link respondent's own feedback sheet (after the thank-you)."""
    return _feedback_page(request, reverse("serve:respond_thanks"))


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
        outcome = _answer(request, collection, "tablet")
        if outcome == "saved":
            return redirect("serve:tablet_saved")
        if outcome == "stored":
            return redirect("serve:tablet_done")
        assert isinstance(outcome, HttpResponse)
        return outcome
    return _show(request, collection, reverse("serve:tablet_form"))


def tablet_done(request: HttpRequest) -> HttpResponse:
    if _tablet_collection(request) is None:
        return redirect("serve:dashboard")
    return render(request, "serve/respond_thanks.html", _thanks(request, tablet=True))


def tablet_saved(request: HttpRequest) -> HttpResponse:
    """After *Save and finish later* on a tablet: hand the device back."""
    collection = _tablet_collection(request)
    if collection is None:
        return redirect("serve:dashboard")
    return render(request, "serve/respond_saved.html", _saved(collection, tablet=True))


def tablet_feedback(request: HttpRequest) -> HttpResponse:
    """The person's own feedback sheet on the tablet, for the form just sent on it."""
    collection = _tablet_collection(request)
    found = _done(request)
    if collection is None or found is None or found[0].pk != collection.pk:
        return redirect("serve:dashboard")
    return _feedback_page(request, reverse("serve:tablet_done"))


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
