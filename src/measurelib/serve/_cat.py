"""Adaptive tests (CAT) in the service: on the respondent's web form and through FHIR SDC.

A measure whose ``method: irt`` score declares ``irt: {cat: ...}`` is administered one
question at a time: :class:`measurelib.cat.Session` chooses each question from the score's
calibrated items for what the earlier answers say, and stops by the declared rule. The
engine's state (``Session.to_dict()``, with the answers so far) is kept server-side in a
:class:`~measurelib.serve.models.CatAdministration`, so a test survives a restart and is
resumed from the same link. When it stops, the answers given are stored like any form
(``Store.add_submission``): the scoring engine's EAP from those answers *is* the CAT's
final θ and SE (the same bank, grid and prior), stored as the score and ``<score>_se``;
the questions not asked are unanswered.

The web pages need no JavaScript (one question per page, posted back); the JSON API
offers FHIR SDC's ``Questionnaire/$next-question`` so that other systems' form fillers can
drive a test (see :func:`next_question`).
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

import measurelib as ml
from measurelib.serve import _library as lib
from measurelib.serve import _words as words
from measurelib.serve._api import _who, api
from measurelib.serve._auth import audit
from measurelib.serve.models import ApiClient, CatAdministration, Collection, Person

FHIR_BASE = "https://measurelib.org/fhir"
EXT_ADAPTIVE = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-questionnaireAdaptive"
EXT_TIMEPOINT = f"{FHIR_BASE}/StructureDefinition/timepoint"
EXT_EPISODE = f"{FHIR_BASE}/StructureDefinition/episode"
CONTAINED_ID = "adaptive"


# ----------------------------------------------------------------------------- the engine
def adaptive_rule(measure: ml.Measure) -> Any:
    """The measure's score rule that is administered adaptively (None when there is none)."""
    for rule in measure.scores:
        if rule.method == "irt" and rule.irt is not None and rule.irt.cat is not None:
            return rule
    return None


def is_adaptive(measure_id: str) -> bool:
    """Whether the catalog measure ``measure_id`` is given as an adaptive test."""
    try:
        return adaptive_rule(lib.load_measure(measure_id)) is not None
    except (ml.MeasurelibError, LookupError, ValueError):
        return False


def _pool(measure: ml.Measure, rule: Any) -> list[str]:
    return [i for i in measure.score_items(rule) if measure.item(i).irt is not None]


def _session(measure: ml.Measure, rule: Any, state: dict[str, Any] | None = None,
             seed: int | None = None) -> Any:
    """A new :class:`measurelib.cat.Session` for the rule's pool, or one restored."""
    bank = ml.psychometrics.measure_bank(measure, _pool(measure, rule))
    if state is not None:
        return ml.cat.Session.from_dict(bank, state)
    opts = rule.irt.cat
    stop: Any = opts.stop if isinstance(opts.stop, str) else {
        k: v for k, v in opts.stop.model_dump().items() if v is not None}
    return ml.cat.Session(bank, select=opts.select, start_theta=opts.start_theta, stop=stop,
                       exposure=None if opts.exposure == "none" else opts.exposure,
                       seed=seed)


def _category(measure: ml.Measure, item_id: str, value: float) -> int | None:
    """The calibration category (0..K-1) of an answer (after recode and reverse)."""
    import numpy as np

    scored = float(ml.scoring.scored_item_values(measure, item_id,
                                                 np.array([float(value)]))[0])
    values = [float(v) for v in ml.definition.scored_values(measure, item_id)]
    for k, v in enumerate(values):
        if abs(v - scored) < 1e-9:
            return k
    return None


def _options(measure: ml.Measure, item_id: str, lang: str | None) -> list[dict[str, Any]]:
    scale = measure.scale_of(item_id)
    return [{"value": lib._plain(o.value), "label": measure.text(o.label, lang) or str(o.value)}
            for o in getattr(scale, "options", []) if not o.missing]


def _missing_values(measure: ml.Measure, item_id: str) -> set[float]:
    """The item's "prefer not to say"-style options (``missing: true``): form values."""
    scale = measure.scale_of(item_id)
    return {float(o.value) for o in getattr(scale, "options", []) if o.missing}


