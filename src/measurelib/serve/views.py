"""Staff pages. Each view states the roles it allows (``role_required``); people are looked
up only among the user's teams (``person_for``) and every view or change of a person's data
is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

import measurelib as ml
from measurelib.serve import _library as lib
from measurelib.serve._auth import (
    PEOPLE_ROLES,
    REPORT_ROLES,
    audit,
    people_of,
    person_for,
    role_of,
    role_required,
    teams_of,
)
from measurelib.serve._due import due_for_team
from measurelib.serve._middleware import TABLET_KEY
from measurelib.serve._paper import paper_form
from measurelib.serve._telephone import telephone_form
from measurelib.serve.forms import (
    AccountForm,
    AlertActionForm,
    CloseEpisodeForm,
    CollectForm,
    EpisodeForm,
    NewPersonForm,
    OfferForm,
    OtpForm,
    PersonForm,
    StaffEditForm,
    StaffForm,
    TeamForm,
)
from measurelib.serve.models import (
    AlertTask,
    AuditEvent,
    Collection,
    Episode,
    Person,
    SetupToken,
    StaffProfile,
    hash_token,
    new_token,
)

ALL_ROLES = ("administrator", "lead", "worker", "viewer")


def _cfg() -> Any:
    return settings.MEASURELIB_SERVE


# ---------------------------------------------------------------- plumbing
@functools.lru_cache(maxsize=1)
def _css() -> bytes:
    from pathlib import Path

    return (Path(__file__).parent / "static" / "serve.css").read_bytes()


def stylesheet(request: HttpRequest) -> HttpResponse:
    """The service's one stylesheet."""
    response = HttpResponse(_css(), content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The page shown when a form arrives without a valid CSRF token."""
    return render(request, "serve/message.html", {
        "title": "The form has expired",
        "text": "For your security this form could not be accepted (it was sent without a "
                "valid security token, or it is too old). Go back, reload the page and try "
                "again."}, status=403)


def locked_out(request: HttpRequest, credentials: Any = None, *args: Any,
               **kwargs: Any) -> HttpResponse:
    """The page shown to an account locked after repeated failed logins."""
    return render(request, "serve/message.html", {
        "title": "Too many failed attempts",
        "text": f"This account is locked for {_cfg().lockout_minutes} minutes after repeated "
                "failed logins. Try again later, or ask an administrator to unlock it."},
        status=429)


class ServiceLoginView(LoginView):
    """The login page (Django's, with the lock-out of django-axes)."""

    template_name = "serve/login.html"
    redirect_authenticated_user = True


@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time link printed on first run: create the first administrator."""
    now = timezone.now()
    row = SetupToken.objects.filter(token_hash=hash_token(token), used_at__isnull=True,
                                    expires_at__gt=now).first()
    if row is None or StaffProfile.objects.filter(role="administrator").exists():
        return render(request, "serve/message.html", {
            "title": "This set-up link cannot be used",
            "text": "It has been used already or has expired. Run `measurelib serve` again "
                    "on the server for a new one (only while there is no administrator)."},
            status=410)
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if SetupToken.objects.filter(pk=row.pk, used_at__isnull=True).update(
                    used_at=now) != 1:
                raise Http404
            user = get_user_model().objects.create_user(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"])
            StaffProfile.objects.create(user=user, role="administrator")
        audit(request, "staff-created", detail=f"first administrator {user.get_username()}",
              username=user.get_username())
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("serve:manage_teams")
    return render(request, "serve/setup.html", {"form": form})


# ---------------------------------------------------------------- dashboard
@role_required(*ALL_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    """Open alerts first, then what is due; viewers go to the reports."""
    role = role_of(request.user)
    if role == "viewer":
        return redirect("serve:reports")
    teams = list(teams_of(request.user))
    alerts = list(AlertTask.objects.filter(team__in=teams, actioned_at__isnull=True)
                  .select_related("person", "responsible").order_by("-created_at"))
    alerts.sort(key=lambda a: a.responsible_id != request.user.pk)
    mine = request.GET.get("mine") == "1"
    due = [d for d in _due_rows(teams)
           if not mine or d.person.key_worker_id == request.user.pk]
    audit(request, "view-dashboard", detail=f"{len(alerts)} open alert(s), {len(due)} due")
    return render(request, "serve/dashboard.html", {"alerts": alerts, "due": due[:200],
                                                    "mine": mine, "teams": teams})


# ---------------------------------------------------------------- people
@role_required(*PEOPLE_ROLES)
def people(request: HttpRequest) -> HttpResponse:
    """The people of the user's teams, searchable by id."""
    qs = people_of(request.user)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(respondent_id__icontains=q)
    audit(request, "view-people", detail=f"list ({qs.count()})")
    return render(request, "serve/people.html", {"people": qs[:500], "q": q})


@role_required(*PEOPLE_ROLES)
@require_http_methods(["GET", "POST"])
def person_new(request: HttpRequest) -> HttpResponse:
    """Register a person (a pseudonymous id is made) and open episode 1."""
    teams = teams_of(request.user)
    initial = {"key_worker": request.user.pk} if role_of(request.user) in ("worker", "lead") \
        else {}
    form = NewPersonForm(request.POST or None, teams=teams, initial=initial)
    if request.method == "POST" and form.is_valid():
        person = form.save(commit=False)
        if not teams.filter(pk=person.team.pk).exists():
            raise Http404
        person.respondent_id = Person.new_id()
        person.created_by = request.user
        person.save()
        ep = Episode.objects.create(person=person, number="1", opened_by=request.user,
                                    opened_on=timezone.localdate())
        lib.open_episode(person.respondent_id, ep.number, person.team.service, ep.opened_on)
        audit(request, "person-created", person=person)
        messages.success(request, f"Registered {person.respondent_id}; episode 1 opened.")
        return redirect("serve:person", respondent_id=person.respondent_id)
    return render(request, "serve/person_new.html", {"form": form})


def _collect_form(person: Person, data: Any = None) -> CollectForm:
    titles = dict(lib.collectable_measures())
    measures = [(m, titles.get(m, m)) for m in person.team.measure_ids() if m in titles]
    # closed episodes stay on the list: their exit measures are collected after closing
    episodes = [e.number for e in person.episodes.order_by("-opened_on", "-pk")] or ["1"]
    languages = sorted({code for mid, _ in measures
                        for code in lib.load_measure(mid).all_languages})
    return CollectForm(data, measures=measures, episodes=episodes, languages=languages,
                       initial={"episode": episodes[0]})


@role_required(*PEOPLE_ROLES)
def person(request: HttpRequest, respondent_id: str) -> HttpResponse:
    """A person's page: details, collection, paper keying, timeline, episodes, alerts."""
    p = person_for(request, respondent_id)
    audit(request, "view-person", person=p)
    return render(request, "serve/person.html", {
        "person": p, "timeline": lib.person_scores(p.respondent_id),
        "episodes": p.episodes.all(), "collections": p.collections.all()[:50],
        "alerts": p.alerts.all()[:50], "collect": _collect_form(p),
        "paper": paper_form(p), "paper_entries": p.paper.filter(stored_at__isnull=True),
        "telephone": telephone_form(p),
        "due": [d for d in due_for_team(p.team) if d.person.pk == p.pk],
        "episode_form": EpisodeForm(initial={"opened_on": timezone.localdate()}),
        "close_form": CloseEpisodeForm(initial={"closed_on": timezone.localdate()}),
    })


@role_required(*PEOPLE_ROLES)
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, respondent_id: str) -> HttpResponse:
    """Change a person's key worker, contact details and consent."""
    p = person_for(request, respondent_id)
    form = PersonForm(request.POST or None, instance=p, team=p.team)
    if request.method == "POST" and form.is_valid():
        changed = ", ".join(form.changed_data)
        form.save()
        audit(request, "person-changed", person=p, detail=f"changed: {changed}")
        return redirect("serve:person", respondent_id=p.respondent_id)
    audit(request, "view-person-details", person=p)
    return render(request, "serve/person_edit.html", {"person": p, "form": form})


@role_required("administrator")
def person_export(request: HttpRequest, respondent_id: str) -> HttpResponse:
    """Subject access: everything held about one person, as one JSON document."""
    import json

    from django.forms.models import model_to_dict

    from measurelib.serve._fhir_export import person_bundles

    p = person_for(request, respondent_id)

    def rows(qs: Any, exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        return [{k: v for k, v in model_to_dict(o).items() if k not in exclude}
                | {"id": o.pk} for o in qs]

    doc = {
        "respondent_id": p.respondent_id,
        "exported_at": timezone.now().isoformat(),
        "team": p.team.name,
        "person": {k: v for k, v in model_to_dict(p).items() if k != "id"}
        | {"created_at": p.created_at},
        "episodes": rows(p.episodes.all()),
        "collections": rows(p.collections.all(), ("token_hash",)),
        "alerts": rows(p.alerts.all()),
        "paper_forms": rows(p.paper.all(), ("first", "second")),
        "fhir_receipts": rows(p.fhir_receipts.all()),
        "printed_forms": rows(p.printed.all()),
        "store": lib.person_records(p.respondent_id),
        "fhir": person_bundles(p.respondent_id),
        "audit": list(AuditEvent.objects.filter(person=p.respondent_id).values(
            "at", "username", "action", "detail")),
    }
    audit(request, "subject-access-export", person=p)
    response = HttpResponse(json.dumps(doc, default=str, indent=2, ensure_ascii=False),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{p.respondent_id}.json"'
    return response


@role_required("administrator")
@require_POST
def person_erase_contact(request: HttpRequest, respondent_id: str) -> HttpResponse:
    """Erase what identifies a person (name, phone, e-mail, notes) and withdraw open links;
    the pseudonymous record, their forms in the Store and the audit trail stay.
    """
    p = person_for(request, respondent_id)
    Person.objects.filter(pk=p.pk).update(name="", phone="", email="", notes="",
                                          consent="withdrawn")
    Collection.objects.filter(person=p, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    audit(request, "contact-erased", person=p)
    messages.success(request, f"Contact details of {p.respondent_id} erased; open links "
                              "withdrawn.")
    return redirect("serve:person", respondent_id=p.respondent_id)


@role_required(*PEOPLE_ROLES)
@require_POST
def episode_open(request: HttpRequest, respondent_id: str) -> HttpResponse:
    """Open a new episode for a person."""
    p = person_for(request, respondent_id)
    form = EpisodeForm(request.POST)
    if form.is_valid():
        numbers = [int(e.number) for e in p.episodes.all() if e.number.isdigit()]
        number = str(max(numbers, default=0) + 1)
        Episode.objects.create(person=p, number=number, opened_by=request.user,
                               opened_on=form.cleaned_data["opened_on"])
        lib.open_episode(p.respondent_id, number, p.team.service,
                         form.cleaned_data["opened_on"])
        audit(request, "episode-opened", person=p, detail=f"episode {number}")
        messages.success(request, f"Episode {number} opened.")
    else:
        messages.error(request, "Give the start date as YYYY-MM-DD.")
    return redirect("serve:person", respondent_id=p.respondent_id)


@role_required(*PEOPLE_ROLES)
@require_POST
def episode_close(request: HttpRequest, respondent_id: str, number: str) -> HttpResponse:
    """Close an episode (its exit measures fall due)."""
    p = person_for(request, respondent_id)
    ep = get_object_or_404(Episode, person=p, number=number)
    form = CloseEpisodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the end date as YYYY-MM-DD.")
        return redirect("serve:person", respondent_id=p.respondent_id)
    ep.closed_on = form.cleaned_data["closed_on"]
    ep.save(update_fields=["closed_on"])
    lib.close_episode(p.respondent_id, ep.number, p.team.service, ep.opened_on, ep.closed_on)
    audit(request, "episode-closed", person=p, detail=f"episode {ep.number}")
    messages.success(request, f"Episode {ep.number} closed; exit measures now fall due.")
    return redirect("serve:person", respondent_id=p.respondent_id)


@role_required(*PEOPLE_ROLES)
@require_POST
def collect(request: HttpRequest, respondent_id: str) -> HttpResponse:
    """Start a tablet hand-over, or make a single-use link (shown once)."""
    p = person_for(request, respondent_id)
    form = _collect_form(p, request.POST)
    if not form.is_valid():
        return render(request, "serve/message.html", {
            "title": "The form could not be started",
            "text": "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())},
            status=400)
    data = form.cleaned_data
    now = timezone.now()
    shown = {"lang": data.get("lang") or "", "variant": data["variant"],
             "respondent": data["respondent"],
             "paging": p.team.paging_for(data["measure_id"])}
    if data["method"] == "tablet":
        c = Collection.objects.create(kind="tablet", person=p, episode=data["episode"],
                                      measure_id=data["measure_id"],
                                      timepoint=data["timepoint"], created_by=request.user,
                                      expires_at=now + dt.timedelta(hours=2), **shown)
        request.session[TABLET_KEY] = c.pk
        request.session.set_expiry(2 * 60 * 60)
        audit(request, "tablet-handover", person=p,
              detail=f"{c.measure_id} {c.timepoint}")
        return redirect("serve:tablet_form")
    token, digest = new_token()
    c = Collection.objects.create(kind="link", person=p, episode=data["episode"],
                                  measure_id=data["measure_id"], timepoint=data["timepoint"],
                                  created_by=request.user, token_hash=digest,
                                  expires_at=now + dt.timedelta(days=int(_cfg().link_days)),
                                  **shown)
    audit(request, "link-created", person=p, detail=f"{c.measure_id} {c.timepoint}")
    base = _cfg().base_url.rstrip("/") or request.build_absolute_uri("/").rstrip("/")
    url = base + reverse("serve:open_link", kwargs={"token": token})
    from measurelib.serve._send import channels

    return render(request, "serve/link_made.html", {"person": p, "collection": c, "url": url,
                                                    "token": token, "channels": channels(p)})


@role_required(*PEOPLE_ROLES)
@require_POST
def link_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a single-use link not yet used."""
    c = get_object_or_404(Collection, pk=pk, kind="link",
                          person__in=people_of(request.user))
    Collection.objects.filter(pk=c.pk, used_at__isnull=True).update(revoked_at=timezone.now())
    audit(request, "link-withdrawn", person=c.person, detail=f"{c.measure_id} {c.timepoint}")
    return redirect("serve:person", respondent_id=c.person.respondent_id)


# ---------------------------------------------------------------- alerts
@role_required(*PEOPLE_ROLES)
@require_http_methods(["GET", "POST"])
def alert(request: HttpRequest, pk: int) -> HttpResponse:
    """An alert, the team's risk text, and the form to record the action taken."""
    task = get_object_or_404(AlertTask.objects.select_related("person", "team"), pk=pk,
                             team__in=teams_of(request.user))
    form = AlertActionForm(request.POST or None)
    if request.method == "POST" and task.actioned_at is None and form.is_valid():
        task.action_taken = form.cleaned_data["action_taken"]
        task.actioned_by = request.user
        task.actioned_at = timezone.now()
        task.save(update_fields=["action_taken", "actioned_by", "actioned_at"])
        audit(request, "alert-actioned", person=task.person, detail=f"alert {task.pk}")
        messages.success(request, "Action recorded.")
        return redirect("serve:dashboard")
    audit(request, "view-alert", person=task.person, detail=f"alert {task.pk}")
    return render(request, "serve/alert.html", {"task": task, "form": form})


# ---------------------------------------------------------------- due list
def _due_rows(teams: Any) -> list[Any]:
    rows = []
    for team in teams:
        offers = lib.offers_by_form(team.service)
        for item in due_for_team(team):
            item.offer = offers.get((item.person.respondent_id, item.episode,
                                     item.measure_id, item.timepoint))
            rows.append(item)
    rows.sort(key=lambda d: (d.status != "overdue", d.due_date))
    return rows


@role_required(*PEOPLE_ROLES)
def due(request: HttpRequest) -> HttpResponse:
    """Everything due or overdue in the user's teams, with what was offered."""
    from measurelib.serve._rates import rate_sections

    rows = _due_rows(teams_of(request.user))
    rates = rate_sections(teams_of(request.user), suppress=False, min_cell=_cfg().min_cell)
    audit(request, "view-due", detail=f"{len(rows)} due")
    return render(request, "serve/due.html", {"due": rows, "record": True, "rates": rates})


@role_required(*PEOPLE_ROLES)
@require_POST
def due_record(request: HttpRequest) -> HttpResponse:
    """Record that a due form was offered, declined or not possible."""
    form = OfferForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what happened.")
        return redirect("serve:due")
    data = form.cleaned_data
    p = person_for(request, data["respondent_id"])
    lib.record_offer(respondent_id=p.respondent_id, episode=data["episode"],
                     measure_id=data["measure_id"], timepoint=data["timepoint"],
                     status=data["status"], reason=data["reason"], service=p.team.service,
                     worker=request.user.get_username(),
                     date=timezone.localdate().isoformat())
    audit(request, "offer-recorded", person=p,
          detail=f"{data['measure_id']} {data['timepoint']}: {data['status']}")
    messages.success(request, f"Recorded for {p.respondent_id}.")
    return redirect("serve:due")


# ---------------------------------------------------------------- reports
@role_required(*REPORT_ROLES)
def reports(request: HttpRequest) -> HttpResponse:
    """Completion and change from baseline per team and measure, small numbers suppressed."""
    from measurelib.serve.models import PublishedMeasure

    cfg = _cfg()
    own = set(PublishedMeasure.objects.values_list("measure_id", flat=True))
    sections = []
    for team in teams_of(request.user):
        for mid in team.measure_ids():
            try:
                rep = lib.service_report(team.service, mid, int(cfg.min_cell))
            except (ml.MeasurelibError, ValueError, KeyError) as exc:
                rep = {"available": False, "reason": str(exc).splitlines()[0]}
            sections.append({"team": team, "measure_id": mid, "report": rep,
                             "own": mid in own})
    from measurelib.serve._rates import rate_sections

    by_worker = role_of(request.user) in ("administrator", "lead")
    rates = rate_sections(teams_of(request.user), suppress=role_of(request.user) == "viewer",
                          min_cell=cfg.min_cell)
    audit(request, "view-reports", detail=f"{len(sections)} section(s)")
    return render(request, "serve/reports.html", {"sections": sections,
                                                  "min_cell": cfg.min_cell,
                                                  "rates": rates,
                                                  "can_export": by_worker})


#: the scored-data downloads: suffix -> content type (written by ``interop.write_data``)
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
}


@role_required("administrator", "lead")
def scores_export(request: HttpRequest, pk: int, measure_id: str, fmt: str) -> HttpResponse:
    """Scored data of one team and measure as CSV, Excel, SPSS or Stata (pseudonymous ids
    only), written by the library's one writer: spreadsheet formulas neutralised, SPSS and
    Stata with the measure's variable and value labels.
    """
    import tempfile
    from pathlib import Path

    team = get_object_or_404(teams_of(request.user), pk=pk)
    if measure_id not in team.measure_ids() or fmt not in EXPORT_TYPES:
        raise Http404
    df = lib.scored_table(team.service, measure_id)
    df = df.assign(date=df["date"].dt.strftime("%Y-%m-%d")) if len(df) else df
    name = f"{team.service}-{measure_id}-scores.{fmt}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        ml.interop.write_data(df.reset_index(drop=True), path,
                              lib.load_measure(measure_id) if fmt in ("sav", "dta") else None)
        data = path.read_bytes()
    audit(request, "scores-exported", team=team,
          detail=f"{measure_id} as {fmt}: {len(df)} row(s)")
    response = HttpResponse(data, content_type=EXPORT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _document(page: str) -> HttpResponse:
    from measurelib.serve._respond import form_policy

    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = form_policy(page)
    return response


@role_required(*REPORT_ROLES)
def impact(request: HttpRequest, pk: int, measure_id: str, fmt: str) -> HttpResponse:
    """The impact report of one team and measure, in the browser or as PDF."""
    team = get_object_or_404(teams_of(request.user), pk=pk)
    if measure_id not in team.measure_ids() or fmt not in ("html", "pdf"):
        raise Http404
    cfg = _cfg()
    title = team.name  # the organisation's name (and logo) head the report
    try:
        if fmt == "pdf":
            data = lib.impact_pdf(team.service, measure_id, int(cfg.min_cell), title)
        else:
            page = lib.impact_html(team.service, measure_id, int(cfg.min_cell), title)
    except (ml.MeasurelibError, ValueError) as exc:
        return render(request, "serve/message.html", {
            "title": "No report yet", "text": str(exc).splitlines()[0]})
    except ImportError:
        return render(request, "serve/message.html", {
            "title": "PDF not available",
            "text": "PDF reports need WeasyPrint on the server (pip install "
                    "'measurelib[pdf]')."}, status=501)
    audit(request, "view-impact-report", team=team, detail=f"{measure_id} {fmt}")
    if fmt == "pdf":
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = (f'attachment; filename="{team.service}-'
                                           f'{measure_id}-impact.pdf"')
        return response
    return _document(page)


@role_required(*PEOPLE_ROLES)
def feedback(request: HttpRequest, respondent_id: str, measure_id: str) -> HttpResponse:
    """The person's own feedback sheet for a measure, to print or show them."""
    p = person_for(request, respondent_id)
    if measure_id not in p.team.measure_ids():
        raise Http404
    try:
        page = lib.feedback_html(measure_id, p.respondent_id)
    except (ml.MeasurelibError, ValueError) as exc:
        return render(request, "serve/message.html", {
            "title": "No feedback sheet yet", "text": str(exc).splitlines()[0]})
    audit(request, "view-feedback-sheet", person=p, detail=measure_id)
    return _document(page)


# ---------------------------------------------------------------- account
@role_required(*ALL_ROLES)
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """Change one's password; turn on the second factor."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        from django.contrib.auth import update_session_auth_hash

        update_session_auth_hash(request, user)
        request.session.cycle_key()
        audit(request, "password-changed")
        messages.success(request, "Password changed.")
        return redirect("serve:account")
    from django_otp.plugins.otp_totp.models import TOTPDevice

    has_totp = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    return render(request, "serve/account.html", {"form": form, "has_totp": has_totp})


@role_required(*ALL_ROLES)
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    """Turn on a second factor: an authenticator app's 6-digit codes (TOTP)."""
    import base64

    from django_otp import login as otp_login
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("serve:account")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="authenticator",
                                           confirmed=False)
    form = OtpForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit(request, "totp-enabled")
            messages.success(request, "Second factor turned on.")
            return redirect("serve:account")
        error = "That code is not right; check the time on your phone and try again."
    secret = base64.b32encode(device.bin_key).decode("ascii")
    return render(request, "serve/totp_setup.html", {"form": form, "secret": secret,
                                                      "uri": device.config_url,
                                                      "error": error})


@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the authenticator code after the password, when one is set up."""
    from django_otp import devices_for_user
    from django_otp import login as otp_login

    if not request.user.is_authenticated:
        return redirect("serve:login")
    form = OtpForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        for device in devices_for_user(request.user, confirmed=True):
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                audit(request, "totp-verified")
                return redirect("serve:dashboard")
        audit(request, "totp-failed")
        error = "That code is not right."
    return render(request, "serve/otp_verify.html", {"form": form, "error": error})


# ---------------------------------------------------------------- administration
@role_required("administrator")
@require_http_methods(["GET", "POST"])
def manage_staff(request: HttpRequest) -> HttpResponse:
    """List staff accounts and create one."""
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = get_user_model().objects.create_user(username=form.cleaned_data["username"],
                                                    password=form.cleaned_data["password1"],
                                                    email=form.cleaned_data["email"])
        profile = StaffProfile.objects.create(user=user, role=form.cleaned_data["role"])
        profile.teams.set(form.cleaned_data["teams"])
        audit(request, "staff-created",
              detail=f"{user.get_username()} as {profile.role}")
        messages.success(request, f"Account {user.get_username()} created.")
        return redirect("serve:manage_staff")
    staff = StaffProfile.objects.select_related("user").prefetch_related("teams").order_by(
        "user__username")
    return render(request, "serve/manage_staff.html", {"form": form, "staff": staff})


@role_required("administrator")
@require_http_methods(["GET", "POST"])
def manage_staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a member of staff's role, teams, e-mail and whether active."""
    profile = get_object_or_404(StaffProfile.objects.select_related("user"), pk=pk)
    form = StaffEditForm(request.POST or None, initial={
        "role": profile.role, "teams": profile.teams.all(), "active": profile.user.is_active,
        "email": profile.user.email})
    if request.method == "POST" and form.is_valid():
        if profile.user == request.user and (form.cleaned_data["role"] != "administrator"
                                             or not form.cleaned_data["active"]):
            messages.error(request, "You cannot remove your own administrator access.")
            return redirect("serve:manage_staff_edit", pk=pk)
        profile.role = form.cleaned_data["role"]
        profile.save(update_fields=["role"])
        profile.teams.set(form.cleaned_data["teams"])
        profile.user.is_active = form.cleaned_data["active"]
        profile.user.email = form.cleaned_data["email"]
        profile.user.save(update_fields=["is_active", "email"])
        if "unlock" in request.POST:
            from axes.utils import reset

            reset(username=profile.user.get_username())
        audit(request, "staff-changed", detail=f"{profile.user.get_username()}: "
              f"{profile.role}, active={profile.user.is_active}")
        messages.success(request, "Saved.")
        return redirect("serve:manage_staff")
    return render(request, "serve/manage_staff_edit.html", {"form": form, "profile": profile})


@role_required("administrator", "lead")
@require_http_methods(["GET", "POST"])
def manage_teams(request: HttpRequest) -> HttpResponse:
    """List teams; administrators create them."""
    is_admin = role_of(request.user) == "administrator"
    form = TeamForm(request.POST or None) if is_admin else None
    if request.method == "POST":
        if form is None:
            return HttpResponse("Only administrators create teams.", status=403)
        if form.is_valid():
            try:
                lib.check_schedule(form.cleaned_data["service"], form.cleaned_data["schedule"])
            except ml.MeasurelibError as exc:
                form.add_error("schedule", str(exc))
            else:
                team = form.save()
                audit(request, "team-created", team=team)
                return redirect("serve:manage_teams")
    return render(request, "serve/manage_teams.html", {
        "form": form, "teams": teams_of(request.user),
        "measures": lib.collectable_measures()})


@role_required("administrator", "lead")
@require_http_methods(["GET", "POST"])
def manage_team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a team's measures, schedule (checked by measurelib) and risk text."""
    team = get_object_or_404(teams_of(request.user), pk=pk)
    form = TeamForm(request.POST or None, instance=team)
    # the service name is stored with every form collected: it cannot change afterwards
    form.fields["service"].disabled = True
    if request.method == "POST" and form.is_valid():
        schedule = str(form.cleaned_data["schedule"])
        try:
            lib.check_schedule(form.cleaned_data["service"], schedule)
        except ml.MeasurelibError as exc:
            form.add_error("schedule", str(exc))
        else:
            form.save()
            audit(request, "team-changed", team=team, detail=", ".join(form.changed_data))
            messages.success(request, "Saved.")
            return redirect("serve:manage_teams")
    from measurelib.serve._retention import preview

    return render(request, "serve/manage_team_edit.html", {
        "form": form, "team": team, "measures": lib.collectable_measures(),
        "retention": preview(team)})


@role_required("administrator")
@require_http_methods(["GET", "POST"])
def manage_api_clients(request: HttpRequest) -> HttpResponse:
    """Clients of the JSON API: each gets a token, shown once."""
    from measurelib.serve.forms import ApiClientForm
    from measurelib.serve.models import ApiClient

    form = ApiClientForm(request.POST or None)
    token = None
    if request.method == "POST" and form.is_valid():
        if ApiClient.objects.filter(name=form.cleaned_data["name"]).exists():
            form.add_error("name", "That name is taken.")
        else:
            token, digest = new_token()
            client = ApiClient.objects.create(
                name=form.cleaned_data["name"], team=form.cleaned_data["team"],
                token_hash=digest, scopes=" ".join(form.cleaned_data["scopes"]),
                created_by=request.user)
            audit(request, "api-client-created", team=client.team,
                  detail=f"{client.name}: {client.scopes}")
            form = ApiClientForm()
    return render(request, "serve/manage_api_clients.html", {
        "form": form, "clients": ApiClient.objects.select_related("team"), "token": token})


@role_required("administrator")
@require_POST
def api_client_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw an API client's token."""
    from measurelib.serve.models import ApiClient

    client = get_object_or_404(ApiClient, pk=pk)
    ApiClient.objects.filter(pk=pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit(request, "api-client-withdrawn", team=client.team, detail=client.name)
    return redirect("serve:manage_api_clients")


@role_required("administrator")
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit log, newest first, optionally for one person."""
    events = AuditEvent.objects.all()
    who = request.GET.get("person", "").strip()
    if who:
        events = events.filter(person=who)
    return render(request, "serve/audit.html", {"events": events[:500], "person": who})
