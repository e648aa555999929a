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
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

PAGING = (
    ("page", "The whole form on one page"),
    ("question", "One question per page"),
)
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
    respondent_risk_text = models.TextField(
        blank=True, default="",
        help_text="What a person sees when they give an answer that raises an alert (who to "
                  "contact, and how quickly). Empty: the built-in text (999, Samaritans, "
                  "NHS 111).")
    paging = models.CharField(
        max_length=16, default="page", choices=PAGING,
        help_text="How the forms of this team are shown to the person answering.")
    paging_by_measure = models.TextField(
        blank=True, default="",
        help_text="Exceptions, one per line: `measure: question` or `measure: page`.")
    respondent_feedback = models.BooleanField(
        default=False,
        help_text="After the thank-you, offer the person their own feedback sheet.")
    created_at = models.DateTimeField(default=timezone.now)
    retention_months = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(1200)],
        help_text="Keep the forms of an episode for this many months after it is closed; "
                  "then `measurelib serve retention` removes them. Empty: keep them.")
    retention_action = models.CharField(
        max_length=16, default="delete", blank=True,
        choices=(("delete", "Delete them"),
                 ("anonymise", "Anonymise them (kept for reports, with no id)")),
        help_text="What retention does with the forms of an episode past the period.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def measure_ids(self) -> list[str]:
        """The catalog ids of the team's measures, in order."""
        return [m.strip() for m in self.measures.replace(",", "\n").splitlines() if m.strip()]

    def paging_for(self, measure_id: str) -> str:
        """``page`` or ``question``: how a measure's form is shown (the team's setting, or
        the measure's own line in ``paging_by_measure``).
        """
        for line in self.paging_by_measure.splitlines():
            mid, _, how = line.partition(":")
            if mid.strip() == measure_id and how.strip() in dict(PAGING):
                return how.strip()
        return self.paging


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
    paging = models.CharField(max_length=16, default="page", choices=PAGING)
    #: answers saved so far (JSON: column -> list of values), until the form is sent
    answers = models.TextField(blank=True, default="")
    saved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def n_answered(self) -> int:
        """How many questions have saved answers (0 once the form is sent)."""
        import json

        try:
            return len(json.loads(self.answers)) if self.answers else 0
        except ValueError:
            return 0

    @property
    def partial(self) -> bool:
        """Whether answers were saved but the form was never sent (a partial form)."""
        return self.used_at is None and bool(self.answers)

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

    @property
    def risk(self) -> dict[str, str]:
        """The team's risk text for this alert (``worker``) and what the person was shown
        (``person``).
        """
        from measurelib.serve._risk import for_task

        return for_task(self)


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
    #: how the answers were given: on a paper form (keyed twice) or by telephone (keyed
    #: once, as the person answers); the Store's mode of the administration
    mode = models.CharField(max_length=16, default="paper",
                            choices=(("paper", "paper"), ("telephone", "telephone")))
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
        if self.mode == "telephone":
            return "telephone, to key"
        if not self.first:
            return "first keying"
        if not self.second:
            return "second keying"
        return "differences to reconcile"


API_SCOPES = (
    ("measures:read", "List measures and read their FHIR Questionnaires"),
    ("responses:write", "Send answers for the team's people"),
    ("responses:read", "Read the team's forms (answers) as FHIR"),
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


class FhirReceipt(models.Model):
    """A FHIR QuestionnaireResponse received through the API, by its ``identifier``: the
    same identifier sent again is answered from here and stored once.
    """

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    identifier = models.CharField(max_length=400)
    content_sha256 = models.CharField(max_length=64)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="fhir_receipts")
    measure_id = models.CharField(max_length=64)
    timepoint = models.CharField(max_length=64)
    administration = models.IntegerField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "identifier"],
                                               name="serve_fhir_receipt_unique")]


class ComposerDraft(models.Model):
    """A bespoke measure being composed by a lead: its composer YAML (the one source of
    truth; every edit in the guided composer rewrites it), kept until published or deleted.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="drafts")
    measure_id = models.CharField(max_length=64)
    text = models.TextField(help_text="The composer definition (measurelib YAML).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]


class PublishedMeasure(models.Model):
    """One published version of a bespoke measure: the built, locked definition. Immutable:
    a version once published never changes (a change is a new version).
    """

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="published")
    measure_id = models.CharField(max_length=64, db_index=True)
    version = models.CharField(max_length=32)
    title = models.CharField(max_length=300)
    composer = models.TextField(help_text="The composer definition it was built from.")
    built = models.TextField(help_text="The built definition (``measurelib build``).")
    sha256 = models.CharField(max_length=64)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["measure_id", "-published_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["measure_id", "version"],
                                               name="serve_published_unique")]

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Add the version; a version already published cannot be changed."""
        if self.pk is not None:
            raise PermissionError("a published measure version is immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        """Refuse: a published version may have answers stored against it."""
        raise PermissionError("a published measure version is immutable")


class RiskText(models.Model):
    """A team's own text for one declared alert (``measure_id/alert_id``): for the person
    who set it off, and for the worker's alert task. Empty texts fall back to the team's
    defaults.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="risk_texts")
    alert = models.CharField(max_length=130)
    respondent_text = models.TextField(blank=True, default="")
    worker_text = models.TextField(blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "alert"],
                                               name="serve_risktext_unique")]


class PrintedForm(models.Model):
    """A paper form printed for one person and timepoint, with a short code (and a QR code
    of its keying address) on it; keying by the code opens the right keying screen.
    """

    code = models.CharField(max_length=8, unique=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="printed")
    episode = models.CharField(max_length=16, default="1")
    measure_id = models.CharField(max_length=64)
    timepoint = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    entry = models.OneToOneField(PaperEntry, on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="printed")

    class Meta:
        ordering = ["-created_at"]

    ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

    @classmethod
    def new_code(cls) -> str:
        """Eight characters of an unambiguous alphabet (no 0/O, 1/I), not yet used."""
        while True:
            code = "".join(secrets.choice(cls.ALPHABET) for _ in range(8))
            if not cls.objects.filter(code=code).exists():
                return code

    @staticmethod
    def normalise(text: str) -> str:
        """A code as typed (any case, with spaces or a dash) in its stored form."""
        return "".join(ch for ch in text.upper() if ch.isalnum())[:32]

    @property
    def display(self) -> str:
        """The code as printed: two groups of four."""
        return f"{self.code[:4]}-{self.code[4:]}"


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


class AssessmentReport(models.Model):
    """A computed assessment report of an organisation's own measure for one team: the HTML
    (and the PDF once asked for), kept for exactly the data it was made from — the measure
    version (its fingerprint) and a digest of the responses used — so the same data is
    never assessed twice. Aggregates only: it holds no person's id or answer.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    measure_id = models.CharField(max_length=64)
    version = models.CharField(max_length=32)
    sha256 = models.CharField(max_length=64)
    data_sha256 = models.CharField(max_length=64)
    n = models.IntegerField()
    html = models.TextField()
    pdf = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["team", "measure_id", "version", "sha256", "data_sha256"],
            name="serve_assessment_report_unique")]
