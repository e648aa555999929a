"""Import measure definitions from XLSForm, FHIR Questionnaire and REDCap data dictionaries.

>>> import measurelib as ml
>>> res = ml.import_definition("phq9.json")            # doctest: +SKIP
>>> print(res.to_yaml())                                # doctest: +SKIP

The result holds the :class:`~measurelib.Measure` and a diagnostic for everything that
could not be carried over (score calculations, reverse-keying, pictures, licence terms).
Questionnaires exported by measurelib carry extensions/annotations that make the round
trip exact for items, scales, options and translations (and, for FHIR, scores).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from pathlib import Path
from typing import Any

from measurelib._results import Result
from measurelib.definition import (
    ID_PATTERN,
    Measure,
    dump_yaml,
    format_limit,
    limit,
    raise_hint,
    read_text,
)
from measurelib.errors import DataError, DefinitionError, Diagnostic, Location
from measurelib.scoring import check_workbook

__all__ = ["ImportDefinitionResult", "from_fhir", "from_redcap", "from_xlsform", "import_definition"]

SCHEMA_URL = ("https://raw.githubusercontent.com/measurelib/measurelib/main/src/measurelib/"
              "schema/measure.schema.json")


class ImportDefinitionResult(Result):
    """An imported definition.

    Attributes
    ----------
    measure : Measure
        The measure built from the file.
    source_format : str
        ``fhir``, ``xlsform`` or ``redcap``.
    diagnostics : list of Diagnostic
        What could not be carried over, and what to check by hand.
    """

    measure: Any
    source_format: str
    diagnostics: list[Any] = []

    def to_yaml(self, schema: str | None = SCHEMA_URL) -> str:
        """The definition as YAML with the ``# yaml-language-server`` schema comment."""
        return dump_yaml(self.measure.to_dict(), schema_comment=schema)

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data: the JSON document that ``--format json`` prints."""
        return {"source_format": self.source_format, "measure": self.measure.to_dict(),
                "diagnostics": [d.to_dict() for d in self.diagnostics]}

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        m = self.measure
        lines = [f"{m.id} {m.version} from {self.source_format}: {len(m.items)} items, "
                 f"{len(m.scales)} scales, {len(m.scores)} scores"]
        lines += [str(d) for d in self.diagnostics]
        return "\n".join(lines)


def _note(msg: str, hint: str = "", where: str | None = None, severity: str = "warning"
          ) -> Diagnostic:
    return Diagnostic("import-not-carried", msg, hint, Location(where), severity)  # type: ignore[arg-type]


def _slug(text: str, pattern: str = r"[^a-z0-9]+", sep: str = "-") -> str:
    s = re.sub(pattern, sep, text.lower()).strip(sep)
    return s or "imported"


def _item_id(name: str) -> str:

    if re.match(ID_PATTERN, name) and len(name) <= 64:
        return name
    s = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    if not s or not s[0].isalpha():
        s = "q_" + s
    return s[:64]


def _num(text: Any) -> int | float:
    f = float(text)
    return int(f) if f.is_integer() else f


def _is_num(text: Any) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def _licence(holder: str | None, notes: str | None) -> dict[str, Any]:
    lic: dict[str, Any] = {"holder": holder or "unknown (fill in)",
                           "text_redistribution": "allowed", "modification": "allowed"}
    if notes:
        lic["notes"] = notes
    return lic


def _finish(data: dict[str, Any], fmt: str, diags: list[Diagnostic], file: str
            ) -> ImportDefinitionResult:

    data = {k: v for k, v in data.items() if v not in (None, [], {})}
    try:
        m = Measure.model_validate(data)
    except DefinitionError as err:
        raise DefinitionError([d.with_location(Location(file, path=d.location.path))
                               for d in err.errors], title=f"{file}: the imported "
                              "definition is not valid") from None
    except Exception as err:  # pydantic ValidationError
        raise DefinitionError([Diagnostic(
            "import-invalid", f"{file}: the imported definition is not valid: {err}",
            "Check the source file; the message names the field.", Location(file))]) from None
    return ImportDefinitionResult(measure=m, source_format=fmt, diagnostics=diags)


def _dedupe_scales(scales: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge identical scales (keeping the first name)."""
    seen: dict[str, str] = {}
    keep: dict[str, Any] = {}
    rename: dict[str, str] = {}
    for sid, sc in scales.items():
        key = json.dumps(sc, sort_keys=True)
        if key in seen:
            rename[sid] = seen[key]
        else:
            seen[key] = sid
            keep[sid] = sc
    for it in items:
        it["scale"] = rename.get(it["scale"], it["scale"])
        for fu in it.get("follow_up", []):
            fu["scale"] = rename.get(fu["scale"], fu["scale"])
    return keep


