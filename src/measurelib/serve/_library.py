"""The one place the service calls measurelib: only names measurelib exports.

Everything the service needs from the library passes through this module, so a change in
the library's internals cannot reach the views. Where the public API offers no way to do
something the service needs, the workaround is here and says so.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import measurelib as ml

__all__ = ["check_schedule", "close_episode", "collectable_measures", "form_html",
           "form_problems", "load_measure", "open_episode", "parse_form", "person_scores",
           "read_fhir_response", "service_administrations", "service_report", "store", "store_submission"]

_STORES: dict[str, Any] = {}
_LOCK = threading.Lock()


def store(url: str | None = None) -> Any:
    """The :class:`measurelib.Store` of this process, on the service's database."""
    if url is None:
        from django.conf import settings

        url = settings.MEASURELIB_SERVE.store_url()
    with _LOCK:
        found = _STORES.get(url)
        if found is None:
            found = _STORES[url] = ml.Store(url, upgrade=False)
        return found


def create_store_schema(url: str) -> str | None:
    """Create or upgrade the Store's tables (its Alembic migrations); returns the revision."""
    s = ml.Store(url, upgrade=True)
    try:
        return str(s.revision) if s.revision is not None else None
    finally:
        s.close()


def close_stores() -> None:
    forget_latest()  # another database may come next
    with _LOCK:
        for s in _STORES.values():
            s.close()
        _STORES.clear()


#: how long the newest published version of a measure is taken as known (seconds): a
#: request asks for it several times (the form, its checks, storing), and a busy worker
#: many times a second; a publish in this process forgets it at once (``forget_latest``),
#: one in another worker is seen within this time
LATEST_SECONDS = 1.0
_LATEST: dict[str, tuple[float, tuple[str, str, str] | None]] = {}


def forget_latest(*_args: Any, **_kwargs: Any) -> None:
    """Forget the newest published versions looked up (a version was published or deleted)."""
    _LATEST.clear()


def load_measure(measure_id: str) -> ml.Measure:
    """The newest published version of the organisation's own measure ``measure_id``
    (see ``_composer``), else the catalog measure (cached; both are immutable).
    """
    from measurelib.serve._composer_lib import latest_published

    now = time.monotonic()
    hit = _LATEST.get(measure_id)
    if hit is not None and now - hit[0] < LATEST_SECONDS:
        key = hit[1]
    else:
        key = latest_published(measure_id)
        _LATEST[measure_id] = (now, key)
    if key is not None:
        return _published_measure(*key)
    return _catalog_measure(measure_id)


@lru_cache(maxsize=64)
def _catalog_measure(measure_id: str) -> ml.Measure:
    return ml.load(measure_id)


@lru_cache(maxsize=64)
def _published_measure(measure_id: str, version: str, sha256: str) -> ml.Measure:
    from measurelib.serve._composer_lib import published_measure

    return published_measure(measure_id, version, sha256)


@lru_cache(maxsize=1)
def _catalog_collectable() -> tuple[tuple[str, str], ...]:
    return tuple((e.id, e.title) for e in ml.catalog()
                 if e.kind == "measure" and e.text_included)


def collectable_measures() -> tuple[tuple[str, str], ...]:
    """Catalog measures whose item text ships with measurelib, then the organisation's own
    published measures (id, title).
    """
    from measurelib.serve._composer_lib import published_titles

    return _catalog_collectable() + published_titles()


def form_html(measure: ml.Measure, *, action: str, csrf_token: str,
              lang: str | None = None, respondent: str = "self",
              easy_read: bool = False, large_print: bool = False,
              values: dict[str, list[str]] | None = None, items: Any = None,
              hidden: dict[str, str] | None = None) -> str:
    """The measure's web form (``Measure.render("html")``), posting to ``action`` with the
    CSRF token as a hidden field; ``values`` pre-fills saved answers, ``items`` shows only
    those questions (one page of a paged form).
    """
    options: dict[str, Any] = {"action": action, "method": "post",
                               "hidden": {**(hidden or {}), "csrfmiddlewaretoken": csrf_token},
                               "respondent": respondent}
    if values:
        options["values"] = values
    if items is not None:
        options["items"] = list(items)
    if lang:
        options["lang"] = lang
    if easy_read:
        options["easy_read"] = True
    if large_print:
        options["large_print"] = True
    return str(measure.render("html", **options))


