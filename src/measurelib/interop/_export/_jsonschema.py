"""JSON Schema (Draft 2020-12) of one response row of a measure.

A row is an object keyed by response column (item id, ``<item>_<follow-up>``, ``goal_1``,
``goal_1_text``). Choices allow the stored option values, numeric ratings their range and
step, free text a string. Every answer may be ``null`` (missing) unless the item is
required; metadata columns (``respondent_id``, ``date``, ...) are allowed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from measurelib.interop._export._common import FHIR_BASE, column_specs

if TYPE_CHECKING:
    from measurelib.definition import Measure

__all__ = ["METADATA_COLUMNS", "response_schema"]

METADATA_COLUMNS: dict[str, dict[str, Any]] = {
    "respondent_id": {"type": ["string", "integer"]},
    "episode": {"type": ["string", "integer"]},
    "date": {"type": "string", "format": "date"},
    "timepoint": {"type": "string"},
    "mode": {"enum": ["paper", "tablet", "online", "telephone", "sms", "assisted"]},
    "respondent_type": {"enum": ["self", "proxy"]},
    "site": {"type": "string"},
    "service": {"type": "string"},
    "worker": {"type": "string"},
    "measure_id": {"const": None},
    "measure_version": {"const": None},
}


def response_schema(m: Measure, lang: str | None = None) -> dict[str, Any]:
    """The JSON Schema of a response row of ``m``."""
    props: dict[str, Any] = {}
    required: list[str] = []
    for spec in column_specs(m):
        title = m.text(spec.text, lang) if spec.text is not None else None
        p: dict[str, Any] = {}
        if title:
            p["title"] = title
        if spec.kind == "choice":
            values = []
            for o in spec.options:
                v = float(o.value)
                values.append(int(v) if v.is_integer() else v)
            p["enum"] = values
            labels = {str(v): m.text(o.label, lang) for v, o in zip(values, spec.options)
                      if o.label is not None}
            if labels:
                p["description"] = "; ".join(f"{k} = {v}" for k, v in labels.items())
        elif spec.kind in ("integer", "decimal"):
            p["type"] = "integer" if spec.kind == "integer" else "number"
            p["minimum"] = _n(spec.minimum)
            p["maximum"] = _n(spec.maximum)
            if spec.kind == "decimal" and spec.step and float(spec.minimum or 0) == 0:
                p["multipleOf"] = _n(spec.step)
        else:
            p["type"] = "string"
            sc: Any = m.scales.get(spec.scale_id)
            if sc is not None and getattr(sc, "max_length", None):
                p["maxLength"] = sc.max_length
        if spec.required:
            required.append(spec.column)
            props[spec.column] = p
        else:
            props[spec.column] = {"anyOf": [p, {"type": "null"}]} if "enum" not in p else {
                **p, "enum": [*p["enum"], None]}
    meta: dict[str, Any] = dict(METADATA_COLUMNS)
    meta["measure_id"] = {"const": m.id}
    meta["measure_version"] = {"const": m.version}
    for k, v in meta.items():
        props.setdefault(k, v)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{FHIR_BASE.rsplit('/', 1)[0]}/schema/{m.id}/{m.version}/response.json",
        "title": f"{m.text(m.title, lang)} {m.version}: one response row",
        "description": "Answers are the stored option values (not labels); null = missing.",
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }


def _n(v: float | None) -> int | float | None:
    if v is None:
        return None
    return int(v) if float(v).is_integer() else float(v)
