"""Django forms of the service (validation, CSRF and escaping come from Django)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordMixin

from measurelib.serve.models import API_SCOPES, CONSENT, ROLES, Person, Team

_TIMEPOINT = forms.RegexField(
    regex=r"^[a-z][a-z0-9_-]{0,63}$", initial="baseline",
    help_text="e.g. baseline, review, exit (lowercase letters, digits, - or _)",
    error_messages={"invalid": "Use lowercase letters, digits, - or _, starting with a letter."})


class PersonForm(forms.ModelForm):
    """A person's key worker, contact details, consent and notes."""

    class Meta:
        model = Person
        fields = ["key_worker", "name", "phone", "email", "consent", "consent_scope",
                  "consent_date", "notes"]
        labels = {"name": "Name (optional)", "phone": "Phone (optional)",
                  "email": "E-mail (optional)", "consent_scope": "What consent covers",
                  "consent_date": "Date consent recorded (YYYY-MM-DD)"}
        widgets = {"consent_scope": forms.Textarea(attrs={"rows": 2}),
                   "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, team: Team | None = None, teams: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(staff__role__in=("worker", "lead"),
                                                is_active=True)
        if team is not None:
            users = users.filter(staff__teams=team)
        elif teams is not None:
            users = users.filter(staff__teams__in=teams)
        self.fields["key_worker"].queryset = users.distinct().order_by("username")


class NewPersonForm(PersonForm):
    """A new person: their team, then what :class:`PersonForm` asks."""

    team = forms.ModelChoiceField(queryset=Team.objects.none())

    class Meta(PersonForm.Meta):
        fields = ["team", *PersonForm.Meta.fields]

    def __init__(self, *args: Any, teams: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, teams=teams, **kwargs)
        self.fields["team"].queryset = teams
        if teams is not None and teams.count() == 1:
            self.fields["team"].initial = teams.first()

    def clean(self) -> dict[str, Any]:
        """A key worker must belong to the person's team."""
        cleaned = super().clean() or {}
        team, worker = cleaned.get("team"), cleaned.get("key_worker")
        if team is not None and worker is not None and not worker.staff.teams.filter(
                pk=team.pk).exists():
            self.add_error("key_worker", "Choose a key worker of that team.")
        return cleaned


class EpisodeForm(forms.Form):
    """The start date of a new episode."""

    opened_on = forms.DateField(label="Start date (YYYY-MM-DD)")


class CloseEpisodeForm(forms.Form):
    """The end date of an episode."""

    closed_on = forms.DateField(label="End date (YYYY-MM-DD)")


class CollectForm(forms.Form):
    """Which form to collect, for which timepoint and episode, how and in which wording."""

    measure_id = forms.ChoiceField(label="Measure")
    timepoint = _TIMEPOINT
    episode = forms.ChoiceField(label="Episode")
    method = forms.ChoiceField(label="How", choices=(
        ("tablet", "Hand over this device now"), ("link", "Make a single-use link")))
    variant = forms.ChoiceField(label="Form", initial="standard", required=False, choices=(
        ("standard", "Standard"), ("large_print", "Large print"), ("easy_read", "Easy read")))
    respondent = forms.ChoiceField(label="Who answers", initial="self", required=False, choices=(
        ("self", "The person"), ("proxy", "A carer, for the person")))
    lang = forms.ChoiceField(label="Language", required=False)

    def __init__(self, *args: Any, measures: list[tuple[str, str]],
                 episodes: list[str], languages: list[str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measure_id"].choices = measures
        self.fields["episode"].choices = [(e, e) for e in episodes]
        self.fields["lang"].choices = [("", "The measure's own"),
                                       *((code, code) for code in languages or [])]

    def clean(self) -> dict[str, Any]:
        """The chosen language and wording must exist for the chosen measure."""
        cleaned = super().clean() or {}
        cleaned["variant"] = cleaned.get("variant") or "standard"
        cleaned["respondent"] = cleaned.get("respondent") or "self"
        mid = cleaned.get("measure_id")
        if mid:
            from measurelib.serve._library import check_form_options

            problem = check_form_options(mid, lang=cleaned.get("lang") or None,
                                         respondent=cleaned.get("respondent") or "self",
                                         variant=cleaned.get("variant") or "standard")
            if problem:
                raise forms.ValidationError(problem)
        return cleaned


class AlertActionForm(forms.Form):
    """What was done about an alert."""

    action_taken = forms.CharField(label="Action taken", widget=forms.Textarea(attrs={"rows": 3}),
                                   max_length=4000)


class UnlockForm(forms.Form):
    """The worker's password, to take a handed-over device back."""

    password = forms.CharField(label="Your password", widget=forms.PasswordInput(
        attrs={"autocomplete": "current-password"}), strip=False)


class OtpForm(forms.Form):
    """A 6-digit code from an authenticator app."""

    token = forms.RegexField(regex=r"^\d{6}$", label="6-digit code", max_length=6,
                             widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                                           "inputmode": "numeric"}))


class AccountForm(SetPasswordMixin, forms.Form):
    """A new member of staff (or the first administrator): username and password twice."""

    username = forms.RegexField(regex=r"^[\w.@+-]{2,150}$", max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "username"}))
    password1, password2 = SetPasswordMixin.create_password_fields()

    def clean_username(self) -> str:
        """Refuse a username already taken (ignoring case)."""
        name = str(self.cleaned_data["username"])
        if get_user_model().objects.filter(username__iexact=name).exists():
            raise forms.ValidationError("That username is taken.")
        return name

    def clean(self) -> dict[str, Any]:
        """Both passwords match and pass the password rules."""
        cleaned = super().clean() or {}
        self.validate_passwords()
        user = get_user_model()(username=cleaned.get("username", ""))
        self.validate_password_for_user(user)
        return cleaned


