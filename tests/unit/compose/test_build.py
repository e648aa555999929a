from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import measurelib as ml
from measurelib.compose import content_hash

from .conftest import EXAMPLES, HEAD

OVERLAY = EXAMPLES / "swemwbs-overlay.example.yaml"


def _build(path: Path | str, **kw: object) -> ml.Measure:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.LicenceWarning)
        return ml.build(path, **kw)


def test_charity_example_builds_with_provenance_lock_and_attributions() -> None:
    with pytest.warns(ml.LicenceWarning, match="registration with NHS Health Scotland"):
        built = ml.build(EXAMPLES / "charity-wellbeing.yaml")
    ids = [it.id for it in built.items]
    assert ids[0] == "feeling_today" and ids[-2:] == ["cope_day_to_day", "know_where_help"]
    assert ids[1:8] == ["optimistic", "useful", "relaxed", "dealing_with_problems",
                        "thinking_clearly", "close_to_others", "own_mind"]
    prov = built.item("optimistic").source
    assert (prov.measure, prov.item, prov.version) == ("swemwbs", "optimistic", "1.0.0")
    assert not prov.text_changed and not prov.scale_changed
    assert "PLACEHOLDER" in built.item("optimistic").text
    assert built.item("cope_day_to_day").source is None
    assert [s.id for s in built.scores] == ["feeling", "coping", "swemwbs_metric", "swemwbs_raw"]
    assert built.score_rule("swemwbs_metric").transform.table in built.tables
    assert len(built.attributions) == 2 and "SWEMWBS" in built.attributions[1]
    assert built.compose == [] and built.order is None
    lock = built.lock
    assert [s.id for s in lock.sources] == ["wellbeing-bank", "swemwbs"]
    assert lock.sha256 == content_hash(built)
    swem = lock.sources[1]
    assert swem.sha256 == content_hash(ml.load("swemwbs@1.0.0"))
    assert "register with" in " ".join(swem.obligations)
    assert swem.use == "all 7 items unchanged with its scores"


def test_build_is_deterministic_and_round_trips() -> None:
    a = _build(EXAMPLES / "charity-wellbeing.yaml")
    b = _build(EXAMPLES / "charity-wellbeing.yaml")
    assert a.to_yaml() == b.to_yaml()
    again = ml.loads(a.to_yaml())
    assert again == a and content_hash(again) == a.lock.sha256


def test_breaks_licence_example_fails_with_holder_rule_and_fix() -> None:
    with pytest.raises(ml.LicenceError) as exc:
        ml.build(EXAMPLES / "breaks-licence.yaml")
    (d,) = exc.value.errors
    assert d.code == "licence-modification"
    assert "NHS Health Scotland" in d.message and "modification" in d.message
    assert "takes 3 of its 7 items" in d.message
    assert "Use all 7 items" in d.hint and "permission" in d.hint
    assert d.location.file.endswith("breaks-licence.yaml")
    assert (d.location.line, d.location.column) == (20, 11)


def test_permission_turns_violation_into_recorded_exception(write) -> None:
    text = (EXAMPLES / "breaks-licence.yaml").read_text()
    text = text.replace("    overlay: swemwbs-overlay.example.yaml", f"""    overlay: {OVERLAY}
    permission: {{granted_by: Warwick Medical School, date: 2026-01-15, reference: WEMWBS-123}}""")
    path = write("with-permission.yaml", text)
    built = _build(path)
    src = built.lock.sources[0]
    assert src.status == "permission"
    assert src.permission.granted_by == "Warwick Medical School"
    assert src.use.startswith("takes 3 of its 7 items")
    rows = ml.licence_report(path).rows
    assert rows[0]["status"] == "permission"


def test_own_items_and_order_list(write, bank) -> None:
    path = write("m.yaml", HEAD + """\
scales:
  yn: {type: yesno}
items:
  - {id: mine, text: "Did we help you today?", scale: yn}
compose:
  - from: bank.yaml
    items: [cope, talk]
    rename: {talk: someone_to_talk}
order: [mine, bank.yaml]
""")
    built = _build(path)
    assert [it.id for it in built.items] == ["mine", "cope", "someone_to_talk"]
    assert built.item("someone_to_talk").source.item == "talk"
    assert built.lock.sources[0].path == "bank.yaml"


