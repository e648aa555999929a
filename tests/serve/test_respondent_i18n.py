"""The respondent's words of the service in every language the forms ship (on SQLite and
PostgreSQL): a Welsh and an Arabic link shown one question per page, saved, sent and closed,
with every word in the form's language and Arabic laid out right to left; and a check that
no respondent-facing word lacks a translation or is written into a template in English."""

from __future__ import annotations

import hashlib
import html
import re
import string
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from measurelib.forms._i18n import SERVICE, UI, ui_text

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "src" / "measurelib" / "serve" / "templates" / "serve"
#: the pages a respondent sees (the worker's unlock page is the worker's; the adaptive
#: test's question is the measure's own web form with the service's words, serve/_cat.py)
RESPONDENT_TEMPLATES = ("respond_base.html", "respond_closed.html", "respond_problem.html",
                        "respond_saved.html", "respond_thanks.html")
EXAMPLE = ROOT / "instruments" / "examples" / "feeling-today-cy-ar.yaml"


def fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


@pytest.mark.parametrize("lang", sorted(UI))
def test_every_respondent_word_is_translated_in_every_shipped_language(lang: str) -> None:
    for key, english in SERVICE["en"].items():
        text, code = ui_text(key, lang)
        assert code == lang, f"{key!r} has no {lang!r} translation"
        assert text.strip() and fields(text) == fields(english), key
        if lang != "en":
            assert text != english or key in {"conv_se"}, f"{key!r} is English in {lang!r}"


def test_respondent_templates_write_no_words_of_their_own() -> None:
    """Every word of a respondent page comes from the table (``{{ t.key }}``), so a word added
    in English only fails here rather than reaching a Welsh or Arabic respondent."""
    for name in RESPONDENT_TEMPLATES:
        source = (TEMPLATES / name).read_text(encoding="utf-8")
        text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", " ", source, flags=re.S)
        text = re.sub(r"<!DOCTYPE html>|<[^>]*>", " ", text)
        words = [w for w in re.findall(r"[^\W\d_]{2,}", text)]
        assert not words, f"{name} has words of its own: {words}"
    used = set()
    for name in RESPONDENT_TEMPLATES:
        used |= set(re.findall(r"\bt\.(\w+)", (TEMPLATES / name).read_text(encoding="utf-8")))
    assert used <= set(SERVICE["en"]), used - set(SERVICE["en"])


def publish_example(world: Any) -> str:
    """The three-language example measure published under a fresh id (Welsh and Arabic)."""
    from measurelib.serve.models import PublishedMeasure

    mid = f"feeling-{world.tag}"
    built = EXAMPLE.read_text(encoding="utf-8").replace("id: feeling-today", f"id: {mid}", 1)
    PublishedMeasure.objects.create(
        team=world.team_a, measure_id=mid, version="1.0.0", title="How are you feeling?",
        composer=built, built=built, sha256=hashlib.sha256(built.encode()).hexdigest())
    return mid


def open_link(world: Any, client: Any, mid: str, lang: str, **extra: Any) -> Any:
    from django.utils import timezone

    from measurelib.serve.models import Collection, hash_token

    token = f"tok{lang}{world.tag}" + "x" * 20
    collection = Collection.objects.create(
        kind="link", person=world.person_a, measure_id=mid, timepoint="baseline",
        token_hash=hash_token(token), lang=lang, paging="question",
        expires_at=timezone.now() + timedelta(days=7), **extra)
    r = client.get(f"/r/{token}")
    assert r.status_code == 302, r.content.decode()[-1500:]
    return collection


ENGLISH = ("Next", "Back", "Save and finish later", "Question 1 of", "Thank you",
           "Your answers", "This link", "Choose one")


@pytest.mark.parametrize("lang", ["cy", "ar"])
def test_a_paged_link_speaks_the_forms_language(world: Any, client_for: Any,
                                                lang: str) -> None:
    from django.test import Client

    from measurelib.serve.models import Collection

    mid = publish_example(world)
    phone = Client()
    collection = open_link(world, phone, mid, lang)
    direction = "rtl" if lang == "ar" else "ltr"
    page = html.unescape(phone.get("/respond/").content.decode())
    assert f'lang="{lang}"' in page and f'dir="{direction}"' in page
    count = page.count("<fieldset")
    assert ui_text("nav_next", lang)[0] in page
    assert ui_text("nav_save_later", lang)[0] in page
    progress = re.search(r'<p class="progress">(.*?)</p>', page)
    assert progress is not None and progress.group(1).startswith(
        ui_text("progress", lang)[0].split("{")[0])
    second = phone.post("/respond/", {"serve_page": "0", "serve_nav": "next"})
    assert second.status_code == 302
    page = html.unescape(phone.get(second["Location"]).content.decode())
    assert ui_text("nav_back", lang)[0] in page
    for english in ENGLISH:
        assert f">{english}<" not in page and f">{english} " not in page, (english, count)
    # save and finish later: the saved page in the language, the date without English months
    r = phone.post("/respond/", {"serve_page": "1", "serve_nav": "save"})
    saved = html.unescape(phone.get(r["Location"]).content.decode())
    assert ui_text("saved_title", lang)[0] in saved and f'dir="{direction}"' in saved
    assert not re.search(r"January|February|March|April|May|June|July|August|September|"
                         r"October|November|December", saved)
    # the date stays whole and left to right inside right-to-left text
    assert re.search(r'<bdi dir="ltr" class="when">\d{4}-\d\d-\d\d \d\d:\d\d</bdi>', saved)
    # the link closed (withdrawn): in the form's language too
    Collection.objects.filter(pk=collection.pk).update(revoked_at=collection.created_at)
    closed = phone.get("/respond/")
    body = html.unescape(closed.content.decode())
    assert closed.status_code == 410 and ui_text("closed_withdrawn", lang)[0] in body
    assert f'lang="{lang}"' in body and "This link" not in body