class StaffForm(AccountForm):
    """A new member of staff: account, e-mail, role and teams."""

    email = forms.EmailField(required=False, help_text="For alert e-mails (optional).")
    role = forms.ChoiceField(choices=ROLES)
    teams = forms.ModelMultipleChoiceField(queryset=Team.objects.all(), required=False,
                                           widget=forms.CheckboxSelectMultiple)


class StaffEditForm(forms.Form):
    """A member of staff's e-mail, role, teams and whether the account is active."""

    email = forms.EmailField(required=False, help_text="For alert e-mails (optional).")
    role = forms.ChoiceField(choices=ROLES)
    teams = forms.ModelMultipleChoiceField(queryset=Team.objects.all(), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    active = forms.BooleanField(required=False, label="Account active")


class TeamForm(forms.ModelForm):
    """A team: name, service name, measures, schedule and risk text."""

    class Meta:
        model = Team
        fields = ["name", "service", "measures", "schedule", "risk_text", "paging",
                  "paging_by_measure", "respondent_feedback", "retention_months",
                  "retention_action"]
        widgets = {"measures": forms.Textarea(attrs={"rows": 3}),
                   "schedule": forms.Textarea(attrs={"rows": 8}),
                   "risk_text": forms.Textarea(attrs={"rows": 3}),
                   "paging_by_measure": forms.Textarea(attrs={"rows": 2})}
        labels = {"paging": "Forms shown", "paging_by_measure": "Forms shown, by measure",
                  "respondent_feedback": "Offer the person their feedback sheet"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["paging"].required = False  # not given: the whole form on one page

    def clean_paging(self) -> str:
        """The team's paging; the whole form on one page when not given."""
        return str(self.cleaned_data.get("paging") or "page")

    def clean_paging_by_measure(self) -> str:
        """Lines ``measure: page`` or ``measure: question``, each naming a measure once."""
        text = str(self.cleaned_data.get("paging_by_measure") or "")
        seen: set[str] = set()
        lines = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            mid, sep, how = (part.strip() for part in line.partition(":"))
            if not sep or not mid or how not in ("page", "question") or mid in seen:
                raise forms.ValidationError(
                    f"Line {number} ({line.strip()!r}): write `measure: page` or "
                    "`measure: question`, each measure once, e.g. `gad-7: question`.")
            seen.add(mid)
            lines.append(f"{mid}: {how}")
        return "\n".join(lines)

    def clean_measures(self) -> str:
        """Only catalog measures whose wording ships with measurelib."""
        from measurelib.serve._library import collectable_measures

        known = {mid for mid, _ in collectable_measures()}
        text = str(self.cleaned_data["measures"])
        ids = [m.strip() for m in text.replace(",", "\n").splitlines() if m.strip()]
        bad = [m for m in ids if m not in known]
        if bad:
            raise forms.ValidationError(
                f"Not in the catalog (or its text is not shipped): {', '.join(bad)}. "
                f"Choose from: {', '.join(sorted(known))}.")
        return "\n".join(ids)

    def clean_retention_action(self) -> str:
        """Delete, unless anonymise is chosen (a form without the field keeps the default)."""
        return str(self.cleaned_data.get("retention_action") or "delete")


__all__ = ["CONSENT", "AccountForm", "AlertActionForm", "CloseEpisodeForm", "CollectForm",
           "EpisodeForm", "NewPersonForm", "OtpForm", "PersonForm", "StaffEditForm",
           "StaffForm", "TeamForm", "UnlockForm"]


class PaperForm(forms.Form):
    """A paper form to key: which measure, timepoint and episode, and the date on it."""

    measure_id = forms.ChoiceField(label="Measure")
    timepoint = forms.RegexField(
        regex=r"^[a-z][a-z0-9_-]{0,63}$", initial="baseline",
        error_messages={"invalid": "Use lowercase letters, digits, - or _."})
    episode = forms.ChoiceField(label="Episode")
    completed_on = forms.DateField(label="Date on the form (YYYY-MM-DD)")

    def __init__(self, *args: Any, measures: list[tuple[str, str]],
                 episodes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measure_id"].choices = measures
        self.fields["episode"].choices = [(e, e) for e in episodes]


class OfferForm(forms.Form):
    """What happened when a due form was offered."""

    respondent_id = forms.CharField(max_length=64)
    episode = forms.CharField(max_length=16)
    measure_id = forms.CharField(max_length=64)
    timepoint = forms.RegexField(regex=r"^[a-z][a-z0-9_-]{0,63}$")
    status = forms.ChoiceField(choices=(("offered", "Offered"), ("declined", "Declined"),
                                        ("not_offered", "Not possible")))
    reason = forms.CharField(max_length=500, required=False)


class ApiClientForm(forms.Form):
    name = forms.RegexField(regex=r"^[\w .-]{2,100}$", max_length=100)
    team = forms.ModelChoiceField(queryset=Team.objects.all())
    scopes = forms.MultipleChoiceField(choices=API_SCOPES, widget=forms.CheckboxSelectMultiple)
