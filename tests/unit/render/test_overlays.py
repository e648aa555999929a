"""Overlays: licensed option labels (per scale or item), translations of borrowed text,
placeholders where licensed text is missing, and wording variants that fall back."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
import yaml

import measurelib as ml

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "instruments" / "examples"
STATE_NAMES = ("Ideal state", "No needs", "Some needs", "High-order needs")


def _ascot_overlay(tmp_path: Path) -> Path:
    m = ml.load("ascot-sct4")
    items = {it.id: {"text": f"Question about {it.id}?",
                     "options": {v: f"{it.id} statement {v}" for v in (1, 2, 3, 4)}}
             for it in m.items}
    path = tmp_path / "ascot-overlay.yaml"
    path.write_text(yaml.safe_dump({"measure": "ascot-sct4@1.0.0", "items": items}),
                    encoding="utf-8")
    return path


def test_borrowed_scale_never_prints_internal_state_names(tmp_path: Path) -> None:
    """ASCOT's options are the catalog's names of outcome states, not answers."""
    m = ml.load("ascot-sct4")
    with pytest.warns(ml.PlaceholderWarning):
        html = str(m.render("html", action="/x"))
    for name in STATE_NAMES:
        assert name not in html
    assert "[Licensed text not supplied: answer 1 of question A1]" in html
    assert "[Licensed text not supplied: question 8 (A8)]" in html
    with pytest.raises(ml.LicenceError):
        m.render("pdf")
    # the names are kept where staff read them: the score bands
    assert [b.label for b in m.scores[0].bands] == list(STATE_NAMES)


def test_overlay_supplies_per_item_option_labels(tmp_path: Path) -> None:
    m = ml.load("ascot-sct4")
    overlay = _ascot_overlay(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no placeholder left, nothing to warn about
        html = str(m.render("html", action="/x", overlay=overlay))
        script = str(m.render("script-text", overlay=overlay))
    assert "Question about control?" in html and "control statement 4" in html
    assert "dignity statement 1" in html and "[Licensed text" not in html
    assert "safety statement 3" in script
    # answers keep their stored values
    assert re.search(r'name="control" value="4"', html)
    pdf = m.render("pdf", overlay=overlay)
    assert bytes(pdf).startswith(b"%PDF")


def test_overlay_scale_labels_and_per_item_labels_in_a_build(tmp_path: Path) -> None:
    (tmp_path / "ascot.yaml").write_bytes(_ascot_overlay(tmp_path).read_bytes())
    composer = tmp_path / "care.yaml"
    composer.write_text(yaml.safe_dump({
        "format": 1, "id": "care-check", "version": "1.0.0", "title": "Care check",
        "licence": {"holder": "Us", "text_redistribution": "allowed", "modification": "allowed"},
        "compose": [{"from": "ascot-sct4@1.0.0", "items": "all", "overlay": "ascot.yaml",
                     "permission": {"granted_by": "University of Kent", "date": "2026-01-01",
                                    "scope": "use in our service"}}],
    }), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.LicenceWarning)
        built = ml.build(composer)
    control = built.item("control")
    labels = [o.label for o in built.scales[control.scale].options]
    assert labels == [f"control statement {v}" for v in (1, 2, 3, 4)]
    assert built.item("dignity").scale != control.scale  # each item its own wording


def _welsh_composer(tmp_path: Path) -> Path:
    (tmp_path / "swemwbs-cy.yaml").write_text(yaml.safe_dump({
        "measure": "swemwbs@1.0.0",
        "recall": {"cy": "dros y pythefnos diwethaf"},
        "items": {it.id: {"en": f"EN {it.id}", "cy": f"CY {it.id}"}
                  for it in ml.load("swemwbs").items},
        "scales": {"freq5": {"options": {1: {"cy": "Dim o'r amser"}, 2: {"cy": "Yn anaml"},
                                         3: {"cy": "Peth o'r amser"}, 4: {"cy": "Yn aml"},
                                         5: {"cy": "Drwy'r amser"}}}},
        "scores": {"metric": {"cy": "Sgôr metrig SWEMWBS"},
                   "raw": {"cy": "Cyfanswm crai SWEMWBS"}},
    }, allow_unicode=True), encoding="utf-8")
    path = tmp_path / "lles.yaml"
    path.write_text(yaml.safe_dump({
        "format": 1, "id": "lles", "version": "1.0.0",
        "title": {"en": "Wellbeing check", "cy": "Gwiriad lles"},
        "language": "en", "languages": ["en", "cy"],
        "licence": {"holder": "Us", "text_redistribution": "allowed",
                    "modification": "allowed"},
        "compose": [{"from": "swemwbs@1.0.0", "items": "all", "scores": True,
                     "overlay": "swemwbs-cy.yaml"}],
    }, allow_unicode=True), encoding="utf-8")
    return path


def test_welsh_measure_with_swemwbs(tmp_path: Path) -> None:
    """An overlay translates borrowed text: items, option labels, recall and score titles."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.LicenceWarning)
        built = ml.build(_welsh_composer(tmp_path))
    assert built.scales["freq5"].options[0].label == {"en": "None of the time",
                                                      "cy": "Dim o'r amser"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cy = str(built.render("html", lang="cy", action="/x"))
    assert "CY optimistic" in cy and "Drwy&#39;r amser" in cy and "pythefnos" in cy
    # the source's copyright line has no Welsh: printed as written, marked as English
    assert re.search(r'<p class="attribution-line" lang="en" dir="ltr">Short Warwick', cy)
    en = str(built.render("html", action="/x"))
    assert "EN optimistic" in en and "None of the time" in en
    q = ml.export(built, to="fhir").content
    assert "Dim o'r amser" in str(q)


def test_overlay_may_not_reword_shipped_text(tmp_path: Path) -> None:
    m = ml.load("swemwbs")
    with pytest.raises(ml.DefinitionError) as exc:
        m.render("html", action="/x", overlay={
            "items": {it.id: "x" for it in m.items},
            "scales": {"freq5": {"options": {1: "Never"}}}})
    err = exc.value.errors[0]
    assert err.code == "overlay-invalid" and "rewords the shipped label of option 1" in err.message


def test_overlay_names_unknown_options_and_scales(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("measure: swemwbs\nitems:\n  optimistic: x\nscales:\n  freq5:\n"
                    "    options: {9: {cy: naw}}\n  nope:\n    options: {1: x}\n",
                    encoding="utf-8")
    with pytest.raises(ml.DefinitionError) as exc:
        ml.load("swemwbs").render("html", action="/x", overlay=path)
    messages = [(d.message, d.location.line) for d in exc.value.errors]
    assert any("option 9 of scale 'freq5'" in msg for msg, _ in messages)
    assert any("scale 'nope'" in msg and line in (7, 8) for msg, line in messages)


def test_placeholder_overlay_text_counts_as_missing() -> None:
    """The example overlay's [PLACEHOLDER ...] texts: the form says so; no PDF unless told."""
    m = ml.load(EXAMPLES / "charity-wellbeing.yaml")
    overlay = EXAMPLES / "swemwbs-overlay.example.yaml"
    with pytest.warns(ml.PlaceholderWarning, match="question 2 \\(S1\\)"), \
            pytest.warns(ml.LicenceWarning):
        html = str(m.render("print", overlay=overlay))
    assert "Do not use it with respondents" in html
    with pytest.raises(ml.LicenceError) as exc, pytest.warns(ml.LicenceWarning):
        m.render("pdf", overlay=overlay)
    assert exc.value.errors[0].code == "text-placeholder"


# ----------------------------------------------------------------------------- variants
def test_build_names_items_without_proxy_wording(tmp_path: Path) -> None:
    composer = tmp_path / "proxy.yaml"
    composer.write_text(yaml.safe_dump({
        "format": 1, "id": "with-proxy", "version": "1.0.0", "title": "With proxy",
        "respondents": ["self", "proxy"],
        "licence": {"holder": "Us", "text_redistribution": "allowed", "modification": "allowed"},
        "scales": {"yn": {"type": "yesno"}},
        "items": [{"id": "own", "text": "Do you sleep well?", "scale": "yn",
                   "variants": {"proxy": "Do they sleep well?"}}],
        "compose": [{"from": "wellbeing-bank@1.0.0",
                     "items": ["feeling_today", "cope_ask_help"]}],
    }), encoding="utf-8")
    with pytest.warns(ml.VariantFallbackWarning) as caught:
        built = ml.build(composer)
    message = " ".join(str(w.message) for w in caught)
    assert "1 item(s) have no proxy wording" in message and "cope_ask_help" in message
    assert "feeling_today" not in message  # it has proxy wording
    with pytest.warns(ml.VariantFallbackWarning, match="cope_ask_help|W"):
        paper = str(built.render("print", respondent="proxy"))
    assert "Note for staff" in paper and "no proxy wording" in paper
    with pytest.warns(ml.VariantFallbackWarning):
        web = str(built.render("html", respondent="proxy", action="/x"))
    assert "Note for staff" not in web  # respondent-facing: the warning goes to the caller


def test_no_fallback_no_warning() -> None:
    m = ml.load(EXAMPLES / "feeling-today-cy-ar.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        text = str(m.render("script-text"))  # telephone wording falls back by design
    assert "Note for staff" not in text


def test_cli_build_prints_the_fallback_warning(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from measurelib.cli._main import main

    composer = tmp_path / "proxy.yaml"
    composer.write_text(yaml.safe_dump({
        "format": 1, "id": "with-proxy", "version": "1.0.0", "title": "With proxy",
        "respondents": ["self", "proxy"],
        "licence": {"holder": "Us", "text_redistribution": "allowed", "modification": "allowed"},
        "compose": [{"from": "wellbeing-bank@1.0.0",
                     "items": ["feeling_today", "cope_ask_help"]}],
    }), encoding="utf-8")
    assert main(["build", str(composer), "-o", str(tmp_path / "built.yaml")]) == 0
    err = capsys.readouterr().err
    assert "warning: with-proxy: 1 item(s) have no proxy wording" in err
    assert "cope_ask_help" in err


def test_entry_sheet_explains_codes_of_licensed_answers(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "ascot.xlsx"
    ml.write_entry_sheet(ml.load("ascot-sct4"), out)
    rows = list(load_workbook(out)["codes"].iter_rows(values_only=True))
    first = next(r for r in rows if r[0] == "A1")
    assert first[3] == "1" and first[4].startswith("(answer wording licensed) Outcome state")