def skippable(measure: ml.Measure, item_id: str) -> bool:
    """Whether the question may be skipped: an item the form does not insist on."""
    return not measure.item(item_id).required


class _Test:
    """An adaptive test: the engine's session and the answers as given (form values; the
    session keeps calibration categories). ``skipped`` holds the questions shown and not
    answered, with the "prefer not to say" option chosen (its form value) or ``None``.
    """

    def __init__(self, session: Any, answers: dict[str, float] | None = None,
                 skipped: dict[str, float | None] | None = None,
                 order: list[str] | None = None) -> None:
        self.session = session
        self.answers = dict(answers or {})
        self.skipped = dict(skipped or {})
        # the questions in the order shown (a state kept before this was recorded: the
        # answered ones, then the skipped ones)
        self.order = list(order) if order is not None else [*self.answers, *self.skipped]

    def answer(self, measure: ml.Measure, item_id: str, raw: Any) -> str | None:
        """Give ``raw`` (an option value) to the session; a message when it cannot.

        An option marked ``missing`` ("prefer not to say") skips the question, as the
        whole form stores it: shown, answered with that option, not in the score.
        """
        try:
            value = float(raw)
        except (TypeError, ValueError):
            return "Choose one of the answers to go on."
        if value in _missing_values(measure, item_id):
            self.skip(item_id, value)
            return None
        allowed = {float(o["value"]) for o in _options(measure, item_id, None)}
        category = _category(measure, item_id, value) if value in allowed else None
        if category is None:
            return "Choose one of the answers to go on."
        self.session.answer(item_id, category)
        self.answers[item_id] = value
        self.order.append(item_id)
        return None

    def skip(self, item_id: str, value: float | None = None) -> None:
        """The question shown and not answered (administered without a response)."""
        self.session.skip(item_id)
        self.skipped[item_id] = value
        self.order.append(item_id)

    def submission(self, measure: ml.Measure) -> Any:
        """The answers given, as a parsed form (questions not asked or skipped are
        unanswered; a "prefer not to say" option is kept as the form keeps it).
        """
        form = {"measure_id": measure.id}
        given: dict[str, float | None] = {**self.skipped, **self.answers}
        for item_id, value in given.items():
            if value is not None:
                form[measure.item(item_id).columns()[0]] = str(lib._plain(value))

        class _Post(dict[str, str]):
            def getlist(self, key: str) -> list[str]:
                return [self[key]]

        return lib.parse_form(measure, _Post(form))

    @classmethod
    def restore(cls, cat_admin: CatAdministration, measure: ml.Measure, rule: Any) -> _Test:
        """The test kept in ``cat_admin``."""
        state = json.loads(cat_admin.state)
        return cls(_session(measure, rule, state["engine"]),
                   {k: float(v) for k, v in state["answers"].items()},
                   {k: None if v is None else float(v)
                    for k, v in state.get("skipped", {}).items()},
                   state.get("order"))

    def save(self, cat_admin: CatAdministration) -> None:
        """Keep the state (``Session.to_dict()``, answers, skips) in ``cat_admin``."""
        cat_admin.state = json.dumps({"engine": self.session.to_dict(),
                                      "answers": self.answers, "skipped": self.skipped,
                                      "order": self.order})
        cat_admin.updated_at = timezone.now()
        cat_admin.save(update_fields=None if cat_admin.pk is None else
                       ["state", "updated_at"])


