"""The service's own tables (Django ORM), beside the measurelib Store's tables in the same
database. Responses, administrations and scores live only in the Store; these tables hold
who may see what, people's contact details and consent, collection tokens, alert tasks
and the audit log. Tables are prefixed ``serve_``.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

ROLES = (
    ("administrator", "Administrator"),
    ("lead", "Lead"),
    ("worker", "Worker"),
    ("viewer", "Viewer (reports only)"),
)
CONSENT = (
    ("not_asked", "Not asked yet"),
    ("given", "Given"),
    ("declined", "Declined"),
    ("withdrawn", "Withdrawn"),
)


def hash_token(token: str) -> str:
    """The stored form of a single-use token: its SHA-256 (the token itself is never kept)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A new token (256 random bits, URL-safe) and its hash."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


class Team(models.Model):
    """A team or service; people, alerts and reports belong to one team."""

    name = models.CharField(max_length=128, unique=True)
    service = models.SlugField(
        max_length=128, unique=True,
        help_text="The service name stored with each administration (letters, digits, -).")
    measures = models.TextField(
        blank=True, default="",
        help_text="Catalog ids of the measures this team collects, one per line.")
    schedule = models.TextField(
        blank=True, default="",
        help_text="When measures fall due (measurelib schedule YAML).")
    risk_text = models.TextField(
        blank=True, default="",
        help_text="Your risk procedure and contacts, shown with every alert.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def measure_ids(self) -> list[str]:
        """The catalog ids of the team's measures, in order."""
        return [m.strip() for m in self.measures.replace(",", "\n").splitlines() if m.strip()]


class StaffProfile(models.Model):
    """A member of staff: one role, and the teams whose data they work with."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="staff")
    role = models.CharField(max_length=16, choices=ROLES)
    teams = models.ManyToManyField(Team, related_name="staff", blank=True)

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.role})"


class Person(models.Model):
    """Someone a team works with, known by a pseudonymous id; contact details optional."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="people")
    respondent_id = models.CharField(max_length=64, unique=True)
    key_worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="caseload")
    name = models.CharField(max_length=200, blank=True, default="")
    phone = models.CharField(max_length=40, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    consent = models.CharField(max_length=16, choices=CONSENT, default="not_asked")
    consent_scope = models.TextField(blank=True, default="")
    consent_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")

    class Meta:
        ordering = ["respondent_id"]

    def __str__(self) -> str:
        return self.respondent_id

    @staticmethod
    def new_id() -> str:
        """A pseudonymous id: P- and 8 characters of an unambiguous alphabet."""
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        while True:
            rid = "P-" + "".join(secrets.choice(alphabet) for _ in range(8))
            if not Person.objects.filter(respondent_id=rid).exists():
                return rid


class Episode(models.Model):
    """An episode of care: measures fall due from its opening and at its closing."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="episodes")
    number = models.CharField(max_length=16)
    opened_on = models.DateField(default=timezone.localdate)
    closed_on = models.DateField(null=True, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, related_name="+")

    class Meta:
        ordering = ["person", "opened_on", "number"]
        constraints = [models.UniqueConstraint(fields=["person", "number"],
                                               name="serve_episode_unique")]

    def __str__(self) -> str:
        return f"{self.person.respondent_id} episode {self.number}"


class Collection(models.Model):
    """One form to be answered: by a tablet hand-over or by a single-use link.

    A link's token is shown once when made; only its SHA-256 is stored.
    """

    KINDS = (("tablet", "Tablet hand-over"), ("link", "Link"))
    kind = models.CharField(max_length=8, choices=KINDS)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="collections")
    episode = models.CharField(max_length=16, default="1")
    measure_id = models.CharField(max_length=64)
    timepoint = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    lang = models.CharField(max_length=16, blank=True, default="")
    variant = models.CharField(max_length=16, default="standard",
                               choices=(("standard", "Standard"), ("large_print", "Large print"),
                                        ("easy_read", "Easy read")))
    respondent = models.CharField(max_length=8, default="self",
                                  choices=(("self", "The person"),
                                           ("proxy", "A carer, for the person")))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def state(self) -> str:
        """``open``, ``completed``, ``withdrawn`` or ``expired``."""
        if self.used_at is not None:
            return "completed"
        if self.revoked_at is not None:
            return "withdrawn"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"


class SetupToken(models.Model):
    """The one-time link that creates the first administrator."""

    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)


class AlertTask(models.Model):
    """A risk answer to act on: open until someone records the action taken."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="alerts")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="alerts")
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="alert_tasks")
    measure_id = models.CharField(max_length=64)
    timepoint = models.CharField(max_length=64)
    alert_id = models.CharField(max_length=64)
    severity = models.CharField(max_length=16)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    action_taken = models.TextField(blank=True, default="")
    actioned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    actioned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["actioned_at", "-created_at"]


class AuditEvent(models.Model):
    """Who viewed or changed whose data, and when. Append-only: rows are never changed."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    username = models.CharField(max_length=150, blank=True, default="")
    action = models.CharField(max_length=32)
    person = models.CharField(max_length=64, blank=True, default="", db_index=True)
    team = models.CharField(max_length=128, blank=True, default="")
    detail = models.TextField(blank=True, default="")
    ip = models.CharField(max_length=64, blank=True, default="")
    path = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Add the event; an event already stored cannot be changed."""
        if self.pk is not None:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        """Refuse: events are never deleted."""
        raise PermissionError("the audit log is append-only")


class PaperEntry(models.Model):
    """A paper form keyed twice by hand; stored in the Store once both keyings agree (or
    the differences are reconciled). The keyed answers are cleared once stored.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="paper")
    episode = models.CharField(max_length=16, default="1")
    measure_id = models.CharField(max_length=64)
    timepoint = models.CharField(max_length=64)
    completed_on = models.DateField()
    first = models.TextField(blank=True, default="")
    first_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")
    second = models.TextField(blank=True, default="")
    second_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    stored_at = models.DateTimeField(null=True, blank=True)
    stored_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    @property
    def state(self) -> str:
        """Where the keying is: first, second, differences, stored."""
        if self.stored_at is not None:
            return "stored"
        if not self.first:
            return "first keying"
        if not self.second:
            return "second keying"
        return "differences to reconcile"


API_SCOPES = (
    ("measures:read", "List measures and read their FHIR Questionnaires"),
    ("responses:write", "Send answers for the team's people"),
    ("scores:read", "Read the team's people's scores"),
)


class ApiClient(models.Model):
    """A system that uses the JSON API for one team, with a bearer token (stored hashed)
    and the scopes it may use.
    """

    name = models.CharField(max_length=100, unique=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="api_clients")
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def has_scope(self, scope: str) -> bool:
        """Whether the client may use ``scope``."""
        return scope in self.scopes.split()


class CatAdministration(models.Model):
    """An adaptive test under way (or finished): the engine's state with the answers so far
    (``measurelib.cat.Session.to_dict()``), kept server-side and deleted with the person.

    From the web form it belongs to a :class:`Collection`; through the FHIR
    ``Questionnaire/$next-question`` operation to an API client and the
    QuestionnaireResponse's id (``reference``).
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE,
                               related_name="cat_administrations")
    collection = models.OneToOneField(Collection, on_delete=models.CASCADE, null=True,
                                      blank=True, related_name="cat")
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+")
    reference = models.CharField(max_length=64, unique=True, null=True, blank=True)
    measure_id = models.CharField(max_length=64)
    score_id = models.CharField(max_length=64)
    episode = models.CharField(max_length=16, default="1")
    timepoint = models.CharField(max_length=64)
    state = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
