"""Reading what an HTML form posts back: :func:`parse_submission`.

The form made by ``measure.render("html")`` posts one field per response column (the item
id, ``<item>_<follow-up>``, ``<goal>_<n>`` and ``<goal>_<n>_text``) with the option value
as text, plus hidden fields ``measure_id``, ``measure_version``, ``respondent_type`` and
``lang`` and any ``hidden=`` fields the host system added (``respondent_id``, ...).
:func:`parse_submission` checks the answers with the scoring engine's own
:func:`measurelib.scoring._score.validate_responses`, so a posted form and a spreadsheet row obey
exactly the same rules.

:func:`submission_messages` turns the problems of a refused submission into what the
person who filled in the form is told — naming the question by its number, in the form's
language, from the forms' one word table (``forms/_i18n.py``) — for a web service or any
system that receives the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from measurelib._results import Result
from measurelib.definition import Measure, NumericScale, VisualAnalogueScale
from measurelib.errors import DataError, Diagnostic, Location
from measurelib.forms._i18n import ui_text
from measurelib.scoring import BLANKS, column_specs, validate_responses

__all__ = ["METADATA_FIELDS", "SubmissionResult", "parse_submission", "submission_messages"]

METADATA_FIELDS = ("respondent_id", "date", "timepoint", "worker", "respondent_type", "mode",
                   "episode", "site", "service")
_FORM_FIELDS = ("measure_id", "measure_version", "lang")
_WHERE = "form submission"


class SubmissionResult(Result):
    """One validated form submission.

    Attributes
    ----------
    measure_id, measure_version : str
        The measure answered (checked against the hidden form fields).
    lang : str
        Language the form was shown in.
    responses : dict
        Response column → answer: a number (int when whole) for scored scales, text for
        free-text items, ``None`` when not answered.
    metadata : dict
        ``respondent_id``, ``date``, ``timepoint``, ``worker``, ``respondent_type`` ... as
        posted (only those present).
    ignored : list of str
        Posted field names that are neither response columns nor metadata.
    n_answered, n_missing : int
        Scored answers given / missing (options flagged ``missing`` count as missing).
    """

    measure_id: str
    measure_version: str
    lang: str
    responses: dict[str, Any]
    metadata: dict[str, str]
    ignored: list[str]
    n_answered: int
    n_missing: int

    @property
    def row(self) -> dict[str, Any]:
        """Metadata and responses as one flat row (what a spreadsheet row would hold)."""
        return {**self.metadata, **self.responses}

    def to_frame(self) -> Any:
        """A one-row DataFrame: metadata columns, then response columns."""
        import pandas as pd

        return pd.DataFrame([self.row])

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        who = self.metadata.get("respondent_id", "(no respondent id)")
        return (f"{self.measure_id} {self.measure_version}: {self.n_answered} answered, "
                f"{self.n_missing} missing, respondent {who}")


def _fields(form_data: Any) -> dict[str, list[str]]:
    """Every posted field as a list of strings (MultiDict-like objects keep repeats)."""
    if not isinstance(form_data, Mapping) and not hasattr(form_data, "keys"):
        raise TypeError("parse_submission(): `form_data` must be a mapping of field name to "
                        f"text (a dict or MultiDict), not {type(form_data).__name__}")
    out: dict[str, list[str]] = {}
    getlist = getattr(form_data, "getlist", None) or getattr(form_data, "getall", None)
    for key in list(form_data.keys()):
        if getlist is not None:
            values = list(getlist(key))
        else:
            raw = form_data[key]
            values = list(raw) if isinstance(raw, (list, tuple)) else [raw]
        clean = []
        for v in values:
            if isinstance(v, bytes):
                v = v.decode("utf-8", errors="replace")
            clean.append("" if v is None else str(v))
        out[str(key)] = clean
    return out


def _one(name: str, values: list[str], problems: list[Diagnostic]) -> str:
    given = [v for v in (s.strip() for s in values) if v != ""]
    if len(given) > 1 and len(set(given)) > 1:
        problems.append(Diagnostic(
            "invalid-answer", f"field {name!r} was posted {len(given)} times with different "
            f"values ({', '.join(map(repr, given))})", "Post one answer per question.",
            Location(_WHERE, field=name)))
    return given[0] if given else ""


def _questions(measure: Measure) -> dict[str, tuple[str, str, bool]]:
    """Response column -> (question number as the form prints it, scale id, required)."""
    out: dict[str, tuple[str, str, bool]] = {}
    for i, item in enumerate(measure.items):
        number = str(i + 1)
        if item.personalised is not None:
            for n, col in enumerate(item.columns(), start=1):
                need = item.required and n <= item.personalised.min_count
                out[col] = (f"{number}.{n}", item.scale, need)
                out[f"{col}_text"] = (f"{number}.{n}", "", False)
            continue
        out[item.id] = (number, item.scale, item.required)
        for k, fu in enumerate(item.follow_up):
            out[f"{item.id}_{fu.id}"] = (f"{number}{chr(97 + k)}", fu.scale, False)
    return out


def _unanswered(measure: Measure, raw: dict[str, str]) -> list[Diagnostic]:
    """A problem for each question the measure marks ``required`` left blank."""
    problems = []
    for col, (number, _, required) in _questions(measure).items():
        if required and col in raw and raw[col].strip().lower() in BLANKS:
            problems.append(Diagnostic(
                "answer-required", f"question {number} ({col!r}) is required but was not "
                "answered", "Answer the question (the form marks it required).",
                Location(_WHERE, field=col)))
    return problems


def parse_submission(measure: Measure, form_data: Any, *, check_measure: bool = True,
                     on_invalid: str = "error",
                     check_required: bool = False) -> SubmissionResult:
    """Turn the fields an HTML form posted into a validated response row.

    Parameters
    ----------
    measure : Measure
        The measure whose form was posted.
    form_data : mapping
        The posted fields: a ``dict`` of name → text (or list of texts), or a MultiDict
        (Werkzeug, Starlette, Django ``QueryDict``, ...).
    check_measure : bool, default True
        Refuse a submission whose hidden ``measure_id`` / ``measure_version`` belong to
        another measure or version.
    on_invalid : {"error", "missing"}
        An answer that is not valid for its item raises :class:`~measurelib.DataError`
        (``"error"``) or is treated as missing (``"missing"``).
    check_required : bool, default False
        Refuse a submission that leaves a question the measure marks ``required: true``
        unanswered (code ``answer-required``), as for forms people fill in themselves.
        Paper keyed by staff leaves it False: a blank on paper is what the person gave.

    Returns
    -------
    SubmissionResult
        ``.responses`` (column → answer), ``.metadata``, ``.row``, ``.to_frame()``.

    Raises
    ------
    DataError
        A value is not an answer the item allows (code ``invalid-answer`` /
        ``not-a-number``, naming the field), a required question is unanswered
        (``answer-required``, with ``check_required``), or the form was for another
        measure (``form-wrong-measure``). :func:`submission_messages` says what to tell
        the respondent.

    Examples
    --------
    >>> import measurelib as ml
    >>> m = ml.load("phq-9")
    >>> sub = ml.parse_submission(m, {"measure_id": "phq-9", "interest": "2", "down": "1"})
    >>> sub.responses["interest"], sub.responses["sleep"]
    (2, None)
    """
    import pandas as pd

    if not isinstance(measure, Measure):
        raise TypeError("parse_submission(): `measure` must be a measurelib.Measure, not "
                        f"{type(measure).__name__}")
    if on_invalid not in ("error", "missing"):
        raise ValueError("parse_submission(): `on_invalid` must be 'error' or 'missing'; got "
                         f"{on_invalid!r}")
    fields = _fields(form_data)
    problems: list[Diagnostic] = []
    posted_id = _one("measure_id", fields.get("measure_id", []), problems)
    posted_version = _one("measure_version", fields.get("measure_version", []), problems)
    if check_measure:
        if posted_id and posted_id != measure.id:
            problems.append(Diagnostic(
                "form-wrong-measure", f"the form is for measure {posted_id!r}, not {measure.id!r}",
                "Parse it with the measure that rendered the form.",
                Location(_WHERE, field="measure_id")))
        elif posted_version and posted_version != measure.version:
            problems.append(Diagnostic(
                "form-wrong-measure", f"the form is for {measure.id} version {posted_version}, "
                f"not {measure.version}", f"Parse it with {measure.id} {posted_version}.",
                Location(_WHERE, field="measure_version")))
    lang = _one("lang", fields.get("lang", []), problems) or measure.language

    columns = measure.response_columns()
    raw: dict[str, str] = {c: _one(c, fields.get(c, []), problems) for c in columns}
    metadata = {k: _one(k, fields[k], problems) for k in METADATA_FIELDS if k in fields}
    metadata = {k: v for k, v in metadata.items() if v != ""}
    rtype = metadata.get("respondent_type")
    if rtype is not None and rtype not in ("self", "proxy"):
        problems.append(Diagnostic(
            "invalid-answer", f"respondent_type is {rtype!r}; it must be 'self' or 'proxy'",
            "Post respondent_type=self or proxy.", Location(_WHERE, field="respondent_type")))
    known = set(columns) | set(METADATA_FIELDS) | set(_FORM_FIELDS)
    ignored = sorted(k for k in fields if k not in known)
    if problems:
        raise DataError(problems, title="the form submission cannot be used")

    numeric = [s.name for s in column_specs(measure)]
    frame = pd.DataFrame([{c: raw[c] for c in numeric}], columns=numeric, dtype=object)
    policy: Literal["error", "missing"] = "missing" if on_invalid == "missing" else "error"
    unanswered = _unanswered(measure, raw) if check_required else []
    try:
        checked = validate_responses(measure, frame, on_invalid=policy, file=_WHERE,
                                     first_row=1, lang=lang)
    except DataError as exc:  # every problem at once: invalid answers, then blanks
        if not unanswered:
            raise
        raise DataError([*exc.errors, *unanswered], title=exc.title) from None
    if unanswered:
        raise DataError(unanswered, title=f"{len(unanswered)} required question(s) not "
                        "answered in the form submission")
    responses: dict[str, Any] = {}
    n_answered = n_missing = 0
    values = checked.values
    for col in columns:
        if col in numeric:
            v = values[col].iloc[0] if col in values.columns and len(values) else float("nan")
            if v != v:  # NaN
                responses[col] = None
                n_missing += 1
            else:
                f = float(v)
                responses[col] = int(f) if f.is_integer() else f
                n_answered += 1
        else:
            responses[col] = raw[col] if raw[col] != "" else None
    return SubmissionResult(measure_id=measure.id, measure_version=measure.version, lang=lang,
                      responses=responses, metadata=metadata, ignored=ignored,
                      n_answered=n_answered, n_missing=n_missing)


def submission_messages(measure: Measure, error: Any, lang: str | None = None) -> list[str]:
    """What to tell the person who filled in a form that :func:`parse_submission` refused:
    one plain sentence per question (named by the number the form prints), in the form's
    language, without codes, columns or the values given.

    The sentences come from the forms' word table (:func:`ui_text`, e.g. ``msg_required``,
    ``msg_choose``, ``msg_number``), so they are in every language the forms ship; a
    language without them falls back to English.

    Parameters
    ----------
    measure : Measure
        The measure whose form was posted.
    error : DataError
        What :func:`parse_submission` raised (or a list of its diagnostics).
    lang : str, optional
        The form's language (the posted ``lang`` field); default: the measure's.

    Returns
    -------
    list of str
        The sentences, in the order of the problems, each once.

    Examples
    --------
    >>> import measurelib as ml
    >>> m = ml.load("phq-9")
    >>> try:
    ...     ml.parse_submission(m, {"interest": "7"})
    ... except ml.DataError as exc:
    ...     print(submission_messages(m, exc, "cy"))
    ["Cwestiwn 1: dewiswch un o'r atebion a roddwyd."]
    """
    code = lang or measure.language
    questions = _questions(measure)
    out: list[str] = []
    for d in getattr(error, "errors", error):
        col = getattr(getattr(d, "location", None), "field", None)
        number, scale_id, _ = questions.get(str(col), ("", "", False))
        key, args = "msg_unreadable", {}
        if d.code == "form-wrong-measure":
            key = "msg_other_form"
        elif number and d.code == "answer-required":
            key, args = "msg_required", {"n": number}
        elif number and d.code in ("invalid-answer", "not-a-number"):
            scale = measure.scales.get(scale_id)
            boxed = isinstance(scale, VisualAnalogueScale) or (
                isinstance(scale, NumericScale) and len(scale.values()) > 11)
            if boxed and isinstance(scale, (NumericScale, VisualAnalogueScale)):
                key, args = "msg_number", {"n": number, "min": _num(scale.min),
                                           "max": _num(scale.max)}
            else:
                key, args = "msg_choose", {"n": number}
        text = ui_text(key, code)[0].format(**args)
        if text not in out:
            out.append(text)
    return out


def _num(value: Any) -> str:
    f = float(value)
    return str(int(f)) if f.is_integer() else str(f)
