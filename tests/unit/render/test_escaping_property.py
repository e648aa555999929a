"""Property: whatever text a definition holds, a form shows it as text and never as markup."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

import measurelib as ml

_TEXT = st.text(
    alphabet=st.one_of(st.sampled_from(list("<>&\"'/=` ;:{}!-")), st.characters(
        blacklist_categories=("Cs", "Cc"))),
    min_size=1, max_size=60,
).filter(lambda t: t.strip() == t and t.strip() != "")


def _measure(question: str, label: str, title: str) -> ml.Measure:
    return ml.Measure.model_validate({
        "format": 1, "id": "prop", "version": "1.0.0", "title": title,
        "licence": {"holder": "x", "text_redistribution": "allowed",
                    "modification": "allowed", "attribution": question},
        "scales": {"s": {"type": "ordinal", "options": [
            {"value": 0, "label": label}, {"value": 1, "label": "other"}]}},
        "items": [{"id": "q", "text": question, "scale": "s"}],
    })


@given(question=_TEXT, label=_TEXT, title=_TEXT)
def test_definition_text_is_always_escaped(question: str, label: str, title: str) -> None:
    m = _measure(question, label, title)
    for fmt in ("html", "print", "script"):
        out = str(m.render(fmt, action="/x"))
        body = re.sub(r"<style>.*?</style>", "", out, flags=re.S)
        assert "<script" not in body.lower()
        # the escaped form of each text appears verbatim, so it reads back as the same text
        for text in (question, label, title):
            assert str(escape(text)) in body
        # no element or attribute was opened by the texts: tags are only ours
        tags = set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", body))
        assert tags <= {"html", "head", "meta", "title", "style", "body", "main", "header",
                        "h1", "h2", "h3", "section", "p", "strong", "form", "input", "fieldset",
                        "legend", "span", "div", "label", "button", "footer", "ul", "li", "ol",
                        "img", "i", "textarea"}, tags
    text = str(m.render("script-text"))
    assert question in text and label in text
