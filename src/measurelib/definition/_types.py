"""Types shared by the definition model and its checks: ids, languages, texts."""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field, WithJsonSchema

ID_PATTERN = r"^[a-z][a-z0-9_]*(?:-[a-z0-9_]+)*$"
MEASURE_ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SEMVER_PATTERN = (
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
LANG_PATTERN = r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$"
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "ps", "sd", "ug", "yi", "ckb", "dv"})

LangCode = Annotated[str, Field(pattern=LANG_PATTERN)]
Text = Union[str, dict[LangCode, str]]
"""Any human-readable text: a string in the measure's language, or a map ``{lang: text}``."""

Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]
#: Largest magnitude of a number in a definition: far beyond any score, and small enough
#: that every sum of scores stays exact in floating point.
MAX_NUMBER = 10 ** 15
Number = Union[
    Annotated[int, Field(ge=-MAX_NUMBER, le=MAX_NUMBER)],
    Annotated[float, Field(ge=-MAX_NUMBER, le=MAX_NUMBER, allow_inf_nan=False)],
]

#: A table file, as written in YAML; the loader reads it into the mapping before validation.
_TABLE_FILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "TableFile",
    "description": "A table read from a CSV file beside the definition.",
    "properties": {
        "file": {"type": "string", "minLength": 1,
                 "description": "CSV file, relative to the definition's folder."},
        "key": {"type": "string", "description": "Column of keys (default: the first)."},
        "value": {"type": "string", "description": "Column of values (default: the second)."},
    },
    "required": ["file"],
    "additionalProperties": False,
}
LookupTable = Annotated[
    dict[Number, Number],
    WithJsonSchema({"anyOf": [
        {"type": "object", "additionalProperties": {"type": "number"},
         "description": "Inline `key: value` pairs."},
        _TABLE_FILE_SCHEMA,
    ]}),
]


def text_in(text: Text | None, lang: str, default_lang: str | None = None) -> str | None:
    """Return ``text`` in language ``lang`` (falling back to ``default_lang``), or None."""
    if text is None:
        return None
    if isinstance(text, str):
        return text
    if lang in text:
        return text[lang]
    if default_lang is not None and default_lang in text:
        return text[default_lang]
    return None