# ----------------------------------------------------------------------------- web form
def page(request: HttpRequest, collection: Collection, *, mode: str, action: str,
         done: str, session_key: str | None = None) -> HttpResponse:
    """The adaptive test of a link or tablet hand-over: one question per page.

    GET shows the question the engine chose; POST takes its answer, keeps the state, and
    either shows the next question (redirect to ``action``) or, when the test stops,
    stores the answers (the score is the final θ/SE) and redirects to ``done``.
    """
    measure = lib.load_measure(collection.measure_id)
    rule = adaptive_rule(measure)
    error = ""
    # the state is read and written in one transaction (answers posted twice at once are
    # taken once); the Store is written after it, as it may share the database file
    with transaction.atomic():
        cat_admin = (CatAdministration.objects.select_for_update()
                     .filter(collection=collection).first())
        if cat_admin is None:
            test = _Test(_session(measure, rule, seed=secrets.randbits(32)))
            cat_admin = CatAdministration(
                person=collection.person, collection=collection, measure_id=measure.id,
                score_id=rule.id, episode=collection.episode, timepoint=collection.timepoint)
            test.save(cat_admin)
        else:
            test = _Test.restore(cat_admin, measure, rule)
        current = test.session.next_item()
        if request.method == "POST" and current is not None:
            if request.POST.get("cat_item") != current:
                # a page posted twice, or from the browser's history: show where we are
                return redirect(action)
            if request.POST.get("serve_nav") == "skip" and skippable(measure, current):
                test.skip(current)
            else:
                column = measure.item(current).columns()[0]
                error = test.answer(measure, current, request.POST.get(column)) or ""
            if not error:
                test.save(cat_admin)
                if test.session.next_item() is not None:
                    return redirect(action)
    if test.session.next_item() is None:
        problem = _finish(request, collection, measure, test, mode)
        if problem is not None:
            return problem
        CatAdministration.objects.filter(pk=cat_admin.pk).update(finished_at=timezone.now())
        if session_key:
            request.session.pop(session_key, None)
        return redirect(done)
    item_id = test.session.next_item()
    assert item_id is not None  # (the test is not over)
    return _question_page(request, collection, measure, test, item_id, action,
                          link=mode == "online", error=bool(error))


def _question_page(request: HttpRequest, collection: Collection, measure: ml.Measure,
                   test: _Test, item_id: str, action: str, *, link: bool,
                   error: bool) -> HttpResponse:
    """One question, as the measure's own web form shows it (``Measure.render("html")``
    with only that question: its picture, the options' pictures, the easy-read or large
    print wording the collection asks for, "prefer not to say" options), with the adaptive
    test's note, its number, and the buttons *Next* and, where the item may be left
    unanswered, *Skip this question*.
    """
    from django.middleware.csrf import get_token
    from django.utils.html import escape

    from measurelib.serve._respond import form_policy

    lang = words.lang_of(collection)[0]
    session = test.session
    number = len(session.administered) + len(session.skipped) + 1
    stop = session.stop
    low = int(stop.get("min_items", 1))
    high = int(min(stop.get("max_items", len(session.pool)), len(session.pool)))
    page = lib.form_html(measure, action=action, csrf_token=get_token(request),
                         lang=collection.lang or None, respondent=collection.respondent,
                         easy_read=collection.variant == "easy_read",
                         large_print=collection.variant == "large_print",
                         items=(item_id,), hidden={"cat_item": item_id})
    label = f"{words.say('question', lang)} {number}"
    page = re.sub(r'(<legend id="legend-[^"]*">)<span class="item-num">[^<]*</span>',
                  lambda m: f'{m.group(1)}<span class="item-num">{label}.</span>', page,
                  count=1)
    note = words.say("cat_note", lang, min=low, max=high)
    if link:
        note = f"{note} {words.say('cat_later', lang)}"
    page = page.replace("</header>", f'</header>\n<p class="cat-note">{note}</p>', 1)
    buttons = ['<div class="actions paging">',
               f'<button type="submit" name="serve_nav" value="next">'
               f'{words.say("nav_next", lang)}</button>']
    if skippable(measure, item_id):
        buttons.append('<button type="submit" name="serve_nav" value="skip" formnovalidate '
                       f'class="secondary">{words.say("cat_skip", lang)}</button>')
    buttons.append("</div>")
    page = _ACTIONS.sub(lambda _m: "".join(buttons), page, count=1)
    if error:
        page = page.replace('<fieldset ', '<p class="form-error" id="cat-error" role="alert">'
                            f'{words.say("cat_choose", lang)}</p>\n<fieldset ', 1)
        page = re.sub(r'(<fieldset [^>]*?)( aria-describedby="([^"]*)")?>',
                      lambda m: f'{m.group(1)} aria-describedby="cat-error'
                                f'{" " + m.group(3) if m.group(3) else ""}">', page, count=1)
    title = measure.text(measure.short_title or measure.title, collection.lang or None)
    heading = words.plain("cat_title", lang, title=title or measure.id, n=number)
    if error:
        heading = f"{words.plain('error_title', lang)}: {heading}"
    page = re.sub(r"<title>.*?</title>", lambda _m: f"<title>{escape(heading)}</title>", page,
                  count=1, flags=re.S)
    response = HttpResponse(page, content_type="text/html; charset=utf-8",
                            status=400 if error else 200)
    response["Content-Security-Policy"] = form_policy(page)
    return response