# ----------------------------------------------------------------------------- FHIR
def _ext(obj: dict[str, Any], url_end: str) -> list[dict[str, Any]]:
    return [e for e in obj.get("extension", []) or [] if str(e.get("url", "")).endswith(url_end)]


def _fhir_text(obj: dict[str, Any], key: str) -> Any:
    text = obj.get(key)
    if text is None:
        return None
    trans = {}
    for e in _ext(obj.get(f"_{key}") or {}, "/translation"):
        parts = {x.get("url"): x for x in e.get("extension", [])}
        if "lang" in parts and "content" in parts:
            trans[parts["lang"].get("valueCode")] = parts["content"].get("valueString")
    return text if not trans else {"__main__": text, **trans}


def _fix_text(value: Any, lang: str) -> Any:
    if isinstance(value, dict) and "__main__" in value:
        out = {lang: value["__main__"]}
        out.update({k: v for k, v in value.items() if k != "__main__"})
        return out
    return value


def from_fhir(resource: dict[str, Any] | str, *, file: str = "<fhir>") -> ImportDefinitionResult:  # noqa: C901 - one branch per FHIR item type and extension
    """A measure from a FHIR R4 Questionnaire (dict or JSON text)."""
    from measurelib.interop._export._common import FHIR_BASE

    q = json.loads(resource) if isinstance(resource, str) else resource
    if not isinstance(q, dict) or q.get("resourceType") != "Questionnaire":
        raise DefinitionError([Diagnostic(
            "import-invalid", f"{file} is not a FHIR Questionnaire (resourceType "
            f"{q.get('resourceType') if isinstance(q, dict) else None!r})",
            "Export the Questionnaire resource as JSON.", Location(file, path="resourceType"))])
    diags: list[Diagnostic] = []
    lang = q.get("language") or "en"
    meta: dict[str, Any] = {}
    for e in _ext(q, "/StructureDefinition/measure"):
        meta = json.loads(e.get("valueString") or "{}")
    mid = q.get("id") or _slug(q.get("name") or q.get("title") or "imported")
    mid = _slug(mid)
    version = q.get("version") or "1.0.0"
    if not re.match(r"^\d+\.\d+\.\d+", version):
        diags.append(_note(f"version {version!r} is not semantic; 1.0.0 used", where="version"))
        version = "1.0.0"
    langs: set[str] = set()
    data: dict[str, Any] = {"format": 1, "id": mid, "version": version,
                            "kind": meta.get("kind", "measure")}
    data["title"] = q.get("title") or q.get("name") or mid
    title = _fhir_text(q, "title")
    if isinstance(title, dict):
        langs.update(k for k in title if k != "__main__")
        data["title"] = title
    if meta.get("short_title"):
        data["short_title"] = meta["short_title"]
    data["language"] = meta.get("language", lang)
    if meta.get("licence"):
        data["licence"] = meta["licence"]
    else:
        data["licence"] = _licence(q.get("publisher"), q.get("copyright"))
        diags.append(_note("the licence terms are not carried by a Questionnaire: the "
                           "copyright text is kept as a note", "Fill in `licence:` from the "
                           "holder's terms before using the measure.", "licence"))
    if q.get("code"):
        data["codes"] = [_code_back(c) for c in q["code"]]
    tables = _ext(q, "/StructureDefinition/tables")
    if tables:
        data["tables"] = json.loads(tables[0]["valueString"])
    items: list[dict[str, Any]] = []
    scales: dict[str, Any] = {}
    scores: list[dict[str, Any]] = []
    by_col: dict[str, dict[str, Any]] = {}
    lost_graphics = 0

    def walk(q_items: list[dict[str, Any]]) -> None:  # noqa: C901 - one branch per FHIR item type and extension
        nonlocal lost_graphics
        for it in q_items:
            link = str(it.get("linkId", ""))
            if link.startswith("score."):
                if link.count(".") > 1:
                    continue
                rule = _ext(it, "/StructureDefinition/score-rule")
                if rule:
                    scores.append(json.loads(rule[0]["valueString"]))
                else:
                    diags.append(_note(f"score {link[6:]!r}: its calculated expression is not "
                                       "carried over", "Write the score rule by hand.", link))
                continue
            if it.get("type") in ("display",):
                if link == "instructions":
                    data["instructions"] = _fhir_text(it, "text")
                continue
            if it.get("type") == "group":
                walk(it.get("item") or [])
                continue
            ml_meta: dict[str, Any] = {}
            for e in _ext(it, "/StructureDefinition/item"):
                ml_meta = json.loads(e.get("valueString") or "{}")
            text = _fhir_text(it, "text")
            if isinstance(text, str) and "licensed text not included" in text:
                text = None
            if isinstance(text, dict):
                langs.update(k for k in text if k != "__main__")
            if _ext(it.get("_text") or {}, "rendering-xhtml"):
                lost_graphics += 1
            kind = it.get("type")
            scale_id = ml_meta.get("scale")
            if kind in ("choice", "open-choice"):
                opts = []
                system = None
                for i, ao in enumerate(it.get("answerOption") or [], start=1):
                    coding = ao.get("valueCoding")
                    if coding is None:
                        v = next((ao[k] for k in ao if k.startswith("value")), None)
                        coding = {"code": str(v), "display": str(v)}
                    system = system or coding.get("system")
                    code = coding.get("code")
                    o: dict[str, Any] = {"value": _num(code) if _is_num(code) else i}
                    for e in _ext(ao, "/StructureDefinition/option-value"):
                        o["value"] = _num(e["valueDecimal"])
                    label = _fhir_text(coding, "display")
                    if isinstance(label, dict):
                        langs.update(k for k in label if k != "__main__")
                    if label is not None and not (isinstance(label, str)
                                                  and "licensed text not included" in label):
                        o["label"] = label
                    if _ext(coding.get("_display") or {}, "rendering-xhtml"):
                        lost_graphics += 1
                    if any(e.get("valueBoolean") for e in _ext(ao, "/StructureDefinition/missing")):
                        o["missing"] = True
                    for e in _ext(ao, "/StructureDefinition/option-score"):
                        o["score"] = _num(e["valueDecimal"])
                    opts.append(o)
                if scale_id is None and system and system.startswith(f"{FHIR_BASE}/CodeSystem/"):
                    tail = system.rsplit("/", 1)[1]
                    scale_id = tail[len(mid) + 1:] if tail.startswith(mid + "-") else tail
                scale_id = scale_id or f"scale_{len(scales) + 1}"
                sdef = ml_meta.get("scale_def", {})
                sc: dict[str, Any] = {
                    "type": "yesno" if sdef.get("type") == "yesno" else "ordinal",
                    "options": opts}
                if sdef.get("title"):
                    sc["title"] = sdef["title"]
                scales.setdefault(scale_id, sc)
            elif kind in ("integer", "decimal"):
                lo = next((e.get("valueInteger", e.get("valueDecimal"))
                           for e in _ext(it, "/minValue")), None)
                hi = next((e.get("valueInteger", e.get("valueDecimal"))
                           for e in _ext(it, "/maxValue")), None)
                step = next((e.get("valueInteger", e.get("valueDecimal"))
                             for e in _ext(it, "sliderStepValue") + _ext(it, "/step")), None)
                if lo is None or hi is None:
                    diags.append(_note(f"item {link!r} has no minValue/maxValue: 0-10 assumed",
                                       "Set the scale's min and max.", link))
                    lo, hi = lo if lo is not None else 0, hi if hi is not None else 10
                sdef = ml_meta.get("scale_def", {})
                sc = {"type": "vas" if sdef.get("type") == "vas" else "numeric",
                      "min": _num(lo), "max": _num(hi)}
                if step is not None and sc["type"] == "numeric" and float(step) != 1:
                    sc["step"] = _num(step)
                if sdef.get("orientation"):
                    sc["orientation"] = sdef["orientation"]
                anchors = []
                for child in it.get("item") or []:
                    control = [c.get("code") for e in _ext(child, "itemControl")
                               for c in e["valueCodeableConcept"]["coding"]]
                    if "lower" in control or "upper" in control:
                        label = _fix_text(_fhir_text(child, "text"), lang)
                        anchors.append({"value": sc["min"] if "lower" in control else sc["max"],
                                        "label": label})
                if anchors:
                    sc["anchors"] = anchors
                scale_id = scale_id or f"scale_{len(scales) + 1}"
                scales.setdefault(scale_id, sc)
            else:
                scale_id = scale_id or "text"
                sc = {"type": "text"}
                if it.get("maxLength"):
                    sc["max_length"] = it["maxLength"]
                scales.setdefault(scale_id, sc)
            if "follow_up" in ml_meta:
                parent = link[: -len(ml_meta["follow_up"]) - 1]
                if parent in by_col:
                    fu = {"id": ml_meta["follow_up"], "text": text or "", "scale": scale_id}
                    if isinstance(ml_meta.get("when"), dict):
                        fu["when"] = ml_meta["when"]
                    by_col[parent].setdefault("follow_up", []).append(fu)
                continue
            if link.endswith("_text") and link[:-5] in [c for c in by_col] + []:
                continue
            item: dict[str, Any] = {"id": _item_id(link)}
            if text is not None:
                item["text"] = text
            item["scale"] = scale_id
            for key in ("reverse", "recode", "tags", "code", "personalised", "irt"):
                if key in ml_meta:
                    item[key] = ml_meta[key]
            if "code" not in item and it.get("prefix"):
                item["code"] = it["prefix"]
            if it.get("required"):
                item["required"] = True
            if it.get("code"):
                item["codes"] = [_code_back(c) for c in it["code"]]
            if "personalised" in item:
                item.pop("required", None)  # goal_1 is required by min_count, not the item
                base = re.sub(r"_\d+$", "", link)
                if any(x["id"] == base for x in items):
                    continue
                item["id"] = base
            items.append(item)
            by_col[link] = item

    walk(q.get("item") or [])
    # goal texts of personalised items are part of the item
    items = [it for it in items if not (it["id"].endswith("_text") and any(
        o.get("personalised") and it["id"].startswith(o["id"] + "_") for o in items))]
    if lost_graphics:
        diags.append(_note(f"{lost_graphics} picture(s) (rendering-xhtml) are not carried over",
                           "Add `graphic:` and `alt:` to the items or options.", "items"))
    langs.discard("__main__")
    main_lang = data["language"]
    for obj in [data, *items, *scales.values()]:
        _fix_all(obj, main_lang)
    if meta.get("languages"):
        data["languages"] = meta["languages"]
    elif langs:
        data["languages"] = [main_lang] + sorted(x for x in langs if x != main_lang)
    data["scales"] = _dedupe_scales(scales, items) if not meta else scales
    data["items"] = items
    if scores:
        data["scores"] = scores
    if meta.get("profile"):
        data["profile"] = True
    if meta.get("calibration"):
        data["calibration"] = meta["calibration"]
    return _finish(data, "fhir", diags, file)


