"""The respondent's words of the service, in the language of the form they belong to.

The words come from the forms' one table (``measurelib.forms.ui_text``), the same that
gives the form its own *Send my answers* button, so a service page (the buttons of a form
shown a page at a time, the thank-you, saved, closed-link and problem pages, the adaptive
test's page) is in the form's language and direction. A word a language lacks falls back
to English and is then marked ``lang="en" dir="ltr"`` for screen readers.
"""

from __future__ import annotations

from typing import Any

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

import measurelib as ml
from measurelib.serve import _library as lib


def lang_of(collection: Any) -> tuple[str, str]:
    """The language of a collection's form (its own, else its measure's) and its direction
    (``ltr``/``rtl``); ``("en", "ltr")`` without a collection.
    """
    if collection is None:
        return "en", "ltr"
    try:
        measure = lib.load_measure(collection.measure_id)
    except Exception:  # a measure since withdrawn: its pages are still shown, in English
        return "en", "ltr"
    lang = str(getattr(collection, "lang", "") or measure.language)
    return lang, measure.direction(lang)


def plain(key: str, lang: str, **fields: Any) -> str:
    """A word as plain text (for a page title or a message), its fields filled in."""
    text = ml.forms.ui_text(key, lang)[0]
    return text.format(**fields) if fields else text


def say(key: str, lang: str, **fields: Any) -> SafeString:
    """A word as HTML, its fields escaped and filled in; marked English when it fell back."""
    text, code = ml.forms.ui_text(key, lang)
    safe = {k: conditional_escape(v) for k, v in fields.items()}
    body = mark_safe(conditional_escape(text).format(**safe)) if safe else conditional_escape(text)
    if code.split("-")[0] != lang.split("-")[0]:
        return format_html('<span lang="{}" dir="ltr">{}</span>', code, body)
    return SafeString(body)


def english(text: str, lang: str) -> SafeString:
    """Text that only exists in English (e.g. a message of the store for the worker), marked
    ``lang="en" dir="ltr"`` on a page in another language.
    """
    if lang.split("-")[0] == "en":
        return SafeString(conditional_escape(text))
    return format_html('<span lang="en" dir="ltr">{}</span>', text)


class Words(dict[str, SafeString]):
    """The words of one language for a template, looked up as used: ``{{ t.nav_next }}``."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def __missing__(self, key: str) -> SafeString:
        self[key] = word = say(key, self.lang)
        return word


def context(collection: Any, **extra: Any) -> dict[str, Any]:
    """A respondent page's template context: ``lang``, ``dir`` and the words ``t``."""
    lang, direction = lang_of(collection)
    return {"lang": lang, "dir": direction, "t": Words(lang), **extra}