def check_form_options(measure_id: str, *, lang: str | None, respondent: str,
                       variant: str) -> str | None:
    """Why the measure cannot be shown in that language or wording (None when it can)."""
    measure = load_measure(measure_id)
    if lang and lang not in measure.all_languages:
        return (f"{measure_id} is not available in {lang!r}; it has "
                f"{', '.join(measure.all_languages)}.")
    if respondent not in measure.respondents:
        return f"{measure_id} has no wording for a carer answering for the person."
    try:
        form_html(measure, action="/", csrf_token="x", lang=lang, respondent=respondent,
                  easy_read=variant == "easy_read", large_print=variant == "large_print")
    except ml.MeasurelibError as exc:
        return f"{measure_id} cannot be shown that way: {str(exc).splitlines()[0]}"
    return None


_FORM_FIELDS = ("measure_id", "measure_version", "lang", "respondent_type")


def parse_form(measure: ml.Measure, post: Any, *, check_required: bool = False) -> Any:
    """The posted answers, validated (:func:`measurelib.parse_submission`; with
    ``check_required`` a question the measure marks required must be answered).

    Only the measure's response columns and the form's own fields are passed on: who the
    respondent is, the timepoint and the service come from the server, never from what was
    posted (a respondent cannot file answers under someone else's id).
    """
    allowed = set(measure.response_columns()) | set(_FORM_FIELDS)
    data = {key: post.getlist(key) if hasattr(post, "getlist") else post[key]
            for key in list(post) if key in allowed}
    return ml.parse_submission(measure, data, check_required=check_required)


def form_problems(measure: ml.Measure, error: Any, lang: str) -> list[str]:
    """What the person who filled in a refused form is told, in the form's language
    (:func:`measurelib.forms.submission_messages`): one sentence per question, no codes.
    """
    return list(ml.forms.submission_messages(measure, error, lang))


def fired_alerts(measure: ml.Measure, submission: Any) -> list[Any]:
    """The measure's declared alerts that a parsed submission's answers set off, by the
    Store's own rule (the one :meth:`Store.add_submission` reports).
    """
    import pandas as pd

    return list(ml.outcomes.fired_alerts(measure, pd.DataFrame([dict(submission.responses)])))


def store_submission(measure: ml.Measure, submission: Any, *, respondent_id: str,
                     episode: str, timepoint: str, mode: str, service: str,
                     worker: str | None, date: str) -> Any:
    """Store a parsed submission with the server's metadata (:meth:`Store.add_submission`).

    Returns the Store's :class:`~measurelib.outcomes.AddSubmissionResult`: the stored
    administration's key, ``created`` and the alerts the answers set off. A form with other
    answers for an occasion already stored raises a ``store-form-conflict``
    :class:`measurelib.DataError`.
    """
    row: dict[str, Any] = dict(submission.responses)
    rtype = submission.metadata.get("respondent_type")
    if rtype in ("self", "proxy"):
        row["respondent_type"] = rtype
    return store().add_submission(
        measure, row, respondent_id=respondent_id, episode=episode, timepoint=timepoint,
        mode=mode, service=service, worker=worker, date=date)


def open_episode(respondent_id: str, episode: str, service: str, opened_on: Any) -> None:
    """Record an episode in the Store as the service opens it (:meth:`Store.open_episode`)."""
    store().open_episode(respondent_id, episode, service=service, start_date=opened_on)


def close_episode(respondent_id: str, episode: str, service: str, opened_on: Any,
                  closed_on: Any) -> None:
    """Close an episode in the Store (recorded first if it was opened before the Store
    kept episodes the service opens).
    """
    s = store()
    s.open_episode(respondent_id, episode, service=service, start_date=opened_on)
    s.close_episode(respondent_id, episode, closed_on)