_ACTIONS = re.compile(r'<div class="actions"><button type="submit">.*?</button></div>', re.S)


def _finish(request: HttpRequest, collection: Collection, measure: ml.Measure, test: _Test,
            mode: str) -> HttpResponse | None:
    """Store the finished test like a form (claiming the collection once; a form the store
    refuses is the same page as for any form, with the claim given back).
    """
    from measurelib.serve._respond import store_claimed

    return store_claimed(request, collection, measure, test.submission(measure), mode)


# ----------------------------------------------------------------------------- FHIR SDC
def _measure_of(qr: dict[str, Any]) -> str:
    """The measure id a QuestionnaireResponse answers: its ``questionnaire`` canonical
    (``…/Questionnaire/<id>|<version>``) or, for ``#…``, the contained Questionnaire's
    ``derivedFrom``/``url``.
    """
    ref = str(qr.get("questionnaire") or "")
    if ref.startswith("#"):
        for res in qr.get("contained") or []:
            if isinstance(res, dict) and res.get("id") == ref[1:]:
                derived = res.get("derivedFrom") or []
                ref = str(derived[0] if derived else res.get("url") or "")
    return ref.split("|", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def _extension(resource: dict[str, Any], url: str) -> str | None:
    for ext in resource.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == url:
            value = ext.get("valueString", ext.get("valueCode"))
            return None if value is None else str(value)
    return None


def _fhir_items(measure: ml.Measure) -> dict[str, dict[str, Any]]:
    content = ml.export(measure, "fhir").content
    return {it["linkId"]: it for it in content.get("item", []) if "linkId" in it}


def _response(measure: ml.Measure, rule: Any, test: _Test, cat_admin: CatAdministration,
              qr_in: dict[str, Any]) -> dict[str, Any]:
    """The QuestionnaireResponse returned: the questions so far in a contained adaptive
    Questionnaire, their answers, and — when the test is over — the score and its SE as
    read-only items and ``status: completed``.
    """
    items = _fhir_items(measure)
    session = test.session
    asked = list(test.order)
    pending = session.next_item()
    q_items = [items[measure.item(i).columns()[0]] for i in asked + ([pending] if pending
                                                                       else [])]
    answers: list[dict[str, Any]] = []
    for item_id in asked:
        column = measure.item(item_id).columns()[0]
        value = test.answers.get(item_id, test.skipped.get(item_id))
        entry: dict[str, Any] = {"linkId": column, "text": items[column].get("text")}
        if value is not None:  # a question skipped without an option has no answer
            option = next((o for o in items[column].get("answerOption", [])
                           if _value_of(measure, column, o) == value), None)
            entry["answer"] = [{"valueCoding": option["valueCoding"]} if option is not None
                               else {"valueInteger": int(value)}]
        answers.append(entry)
    done = pending is None
    metric = measure.calibration.metric if measure.calibration is not None else None
    mean, sd = (metric.mean, metric.sd) if metric is not None else (0.0, 1.0)
    if done:
        score, se = mean + sd * session.theta, sd * session.se
        title = measure.text(rule.title) or rule.id
        for link, text, value in ((rule.id, title, score),
                                  (f"{rule.id}_se", f"{title}: standard error", se)):
            q_items.append({"linkId": link, "text": text, "type": "decimal", "readOnly": True})
            answers.append({"linkId": link, "text": text,
                            "answer": [{"valueDecimal": round(float(value), 6)}]})
    contained = {
        "resourceType": "Questionnaire", "id": CONTAINED_ID, "status": "active",
        "extension": [{"url": EXT_ADAPTIVE, "valueBoolean": True}],
        "derivedFrom": [f"{FHIR_BASE}/Questionnaire/{measure.id}|{measure.version}"],
        "title": measure.text(measure.title), "item": q_items}
    out: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse", "id": cat_admin.reference,
        "contained": [contained], "questionnaire": f"#{CONTAINED_ID}",
        "status": "completed" if done else "in-progress",
        "extension": [{"url": EXT_TIMEPOINT, "valueString": cat_admin.timepoint},
                      {"url": EXT_EPISODE, "valueString": cat_admin.episode}],
        "subject": qr_in.get("subject"), "item": answers}
    if qr_in.get("authored"):
        out["authored"] = qr_in["authored"]
    return out