def _fix_all(obj: Any, lang: str) -> None:
    if isinstance(obj, dict):
        for k, v in list(obj.items()):
            if isinstance(v, dict) and "__main__" in v:
                obj[k] = _fix_text(v, lang)
            else:
                _fix_all(v, lang)
    elif isinstance(obj, list):
        for v in obj:
            _fix_all(v, lang)


def _code_back(c: dict[str, Any]) -> dict[str, Any]:
    from measurelib.interop._export._fhir import SYSTEM_NAMES

    out = {"system": SYSTEM_NAMES.get(c.get("system", ""), c.get("system", "")),
           "code": c.get("code", "")}
    if c.get("display"):
        out["display"] = c["display"]
    return out


# ----------------------------------------------------------------------------- XLSForm
_LANG_COL = re.compile(r"^(label|hint|media::image)::(.+?)(?:\s*\(([A-Za-z-]+)\))?$")


def _bounded_rows(ws: Any, name: str, file: str, *, check_cells: bool) -> list[tuple[Any, ...]]:
    """The rows of a sheet, refused (``limit-exceeded``) past ``form_rows``, ``data_columns``
    or, when the workbook may hold one, a cell longer than ``cell_chars``.
    """
    max_cell = limit("cell_chars") if check_cells else None

    def refuse(limit_name: str, message: str, row: int) -> DefinitionError:
        return DefinitionError([Diagnostic("limit-exceeded", message, raise_hint(limit_name),
                                           Location(file, row=row))])

    rows: list[tuple[Any, ...]] = []
    reader = ws.iter_rows(values_only=True)
    try:
        return _read_bounded(reader, rows, name, file, refuse, max_cell)
    finally:
        reader.close()  # its part of the archive is closed now, not when collected


