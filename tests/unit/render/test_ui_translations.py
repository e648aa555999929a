"""Every word of a form is translated into every shipped language (issue 15, point 8/12),
including what a respondent is told when a submitted form is refused (issue 17).

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
from hypothesis import given, settings
from hypothesis import strategies as st

import measurelib as ml
from measurelib.forms._i18n import SERVICE, UI, ui_text

ROOT = Path(__file__).resolve().parents[3]
FORMS = ROOT / "templates" / "forms"
LANGS = sorted(UI)
KEY_USE = re.compile(r"""\b(?:ui|ui_plain|ui_text)\(\s*["']([a-z_]+)["']""")
KEY_ARG_USE = re.compile(r"""\bplaceholder\(\s*\w+,\s*["']([a-z_]+)["']""")
KEY_PREFIX_USE = re.compile(r"""\b(?:ui|ui_plain|ui_text)\(\s*(?:f?["'])([a-z_]+)_(?:["']\s*~|\{)""")
#: the respondent messages of a refused submission, chosen by key in forms/_submission.py
KEY_MSG_USE = re.compile(r"""["'](msg_[a-z_]+)["']""")


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
        keys |= set(KEY_MSG_USE.findall(text))
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


# ----------------------------------------------------------------- refused submissions
STRICT = EXAMPLE.read_text(encoding="utf-8").replace(
    "    scale: faces5\n", "    scale: faces5\n    required: true\n", 1).replace(
    "    min: 0\n    max: 10\n", "    min: 0\n    max: 20\n", 1)
#: a post with every kind of problem: 1 required and blank, 2 off the scale, 3 text, 4 out
#: of the number box's range, and a field posted twice with different values
BAD = {"mood": "", "calm": "9", "talk": "often", "coping": "25"}


def strict_measure(tmp_path: Path) -> ml.Measure:
    path = tmp_path / "strict.yaml"
    path.write_text(STRICT, encoding="utf-8")
    return ml.load(path)


def refused(measure: ml.Measure, data: dict[str, object], **kwargs: object) -> ml.DataError:
    with pytest.raises(ml.DataError) as info:
        ml.parse_submission(measure, data, **kwargs)
    return info.value


@pytest.mark.parametrize("lang", LANGS)
def test_submission_messages_in_every_shipped_language(tmp_path: Path, lang: str) -> None:
    m = strict_measure(tmp_path)
    err = refused(m, BAD, check_required=True)
    assert [d.code for d in err.errors] == ["invalid-answer", "not-a-number", "invalid-answer",
                                            "answer-required"]
    said = ml.forms.submission_messages(m, err, lang)
    assert said == [UI[lang]["msg_choose"].format(n=2), UI[lang]["msg_choose"].format(n=3),
                    UI[lang]["msg_number"].format(n=4, min=0, max=20),
                    UI[lang]["msg_required"].format(n=1)]
    twice = refused(m, {"calm": ["1", "2"]})
    assert ml.forms.submission_messages(m, twice, lang) == [UI[lang]["msg_choose"].format(n=2)]
    other = refused(m, {"measure_id": "phq-9"})
    assert ml.forms.submission_messages(m, other, lang) == [UI[lang]["msg_other_form"]]
    odd = refused(m, {"respondent_type": "robot"})
    assert ml.forms.submission_messages(m, odd, lang) == [UI[lang]["msg_unreadable"]]
    if lang != "en":
        english = {UI["en"][k].split("{")[0] for k in UI["en"] if k.startswith("msg_")}
        assert not any(e and text.startswith(e) for text in said for e in english)


def test_required_is_checked_only_when_asked(tmp_path: Path) -> None:
    m = strict_measure(tmp_path)
    assert ml.parse_submission(m, {"calm": "2"}).responses["mood"] is None  # paper: as given
    err = refused(m, {"calm": "2"}, check_required=True)
    assert [(d.code, d.location.field) for d in err.errors] == [("answer-required", "mood")]
    # "Don't know"-like answers and answers given are answers; blanks such as NA are not
    assert ml.parse_submission(m, {"mood": "3"}, check_required=True).responses["mood"] == 3
    assert refused(m, {"mood": " NA "}, check_required=True).errors[0].code == "answer-required"


def test_submission_messages_name_the_questions_as_the_form_numbers_them(
        tmp_path: Path) -> None:
    """The number in a message is the number the form prints before the question."""
    m = strict_measure(tmp_path)
    page = str(ml.render(m, "html", lang="cy"))
    for name, number in (("mood", "1"), ("calm", "2"), ("talk", "3"), ("coping", "4")):
        legend = re.search(rf'<legend id="legend-{name}"><span class="item-num">(\S+?)\.</span>',
                           page)
        assert legend is not None and legend.group(1) == number, name


@given(st.dictionaries(st.sampled_from(["mood", "calm", "talk", "coping", "comments",
                                        "measure_id", "respondent_type"]),
                       st.one_of(st.text(max_size=6), st.lists(st.text(max_size=3),
                                                               max_size=3)),
                       max_size=6),
       st.sampled_from(LANGS))
@settings(max_examples=150, deadline=None)
def test_any_refused_post_is_explained_in_the_forms_language(data: dict[str, object],
                                                             lang: str) -> None:
    """Fuzz: whatever is posted, a refusal yields at least one sentence, each from the
    language's own table (never a code, a column name or English in Welsh/Arabic)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        m = strict_measure(Path(folder))
    try:
        ml.parse_submission(m, data, check_required=True)
    except ml.DataError as exc:
        said = ml.forms.submission_messages(m, exc, lang)
        assert said and len(said) == len(set(said))
        allowed = [UI[lang][k] for k in UI[lang] if k.startswith("msg_")]
        patterns = [re.escape(t).replace(r"\{n\}", r"[0-9]+(?:\.[0-9]+|[a-z])?")
                    .replace(r"\{min\}", "0").replace(r"\{max\}", "20") for t in allowed]
        for text in said:
            assert any(re.fullmatch(p, text) for p in patterns), text