def _value_of(measure: ml.Measure, column: str, option: dict[str, Any]) -> float | None:
    """The form value an answerOption stands for, read back as interop reads answers."""
    frame = ml.interop.read_fhir(measure, {"resourceType": "QuestionnaireResponse", "item": [
        {"linkId": column, "answer": [{"valueCoding": option.get("valueCoding", {})}]}]})
    try:
        return float(frame[column].iloc[0])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _given(measure: ml.Measure, qr: dict[str, Any]) -> dict[str, float]:
    """The answers a QuestionnaireResponse carries, by item id (interop's FHIR reading)."""
    body = {k: v for k, v in qr.items() if k not in ("contained", "questionnaire")}
    frame = ml.interop.read_fhir(measure, body)
    out: dict[str, float] = {}
    if len(frame):
        row = frame.iloc[0]
        for item_id in _pool(measure, adaptive_rule(measure)):
            column = measure.item(item_id).columns()[0]
            if column in frame.columns and row[column] == row[column] and row[column] is not None:
                out[item_id] = float(row[column])
    return out


@require_POST
@api("responses:write")
def next_question(request: HttpRequest, client: ApiClient) -> HttpResponse:
    """FHIR SDC ``POST Questionnaire/$next-question``: drive an adaptive test.

    The body is a QuestionnaireResponse (or a Parameters resource with it as
    ``questionnaire-response``): ``questionnaire`` names the measure
    (``https://measurelib.org/fhir/Questionnaire/<id>``, or ``#adaptive`` with the
    contained Questionnaire this operation returned), ``subject`` the person
    (``Patient/<respondent id>``, one of the client's team), and the extensions
    ``…/StructureDefinition/timepoint`` and ``…/episode`` the timepoint (required on the
    first call) and episode (default 1). Without an ``id`` a new test starts; with the
    ``id`` returned it continues, the answer to the question last returned included. The
    reply is the QuestionnaireResponse with the next question added to its contained
    Questionnaire, or ``status: completed`` with the score and its SE as read-only items
    once the stopping rule is met; the answers are then stored and scored.
    """
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return _outcome(400, "the body is not JSON")
    if isinstance(body, dict) and body.get("resourceType") == "Parameters":
        body = next((p.get("resource") for p in body.get("parameter") or []
                     if isinstance(p, dict) and p.get("name") == "questionnaire-response"),
                    None)
    if not isinstance(body, dict) or body.get("resourceType") != "QuestionnaireResponse":
        return _outcome(400, "send a QuestionnaireResponse (or Parameters with "
                             "'questionnaire-response')")
    measure_id = _measure_of(body)
    if measure_id not in client.team.measure_ids():
        return _outcome(404, f"no measure {measure_id!r} for this team")
    measure = lib.load_measure(measure_id)
    rule = adaptive_rule(measure)
    if rule is None:
        return _outcome(400, f"{measure_id} is not an adaptive questionnaire")
    subject = str((body.get("subject") or {}).get("reference") or "")
    respondent_id = subject.split("/", 1)[1] if subject.startswith("Patient/") else subject
    person = Person.objects.filter(team=client.team, respondent_id=respondent_id).first()
    if person is None:
        return _outcome(404, "no such person in this team (subject: Patient/<id>)")
    with transaction.atomic():
        if body.get("id"):
            cat_admin = (CatAdministration.objects.select_for_update()
                         .filter(reference=str(body["id"]), client=client, person=person,
                                 measure_id=measure.id).first())
            if cat_admin is None:
                return _outcome(404, "no adaptive test with that id for this client")
            test = _Test.restore(cat_admin, measure, rule)
        else:
            timepoint = _extension(body, EXT_TIMEPOINT)
            if not timepoint:
                return _outcome(400, f"name the timepoint in the extension {EXT_TIMEPOINT}")
            cat_admin = CatAdministration(
                person=person, client=client, reference=uuid.uuid4().hex,
                measure_id=measure.id, score_id=rule.id, timepoint=timepoint,
                episode=_extension(body, EXT_EPISODE) or "1")
            test = _Test(_session(measure, rule, seed=secrets.randbits(32)))
        given = _given(measure, body)
        problem = _take_answers(measure, test, given) or _take_skip(measure, test, body,
                                                                    given)
        if problem is not None:
            return _outcome(400, problem)
        test.save(cat_admin)
    # stored once, after the state's transaction (the Store may share the database file)
    if test.session.next_item() is None and CatAdministration.objects.filter(
            pk=cat_admin.pk, finished_at__isnull=True).update(finished_at=timezone.now()):
        from measurelib.serve._respond import record

        try:
            record(request, person, measure, test.submission(measure),
                   episode=cat_admin.episode, timepoint=cat_admin.timepoint, mode="online",
                   worker=_who(client), date=timezone.localdate().isoformat(),
                   responsible=person.key_worker)
        except Exception:
            CatAdministration.objects.filter(pk=cat_admin.pk).update(finished_at=None)
            raise
        audit(request, "api-response", person=person, username=_who(client),
              detail=f"{measure.id} {cat_admin.timepoint} (adaptive, "
                     f"{len(test.session.administered)} questions)")
    return JsonResponse(_response(measure, rule, test, cat_admin, body),
                        content_type="application/fhir+json")


