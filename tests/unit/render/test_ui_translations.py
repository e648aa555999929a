"""Every word of a form is translated into every shipped language (issue 15, point 8/12).

The form's own words live in ``forms/_i18n.py``; templates may only print them through
``ctx.ui``/``ctx.ui_plain`` (or ``ui_text`` in Python). These tests fail when a key lacks a
translation in a shipped language, when a translation loses a ``{placeholder}``, when a
template or the form code names a key that does not exist, or when a form template prints
English words of its own.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

import measurelib as ml
from measurelib.forms._i18n import SERVICE, UI, ui_text

ROOT = Path(__file__).resolve().parents[3]
FORMS = ROOT / "templates" / "forms"
LANGS = sorted(UI)
KEY_USE = re.compile(r"""\b(?:ui|ui_plain|ui_text)\(\s*["']([a-z_]+)["']""")
KEY_ARG_USE = re.compile(r"""\bplaceholder\(\s*\w+,\s*["']([a-z_]+)["']""")
KEY_PREFIX_USE = re.compile(r"""\b(?:ui|ui_plain|ui_text)\(\s*(?:f?["'])([a-z_]+)_(?:["']\s*~|\{)""")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_shipped_languages_are_more_than_english() -> None:
    assert {"en", "cy", "ar"} <= set(LANGS)


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_every_form_word_is_translated(lang: str) -> None:
    missing = sorted(k for k in UI["en"] if not UI[lang].get(k, "").strip())
    assert not missing, f"{lang} lacks: {missing}"
    extra = sorted(set(UI[lang]) - set(UI["en"]))
    assert not extra, f"{lang} has keys English lacks: {extra}"
    for key, text in UI["en"].items():
        assert fields(UI[lang][key]) == fields(text), (lang, key)
        assert ui_text(key, lang) == (UI[lang][key], lang)


def used_keys() -> set[str]:
    sources = [p.read_text(encoding="utf-8") for p in FORMS.iterdir() if p.suffix in (".j2",)]
    sources += [p.read_text(encoding="utf-8")
                for p in (ROOT / "src" / "measurelib" / "forms").glob("*.py")]
    keys = set()
    for text in sources:
        keys |= {k for k in KEY_USE.findall(text) if not k.endswith("_")}
        keys |= set(KEY_ARG_USE.findall(text))
        for prefix in KEY_PREFIX_USE.findall(text):  # status_~..., variant_{v}
            keys |= {k for k in UI["en"] if k.startswith(prefix + "_")}
    return keys


def test_every_key_used_exists_and_every_key_is_used() -> None:
    used = used_keys()
    assert used, "no use of the form words found"
    assert not used - set(UI["en"]), sorted(used - set(UI["en"]))
    header = {"respondent_id", "date", "timepoint", "worker"}  # ctx.ui(f) over header_fields
    unused = {"number"}  # words no form prints today (still translated)
    # the service's respondent words share the table; tests/serve/test_respondent_i18n.py
    # checks where they are used
    service = set(SERVICE["en"])
    left = set(UI["en"]) - used - header - service
    assert left == unused, sorted(left)


def visible_text(template: str) -> str:
    """The literal text of a template that a reader sees: no tags, Jinja, styles, scripts."""
    text = re.sub(r"\{#.*?#\}", " ", template, flags=re.S)
    text = re.sub(r"<(style|script)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
    return re.sub(r"&[a-z]+;", " ", text)


@pytest.mark.parametrize("name", sorted(p.name for p in FORMS.glob("*.j2")))
def test_form_templates_print_no_words_of_their_own(name: str) -> None:
    words = re.findall(r"[^\W\d_]{2,}", visible_text((FORMS / name).read_text(encoding="utf-8")))
    assert not words, f"{name} prints untranslated words: {words[:10]}"


EXAMPLE = ROOT / "instruments" / "examples" / "feeling-today-cy-ar.yaml"


@pytest.mark.parametrize("lang", ["cy", "ar"])
def test_new_form_words_render_translated(lang: str) -> None:
    from markupsafe import escape

    m = ml.load(EXAMPLE)
    html = str(ml.render(m, "html", lang=lang, timepoints=["baseline", "review"]))
    for key in ("save", "about_you", "your_id", "timepoint_field", "choose", "standalone_js",
                "standalone_nojs"):
        assert str(escape(UI[lang][key])) in html, key
    assert str(escape(UI[lang]["saved"])) in html  # data-saved, for the script
    page = re.sub(r"<script\b.*?</script>", "", html, flags=re.S)  # the script's comments
    for key in ("save", "about_you", "your_id", "choose"):
        assert UI["en"][key] not in page, key
    assert 'lang="en"' not in html.split("<footer")[0]  # no word fell back to English
