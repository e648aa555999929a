"""HTML, print and script forms: structure, options, languages, licences, escaping."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import measurelib as ml

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
ROOT = HERE.parents[2]
EXAMPLE = ROOT / "instruments" / "examples" / "feeling-today-cy-ar.yaml"


class _Collect(HTMLParser):
    """Collects tags, attributes and text (and any script elements)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts = 0
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self.scripts += 1
        if tag == "style":
            self._in_style = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag
                and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())]

    def tags_named(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]

    @property
    def all_text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.text))


def parse(html: str) -> _Collect:
    p = _Collect()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def phq9() -> ml.Measure:
    return ml.load("phq-9")


@pytest.fixture(scope="module")
def example() -> ml.Measure:
    return ml.load(EXAMPLE)


# ----------------------------------------------------------------------------- html
def test_html_form_structure(phq9: ml.Measure) -> None:
    html = phq9.render("html", action="https://example.org/receive", method="post")
    doc = parse(html)
    assert doc.scripts == 0
    assert doc.find("html")[0]["lang"] == "en"
    assert doc.find("html")[0]["dir"] == "ltr"
    form = doc.find("form")[0]
    assert form["action"] == "https://example.org/receive"
    assert form["method"] == "post"
    assert html.count("<fieldset") == len(phq9.items)
    assert html.count("<legend") == len(phq9.items)
    radios = doc.find("input", type="radio")
    assert len(radios) == 4 * len(phq9.items)
    # every radio has a label pointing at it
    label_for = {a["for"] for a in doc.find("label")}
    assert all(r["id"] in label_for for r in radios)
    assert {r["name"] for r in radios} == {it.id for it in phq9.items}
    hidden = {a["name"]: a["value"] for a in doc.find("input", type="hidden")}
    assert hidden["measure_id"] == "phq-9"
    assert hidden["measure_version"] == "1.0.0"
    assert hidden["respondent_type"] == "self"
    assert "Not at all" in doc.all_text
    # attribution on the form
    assert "Spitzer" in doc.all_text
    # validation status
    assert "Validated questionnaire" in doc.all_text


def test_html_is_self_contained(example: ml.Measure) -> None:
    html = example.render("html")
    assert "<link" not in html
    assert 'src="http' not in html and "url(http" not in html
    imgs = parse(html).find("img")
    assert imgs and all(i["src"].startswith("data:image/svg+xml;base64,") for i in imgs)
    assert all(i["alt"] for i in imgs)


def test_hidden_fields_and_get(phq9: ml.Measure) -> None:
    html = phq9.render("html", method="get", hidden={"respondent_id": "R<1>", "timepoint": "t0"})
    doc = parse(html)
    hidden = {a["name"]: a["value"] for a in doc.find("input", type="hidden")}
    assert hidden["respondent_id"] == "R<1>"
    assert 'value="R&lt;1&gt;"' in html
    assert doc.find("form")[0]["method"] == "get"
    with pytest.raises(ValueError, match="measure_id"):
        phq9.render("html", hidden={"measure_id": "x"})


def test_numeric_text_and_number_inputs(example: ml.Measure) -> None:
    html = example.render("html")
    doc = parse(html)
    coping = [r for r in doc.find("input", type="radio") if r["name"] == "coping"]
    assert [r["value"] for r in coping] == [str(i) for i in range(11)]
    assert "Not coping at all" in doc.all_text
    area = doc.find("textarea")[0]
    assert area["name"] == "comments" and area["maxlength"] == "1000"
    assert area["aria-labelledby"] == "legend-comments"


def test_wide_numeric_scale_is_a_number_input() -> None:
    m = ml.load(DATA / "nasty.yaml")
    doc = parse(m.render("html"))
    num = doc.find("input", type="number")[0]
    assert (num["name"], num["min"], num["max"]) == ("q2", "0", "20")
    assert num["id"] in {a["for"] for a in doc.find("label")}


def test_bad_options(phq9: ml.Measure) -> None:
    with pytest.raises(ValueError, match="fmt"):
        phq9.render("docx")
    with pytest.raises(ValueError, match="respondent"):
        phq9.render("html", respondent="carer")
    with pytest.raises(TypeError, match="colour"):
        phq9.render("html", colour="red")
    with pytest.raises(TypeError, match="large_print"):
        phq9.render("html", large_print="yes")
    with pytest.raises(ValueError, match="method"):
        phq9.render("html", method="put")