def read_fhir_response(measure: ml.Measure, resource: Any) -> Any:
    """The answers of a FHIR QuestionnaireResponse, one row (:func:`measurelib.interop.read_fhir`)."""
    return ml.interop.read_fhir(measure, resource)


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def person_scores(respondent_id: str) -> list[dict[str, Any]]:
    """A person's administrations with their scores, newest first."""
    df = store().scores(respondent_id=respondent_id)
    if df.empty:
        return []
    rows: dict[Any, dict[str, Any]] = {}
    for rec in df.sort_values(["date", "administration"]).itertuples(index=False):
        entry = rows.setdefault(rec.administration, {
            "date": rec.date.date().isoformat(), "measure_id": rec.measure_id,
            "timepoint": rec.timepoint, "episode": rec.episode, "mode": _plain(rec.mode),
            "worker": _plain(rec.worker), "scores": []})
        entry["scores"].append({"score_id": rec.score_id, "value": _plain(rec.value),
                                "band": _plain(rec.band)})
    return list(reversed(list(rows.values())))


def service_administrations(service: str) -> Any:
    """Administrations of one service: respondent, episode, measure, timepoint, date."""
    df = store().administrations(service=service, responses=False)
    return df[["respondent_id", "episode", "measure_id", "timepoint", "date", "worker",
               "mode"]]


def check_schedule(service: str, schedule_yaml: str) -> None:
    """Validate a schedule with the library and record it for the service
    (:meth:`Store.configure_service`); raises :class:`measurelib.DefinitionError`.
    """
    store().configure_service(service, schedule=schedule_yaml or None)
    record_published(schedule_yaml)


def record_published(schedule_yaml: str) -> None:
    """Record in the Store the organisation's own measures a schedule names (their newest
    published versions, :meth:`Store.add_measure`), so that the library's schedule tools
    (``measurelib due``, :func:`measurelib.outcomes.follow_up_rates`) know them before their
    first form is stored.
    """
    from measurelib.serve._composer_lib import latest_published

    try:
        sched = ml.outcomes.loads_schedule(schedule_yaml) if schedule_yaml.strip() else None
    except ml.MeasurelibError:
        return
    if sched is None:
        return
    named = dict.fromkeys([*sched.measures, *(m for tp in sched.timepoints
                                              for m in tp.measures or [])])
    for mid in named:
        if latest_published(mid) is not None:
            store().add_measure(load_measure(mid))


def service_report(service: str, measure_id: str, min_cell: int) -> dict[str, Any]:
    """The headline of one service's impact report (:func:`measurelib.impact_report`, the
    same call as the full report): its counts protected by the library's disclosure rule,
    so a hidden count cannot be worked out from the ones shown (here or in the full report),
    and the figures resting on hidden counts withheld.
    """
    measure = load_measure(measure_id)
    rule = measure.primary_score
    if rule is None or rule.higher_is_better is None:
        return {"available": False, "reason": "this measure's score has no direction"}
    rep = ml.impact_report(store(), measure, service=service, min_cell=min_cell)
    head: Mapping[str, Any] = rep.data["sections"][0]["headline"]

    def count(v: Any) -> str:
        return "0" if v is None else str(v)  # a hidden count is the report's marker, "[c]"

    def pct(v: Any) -> str:
        return "" if v is None else f"{100 * float(v):.0f}%"

    def num(v: Any) -> str:
        return "" if v is None else f"{float(v):+.1f}"

    enough = head.get("mean_change") is not None
    figures = {
        "n_baseline": count(head.get("n_baseline")),
        "n_paired": count(head.get("n_paired")),
        "completion": pct(head.get("completion_rate")),
        "mean_change": num(head.get("mean_change")) if enough else "",
        "ci": (f"{num(head.get('change_ci_low'))} to {num(head.get('change_ci_high'))}"
               if enough else ""),
        "n_improved": count(head.get("n_improved")) if "n_improved" in head else "",
        "n_no_change": count(head.get("n_no_change")) if "n_no_change" in head else "",
        "n_deteriorated": (count(head.get("n_deteriorated")) if "n_deteriorated" in head
                           else ""),
    }
    return {"available": True, "score": rule.id, "enough": enough, "min_cell": min_cell,
            "marker": rep.data.get("marker", "[c]"), "figures": figures,
            "categories": "n_improved" in head}

