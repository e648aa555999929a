"""Who may do what: roles, team scoping, the per-view permission check and the audit log.

Roles (one per member of staff):

============== ===============================================================
administrator  everything, in every team; staff accounts, teams, audit log
lead           their teams' people, collection, alerts and due lists; the
               teams' measures and schedules; reports
worker         their teams' people (caseload), collection, alerts, due lists
viewer         aggregate reports of their teams only (small numbers suppressed)
============== ===============================================================

A person of another team is answered with 404, exactly as a person who does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden

from measurelib.serve.models import AuditEvent, Person, Team

__all__ = ["PEOPLE_ROLES", "REPORT_ROLES", "audit", "context", "person_for", "role_of",
           "role_required", "teams_of"]

PEOPLE_ROLES = ("administrator", "lead", "worker")
REPORT_ROLES = ("administrator", "lead", "viewer")


def role_of(user: Any) -> str | None:
    """The user's role, or None (not logged in, or no staff profile)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    profile = getattr(user, "staff", None)
    return profile.role if profile is not None else None


def teams_of(user: Any) -> QuerySet[Team]:
    """The teams whose data the user works with (every team for an administrator)."""
    role = role_of(user)
    if role is None:
        return Team.objects.none()
    if role == "administrator":
        return Team.objects.all()
    return Team.objects.filter(staff__user=user)


def people_of(user: Any) -> QuerySet[Person]:
    """The people the user may see (none for viewers)."""
    if role_of(user) not in PEOPLE_ROLES:
        return Person.objects.none()
    return Person.objects.filter(team__in=teams_of(user)).select_related("team", "key_worker")


def person_for(request: HttpRequest, respondent_id: str) -> Person:
    """The person with this id, if the user may see them; otherwise 404 (never 403, so that
    ids of other teams' people are not confirmed).
    """
    try:
        return people_of(request.user).get(respondent_id=respondent_id)
    except Person.DoesNotExist:
        raise Http404("no such person") from None


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def audit(request: HttpRequest | None, action: str, *, person: Person | str | None = None,
          team: Team | str | None = None, detail: str = "", username: str | None = None) -> None:
    """Append an event to the audit log."""
    user = getattr(request, "user", None) if request is not None else None
    name = username if username is not None else (
        user.get_username() if user is not None and user.is_authenticated else "")
    if isinstance(person, Person):
        team = team or person.team
        person = person.respondent_id
    AuditEvent.objects.create(
        username=name[:150], action=action[:32], person=(person or "")[:64],
        team=(team.service if isinstance(team, Team) else (team or ""))[:128],
        detail=detail, ip=_client_ip(request) if request is not None else "",
        path=(request.path if request is not None else "")[:300])


def role_required(*roles: str) -> Callable[[Callable[..., HttpResponse]],
                                             Callable[..., HttpResponse]]:
    """Allow the view to logged-in staff with one of ``roles`` (others: login or 403)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if _needs_second_factor(request):
                from django.shortcuts import redirect

                return redirect("serve:otp_verify")
            if role_of(request.user) not in roles:
                return HttpResponseForbidden("You do not have access to this page.")
            return view(request, *args, **kwargs)

        wrapped.roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator


def _needs_second_factor(request: HttpRequest) -> bool:
    """True when the user has a confirmed TOTP device but has not verified it this session."""
    from django_otp import user_has_device

    user = request.user
    verified = getattr(user, "is_verified", lambda: False)()
    return bool(user_has_device(user, confirmed=True)) and not verified


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context: the user's role and the organisation's name."""
    from django.conf import settings

    return {"role": role_of(getattr(request, "user", None)),
            "organisation": settings.MEASURELIB_SERVE.organisation}