@pytest.mark.parametrize("lang", ["cy", "ar"])
def test_thanks_and_built_in_risk_text_in_the_forms_language(world: Any, lang: str) -> None:
    from django.test import Client

    from measurelib.serve import _risk

    mid = publish_example(world)
    phone = Client()
    open_link(world, phone, mid, lang)
    location = "/respond/"
    for _ in range(50):  # answer each page's first option, then Send on the last
        page = phone.get(location).content.decode()
        last = 'value="finish"' in page
        post = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
        post.pop("csrfmiddlewaretoken", None)
        radio = re.search(r'type="radio"[^>]*name="([^"]+)"[^>]*value="([^"]+)"', page)
        if radio:
            post[radio.group(1)] = radio.group(2)
        post["serve_nav"] = "finish" if last else "next"
        r = phone.post("/respond/", post)
        assert r.status_code == 302, html.unescape(r.content.decode())[-1500:]
        location = r["Location"]
        if last:
            break
    assert location == "/respond/thanks/"
    thanks = html.unescape(phone.get("/respond/thanks/").content.decode())
    assert ui_text("thanks_title", lang)[0] in thanks
    assert ui_text("thanks_sent", lang)[0] in thanks and "Thank you" not in thanks
    # the built-in risk text, for a team that wrote none of its own
    world.team_a.respondent_risk_text = ""
    world.team_a.save(update_fields=["respondent_risk_text"])
    shown = _risk.for_person(world.team_a, mid, ["any"], lang)
    assert shown == [ui_text("risk_default", lang)[0]] and "116 123" in shown[0]


def test_unknown_language_falls_back_marked_english() -> None:
    from measurelib.serve._words import say

    assert str(say("nav_next", "pl")) == '<span lang="en" dir="ltr">Next</span>'
    assert str(say("progress", "cy", n=2, count=5)) == "Cwestiwn 2 o 5"
    assert str(say("saved_link", "en", date="<b>")).count("&lt;b&gt;") == 1


def _strict_example(world: Any) -> str:
    """The example measure, its first question required and its coping scale 0–20 (a
    number box), published under a fresh id."""
    from measurelib.serve.models import PublishedMeasure

    mid = f"strict-{world.tag}"
    built = EXAMPLE.read_text(encoding="utf-8").replace("id: feeling-today", f"id: {mid}", 1)
    built = built.replace("    scale: faces5\n", "    scale: faces5\n    required: true\n", 1)
    built = built.replace("    min: 0\n    max: 10\n", "    min: 0\n    max: 20\n", 1)
    PublishedMeasure.objects.create(
        team=world.team_a, measure_id=mid, version="1.0.0", title="How are you feeling?",
        composer=built, built=built, sha256=hashlib.sha256(built.encode()).hexdigest())
    return mid


@pytest.mark.parametrize("lang", ["cy", "ar"])
def test_refused_answers_are_explained_in_the_forms_language(world: Any, lang: str) -> None:
    """Bad answers posted to a Welsh and an Arabic form: every message the library's checks
    give is shown in the form's language, naming the question by its number."""
    from django.test import Client
    from django.utils import timezone

    from measurelib.serve.models import Collection, hash_token

    mid = _strict_example(world)
    token = f"bad{lang}{world.tag}" + "y" * 20
    collection = Collection.objects.create(
        kind="link", person=world.person_a, measure_id=mid, timepoint="baseline",
        token_hash=hash_token(token), lang=lang, paging="page",
        expires_at=timezone.now() + timedelta(days=7))
    phone = Client()
    assert phone.get(f"/r/{token}").status_code == 302
    page = phone.get("/respond/").content.decode()
    assert 'type="number"' in page  # the 0–20 question is a number box
    post = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    post.pop("csrfmiddlewaretoken", None)
    # question 1 (required) unanswered, 2 off the scale, 3 not a number, 4 out of range
    post.update({"mood": "", "calm": "9", "talk": "often", "coping": "25",
                 "serve_nav": "finish"})
    r = phone.post("/respond/", post)
    assert r.status_code == 400
    body = html.unescape(r.content.decode())
    assert f'lang="{lang}"' in body
    shown = re.findall(r"<li>(.*?)</li>", body.split("<main")[-1])
    expected = [ui_text("msg_choose", lang)[0].format(n=2),
                ui_text("msg_choose", lang)[0].format(n=3),
                ui_text("msg_number", lang)[0].format(n=4, min=0, max=20),
                ui_text("msg_required", lang)[0].format(n=1)]
    assert shown == expected
    assert all(ui_text(k, lang)[1] == lang for k in ("msg_choose", "msg_number", "msg_required"))
    main = body.split("<main")[-1]
    for english in ("Question", "choose one", "not a valid answer", "not a number", "calm",
                    "coping", "row 1", "column"):
        assert english not in main, english
    assert ui_text("problem_back", lang)[0] in main
    # nothing stored; the link stays open with the answers kept
    collection.refresh_from_db()
    assert collection.state == "open"
    from measurelib.serve import _library

    assert _library.store().administrations(respondent_id=world.person_a.respondent_id,
                                            responses=False).empty