OFFER_STATUSES = (("offered", "Offered"), ("declined", "Declined"),
                  ("not_offered", "Not possible"))


def record_offer(*, respondent_id: str, episode: str, measure_id: str, timepoint: str,
                 status: str, reason: str, service: str, worker: str, date: str) -> None:
    """Record that a form was offered, declined or not possible (:meth:`Store.record_offers`),
    the denominator of completion.
    """
    import pandas as pd

    store().record_offers(pd.DataFrame([{
        "respondent_id": respondent_id, "episode": episode, "measure_id": measure_id,
        "timepoint": timepoint, "date": date, "status": status, "reason": reason or None,
        "service": service, "worker": worker}]))


def offers_by_form(service: str) -> dict[tuple[str, str, str, str], tuple[str, str]]:
    """The latest offer status of each (person, episode, measure, timepoint) of a service:
    (status, date).
    """
    df = store().offers(service=service)
    out: dict[tuple[str, str, str, str], tuple[str, str]] = {}
    for rec in df.itertuples(index=False):
        out[(str(rec.respondent_id), str(rec.episode), str(rec.measure_id),
             str(rec.timepoint))] = (str(rec.status), str(rec.date)[:10])
    return out


def person_records(respondent_id: str) -> dict[str, Any]:
    """Everything the Store holds about one person: administrations (with their answers),
    scores and offers.
    """
    import json

    adm = store().administrations(respondent_id=respondent_id)
    administrations = []
    for rec in adm.to_dict("records"):
        rec = {k: _plain(v) for k, v in rec.items()}
        rec["date"] = rec["date"].date().isoformat() if rec.get("date") is not None else None
        rec["responses"] = json.loads(rec["responses"]) if rec.get("responses") else {}
        administrations.append({k: (v.item() if hasattr(v, "item") else v)
                                for k, v in rec.items()})
    offers = store().offers(respondent_id=respondent_id)
    return {"administrations": administrations,
            "scores": person_scores(respondent_id),
            "offers": [{k: (str(v) if v is not None else None) for k, v in r.items()}
                       for r in offers.to_dict("records")]}


def scored_table(service: str, measure_id: str) -> Any:
    """One row per administration and score of a service's measure (``Store.scores``),
    with the pseudonymous ids; no contact details.
    """
    df = store().scores(measure_id, service=service)
    keep = ["respondent_id", "episode", "date", "timepoint", "mode", "respondent_type",
            "site", "service", "worker", "measure_id", "measure_version", "score_id", "value",
            "band"]
    return df[[c for c in keep if c in df.columns]]


def _impact(service: str, measure_id: str, min_cell: int, title: str) -> Any:
    """The impact report's figures, with the organisation's name and logo (configured)."""
    from django.conf import settings

    cfg = settings.MEASURELIB_SERVE
    base = cfg.path.parent if cfg.path is not None else None
    return ml.impact_report(store(), load_measure(measure_id), service=service,
                            min_cell=min_cell, title=title, organisation=cfg.organisation,
                            logo=cfg.logo or None, logo_base=base)


def impact_html(service: str, measure_id: str, min_cell: int, title: str) -> str:
    """The impact report of one service and measure (:func:`measurelib.impact_report`),
    small numbers suppressed, as a self-contained HTML page.
    """
    return str(_impact(service, measure_id, min_cell, title).to_html())