# ----------------------------------------------------------------------------- variants
def test_proxy_and_easy_read_wording(example: ml.Measure) -> None:
    with pytest.warns(ml.VariantFallbackWarning, match=r"1 question\(s\) have no proxy "
                      r"wording .*: 5 \(F5\)"):
        proxy = parse(example.render("html", respondent="proxy")).all_text
    assert "How does the person you support feel today?" in proxy
    assert "The person has felt calm." in proxy
    assert "Please answer for the person you support" in proxy
    with pytest.warns(ml.VariantFallbackWarning, match=r"3 \(F3\), 4 \(F4\), 5 \(F5\)"):
        easy = example.render("html", easy_read=True)
    assert "How do you feel today? Pick a face." in parse(easy).all_text
    assert "easy-read" in parse(easy).find("body")[0]["class"]
    big = example.render("print", large_print=True)
    assert "large-print" in parse(big).find("body")[0]["class"]


def test_proxy_not_allowed(phq9: ml.Measure) -> None:
    with pytest.raises(ml.DefinitionError) as exc:
        phq9.render("html", respondent="proxy")
    assert exc.value.errors[0].code == "proxy-not-allowed"


def test_purpose_and_untested_status(example: ml.Measure) -> None:
    text = parse(example.render("print")).all_text
    assert "Why we ask these questions" in text
    assert "Only your support worker and the project team." in text
    assert "Not yet tested." in text


# ----------------------------------------------------------------------------- languages
def test_welsh_and_arabic(example: ml.Measure) -> None:
    cy = example.render("html", lang="cy", action="/x")
    doc = parse(cy)
    assert doc.find("html")[0]["lang"] == "cy" and doc.find("html")[0]["dir"] == "ltr"
    assert "Sut rydych chi'n teimlo heddiw?" in doc.all_text
    assert "Anfon fy atebion" in doc.all_text
    ar = example.render("html", lang="ar")
    doc = parse(ar)
    assert doc.find("html")[0]["lang"] == "ar" and doc.find("html")[0]["dir"] == "rtl"
    assert "كيف تشعر اليوم؟" in doc.all_text
    assert {a["name"]: a["value"] for a in doc.find("input", type="hidden")}["lang"] == "ar"
    pr = parse(example.render("print", lang="ar"))
    assert pr.find("html")[0]["dir"] == "rtl"


@pytest.mark.filterwarnings("ignore::measurelib.VariantFallbackWarning")
def test_form_words_in_welsh_and_arabic(example: ml.Measure) -> None:
    assert "Sgript i&#39;w darllen yn uchel" in example.render("script", lang="cy")
    for fmt in ("html", "print", "script"):
        for lang in ("cy", "ar"):
            out = str(example.render(fmt, lang=lang, respondent="proxy", action="/x"))
            # the note for staff (English, marked as such) aside, every form word translated
            out = re.sub(r'<p class="staff-note.*?</p>', "", out, flags=re.S)
            assert '<span lang="en"' not in out, (fmt, lang)


def test_form_words_fall_back_to_english_marked(write_yaml) -> None:  # type: ignore[no-untyped-def]
    path = write_yaml(text="""
        format: 1
        id: bonjour
        version: 1.0.0
        title: {en: Hello, fr: Bonjour}
        language: en
        languages: [en, fr]
        licence: {holder: x, text_redistribution: allowed, modification: allowed}
        scales:
          yn:
            type: ordinal
            options:
              - {value: 1, label: {en: Yes, fr: Oui}}
              - {value: 0, label: {en: No, fr: Non}}
        items:
          - {id: q, text: {en: "Well?", fr: "Bien ?"}, scale: yn}
    """, name="fr.yaml")
    html = ml.load(path).render("html", lang="fr", action="/x")
    assert '<html lang="fr" dir="ltr">' in html
    assert "Bien ?" in html and "Oui" in html
    assert '<span lang="en" dir="ltr">Send my answers</span>' in html


def test_missing_translation_names_the_items() -> None:
    # French for the title and one item only: every other text is named, at its position
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        'text: {en: "How do you feel today?",', 'text: {fr: "Comment ça va ?", en: "How do you '
        'feel today?",', 1).replace("languages: [en, cy, ar]", "languages: [en, cy, ar, fr]")
    assert "fr:" in text and "fr]" in text
    with pytest.raises(ml.DefinitionError) as exc:
        ml.loads(text, str(EXAMPLE))
    errors = exc.value.errors
    assert all(d.code == "missing-translation" for d in errors)
    paths = {d.location.path for d in errors}
    assert "items[0].text" not in paths and "items[1].text" in paths and "title" in paths
    # each at the text's line and column in the definition (issue 15, point 17)
    lines = text.splitlines()
    for d in errors:
        assert d.location.file == str(EXAMPLE), d
        assert d.location.line and d.location.column and d.location.path, d
        at = lines[d.location.line - 1][d.location.column - 1:]
        assert at and not at.startswith((" ", "#")), (d, at)