def test_unknown_catalog_source_and_version(write) -> None:
    path = write("m.yaml", HEAD + "compose:\n  - from: swembws@1.0.0\n  - from: phq-9@9.9.9\n")
    with pytest.raises(ml.DefinitionError) as exc:
        _build(path)
    codes = [d.code for d in exc.value.errors]
    assert codes == ["compose-unknown-source", "catalog-version"]
    first, second = exc.value.errors
    assert "swemwbs" in first.hint
    assert (first.location.line, second.location.line) == (7, 8)
    assert first.location.column == 11


def test_missing_file_source(write) -> None:
    path = write("m.yaml", HEAD + "compose:\n  - from: banks/nothing.yaml\n")
    with pytest.raises(ml.DefinitionError, match="no such file") as exc:
        _build(path)
    assert exc.value.errors[0].code == "compose-unknown-source"


def test_item_not_in_source(write, bank) -> None:
    path = write("m.yaml", HEAD + "compose:\n  - from: bank.yaml\n    items: [talk, coping]\n")
    with pytest.raises(ml.DefinitionError) as exc:
        _build(path)
    (d,) = exc.value.errors
    assert d.code == "compose-unknown-item" and "coping" in d.message
    assert "did you mean 'cope'" in d.hint.lower()
    assert (d.location.line, d.location.column) == (8, 19)


def test_rename_collision(write, bank) -> None:
    path = write("m.yaml", HEAD + """\
scales:
  yn: {type: yesno}
items:
  - {id: talk, text: "Own question?", scale: yn}
compose:
  - from: bank.yaml
""")
    with pytest.raises(ml.DefinitionError) as exc:
        _build(path)
    (d,) = exc.value.errors
    assert d.code == "compose-id-collision" and "'talk'" in d.message
    assert "rename" in d.hint and d.location.line == 11


def test_rename_collision_between_sources(write, bank) -> None:
    path = write("m.yaml", HEAD + """\
compose:
  - from: bank.yaml
    items: [talk]
  - from: bank.yaml
    items: [cope]
    rename: {cope: talk}
""")
    with pytest.raises(ml.DefinitionError) as exc:
        _build(path)
    assert exc.value.errors[0].code == "compose-id-collision"
    assert exc.value.errors[0].location.line == 11


def test_cyclic_composition(write) -> None:
    write("a.yaml", HEAD.replace("bespoke", "a") + "compose:\n  - from: b.yaml\n")
    write("b.yaml", HEAD.replace("bespoke", "b") + "compose:\n  - from: a.yaml\n")
    with pytest.raises(ml.DefinitionError) as exc:
        _build(Path(write("c.yaml", HEAD + "compose:\n  - from: a.yaml\n")))
    assert any(d.code == "compose-cycle" for d in exc.value.errors)
    d = next(d for d in exc.value.errors if d.code == "compose-cycle")
    assert "a.yaml" in d.message and "b.yaml" in d.message


def test_self_composition_is_a_cycle(write) -> None:
    path = write("self.yaml", HEAD + "compose:\n  - from: self.yaml\n")
    with pytest.raises(ml.DefinitionError) as exc:
        _build(path)
    (d,) = exc.value.errors
    assert d.code == "compose-cycle" and d.location.line == 7


def test_overlay_missing(write) -> None:
    path = write("m.yaml", HEAD + "compose:\n  - from: swemwbs@1.0.0\n")
    with pytest.raises(ml.DefinitionError) as exc:
        _build(path)
    (d,) = exc.value.errors
    assert d.code == "overlay-missing" and "--overlay" in d.hint
    assert d.location.line == 7


def test_overlay_lacks_an_item(write) -> None:
    lines = OVERLAY.read_text().splitlines()
    short = "\n".join(x for x in lines if not x.strip().startswith("own_mind")) + "\n"
    ov = write("ov.yaml", short)
    path = write("m.yaml", HEAD + "compose:\n  - from: swemwbs@1.0.0\n")
    with pytest.raises(ml.DefinitionError) as exc:
        _build(path, overlay=str(ov))
    (d,) = exc.value.errors
    assert d.code == "overlay-missing-item" and "own_mind" in d.message
    assert d.location.file == str(ov) and d.location.line is not None