def impact_pdf(service: str, measure_id: str, min_cell: int, title: str) -> bytes:
    """The same impact report as PDF (through a temporary file)."""
    import tempfile
    from pathlib import Path

    report = _impact(service, measure_id, min_cell, title)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "impact.pdf"
        report.write(path)
        return path.read_bytes()


def feedback_html(measure_id: str, respondent_id: str) -> str:
    """A person's feedback sheet for one measure (:func:`measurelib.feedback_sheet`)."""
    return str(ml.feedback_sheet(store(), load_measure(measure_id), respondent_id))


def printed_form(measure_id: str, *, fmt: str, values: dict[str, str],
                 stamp: dict[str, str]) -> str | bytes:
    """A measure's paper form with its header boxes filled in (``values``) and a ``stamp``
    (code and QR code): print HTML, or PDF bytes when ``fmt`` is ``pdf``.
    """
    measure = load_measure(measure_id)
    return measure.render("pdf" if fmt == "pdf" else "print", values=values, stamp=stamp)


def follow_up_rates(service: str, worker_of: dict[str, str], min_cell: int) -> Any:
    """Forms due, done, declined and not possible, and the follow-up and completion rates
    of a service and of each key worker (:func:`measurelib.outcomes.follow_up_rates`, on
    the schedule stored for the service), small numbers protected when ``min_cell`` > 1.
    """
    return ml.outcomes.follow_up_rates(store(), service=service, worker_of=worker_of,
                                       min_cell=min_cell)


def team_schedule_known(schedule_yaml: str) -> None:
    """Before counting: the team's own scheduled measures are recorded in the Store (a
    schedule saved before they were, or before this was done on saving).
    """
    record_published(schedule_yaml)


def measure_version(measure_id: str, version: str | None) -> ml.Measure:
    """The definition a form was given on: that published version of the organisation's
    own measure, else the newest (a catalog measure has one definition per release).
    """
    from measurelib.serve.models import PublishedMeasure

    if version:
        row = PublishedMeasure.objects.filter(measure_id=measure_id, version=version).values_list(
            "measure_id", "version", "sha256").first()
        if row is not None:
            return _published_measure(str(row[0]), str(row[1]), str(row[2]))
    return load_measure(measure_id)


#: Where the service's own FHIR extensions and identifiers live.
FHIR_BASE = "https://measurelib.org/fhir/"


def _in_period(df: Any, start: Any, end: Any) -> Any:
    import pandas as pd

    if not len(df):
        return df
    dates = pd.to_datetime(df["date"])
    keep = pd.Series(True, index=df.index)
    if start is not None:
        keep &= dates >= pd.Timestamp(start)
    if end is not None:
        keep &= dates <= pd.Timestamp(end)
    return df[keep.to_numpy()]


