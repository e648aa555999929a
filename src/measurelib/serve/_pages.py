"""Forms shown a page at a time, with the answers saved as they go.

A form is shown whole on one page, or one question per page (the team's setting, or the
measure's own line in it), with no JavaScript: each page posts its answers and a button
(``serve_nav``): *Next*, *Back*, *Save and finish later* or *Send my answers*. Every post saves the
answers so far on the collection (its ``answers``), so an abandoned form keeps them, a
link opened again resumes where the person stopped (until it expires), and the worker sees
the form as partial. Partial answers never reach the Store: only the final *Send* validates
the whole form and stores it, once, so reports never count a partial form.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.html import escape

from measurelib.serve import _library as lib
from measurelib.serve._words import say
from measurelib.serve.models import Collection

NAVS = ("next", "back", "save", "finish")


def pages(measure: Any, paging: str) -> list[tuple[str, ...] | None]:
    """The questions of each page: ``[None]`` (one page with everything), or one top-level
    question (with its follow-ups) per page. Measures whose questions are not plain response
    columns (personalised items) are always shown on one page.
    """
    if paging != "question":
        return [None]
    columns = set(measure.response_columns())
    ids = [item.id for item in measure.items]
    if len(ids) < 2 or any(i not in columns for i in ids):
        return [None]
    return [(i,) for i in ids]


def saved(collection: Collection) -> dict[str, list[str]]:
    """The answers saved so far: response column -> values."""
    try:
        data = json.loads(collection.answers) if collection.answers else {}
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): [str(x) for x in v] for k, v in data.items() if isinstance(v, list)}


def merge(measure: Any, before: dict[str, list[str]], post: Any,
          shown: tuple[str, ...] | None) -> dict[str, list[str]]:
    """The saved answers updated with one page's post (only the measure's columns)."""
    columns = list(measure.response_columns())
    out = dict(before)
    for column in (shown if shown is not None else columns):
        out.pop(column, None)  # a question on this page that came back empty is unanswered
    for column in columns:
        if column in post:
            values = [v for v in post.getlist(column) if str(v).strip()]
            if values:
                out[column] = values[:50]
            else:
                out.pop(column, None)
    return out


def keep(collection: Collection, answers: dict[str, list[str]]) -> bool:
    """Save the answers on the collection while it is still to be answered."""
    return Collection.objects.filter(pk=collection.pk, used_at__isnull=True).update(
        answers=json.dumps(answers, sort_keys=True) if answers else "",
        saved_at=timezone.now()) == 1


def answered(collection: Collection) -> tuple[int, int]:
    """(questions answered so far, questions) of a collection, for the worker."""
    measure = lib.load_measure(collection.measure_id)
    columns = [i.id for i in measure.items]
    have = saved(collection)
    return sum(1 for c in columns if c in have), len(columns)


def first_open_page(measure: Any, collection: Collection) -> int:
    """Where a resumed form starts: the first page with a question not yet answered."""
    have = saved(collection)
    for index, shown in enumerate(pages(measure, collection.paging)):
        if shown is None or any(c not in have for c in shown):
            return index
    return len(pages(measure, collection.paging)) - 1


def page_index(value: Any, count: int) -> int | None:
    """A page number from the query or the post (0-based), or None."""
    try:
        index = int(str(value))
    except (TypeError, ValueError):
        return None
    return min(max(index, 0), count - 1)


def form_page(request: HttpRequest, collection: Collection, action: str, index: int,
              notices: list[str] | None = None) -> HttpResponse:
    """One page of the form, with the saved answers filled in and the page's buttons."""
    from measurelib.serve._respond import form_policy

    measure = lib.load_measure(collection.measure_id)
    plan = pages(measure, collection.paging)
    shown = plan[index]
    page = lib.form_html(measure, action=action, csrf_token=get_token(request),
                         lang=collection.lang or None, respondent=collection.respondent,
                         easy_read=collection.variant == "easy_read",
                         large_print=collection.variant == "large_print",
                         values=saved(collection), items=shown, hidden={"serve_page": str(index)})
    page = _buttons(page, index, len(plan), collection.lang or measure.language)
    if notices:
        block = "".join(f'<div class="risk-notice" role="alert"><p>{escape(t)}</p></div>'
                        for t in notices)
        page = page.replace("<main>", "<main>\n" + block, 1)
    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = form_policy(page)
    return response


_ACTIONS = re.compile(r'<div class="actions"><button type="submit">(.*?)</button></div>', re.S)


def _buttons(page: str, index: int, count: int, lang: str) -> str:
    """The page's buttons in place of the form's one, in the form's language: the first is
    the one Enter presses.
    """
    found = _ACTIONS.search(page)
    if found is None:  # pragma: no cover - the measure's web form always has its button
        return page
    send = found.group(1)
    last = index == count - 1
    parts = ['<div class="actions paging">']
    if count > 1:
        parts.insert(0, f'<p class="progress">{say("progress", lang, n=index + 1, count=count)}'
                        '</p>')
    parts.append(f'<button type="submit" name="serve_nav" value="finish">{send}</button>' if last
                 else '<button type="submit" name="serve_nav" value="next">'
                      f'{say("nav_next", lang)}</button>')
    if index > 0:
        parts.append('<button type="submit" name="serve_nav" value="back" formnovalidate '
                     f'class="secondary">{say("nav_back", lang)}</button>')
    parts.append('<button type="submit" name="serve_nav" value="save" formnovalidate '
                 f'class="secondary">{say("nav_save_later", lang)}</button></div>')
    return page[:found.start()] + "".join(parts) + page[found.end():]


def final_data(measure: Any, answers: dict[str, list[str]], post: Any) -> dict[str, Any]:
    """Everything saved plus the form's own fields of the last post, as parse_form takes it."""
    data: dict[str, Any] = {k: list(v) for k, v in answers.items()}
    for key in ("measure_id", "measure_version", "lang", "respondent_type"):
        if key in post:
            data[key] = post.getlist(key)
    return data


def alerts_so_far(measure: Any, answers: dict[str, list[str]]) -> list[str]:
    """The declared alerts the answers saved so far already set off (alert ids); answers
    that are not valid yet set off nothing until they are.
    """
    if not measure.alerts or not answers:
        return []
    import measurelib as ml

    try:
        submission = lib.parse_form(measure, {k: list(v) for k, v in answers.items()})
    except ml.DataError:
        return []
    return [a.alert_id for a in lib.fired_alerts(measure, submission)]
