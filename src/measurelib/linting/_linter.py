"""The measure linter: wording, scales, scores, burden and licences.

:func:`lint` returns a :class:`LintResult` whose findings are
:class:`~measurelib.errors.Diagnostic` objects with stable codes (``lint-*``, and the
``licence-*`` codes for composed measures), a severity, a file:line:col location and a
hint. The checks:

========================  =====================================================================
code                      what
========================  =====================================================================
lint-reading-age          Flesch-Kincaid reading age of every item, instruction and label above
                          the target (default 11 years; :mod:`measurelib.linting._readability`)
lint-double-barrelled     ``and``/``or`` joining two predicates ("sad or worried")
lint-double-negative      two negations ("I am not unhappy")
lint-recall-conflict      an item's wording names a recall period other than the measure's
lint-mixed-direction      a score adds positively and negatively worded items, no reverse flag
lint-anchor-label         lowest/highest option or anchor without a label
lint-graphic-alt          graphic without alt text
lint-near-duplicate       two items with almost the same wording (similarity ≥ 0.85)
lint-few-items            a score of fewer than 3 items (internal consistency not assessable)
lint-burden               estimated completion time; a warning above ``max_minutes``
lint-no-text              items whose text is not shipped (licence), so not checked
lint-unpinned-source      ``from: id`` without ``@version``
licence-*                 licence findings of a composed measure (:mod:`measurelib.compose._licence`)
========================  =====================================================================

Wording findings on items of a validated measure whose licence forbids changes are reported
as ``info``: they cannot be fixed, only weighed when choosing a measure.

The burden estimate reads every word at 200 words a minute (adult silent reading of English
non-fiction averages 238; Brysbaert 2019), option labels once per run of items sharing a
scale, plus 5 seconds per closed answer and 60 seconds per free-text answer (an ordinary
stand-alone survey question takes about 10 seconds including reading; Pew Research Center
2022).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any

from measurelib._results import Result
from measurelib.compose import assemble, global_overlays, locked_findings, plan
from measurelib.compose._licence import assess as assess_licences
from measurelib.definition import (
    Measure,
    format_path,
    hidden_text_warnings,
    parse_path,
    text_in,
)
from measurelib.errors import CODES, DefinitionError, Diagnostic, LicenceError, Location

__all__ = ["SEVERITIES", "LintResult", "lint"]

SEVERITIES = ("info", "warning", "error")
WORDS_PER_MINUTE = 200
SECONDS_PER_ANSWER = 5
SECONDS_PER_FREE_TEXT = 60
DUPLICATE_SIMILARITY = 0.85

# ----------------------------------------------------------------------------- lexicons
_NEGATIONS = {"not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "cannot",
              "without", "hardly", "barely", "scarcely", "nowhere"}
_NEG_PREFIXED = {
    "unhappy", "unable", "unwell", "unsafe", "unsure", "unlikely", "unimportant",
    "uncomfortable", "unhelpful", "unkind", "unsupported", "uncertain", "unfair", "unloved",
    "unwanted", "unworthy", "unsatisfied", "dissatisfied", "disagree", "dislike", "incapable",
    "insecure", "inadequate", "impossible", "inability", "unnecessary", "unconfident",
    "unmotivated", "unheard", "unvalued", "unclear", "unusual", "untrue", "disinterested",
    "uninterested", "unconcerned", "unafraid",
}
_POSITIVE = {
    "optimistic", "happy", "relaxed", "confident", "calm", "cope", "coping", "able", "can",
    "good", "well", "useful", "close", "loved", "cheerful", "interested", "energy", "satisfied",
    "worthwhile", "hopeful", "safe", "supported", "enjoy", "enjoyed", "content", "proud",
    "valued", "respected", "ease", "easily", "comfort", "comfortable", "clearly", "positive",
    "belong", "included", "independent", "control", "manage", "managed", "kind", "care",
    "friends", "help", "helped", "active", "learned", "notice", "better", "great", "love",
}
_NEGATIVE = {
    "sad", "down", "depressed", "hopeless", "anxious", "worried", "worry", "nervous", "lonely",
    "tired", "stressed", "upset", "angry", "irritated", "panic", "afraid", "scared",
    "worthless", "difficult", "trouble", "bothered", "alone", "isolated", "pain", "blue",
    "guilty", "ashamed", "fail", "failure", "bad", "worse", "restless", "fidgety", "hurt",
    "dead", "harm", "overwhelmed", "frightened", "annoyed", "miserable", "tense", "struggle",
    "struggled", "exhausted", "crying", "fear", "irritable", "unhappy", "unable", "unwell",
    "unsafe", "insecure", "waste", "indifferent", "avoid",
}
_PREDICATES = {
    "am", "are", "is", "was", "were", "be", "been", "have", "has", "had", "do", "does", "did",
    "can", "could", "will", "would", "feel", "felt", "get", "got", "go", "went", "make",
    "made", "think", "thought", "know", "knew", "want", "need", "like", "enjoy", "sleep",
    "eat", "talk", "see", "find", "found", "keep", "kept", "cope", "manage", "worry", "cry",
    "laugh", "help", "take", "took", "say", "said", "use", "try", "tried", "lose", "lost",
    *(_POSITIVE - {"friends", "care", "energy", "ease", "comfort", "control", "help"}),
    *_NEGATIVE - {"pain", "trouble", "fear", "failure", "harm", "energy"},
}
_SUBJECTS = {"i", "you", "we", "they", "he", "she", "it", "my", "your", "their"}
_PRED_SUFFIX = ("ing", "ed", "ful", "less", "ous", "ive", "able", "ible")
_NOT_PREDICATE = {"thing", "things", "something", "nothing", "anything", "everything",
                  "morning", "evening", "feelings", "feeling", "bed", "need", "speed",
                  "during", "being", "ring", "king", "hundred", "red", "shed", "table",
                  "vegetable", "cupboard", "wedding", "building", "pudding"}
_LIST_INTRO = re.compile(r"\b(like|such as|e\.g\.|for example|including|for instance)\b", re.I)
_FIXED_PAIRS = re.compile(
    r"\b(more or less|now and then|up and down|on and off|again and again|over and over|"
    r"and so on|or so|whether or not|or not|and/or|one or more|two or more|or other|"
    r"and other|or anything|and so forth|sooner or later|black and white|rock and roll|"
    r"family and friends|friends and family|day and night|"
    r"(?:in|over|during) (?:the )?(?:last|past))\b",
    re.I)

_RECALLS: list[tuple[re.Pattern[str], int, str]] = [
    (re.compile(r"\b(today|right now|at the moment|at present|currently|this moment)\b", re.I),
     0, "today"),
    (re.compile(r"\byesterday\b", re.I), 1, "yesterday"),
    (re.compile(r"\b(?:last|past) (?:7|seven) days\b|\b(?:last|past|this) week\b", re.I),
     7, "the last week"),
    (re.compile(r"\b(?:last|past) (?:2|two) weeks\b|\b(?:last|past) fortnight\b|"
                r"\b(?:last|past) (?:14|fourteen) days\b", re.I), 14, "the last 2 weeks"),
    (re.compile(r"\b(?:last|past) (?:30|thirty) days\b|\b(?:last|past|this) month\b|"
                r"\b(?:last|past) (?:4|four) weeks\b", re.I), 30, "the last month"),
    (re.compile(r"\b(?:last|past) (?:3|three) months\b", re.I), 90, "the last 3 months"),
    (re.compile(r"\b(?:last|past) (?:12|twelve) months\b|\b(?:last|past|this) year\b", re.I),
     365, "the last year"),
]


def _words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in re.findall(r"[A-Za-z][A-Za-z'’-]*", text)]


def _is_predicate(word: str) -> bool:
    w = word.lower()
    if w in _NOT_PREDICATE:
        return False
    if w in _PREDICATES or w.endswith("n't"):
        return True
    return len(w) > 4 and w.endswith(_PRED_SUFFIX)


def double_barrelled(text: str) -> str | None:
    """The conjunction joining two predicates in ``text`` (``"or"``, ``"and"``), or None."""
    if re.search(r"\band/or\b", text, re.I):
        return "and/or"
    cleaned = _FIXED_PAIRS.sub(" ", text)
    for clause in re.split(r"[.;?!]", cleaned):
        intro = _LIST_INTRO.search(clause)
        if intro:
            clause = clause[: intro.start()]
        parts = re.split(r"\b(and|or)\b", clause, flags=re.I)
        for k in range(1, len(parts) - 1, 2):
            left = _words(parts[k - 1])
            right = _words(parts[k + 1])
            if not left or not right:
                continue
            first = right[0]
            right_pred = _is_predicate(first) or (
                first in _SUBJECTS and len(right) > 1 and _is_predicate(right[1]))
            left_pred = any(_is_predicate(w) for w in left[-4:])
            if right_pred and left_pred:
                return parts[k].lower()
    return None


def negations(text: str) -> list[str]:
    """The negating words of ``text`` (``not``, ``never``, ``don't``, ``unhappy``, ...)."""
    return [w for w in _words(text)
            if w in _NEGATIONS or w.endswith("n't") or w in _NEG_PREFIXED]


def polarity(text: str) -> int:
    """+1 positively worded, -1 negatively worded, 0 unclear (a small lexicon; negation flips)."""
    words = _words(text)
    score = 0
    for i, w in enumerate(words):
        sign = 1 if w in _POSITIVE else -1 if w in _NEGATIVE else 0
        if sign and any(x in _NEGATIONS or x.endswith("n't") for x in words[max(0, i - 3):i]):
            sign = -sign
        score += sign
    return (score > 0) - (score < 0)


def recall_days(text: str) -> tuple[int, str] | None:
    """The recall period a text names, as (days, phrase), or None."""
    for pattern, days, phrase in _RECALLS:
        if pattern.search(text):
            return days, phrase
    return None


def _same_period(a: int, b: int) -> bool:
    return abs(a - b) <= max(1, round(0.1 * max(a, b)))


def _norm(text: str) -> str:
    return " ".join(_words(text))


_STOPWORDS = {"i", "you", "a", "an", "the", "to", "of", "can", "do", "be", "am", "is", "are",
              "my", "your", "it", "that", "this", "so", "very", "really", "just", "about",
              "with", "in", "on", "at", "for", "have", "has", "been", "me", "feel", "felt"}


def near_duplicate(a: str, b: str) -> float | None:
    """The similarity of two normalised texts when they are near-duplicates, else None.

    The texts must be similar overall (``difflib`` ratio ≥ 0.85) *and* every content word
    found in only one of them must have an alike word (ratio ≥ 0.8, e.g. a typo) in the
    other; small words (I, can, to, ...) do not count. Items that share a long stem and
    differ in their content words ("... feel nervous?" and "... feel hopeless?") are not
    duplicates.
    """
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    if ratio < DUPLICATE_SIMILARITY:
        return None
    ta, tb = a.split(), b.split()
    k = 0
    while k < min(len(ta), len(tb)) and ta[k] == tb[k]:
        k += 1
    e = 0
    while e < min(len(ta), len(tb)) - k and ta[-1 - e] == tb[-1 - e]:
        e += 1
    rest_a, rest_b = ta[k:len(ta) - e], tb[k:len(tb) - e]
    only_a = [w for w in rest_a if w not in _STOPWORDS and w not in rest_b]
    only_b = [w for w in rest_b if w not in _STOPWORDS and w not in rest_a]

    def alike(word: str, others: list[str]) -> bool:
        return any(difflib.SequenceMatcher(None, word, o).ratio() >= 0.8 for o in others)

    if all(alike(w, only_b) for w in only_a) and all(alike(w, only_a) for w in only_b):
        return ratio
    return None


# ----------------------------------------------------------------------------- result
class LintResult(Result):
    """Findings of :func:`lint`, with the readability table and the burden estimate.

    Attributes
    ----------
    measure, version : str
    target_reading_age : float
    max_minutes : float
    findings : list of dict
        One per finding: code, severity, message, hint, location.
    readability : list of dict
        One per text: where, words, reading_age, reliable, above_target.
    burden : dict
        words, closed_items, free_text_items, minutes (and per source for batteries), basis.
    counts : dict
        Number of findings by severity.
    """

    measure: str
    version: str
    target_reading_age: float
    max_minutes: float
    findings: list[dict[str, Any]]
    readability: list[dict[str, Any]]
    burden: dict[str, Any]
    counts: dict[str, int]

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """The findings as :class:`~measurelib.errors.Diagnostic` objects."""
        out = []
        for f in self.findings:
            out.append(Diagnostic(f["code"], f["message"], f["hint"],
                                  Location(**f["location"]), f["severity"]))
        return out

    def at_or_above(self, severity: str) -> list[dict[str, Any]]:
        """Findings of ``severity`` or worse (``info`` < ``warning`` < ``error``)."""
        if severity not in SEVERITIES:
            raise ValueError(f"at_or_above(): `severity` must be one of {', '.join(SEVERITIES)}, "
                             f"not {severity!r}")
        level = SEVERITIES.index(severity)
        return [f for f in self.findings if SEVERITIES.index(f["severity"]) >= level]

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        import pandas as pd

        return pd.DataFrame([{**{k: v for k, v in f.items() if k != "location"},
                              "location": str(Location(**f["location"]))}
                             for f in self.findings])

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        c = self.counts
        return (f"{self.measure} {self.version}: {c.get('error', 0)} error(s), "
                f"{c.get('warning', 0)} warning(s), {c.get('info', 0)} note(s); estimated "
                f"completion time {self.burden['minutes']:.1f} min")


# ----------------------------------------------------------------------------- lint
class _Ctx:
    def __init__(self, measure: Measure, locate: Callable[..., Location],
                 fixed: Callable[[Any], bool]):
        self.m = measure
        self.locate = locate
        self.fixed = fixed
        self.findings: list[Diagnostic] = []

    def add(self, code: str, message: str, loc: Location, severity: str = "warning",
            hint: str | None = None) -> None:
        self.findings.append(Diagnostic(code, message, hint if hint is not None
                                        else CODES[code].hint, loc, severity))  # type: ignore[arg-type]


def lint(measure: Any, *, reading_age: float = 11, max_minutes: float = 10,
         overlay: Any = None) -> LintResult:
    """Check a measure's wording, scales, scores, burden and (for composed measures) licences.

    Parameters
    ----------
    measure
        A Measure, a path to a definition (composers are built in memory first; their
        licence findings are included) or a catalog id.
    reading_age
        Target reading age in years (default 11, the age UK plain-English guidance aims at).
    max_minutes
        Completion time above which ``lint-burden`` is a warning.
    overlay
        Licensed item text for sources whose text is not shipped (see :func:`measurelib.build`).

    Returns
    -------
    LintResult

    Examples
    --------
    >>> import measurelib as ml
    >>> result = ml.lint("phq-9")
    >>> result.burden["closed_items"]
    10
    """
    if isinstance(reading_age, bool) or not isinstance(reading_age, (int, float)) \
            or not 5 <= reading_age <= 25:
        raise ValueError(f"lint(): `reading_age` must be a number of years from 5 to 25, not "
                         f"{reading_age!r}")
    if isinstance(max_minutes, bool) or not isinstance(max_minutes, (int, float)) \
            or max_minutes <= 0:
        raise ValueError(f"lint(): `max_minutes` must be a positive number, not {max_minutes!r}")
    flat, locate, fixed, extra = _prepare(measure, overlay)
    ctx = _Ctx(flat, locate, fixed)
    ctx.findings.extend(extra)
    rows = _check_wording(ctx, float(reading_age))
    _check_scales(ctx)
    _check_scores(ctx)
    _check_information(ctx)
    for d in hidden_text_warnings(flat):  # invisible characters pasted into a text
        ctx.add(d.code, d.message, ctx.locate(*parse_path(d.location.path or "")), d.severity,
                d.hint)
    load = burden(flat)
    sev = "warning" if load["minutes"] > max_minutes else "info"
    ctx.add("lint-burden", f"estimated completion time {load['minutes']:.1f} minutes "
            f"({load['words']} words read, {load['closed_items']} answers"
            + (f", {load['free_text_items']} free-text" if load["free_text_items"] else "")
            + ")" + (f", above the limit of {max_minutes:g} minutes" if sev == "warning" else ""),
            locate(), sev)
    order = {"error": 0, "warning": 1, "info": 2}
    findings = sorted(ctx.findings, key=lambda d: (order[d.severity],
                                                   d.location.line or 0, d.location.column or 0,
                                                   d.code))
    counts = {s: sum(1 for d in findings if d.severity == s) for s in SEVERITIES}
    return LintResult(measure=flat.id, version=flat.version,
                      target_reading_age=float(reading_age), max_minutes=float(max_minutes),
                      findings=[d.to_dict() for d in findings], readability=rows,
                      burden=load, counts=counts)


def _prepare(source: Any, overlay: Any) -> tuple[Measure, Callable[..., Location],
                                                 Callable[[Any], bool], list[Diagnostic]]:
    """The flat measure to lint, a locator, a "wording cannot change" test, licence findings."""
    if isinstance(source, Measure) and not source.compose:
        m = source

        def loc_plain(*path: Any) -> Location:

            return Location(m.id, path=format_path(path) or None)

        return m, loc_plain, _fixed_for(m, _locked_licences(m)), \
            locked_findings(m, loc_plain("licence"))
    try:
        p = plan(source, overlay=overlay)
    except LicenceError as err:  # a source's own build broke a licence
        raise DefinitionError(err.errors) from None
    extra: list[Diagnostic] = list(p.deferred)
    if p.uses:
        rows = assess_licences(p)
        for row in rows:
            extra.extend(row.diagnostics)
        for use in p.uses:
            ref = use.entry.from_
            if use.catalog and "@" not in ref:
                extra.append(Diagnostic("lint-unpinned-source", f"compose source {ref!r} has no "
                                        f"version (resolved to {use.source.version})",
                                        f"Write `from: {ref}@{use.source.version}`.",
                                        use.location, "warning"))
        flat = assemble(p, rows, global_overlays(overlay), lenient=True)
    else:
        flat = p.measure
        extra.extend(locked_findings(flat, p.location("licence")))
    own_index = {it.id: i for i, it in enumerate(p.measure.items)}
    entry_of = {use.new_ids[t]: use for use in p.uses for t in use.taken}

    def locate(*path: Any) -> Location:
        if len(path) >= 2 and path[0] == "items" and isinstance(path[1], int) and p.uses:
            item_id = flat.items[path[1]].id
            if item_id in own_index:
                return p.location("items", own_index[item_id], *path[2:])
            use = entry_of.get(item_id)
            if use is not None:
                loc = p.location("compose", use.index)
                return Location(loc.file, loc.line, loc.column,
                                f"compose[{use.index}] → {use.source.id}:{item_id}")
        if path and path[0] == "scales" and len(path) >= 2 and path[1] not in p.measure.scales \
                and p.uses:
            return p.location("compose")
        if path and path[0] == "scores" and len(path) >= 2 and isinstance(path[1], int) \
                and path[1] >= len(p.measure.scores):
            return p.location("compose")
        return p.location(*path)

    licences = {use.source.id: use.source.licence for use in p.uses} or _locked_licences(flat)
    return flat, locate, _fixed_for(flat, licences), extra


def _locked_licences(m: Measure) -> dict[str, Any]:
    if m.lock is None:
        return {}
    return {s.id: s.licence for s in m.lock.sources if s.licence is not None}


def _fixed_for(m: Measure, licences: dict[str, Any]) -> Callable[[Any], bool]:
    def fixed(item: Any) -> bool:
        if item is not None and item.source is not None and item.source.measure in licences:
            return bool(licences[item.source.measure].modification == "forbidden")
        return m.licence.modification == "forbidden" and (
            m.validation is None or m.validation.status == "validated")
    return fixed


def _texts(m: Measure, value: Any) -> str | None:
    """The English text of ``value`` (the wording checks and the readability formula are
    for English), or None.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value if m.language.split("-")[0] == "en" else None
    for lang, text in value.items():
        if lang.split("-")[0] == "en":
            return str(text)
    return None


def _check_wording(ctx: _Ctx, target: float) -> list[dict[str, Any]]:
    from measurelib.linting._readability import readability

    m = ctx.m
    rows: list[dict[str, Any]] = []

    def read(text: str | None, path: tuple[Any, ...], what: str, fixed: bool) -> None:
        if not text:
            return
        r = readability(text)
        above = r.above(target)
        rows.append({"where": what, "path": ".".join(str(x) for x in path), "words": r.words,
                     "reading_age": r.reading_age, "reliable": r.reliable,
                     "above_target": above})
        if above:
            why = (f"reading age {r.reading_age:g}: Flesch-Kincaid grade {r.grade:.1f} + 5"
                   if r.reliable else f"reading age {r.reading_age:g} from its longest word; "
                   f"hard word(s): {', '.join(r.hard_words) or 'none of 4+ syllables'}")
            ctx.add("lint-reading-age", f"{what}: above the target reading age of {target:g} "
                    f"({why})", ctx.locate(*path), "info" if fixed else "warning",
                    CODES["lint-reading-age"].hint + (
                        " (A validated measure's wording cannot be changed.)" if fixed else ""))

    measure_fixed = ctx.fixed(None)
    read(_texts(m, m.instructions), ("instructions",), "the instructions", measure_fixed)
    effective_measure = m.recall.days if m.recall is not None else None
    instr_recall = recall_days(_texts(m, m.instructions) or "")
    if m.recall is not None and m.recall.days is not None and instr_recall is not None \
            and not _same_period(instr_recall[0], m.recall.days):
        ctx.add("lint-recall-conflict", f"the instructions ask about {instr_recall[1]} but the "
                f"measure's recall is {m.text(m.recall.text)!r} ({m.recall.days} days)",
                ctx.locate("instructions"))
    if effective_measure is None and instr_recall is not None:
        effective_measure = instr_recall[0]
    no_text: list[str] = []
    seen_texts: list[tuple[str, int]] = []
    for i, it in enumerate(m.items):
        fixed = ctx.fixed(it)
        text = _texts(m, it.text)
        if it.text is None or "PLACEHOLDER" in str(it.text):
            no_text.append(it.id)
            continue
        if text is None:
            continue
        label = f"item {it.id!r}"
        read(text, ("items", i, "text"), label, fixed)
        read(_texts(m, it.help), ("items", i, "help"), f"the help of item {it.id!r}", fixed)
        for j, fu in enumerate(it.follow_up):
            read(_texts(m, fu.text), ("items", i, "follow_up", j, "text"),
                 f"follow-up {fu.id!r} of item {it.id!r}", fixed)
        sev = "info" if fixed else "warning"
        note = " (A validated measure's wording cannot be changed.)" if fixed else ""
        conj = double_barrelled(text)
        if conj:
            ctx.add("lint-double-barrelled", f"{label} may ask two things at once "
                    f"({conj!r} joins two parts): {text!r}", ctx.locate("items", i, "text"), sev,
                    CODES["lint-double-barrelled"].hint + note)
        negs = negations(text)
        if len(negs) >= 2:
            ctx.add("lint-double-negative", f"{label} has a double negative "
                    f"({', '.join(negs)}): {text!r}", ctx.locate("items", i, "text"), sev,
                    CODES["lint-double-negative"].hint + note)
        rec = recall_days(text)
        effective = it.recall.days if it.recall is not None and it.recall.days is not None \
            else effective_measure
        if rec is not None and effective is not None and not _same_period(rec[0], effective):
            source = "its own recall" if it.recall is not None else "the measure's recall"
            ctx.add("lint-recall-conflict", f"{label} asks about {rec[1]} but {source} is "
                    f"{effective} day(s)", ctx.locate("items", i, "text"), sev,
                    CODES["lint-recall-conflict"].hint + note)
        norm = _norm(text)
        for other, j in seen_texts:
            ratio = near_duplicate(other, norm)
            if ratio is not None:
                ctx.add("lint-near-duplicate", f"{label} is almost the same as item "
                        f"{m.items[j].id!r} (similarity {ratio:.2f})",
                        ctx.locate("items", i, "text"), sev, CODES["lint-near-duplicate"].hint)
                break
        seen_texts.append((norm, i))
    if no_text:
        ctx.add("lint-no-text", f"{len(no_text)} item(s) have no text in the definition "
                f"(licence) or placeholder text: {', '.join(no_text)}; their wording was not "
                "checked",
                ctx.locate("items", m.items.index(m.item(no_text[0]))), "info")
    for sid, scale in m.scales.items():
        labels: list[tuple[Any, tuple[Any, ...]]] = []
        if scale.type in ("ordinal", "yesno"):
            labels = [(o.label, ("scales", sid, "options", j, "label"))
                      for j, o in enumerate(scale.options)]
        elif scale.type in ("numeric", "vas"):
            labels = [(a.label, ("scales", sid, "anchors", j, "label"))
                      for j, a in enumerate(scale.anchors)]
        users = [it for it in m.items if it.scale == sid]
        fixed = bool(users) and all(ctx.fixed(it) for it in users)
        for value, path in labels:
            read(_texts(m, value), path, f"a label of scale {sid!r}", fixed)
    return rows


def _check_scales(ctx: _Ctx) -> None:
    m = ctx.m
    for i, it in enumerate(m.items):
        if it.graphic and it.alt is None:
            ctx.add("lint-graphic-alt", f"item {it.id!r} has a graphic but no alt text",
                    ctx.locate("items", i, "graphic"))
    used = {it.scale for it in m.items}
    for sid, scale in m.scales.items():
        if sid not in used:
            continue
        users = [it for it in m.items if it.scale == sid]
        sev = "info" if all(ctx.fixed(it) for it in users) else "warning"
        if scale.type in ("ordinal", "yesno"):
            opts = [(j, o) for j, o in enumerate(scale.options) if not o.missing]
            for j, o in enumerate(scale.options):
                if o.graphic and o.alt is None:
                    ctx.add("lint-graphic-alt", f"option {j + 1} of scale {sid!r} has a graphic "
                            "but no alt text", ctx.locate("scales", sid, "options", j))
            ends = [opts[0], opts[-1]] if len(opts) >= 2 else opts
            for j, o in ends:
                if o.label is None:
                    ctx.add("lint-anchor-label", f"the {'lowest' if j == opts[0][0] else 'highest'}"
                            f" option ({o.value}) of scale {sid!r} has no label",
                            ctx.locate("scales", sid, "options", j), sev)
        elif scale.type in ("numeric", "vas"):
            values = {float(a.value) for a in scale.anchors}
            for a_j, a in enumerate(scale.anchors):
                if a.graphic and a.alt is None:
                    ctx.add("lint-graphic-alt", f"anchor {a.value} of scale {sid!r} has a "
                            "graphic but no alt text", ctx.locate("scales", sid, "anchors", a_j))
            for end, name in ((float(scale.min), "lowest"), (float(scale.max), "highest")):
                if end not in values:
                    ctx.add("lint-anchor-label", f"the {name} point ({end:g}) of scale {sid!r} "
                            "has no anchor label", ctx.locate("scales", sid), sev)


def _check_scores(ctx: _Ctx) -> None:
    m = ctx.m
    for i, rule in enumerate(m.scores):
        cols = m.score_columns(rule)
        if len(cols) < 3:
            sev = "info" if (m.profile or len(cols) == 1) else "warning"
            ctx.add("lint-few-items", f"score {rule.id!r} has {len(cols)} item(s): internal "
                    "consistency cannot be assessed", ctx.locate("scores", i), sev)
        if rule.method not in ("sum", "mean", "weighted_sum") or len(cols) < 2:
            continue
        directions: dict[str, int] = {}
        for item_id in m.score_items(rule):
            it = m.item(item_id)
            text = _texts(m, it.text)
            pol = polarity(text) if text else 0
            if pol:
                directions[item_id] = -pol if it.reverse else pol
        pos = [k for k, v in directions.items() if v > 0]
        neg = [k for k, v in directions.items() if v < 0]
        if not pos or not neg or len(pos) == len(neg):
            continue
        minority, majority = (neg, "positively") if len(pos) > len(neg) else (pos, "negatively")
        for item_id in minority:
            it = m.item(item_id)
            idx = m.items.index(it)
            flip = "reversed" if it.reverse else "not reversed"
            ctx.add("lint-mixed-direction", f"score {rule.id!r}: item {item_id!r} reads the "
                    f"other way from the {len(directions) - len(minority)} {majority} worded "
                    f"item(s) and is {flip}", ctx.locate("items", idx),
                    "info" if ctx.fixed(it) else "warning",
                    "Set `reverse: true` on it (or `false` if it is already reversed by mistake),"
                    " or reword it.")


def _check_information(ctx: _Ctx) -> None:
    r"""Test information of each ``method: irt`` score over the calibration's target range.

    Information :math:`I(\theta) = \sum_j I_j(\theta)` below ``min_information`` (PROMIS's
    10, i.e. SE ≤ 0.32 on θ) anywhere in the target is a warning naming the sub-range.
    """
    m = ctx.m
    cal = m.calibration
    if cal is None or cal.target is None:
        return
    import numpy as np

    from measurelib.psychometrics import measure_bank

    t, mt = cal.target, cal.metric
    lo, hi = t.theta if t.theta is not None else [(x - mt.mean) / mt.sd for x in t.score or []]
    grid = np.linspace(lo, hi, 61)
    for i, rule in enumerate(m.scores):
        items = m.score_items(rule)
        if rule.method != "irt" or any(m.item(x).irt is None for x in items):
            continue
        info = measure_bank(m, items).information(grid)["total"].to_numpy()
        low = info < t.min_information
        if not low.any():
            continue
        where = grid[low]
        worst = int(np.argmin(info))
        se = mt.sd / float(np.sqrt(info[worst]))
        ctx.add("irt-low-information",
                f"score {rule.id!r}: test information of its {len(items)} item(s) is below "
                f"{t.min_information:g} for θ {where.min():.2f} to {where.max():.2f} "
                f"({mt.name} {mt.to_metric(float(where.min())):.0f} to "
                f"{mt.to_metric(float(where.max())):.0f}) of the target "
                f"[{lo:g}, {hi:g}]; lowest {info[worst]:.1f} at θ {grid[worst]:.2f} "
                f"(SE {se:.1f} {mt.name} points); threshold: {t.source or 'declared'}",
                ctx.locate("scores", i), "warning")


def burden(m: Measure) -> dict[str, Any]:
    """Estimated completion burden of a measure: words read, answers, minutes."""
    def count(value: Any) -> int:
        text = text_in(value, m.language, m.language)
        if text is None and isinstance(value, dict) and value:
            text = next(iter(value.values()))
        return len(_words(text or ""))

    words = count(m.instructions)
    closed = free = 0
    per_source: dict[str, float] = {}
    prev_scale = None
    for it in m.items:
        scale = m.scales.get(it.scale)
        w = count(it.text) + count(it.help)
        if it.text is None:
            w += 10  # licensed text not shipped: assume a short item
        if scale is not None and it.scale != prev_scale:
            if scale.type in ("ordinal", "yesno"):
                w += sum(count(o.label) for o in scale.options)
            elif scale.type in ("numeric", "vas"):
                w += sum(count(a.label) for a in scale.anchors)
        prev_scale = it.scale
        n_cols = len(it.columns())
        is_free = scale is not None and scale.type == "text"
        secs = w * 60 / WORDS_PER_MINUTE + n_cols * (SECONDS_PER_FREE_TEXT if is_free
                                                     else SECONDS_PER_ANSWER)
        for fu in it.follow_up:
            secs += count(fu.text) * 60 / WORDS_PER_MINUTE + SECONDS_PER_ANSWER
            closed += 1
            w += count(fu.text)
        words += w
        if is_free:
            free += n_cols
        else:
            closed += n_cols
        key = it.source.measure if it.source is not None else m.id
        per_source[key] = per_source.get(key, 0.0) + secs / 60
    minutes = words / WORDS_PER_MINUTE + (closed * SECONDS_PER_ANSWER
                                          + free * SECONDS_PER_FREE_TEXT) / 60
    out: dict[str, Any] = {
        "words": words, "closed_items": closed, "free_text_items": free,
        "minutes": round(minutes, 2),
        "basis": f"{WORDS_PER_MINUTE} words a minute (Brysbaert 2019: adults read English "
                 f"non-fiction silently at 238), {SECONDS_PER_ANSWER} s per closed answer and "
                 f"{SECONDS_PER_FREE_TEXT} s per free-text answer (Pew Research Center 2022: "
                 "about 10 s for an ordinary question including reading)",
    }
    if len(per_source) > 1:
        out["by_source"] = {k: round(v, 2) for k, v in per_source.items()}
    return out