def fhir_bundles(*, measure_id: str | None = None, service: str | None = None,
                 respondent_id: str | None = None, start: Any = None,
                 end: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stored forms as a FHIR R4 Bundle of QuestionnaireResponses and their scores as a
    Bundle of Observations, made by the library's FHIR writer
    (:func:`measurelib.interop.questionnaire_response`, :func:`measurelib.interop.observations`).

    Forms of one measure and service in a period (dates inclusive), or of one person.
    Each QuestionnaireResponse carries the form's identifier, timepoint and episode (the
    extensions the API's FHIR input reads), each Observation ``derivedFrom`` its form.
    """
    import json

    adm = store().administrations(measure_id, service=service, respondent_id=respondent_id)
    adm = _in_period(adm, start, end)
    scores = store().scores(measure_id, service=service, respondent_id=respondent_id)
    scores = _in_period(scores, start, end)
    responses: list[dict[str, Any]] = []
    observations: list[dict[str, Any]] = []
    for (mid, version), forms in adm.groupby(["measure_id", "measure_version"], sort=True):
        measure = measure_version(str(mid), str(version))
        for rec in forms.to_dict("records"):
            answers = json.loads(rec["responses"]) if rec.get("responses") else {}
            qr = ml.interop.questionnaire_response(
                measure, answers, subject=_plain(rec["respondent_id"]),
                authored=rec["date"].date().isoformat())
            qr["id"] = f"form-{rec['pk']}"
            qr["identifier"] = {"system": f"{FHIR_BASE}form", "value": str(rec["pk"])}
            qr["extension"] = [{"url": f"{FHIR_BASE}StructureDefinition/{key}",
                                "valueString": str(rec[key])}
                               for key in ("timepoint", "episode") if _plain(rec.get(key))]
            responses.append({"fullUrl": _urn("form", rec["pk"]), "resource": qr})
        mine = scores[(scores["measure_id"] == mid) & (scores["measure_version"] == version)] \
            if len(scores) else scores
        if not len(mine):
            continue
        wide = mine.pivot_table(index=["administration", "respondent_id", "date"],
                                columns="score_id", values="value", aggfunc="first",
                                dropna=False).reset_index()
        bands = mine.pivot_table(index="administration", columns="score_id", values="band",
                                 aggfunc="first").add_suffix("_band")
        wide = wide.join(bands, on="administration")
        wide["date"] = wide["date"].dt.strftime("%Y-%m-%d")
        wide = wide.set_index("administration", drop=False)
        bundle = ml.interop.observations(measure, wide)
        for entry in bundle["entry"]:
            obs = entry["resource"]
            pk = int(obs["note"][0]["text"].rsplit("(row ", 1)[1].rstrip(")"))
            key = f"{pk}-{obs['code']['coding'][0]['code']}"
            obs["derivedFrom"] = [{"reference": _urn("form", pk)}]
            obs["identifier"] = [{"system": f"{FHIR_BASE}score", "value": key}]
            observations.append({"fullUrl": _urn("score", key), "resource": obs})
    stamp = _now_iso()
    return ({"resourceType": "Bundle", "type": "collection", "timestamp": stamp,
             "entry": responses},
            {"resourceType": "Bundle", "type": "collection", "timestamp": stamp,
             "entry": observations})


def _urn(kind: str, key: Any) -> str:
    """A stable ``urn:uuid:`` of a stored form or score (the same in every export)."""
    import uuid

    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{FHIR_BASE}{kind}/{key}')}"


def _now_iso() -> str:
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def fhir_json(resource: dict[str, Any]) -> bytes:
    """A FHIR resource as JSON text in which no answer can be read as markup: ``<``, ``>``
    and ``&`` are written as JSON escapes (the same text once parsed).
    """
    import json

    text = json.dumps(resource, ensure_ascii=False, indent=1, default=str)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .encode("utf-8"))


def assessment_responses(measure: ml.Measure, service: str, version: str) -> Any:
    """Each person's first form of one version of the measure in one service, for the
    assessment (:func:`measurelib.assessment.responses_from_store`); None when there is none.
    """
    try:
        return ml.assessment.responses_from_store(store(), measure, service=service,
                                                  version=version)
    except ml.DataError:
        return None


def sample_requirement(measure: ml.Measure, responses: Any) -> Any:
    """Whether the responses are enough for the report, and if not how many are needed and
    why (:func:`measurelib.assessment.sample_requirement`); ``None`` responses: none yet.
    """
    import pandas as pd

    if responses is None:
        responses = pd.DataFrame(columns=["respondent_id", *measure.response_columns()])
    return ml.assessment.sample_requirement(measure, responses, id_column="respondent_id")


def assessment_report(measure: ml.Measure, responses: Any, fmt: str) -> str | bytes:
    """The assessment report (:func:`measurelib.assess`) as HTML or PDF, headed by the
    organisation's name and logo as the other reports.
    """
    from django.conf import settings

    cfg = settings.MEASURELIB_SERVE
    result = ml.assess(measure, responses, id_column="respondent_id", on_invalid="missing")
    return result.render("pdf" if fmt == "pdf" else "html", organisation=cfg.organisation,
                         logo=cfg.logo or None,
                         logo_base=cfg.path.parent if cfg.path is not None else None)