def test_overlay_given_on_the_command_line_api(write) -> None:
    path = write("m.yaml", HEAD + "compose:\n  - from: swemwbs@1.0.0\n")
    built = _build(path, overlay=str(OVERLAY))
    assert all("PLACEHOLDER" in it.text for it in built.items)
    multi = write("multi.yaml", "measures:\n  swemwbs:\n    items:\n" + "".join(
        f"      {i}: Text {i}\n" for i in ["optimistic", "useful", "relaxed",
                                          "dealing_with_problems", "thinking_clearly",
                                          "close_to_others", "own_mind"]))
    built = _build(path, overlay=str(multi))
    assert built.item("useful").text == "Text useful"
    built = _build(path, overlay={"swemwbs": {it.id: "x" for it in built.items}})
    assert built.item("own_mind").text == "x"


def test_rewording_and_rescaling_are_modifications(write, bank) -> None:
    path = write("m.yaml", HEAD + """\
scales:
  yn: {type: yesno}
compose:
  - from: bank.yaml
    text: {talk: I have a friend.}
    rescale: {cope: yn}
""")
    built = _build(path)
    assert built.item("talk").source.text_changed and built.item("talk").text == "I have a friend."
    assert built.item("cope").source.scale_changed and built.item("cope").scale == "yn"
    assert "rewords talk" in built.lock.sources[0].use


def test_rewording_a_forbidden_source_is_a_licence_error(write) -> None:
    path = write("m.yaml", HEAD + """\
compose:
  - from: phq-9@1.0.0
    text: {down: Feeling low}
""")
    with pytest.raises(ml.LicenceError) as exc:
        _build(path)
    assert "rewords down" in exc.value.errors[0].message
    assert "Pfizer" in exc.value.errors[0].message


def test_interleaving_own_items_is_a_reorder(write) -> None:
    path = write("m.yaml", HEAD + """\
scales:
  yn: {type: yesno}
items:
  - {id: mine, text: "Did we help?", scale: yn}
compose:
  - from: gad-7@1.0.0
order: [nervous, mine, uncontrolled_worry, worry_too_much, trouble_relaxing, restless,
        irritable, afraid]
""")
    with pytest.raises(ml.LicenceError, match="places other items between its items"):
        _build(path)


def test_order_errors(write, bank) -> None:
    path = write("m.yaml", HEAD + """\
compose:
  - from: bank.yaml
order: [talk, cope, nope]
""")
    with pytest.raises(ml.DefinitionError) as exc:
        _build(path)
    assert exc.value.errors[0].code == "compose-order" and "nope" in exc.value.errors[0].message
    path = write("m2.yaml", HEAD + "compose:\n  - from: bank.yaml\norder: [talk]\n")
    with pytest.raises(ml.DefinitionError, match="leaves out 2 item"):
        _build(path)


def test_scores_true_needs_the_whole_source(write) -> None:
    path = write("m.yaml", HEAD + """\
compose:
  - from: phq-9@1.0.0
    items: [interest, down]
    scores: true
    permission: {granted_by: Someone, date: 2026-01-01}
""")
    with pytest.raises(ml.DefinitionError) as exc:
        _build(path)
    assert exc.value.errors[0].code == "compose-scores-partial"


def test_composed_measure_declares_its_own_scores(write, bank) -> None:
    path = write("m.yaml", HEAD + """\
compose:
  - from: bank.yaml
scores:
  - {id: total, items: [talk, cope, calm], method: sum}
  - {id: bad, items: [talk, nothing]}
""")
    with pytest.raises(ml.DefinitionError) as exc:
        _build(path)
    (d,) = exc.value.errors
    assert d.code == "unknown-item" and d.location.line == 10
    path = write("ok.yaml", HEAD + """\
compose:
  - from: phq-9@1.0.0
""")
    assert _build(path).scores == []