def _read_bounded(reader: Any, rows: list[tuple[Any, ...]], name: str, file: str,
                  refuse: Any, max_cell: int | None) -> list[tuple[Any, ...]]:
    max_rows, max_cols = limit("form_rows"), limit("data_columns")
    for k, row in enumerate(reader, start=1):
        if max_rows is not None and k > max_rows:
            raise refuse("form_rows", f"sheet {name!r} of {file} has more than "
                         f"{format_limit('form_rows')}", k)
        width = len(row)
        while width and row[width - 1] in (None, ""):
            width -= 1
        if max_cols is not None and width > max_cols:
            raise refuse("data_columns", f"row {k} of sheet {name!r} of {file} has {width:,} "
                         f"columns, more than {format_limit('data_columns')}", k)
        if max_cell is not None and any(isinstance(v, str) and len(v) > max_cell
                                        for v in row[:width]):
            raise refuse("cell_chars", f"row {k} of sheet {name!r} of {file} holds a cell "
                         f"longer than {format_limit('cell_chars')}", k)
        rows.append(row[:width])
    return rows


def from_xlsform(path: str | Path | bytes, *, file: str | None = None) -> ImportDefinitionResult:  # noqa: C901 - one branch per XLSForm question type
    """A measure from an XLSForm workbook (``.xlsx``)."""
    from openpyxl import load_workbook

    file = file or (str(path) if not isinstance(path, bytes) else "<xlsform>")
    src = io.BytesIO(path) if isinstance(path, bytes) else path
    try:  # sizes, rows and cells checked before openpyxl unpacks anything
        scan = check_workbook(path, shown=file, rows_limit="form_rows")
    except DataError as err:
        raise DefinitionError([d if d.code != "data-unreadable" else dataclasses.replace(
            d, code="import-invalid") for d in err.errors]) from None
    try:
        wb = load_workbook(src, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook
        raise DefinitionError([Diagnostic("import-invalid", f"{file} is not a readable .xlsx "
                                          f"workbook ({exc})", "Save the XLSForm as .xlsx.",
                                          Location(file))]) from None
    if "survey" not in wb.sheetnames:
        raise DefinitionError([Diagnostic("import-invalid", f"{file} has no `survey` sheet",
                                          "An XLSForm needs survey, choices and settings "
                                          "sheets.", Location(file))])

    def sheet(name: str) -> list[dict[str, Any]]:
        if name not in wb.sheetnames:
            return []
        rows = _bounded_rows(wb[name], name, file, check_cells=scan.cells_may_exceed())
        if not rows:
            return []
        head = [str(h).strip() if h is not None else "" for h in rows[0]]
        return [{h: v for h, v in zip(head, r) if h and v not in (None, "")}
                for r in rows[1:] if any(v not in (None, "") for v in r)]

    try:
        survey, choices, settings = sheet("survey"), sheet("choices"), sheet("settings")
    finally:
        wb.close()
    diags: list[Diagnostic] = []
    st = settings[0] if settings else {}

    def lang_of(col: str) -> tuple[str, str] | None:
        mt = _LANG_COL.match(col)
        if mt is None:
            return None
        return mt.group(1), mt.group(3) or mt.group(2)

    default_lang_label = str(st.get("default_language") or "")
    dl = re.search(r"\(([A-Za-z-]+)\)", default_lang_label)
    main = dl.group(1) if dl else None
    langs: list[str] = []
    for row in survey + choices:
        for col in row:
            lc = lang_of(col)
            if lc and lc[1] not in langs:
                langs.append(lc[1])
    main = main or (langs[0] if langs else "en")
    if main not in langs:
        langs.insert(0, main)
    langs = [main] + [x for x in langs if x != main]

    def text(row: dict[str, Any], kind: str) -> Any:
        vals = {}
        for col, v in row.items():
            lo = lang_of(col)
            if lo and lo[0] == kind:
                vals[lo[1]] = str(v)
        if kind in row:
            vals.setdefault(main, str(row[kind]))
        if not vals:
            return None
        if len(langs) == 1 or set(vals) == {main}:
            return vals.get(main) or next(iter(vals.values()))
        return {x: vals.get(x) or vals.get(main) or "" for x in langs}

    # who and when (as measurelib's own XLSForms ask them) are response metadata, not items
    meta_rows = {"respondent_id", "timepoint", "date"}
    meta_lists = {str(r.get("type", "")).split(" ", 1)[1].strip() for r in survey
                  if str(r.get("name", "")).strip() in meta_rows
                  and str(r.get("type", "")).startswith("select_one ")}
    lists: dict[str, list[dict[str, Any]]] = {}
    for c in choices:
        ln = str(c.get("list_name", ""))
        if ln in meta_lists:
            continue
        name = c.get("name")
        o: dict[str, Any] = {"value": _num(name) if _is_num(name) else len(lists.get(ln, [])) + 1}
        if not _is_num(name):
            diags.append(_note(f"choice {name!r} of list {ln!r} is not a number: coded "
                               f"{o['value']}", "Check the option values.", f"choices.{ln}"))
        label = text(c, "label")
        # an option labelled with its own code (exported without a label) has no label
        if label is not None and not (_is_num(name) and all(
                str(v).strip() == str(name).strip()
                for v in (label.values() if isinstance(label, dict) else [label]))):
            o["label"] = label
        lists.setdefault(ln, []).append(o)
    data: dict[str, Any] = {"format": 1, "id": _slug(str(st.get("form_id") or Path(file).stem)),
                            "version": _version_back(st.get("version")),
                            "title": str(st.get("form_title") or st.get("form_id") or "Imported")}
    data["language"] = main
    if len(langs) > 1:
        data["languages"] = langs
        data["title"] = {x: data["title"] for x in langs}
    data["licence"] = _licence(None, None)
    diags.append(_note("XLSForm carries no licence terms", "Fill in `licence:` from the "
                       "holder's terms before using the measure.", "licence"))
    scales: dict[str, Any] = {}
    items: list[dict[str, Any]] = []
    n_calc = 0
    for r in survey:
        typ = str(r.get("type", "")).strip()
        name = str(r.get("name", "")).strip()
        if typ == "note" and name == "instructions":
            data["instructions"] = text(r, "label")
            continue
        if name in meta_rows:
            continue
        if typ == "calculate":
            n_calc += 1
            continue
        if typ.startswith(("begin", "end")) or typ in ("note", "start", "end", "today",
                                                       "deviceid", "username", ""):
            continue
        item: dict[str, Any] = {"id": _item_id(name)}
        label = text(r, "label")
        if label is not None and not (isinstance(label, str)
                                      and "licensed text not included" in label):
            item["text"] = label
        hint = text(r, "hint")
        if typ.startswith("select_one "):
            ln = typ.split(" ", 1)[1].strip()
            if ln not in lists:
                raise DefinitionError([Diagnostic("import-invalid", f"{file}: survey row "
                                                  f"{name!r} uses choice list {ln!r}, which "
                                                  "the choices sheet lacks", "Add the list.",
                                                  Location(file, path=f"survey.{name}"))])
            sid = _item_id(ln)
            scales.setdefault(sid, {"type": "ordinal", "options": lists[ln]})
            item["scale"] = sid
            if hint is not None:
                item["help"] = hint
        elif typ in ("range", "integer", "decimal"):
            params = dict(re.findall(r"(\w+)=([-\d.]+)", str(r.get("parameters", ""))))
            cons = str(r.get("constraint", ""))
            lo = params.get("start") or next(iter(re.findall(r">=\s*([-\d.]+)", cons)), None)
            hi = params.get("end") or next(iter(re.findall(r"<=\s*([-\d.]+)", cons)), None)
            if lo is None or hi is None:
                diags.append(_note(f"item {name!r}: no range given; 0-10 assumed",
                                   "Set the scale's min and max.", f"survey.{name}"))
                lo, hi = lo or "0", hi or "10"
            sc: dict[str, Any] = {"type": "numeric", "min": _num(lo), "max": _num(hi)}
            if params.get("step") and float(params["step"]) != 1:
                sc["step"] = _num(params["step"])
            if hint is not None:
                anchors = re.findall(r"([-\d.]+) = ([^;]+)", hint if isinstance(hint, str)
                                     else hint.get(main, ""))
                if anchors and isinstance(hint, str):
                    sc["anchors"] = [{"value": _num(v), "label": lab.strip()}
                                     for v, lab in anchors]
                elif isinstance(hint, dict):
                    per = {x: re.findall(r"([-\d.]+) = ([^;]+)", hint[x]) for x in hint}
                    if all(len(p) == len(anchors) for p in per.values()) and anchors:
                        sc["anchors"] = [{"value": _num(v), "label": {
                            x: per[x][i][1].strip() for x in per}}
                            for i, (v, _lab) in enumerate(anchors)]
                if "anchors" not in sc:
                    item["help"] = hint
            sid = f"{_item_id(name)}_scale"
            scales[sid] = sc
            item["scale"] = sid
        elif typ in ("text",):
            scales.setdefault("text", {"type": "text"})
            item["scale"] = "text"
            if hint is not None:
                item["help"] = hint
        else:
            diags.append(_note(f"survey row {name!r} of type {typ!r} is not carried over",
                               "Add it by hand.", f"survey.{name}"))
            continue
        if str(r.get("required", "")).lower() in ("yes", "true", "true()"):
            item["required"] = True
        if r.get("relevant"):
            diags.append(_note(f"item {name!r}: its relevance ({r['relevant']}) is not "
                               "carried over", "Use follow_up with `when:` if it is a "
                               "follow-up question.", f"survey.{name}", "info"))
        if any(str(k).startswith("media::image") for k in r):
            diags.append(_note(f"item {name!r}: its picture is not carried over",
                               "Add `graphic:` and `alt:`.", f"survey.{name}", "info"))
        items.append(item)
    if n_calc:
        diags.append(_note(f"{n_calc} calculate row(s) (scores) are not carried over",
                           "Write the score rules (`scores:`) by hand; reverse-keyed items "
                           "show as `<max+min> - ${item}` in the calculations.", "scores"))
    data["scales"] = _dedupe_scales(_numeric_scales(scales), items)
    data["items"] = items
    return _finish(data, "xlsform", diags, file)


def _numeric_scales(scales: dict[str, Any]) -> dict[str, Any]:
    return scales


def _version_back(v: Any) -> str:
    s = str(v or "").strip()
    if re.fullmatch(r"\d+\.\d+\.\d+", s):
        return s
    if re.fullmatch(r"\d{9}", s):
        return ".".join(str(int(s[i:i + 3])) for i in (0, 3, 6))
    return "1.0.0"


# ----------------------------------------------------------------------------- REDCap
def _redcap_rows(text: str, file: str) -> list[list[str]]:
    """The records of a data dictionary, refused past ``form_rows``, ``data_columns`` or
    ``cell_chars`` (``limit-exceeded``, with the row).
    """
    max_rows, max_cols, max_cell = limit("form_rows"), limit("data_columns"), limit("cell_chars")
    out: list[list[str]] = []

    def refuse(limit_name: str, message: str, row: int) -> DefinitionError:
        return DefinitionError([Diagnostic("limit-exceeded", message, raise_hint(limit_name),
                                           Location(file, row=row))])

    reader = csv.reader(io.StringIO(text))
    k = 0
    while True:
        k += 1
        try:
            record = next(reader, None)
        except csv.Error as exc:
            if "field larger" not in str(exc):  # the module's own bound on a field (128 KB)
                raise DefinitionError([Diagnostic(
                    "import-invalid", f"row {k} of {file} cannot be read as CSV ({exc})",
                    "Download the data dictionary again (CSV).", Location(file, row=k))]
                ) from None
            raise refuse("cell_chars", f"row {k} of {file} holds a cell longer than "
                         f"{format_limit('cell_chars')}", k) from None
        if record is None:
            return out
        if max_rows is not None and k > max_rows:
            raise refuse("form_rows", f"{file} has more than {format_limit('form_rows')}", k)
        if max_cols is not None and len(record) > max_cols:
            raise refuse("data_columns", f"row {k} of {file} has {len(record):,} columns, "
                         f"more than {format_limit('data_columns')}", k)
        if max_cell is not None and any(len(c) > max_cell for c in record):
            raise refuse("cell_chars", f"row {k} of {file} holds a cell longer than "
                         f"{format_limit('cell_chars')}", k)
        out.append(record)


def from_redcap(path: str | Path | str, *, file: str | None = None, text: str | None = None  # noqa: C901 - one branch per REDCap field type
                ) -> ImportDefinitionResult:
    """A measure from a REDCap data dictionary (CSV)."""
    from measurelib.interop._export._redcap import COLUMNS

    file = file or str(path)
    if text is None:
        if not Path(path).exists():
            raise DefinitionError([Diagnostic("file-not-found", f"no file {file}",
                                              "Check the path.", Location(file))]) from None
        text = read_text(Path(path), file)  # at most definition_bytes
    records = _redcap_rows(text, file)
    header = records[0] if records else []
    if len(header) < 6 or "field" not in header[0].lower():
        raise DefinitionError([Diagnostic(
            "import-invalid", f"{file} is not a REDCap data dictionary (its first column is "
            f"{header[0] if header else None!r})", "Download it from Project Setup → Data "
            "Dictionary (CSV).", Location(file, 1, 1))])
    rows = [dict(zip(COLUMNS, r)) for r in records[1:]]
    diags: list[Diagnostic] = []
    forms = [r["Form Name"] for r in rows if r.get("Form Name")]
    data: dict[str, Any] = {"format": 1, "id": _slug(forms[0] if forms else Path(file).stem),
                            "version": "1.0.0",
                            "title": (forms[0] if forms else "Imported").replace("_", " ")}
    data["licence"] = _licence(None, None)
    diags.append(_note("a data dictionary carries no licence terms", "Fill in `licence:` "
                       "from the holder's terms before using the measure.", "licence"))
    scales: dict[str, Any] = {}
    items: list[dict[str, Any]] = []
    n_calc = 0
    for i, r in enumerate(rows, start=2):
        name, ftype = r.get("Variable / Field Name", ""), r.get("Field Type", "")
        if i == 2 and ftype == "text" and not r.get("Text Validation Type OR Show Slider Number"):
            continue  # the record id
        if r.get("Section Header") and "instructions" not in data:
            data["instructions"] = r["Section Header"]
        ann = r.get("Field Annotation", "")
        orig = re.search(r"measurelib column (\S+)", ann)
        item: dict[str, Any] = {"id": _item_id(orig.group(1) if orig else name)}
        label = r.get("Field Label", "")
        if label and "licensed text not included" not in label:
            item["text"] = label
        if ftype in ("radio", "dropdown", "yesno", "truefalse"):
            codes_map = dict(re.findall(r"(\w+)=([-\d.]+)", ann.split("codes ", 1)[1])) \
                if "codes " in ann else {}
            if ftype == "yesno":
                opts = [{"value": 1, "label": "Yes"}, {"value": 0, "label": "No"}]
            elif ftype == "truefalse":
                opts = [{"value": 1, "label": "True"}, {"value": 0, "label": "False"}]
            else:
                opts = []
                for n, part in enumerate(r["Choices, Calculations, OR Slider Labels"].split("|"),
                                         start=1):
                    code, _, lab = part.strip().partition(",")
                    code = code.strip()
                    value = codes_map.get(code, code)
                    opt: dict[str, Any] = {"value": _num(value) if _is_num(value) else n,
                                           "label": lab.strip()}
                    if _is_num(value) and lab.strip() == code:
                        del opt["label"]  # an option shown by its code has no label
                    opts.append(opt)
                    if not _is_num(value):
                        diags.append(_note(f"field {name!r}: code {code!r} is not a number; "
                                           f"coded {n}", "Check the option values.",
                                           f"row {i}", "info"))
            sid = f"scale_{len(scales) + 1}"
            scales[sid] = {"type": "ordinal", "options": opts}
        elif ftype == "calc":
            n_calc += 1
            continue
        elif ftype == "descriptive":
            continue
        elif ftype in ("text", "slider") and (
                r.get("Text Validation Type OR Show Slider Number") in ("integer", "number")
                or ftype == "slider"):
            lo = r.get("Text Validation Min") or ("0" if ftype == "slider" else None)
            hi = r.get("Text Validation Max") or ("100" if ftype == "slider" else None)
            if not lo or not hi or not _is_num(lo) or not _is_num(hi):
                if "@READONLY" in ann:
                    n_calc += 1  # a score placeholder (a score REDCap cannot compute)
                    continue
                diags.append(_note(f"field {name!r}: no min/max; 0-10 assumed",
                                   "Set the scale's min and max.", f"row {i}"))
                lo, hi = lo if _is_num(lo) else "0", hi if _is_num(hi) else "10"
            sc: dict[str, Any] = {"type": "numeric", "min": _num(lo), "max": _num(hi)}
            anchors = re.findall(r"([-\d.]+) = ([^;]+)", r.get("Field Note", ""))
            if anchors:
                sc["anchors"] = [{"value": _num(v), "label": lab.strip()} for v, lab in anchors]
            elif r.get("Field Note"):
                item["help"] = r["Field Note"]
            if r.get("Text Validation Type OR Show Slider Number") == "number":
                sc = {**sc, "type": "vas"} if ftype == "slider" else sc
            sid = f"scale_{len(scales) + 1}"
            scales[sid] = sc
        elif ftype in ("text", "notes"):
            sid = "text"
            scales.setdefault("text", {"type": "text"})
            if r.get("Field Note"):
                item["help"] = r["Field Note"]
        else:
            diags.append(_note(f"field {name!r} of type {ftype!r} is not carried over",
                               "Add it by hand.", f"row {i}"))
            continue
        if ftype in ("radio", "dropdown", "yesno", "truefalse") and r.get("Field Note"):
            item["help"] = r["Field Note"]
        item["scale"] = sid
        if r.get("Question Number (surveys only)"):
            item["code"] = r["Question Number (surveys only)"]
        if r.get("Required Field?") == "y":
            item["required"] = True
        irt = re.search(r"measurelib irt (\{.*\})", ann)
        if irt:  # a calibrated item's parameters, carried in the annotation
            try:
                item["irt"] = json.loads(irt.group(1))
            except json.JSONDecodeError:
                diags.append(_note(f"field {name!r}: its irt annotation is not valid JSON; "
                                   "not carried over", "Copy the item's `irt:` block from "
                                   "the bank.", f"row {i}"))
        if r.get("Branching Logic (Show field only if...)"):
            diags.append(_note(f"field {name!r}: branching logic is not carried over",
                               "Use follow_up with `when:`.", f"row {i}", "info"))
        items.append(item)
    if n_calc:
        diags.append(_note(f"{n_calc} score field(s) (calc fields and read-only score "
                           "fields) are not carried over",
                           "Write the score rules (`scores:`) by hand.", "scores"))
    data["scales"] = _dedupe_scales(scales, items)
    data["items"] = items
    return _finish(data, "redcap", diags, file)


# ----------------------------------------------------------------------------- entry
def import_definition(path: str | Path, *, format: str | None = None) -> ImportDefinitionResult:
    """Import a measure definition from another system's file.

    Parameters
    ----------
    path : str or Path
        An XLSForm (``.xlsx``), a FHIR Questionnaire (``.json``) or a REDCap data
        dictionary (``.csv``).
    format : {"xlsform", "fhir", "redcap"}, optional
        Overrides the guess from the suffix.

    Returns
    -------
    ImportDefinitionResult
        ``.measure``, ``.diagnostics`` (what was not carried over), ``.to_yaml()``.

    Raises
    ------
    DefinitionError
        The file is unreadable or not of the format, or the result is not a valid measure.
    """
    path = Path(path)
    guesses = {".xlsx": "xlsform", ".xlsm": "xlsform", ".json": "fhir", ".csv": "redcap"}
    fmt = format or guesses.get(path.suffix.lower())
    if fmt not in ("xlsform", "fhir", "redcap"):
        raise ValueError("import_definition(): `format` must be one of xlsform, fhir, redcap "
                         f"(or a .xlsx/.json/.csv file); got {format or path.suffix!r}")
    if not path.is_file():
        raise DefinitionError([Diagnostic("file-not-found", f"no file {path}",
                                          "Check the path.", Location(str(path)))])
    if fmt == "xlsform":
        return from_xlsform(path)
    if fmt == "redcap":
        return from_redcap(path)
    try:
        resource = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DefinitionError([Diagnostic("import-invalid", f"{path} is not JSON: {exc.msg}",
                                          "Export the Questionnaire as JSON.",
                                          Location(str(path), exc.lineno, exc.colno))]) from None
    return from_fhir(resource, file=str(path))