def test_a_language_the_measure_lacks_is_one_message(example: ml.Measure) -> None:
    with pytest.raises(ml.DefinitionError) as exc:
        example.render("html", lang="fr")
    (err,) = exc.value.errors
    assert err.code == "missing-translation"
    assert "feeling-today has no text in 'fr'" in err.message and "en, cy, ar" in err.message
    assert err.location.line and err.location.path == "languages"


def test_single_language_measure_in_another_language(phq9: ml.Measure) -> None:
    with pytest.raises(ml.DefinitionError) as exc:
        phq9.render("print", lang="cy")
    assert "phq-9 has no text in 'cy'" in str(exc.value)
    assert len(exc.value.errors) == 1  # one message, not one per text
    # a regional variant of the measure's own language is the same language
    assert "Little interest" in phq9.render("html", lang="en-GB")


# ----------------------------------------------------------------------------- licences
def test_licensed_text_needs_overlay() -> None:
    """Without licensed text the forms show placeholders (and say so); no PDF unless told."""
    m = ml.load("swemwbs")
    for fmt in ("html", "print", "script-text"):
        with pytest.warns(ml.PlaceholderWarning, match="question 1 \\(S1\\)"):
            out = str(m.render(fmt, action="/x"))
        assert "[Licensed text not supplied: question 7 (S7)]" in out
        assert "Do not use it with respondents" in out
    with pytest.raises(ml.LicenceError) as exc:
        m.render("pdf")
    err = exc.value.errors[0]
    assert err.code == "text-placeholder"
    assert "question 1 (S1)" in err.message and "overlay" in err.hint
    with pytest.warns(ml.PlaceholderWarning):
        assert bytes(m.render("pdf", placeholders=True)).startswith(b"%PDF")


def test_overlay_file_and_mapping() -> None:
    m = ml.load("swemwbs")
    html = m.render("html", overlay=DATA / "overlay-swemwbs.yaml")
    assert "Placeholder seven" in html
    html = m.render("print", overlay={it.id: f"Text {it.id}" for it in m.items})
    assert "Text own_mind" in html and "University of Edinburgh" in html
    with pytest.raises(ml.DefinitionError) as exc:
        m.render("html", overlay={"nope": "x"})
    assert exc.value.errors[0].code == "overlay-invalid"
    with pytest.raises(TypeError, match="overlay"):
        m.render("html", overlay=42)


# ----------------------------------------------------------------------------- graphics
def test_shipped_pictograms_exist() -> None:
    from measurelib.forms import pictogram_names

    names = pictogram_names()
    for n in range(1, 6):
        assert f"faces/{n}" in names and f"frequency/{n}" in names
    lic = ROOT / "templates" / "pictograms" / "LICENSE.md"
    assert "CC0" in lic.read_text(encoding="utf-8")


def test_own_image_relative_to_definition(tmp_path: Path) -> None:
    m = ml.load(DATA / "own-picture.yaml")
    doc = parse(m.render("html"))
    img = doc.find("img")[0]
    assert img["alt"] == "a picture of hills"
    assert img["src"].startswith("data:image/svg+xml;base64,")
    # the same measure built from text needs base_dir
    m2 = ml.loads((DATA / "own-picture.yaml").read_text(encoding="utf-8"))
    with pytest.raises(ml.DefinitionError) as exc:
        m2.render("html")
    assert exc.value.errors[0].code == "unknown-graphic"
    assert "picture.svg" in exc.value.errors[0].message
    assert parse(m2.render("html", base_dir=DATA)).find("img")


# ----------------------------------------------------------------------------- escaping
def test_definition_text_cannot_inject_markup() -> None:
    m = ml.load(DATA / "nasty.yaml")
    for fmt in ("html", "print", "script"):
        html = m.render(fmt, action="/x")
        doc = parse(html)
        assert doc.scripts == 0, fmt
        assert "<script>alert" not in html
        assert "onerror=" not in html.replace("onerror=alert(2)&gt;", "")
        text = doc.all_text
        assert "Question <script>alert('q1')</script> with \"quotes\" & ampersands" in text
        assert "Holder & Sons <Ltd>" in text
        assert not doc.find("img", src="x")
        assert not doc.find("a")
        assert not doc.find("svg")
    plain = m.render("script-text")
    assert "Question <script>alert('q1')</script> with \"quotes\" & ampersands" in plain
    assert "&amp;" not in plain.replace("<u>&amp;</u>", "")