def test_battery_keeps_each_measures_scores() -> None:
    built = _build(EXAMPLES / "battery-phq9-gad7.yaml")
    assert [s.id for s in built.scores] == ["phq-9_total", "gad-7_total"]
    assert [a.id for a in built.alerts] == ["phq-9_self_harm_thoughts"]
    assert built.score_items(built.score_rule("gad-7_total"))[0] == "gad_nervous"
    codes = [it.code for it in built.items]
    assert len(set(codes)) == len(codes)
    assert [s.use for s in built.lock.sources] == ["all 10 items unchanged with its scores",
                                                   "all 7 items unchanged with its scores"]


def test_battery_rejects_a_subset(write) -> None:
    path = write("m.yaml", HEAD + "kind: battery\ncompose:\n  - from: ons4@1.0.0\n"
                 "    items: [happy]\n")
    with pytest.raises(ml.DefinitionError, match="battery takes whole measures"):
        _build(path)


def test_nested_composition(write, bank) -> None:
    write("inner.yaml", HEAD.replace("bespoke", "inner") + "compose:\n  - from: bank.yaml\n")
    path = write("outer.yaml", HEAD + "compose:\n  - from: inner.yaml\n    items: [talk]\n")
    built = _build(path)
    assert built.item("talk").source.measure == "inner"
    assert "Test bank CC BY 4.0" in built.attributions


def test_build_from_a_plain_measure_adds_a_lock() -> None:
    built = _build("phq-9")
    assert built.lock is not None and built.lock.sources == []
    assert [it.id for it in built.items] == [it.id for it in ml.load("phq-9").items]


def test_api_misuse() -> None:
    with pytest.raises(TypeError, match="source"):
        ml.build(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="overlay"):
        _build(EXAMPLES / "charity-wellbeing.yaml", overlay=3)


def test_overlay_for_another_version_is_refused(write) -> None:
    ov = write("ov.yaml", OVERLAY.read_text().replace("swemwbs@1.0.0", "swemwbs@2.0.0"))
    path = write("m.yaml", HEAD + "compose:\n  - from: swemwbs@1.0.0\n")
    with pytest.raises(ml.DefinitionError) as exc:
        _build(path, overlay=str(ov))
    (d,) = exc.value.errors
    assert d.code == "overlay-invalid" and "2.0.0" in d.message and d.location.line == 10


def test_licence_error_comes_before_the_scores_problem(write) -> None:
    path = write("m.yaml", HEAD + "compose:\n  - from: swemwbs@1.0.0\n    items: [useful]\n"
                 "    scores: true\n")
    with pytest.raises(ml.LicenceError):
        _build(path)
    res = ml.lint(str(path))
    assert {f["code"] for f in res.at_or_above("error")} == {"licence-modification",
                                                             "compose-scores-partial"}


def test_empty_item_list(write, bank) -> None:
    path = write("m.yaml", HEAD + "compose:\n  - from: bank.yaml\n    items: []\n")
    with pytest.raises(ml.DefinitionError, match="takes no items") as exc:
        _build(path)
    assert exc.value.errors[0].location.line == 8


def test_whole_measures_keep_their_instructions_and_recall() -> None:
    built = _build(EXAMPLES / "battery-phq9-gad7.yaml")
    assert built.instructions.startswith("PHQ-9: Over the last 2 weeks")
    assert "\n\nGAD-7: Over the last 2 weeks" in built.instructions
    assert built.item("interest").recall.days == 14
    assert not built.item("interest").source.text_changed
    again = ml.loads(built.to_yaml())
    assert again.instructions == built.instructions


def test_overlay_instructions_of_a_whole_measure(write) -> None:
    text = OVERLAY.read_text().replace("items:\n", "instructions: Licensed instructions.\nitems:\n")
    ov = write("ov.yaml", text)
    path = write("m.yaml", HEAD + "compose:\n  - from: swemwbs@1.0.0\n")
    built = _build(path, overlay=str(ov))
    assert built.instructions == "SWEMWBS: Licensed instructions."
    bad = write("bad.yaml", OVERLAY.read_text().replace("items:\n",
                                                         "instructions: [1, 2]\nitems:\n"))
    with pytest.raises(ml.DefinitionError, match="instructions"):
        _build(path, overlay=str(bad))