def _take_answers(measure: ml.Measure, test: _Test, given: dict[str, float]) -> str | None:
    """Apply the answers of a QuestionnaireResponse: those already recorded must not
    change, and the only new one allowed is to the question last returned.
    """
    for item_id in test.session.administered:
        if item_id in given and given[item_id] != test.answers[item_id]:
            return f"the answer to {item_id!r} was already given and cannot change"
    for item_id, value in test.skipped.items():  # skipped ("prefer not to say"): as given
        if item_id in given and given[item_id] != value:
            return f"{item_id!r} was already skipped and cannot be answered now"
    new = {k: v for k, v in given.items()
           if k not in test.session.administered and k not in test.skipped}
    pending = test.session.next_item()
    if not new:
        return None
    if pending is None or set(new) != {pending}:
        return (f"only the question last returned ({pending!r}) can be answered now; "
                f"got {sorted(new)}")
    problem = test.answer(measure, pending, new[pending])
    return None if problem is None else f"{pending!r}: {problem}"


def _take_skip(measure: ml.Measure, test: _Test, body: dict[str, Any],
               given: dict[str, float]) -> str | None:
    """Skip the question last returned when the QuestionnaireResponse carries it with no
    answer (SDC's way of leaving a question unanswered), if the measure allows that.
    """
    pending = test.session.next_item()
    if pending is None or pending in given:
        return None
    column = measure.item(pending).columns()[0]
    sent = [it for it in body.get("item") or [] if isinstance(it, dict)
            and it.get("linkId") == column]
    if not sent or any(it.get("answer") for it in sent):
        return None
    if not skippable(measure, pending):
        return f"{pending!r} must be answered: the measure does not let it be skipped"
    test.skip(pending)
    return None


def _outcome(status: int, message: str) -> JsonResponse:
    """A FHIR OperationOutcome with ``message``."""
    code = {400: "invalid", 404: "not-found"}.get(status, "processing")
    return JsonResponse({"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": code, "diagnostics": message}]}, status=status,
        content_type="application/fhir+json")


__all__ = ["adaptive_rule", "is_adaptive", "next_question", "page"]