# ----------------------------------------------------------------------------- print
def test_print_form(phq9: ml.Measure) -> None:
    html = phq9.render("print")
    doc = parse(html)
    text = doc.all_text
    for label in ("Respondent ID", "Date", "Timepoint", "Worker"):
        assert label in text
    for it in phq9.items:
        assert it.code in text
    assert "break-inside: avoid" in html
    assert "counter(pages)" in html
    assert "size: A4" in html
    assert "Spitzer" in text
    assert not doc.find("input")
    nohead = parse(phq9.render("print", header=False)).all_text
    assert "Respondent ID" not in nohead


def test_script_formats(example: ml.Measure, phq9: ml.Measure) -> None:
    text = example.render("script-text")
    assert 'Say: "Thinking about today, how do you feel?"' in text  # telephone variant
    assert "1 = Very unhappy" in text
    assert "[F1]" in text
    assert "0 = Not coping at all" in text
    html = phq9.render("script")
    doc = parse(html)
    assert "Read out the answers" in doc.all_text
    assert "Nearly every day" in doc.all_text
    assert doc.scripts == 0
    with pytest.warns(ml.VariantFallbackWarning):
        proxy = example.render("script-text", respondent="proxy")
    assert "How does the person you support feel today?" in proxy
    # the script is for staff: it lists the questions read in the person's own wording
    assert "no proxy wording and are shown as written for the person themselves: 5 (F5)" in proxy


def test_render_writes_path(tmp_path: Path, phq9: ml.Measure) -> None:
    out = tmp_path / "f.html"
    html = phq9.render("html", out)
    assert out.read_text(encoding="utf-8") == html


def test_composed_measure_is_built_before_rendering() -> None:
    m = ml.load(ROOT / "instruments" / "examples" / "charity-wellbeing.yaml")
    with pytest.warns(ml.LicenceWarning), pytest.warns(ml.PlaceholderWarning):
        html = m.render("html", overlay=ROOT / "instruments" / "examples"
                        / "swemwbs-overlay.example.yaml")
    text = parse(html).all_text
    assert "PLACEHOLDER" in text and "Warwick" in text


# ----------------------------------------------------------------------------- every kind
@pytest.mark.parametrize("fmt", ["html", "print", "script", "script-text"])
@pytest.mark.parametrize("options", [{}, {"large_print": True, "easy_read": True},
                                     {"respondent": "proxy"}])
@pytest.mark.filterwarnings("ignore::measurelib.VariantFallbackWarning")
def test_every_kind_of_question_renders(fmt: str, options: dict[str, object]) -> None:
    m = ml.load(DATA / "kitchen-sink.yaml")
    out = str(m.render(fmt, **options))
    for text in ("Your health today", "The worst health you can imagine", "Pain (0-20)",
                 "Do you want more help with this?", "Tell us why", "Goal 1", "Goal 2",
                 "Don't know"):
        assert text in out.replace("&#39;", "'"), (fmt, text)
    if options.get("respondent") == "proxy":
        assert "They agree with their plan" in out


def test_every_kind_of_question_fields_round_trip() -> None:
    m = ml.load(DATA / "kitchen-sink.yaml")
    doc = parse(m.render("html", action="/x"))
    names = {a["name"] for a in doc.tags_named("input") if a.get("type") != "hidden"}
    names |= {a["name"] for a in doc.tags_named("textarea")}
    assert names == set(m.response_columns())
    vas = doc.find("input", name="health")[0]
    assert (vas["type"], vas["min"], vas["max"], vas["step"]) == ("number", "0", "100", "any")
    assert "required" in vas
    sub = ml.parse_submission(m, {"health": "72.5", "pain": "3", "helped": "0",
                                  "helped_more_help": "1", "helped_why": "too far",
                                  "agree_plan": "9", "goal_1": "4", "goal_1_text": "Sleep"})
    assert sub.responses["health"] == 72.5 and sub.responses["agree_plan"] is None
    assert sub.responses["goal_1_text"] == "Sleep" and sub.responses["goal_2"] is None


def test_graphic_must_be_an_image_file(tmp_path: Path) -> None:
    text = (DATA / "own-picture.yaml").read_text(encoding="utf-8")
    for bad in ("../nasty.yaml", "/etc/passwd", "faces/9", "missing.png"):
        m = ml.loads(text.replace("graphic: picture.svg", f"graphic: {bad}"))
        with pytest.raises(ml.DefinitionError) as exc:
            m.render("html", base_dir=DATA)
        assert exc.value.errors[0].code == "unknown-graphic", bad
        assert "outdoors" in exc.value.errors[0].message
