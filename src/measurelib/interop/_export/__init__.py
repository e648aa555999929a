"""Export measures to other systems: FHIR R4, XLSForm (ODK/Kobo), REDCap, JSON Schema.

>>> import measurelib as ml
>>> res = ml.export("phq-9", to="fhir")
>>> res.content["resourceType"], res.content["url"]
('Questionnaire', 'https://measurelib.org/fhir/Questionnaire/phq-9')
>>> [d.code for d in res.diagnostics]
[]

Every export respects the measure's licence: when it forbids redistributing the wording,
the item text is left out (a placeholder names the item) unless ``overlay=`` supplies the
user's licensed text, and a warning diagnostic says so. Scores are carried as expressions
where the target can compute them (FHIRPath, ODK XPath, REDCap calc); where it cannot (a
lookup table, a value set) a warning diagnostic and a note in the file say so.
``docs/interop.md`` maps each format in detail.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from measurelib._results import Result

__all__ = ["FORMATS", "ExportResult", "export"]

FORMATS: dict[str, str] = {
    "fhir": ".json",
    "xlsform": ".xlsx",
    "redcap": ".csv",
    "jsonschema": ".json",
}


class ExportResult(Result):
    """An exported measure.

    Attributes
    ----------
    format : str
        ``fhir``, ``xlsform``, ``redcap`` or ``jsonschema``.
    measure_id, measure_version : str
        The measure exported.
    content : object
        The export: a dict (FHIR Questionnaire, JSON Schema), ``bytes`` (XLSForm
        workbook) or ``str`` (REDCap data dictionary CSV).
    diagnostics : list of Diagnostic
        What the target cannot carry (warnings) and licence notes.
    field_map : dict
        Response column → name in the target, where they differ (REDCap field names).
    media : dict
        File name → bytes of pictures the form refers to (XLSForm ``media::image``).
    """

    format: str
    measure_id: str
    measure_version: str
    content: Any
    diagnostics: list[Any] = []
    field_map: dict[str, str] = {}
    media: dict[str, bytes] = {}

    @property
    def suffix(self) -> str:
        """The file suffix of the export format (``.json``, ``.xlsx``, ...)."""
        return FORMATS[self.format]

    def to_bytes(self) -> bytes:
        """The file's bytes."""
        if isinstance(self.content, bytes):
            return self.content
        if isinstance(self.content, str):
            return self.content.encode("utf-8")
        return (json.dumps(self.content, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    def write(self, path: str | Path) -> Path:
        """Write the export (and any media files, into ``<stem>-media/``) and return its path."""
        path = Path(path)
        path.write_bytes(self.to_bytes())
        if self.media:
            folder = path.with_name(f"{path.stem}-media")
            folder.mkdir(exist_ok=True)
            for name, data in sorted(self.media.items()):
                (folder / name).write_bytes(data)
        return path

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data: the JSON document that ``--format json`` prints."""
        content = self.content
        if isinstance(content, bytes):
            content = f"<{len(content)} bytes>"
        return {"format": self.format, "measure": {"id": self.measure_id,
                                                    "version": self.measure_version},
                "diagnostics": [d.to_dict() for d in self.diagnostics],
                "field_map": self.field_map, "media": sorted(self.media),
                "content": content}

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        lines = [f"{self.measure_id} {self.measure_version} → {self.format}"]
        lines += [str(d) for d in self.diagnostics]
        if self.field_map:
            lines.append("renamed: " + ", ".join(f"{k} → {v}" for k, v in self.field_map.items()))
        return "\n".join(lines)


def export(measure: Any, to: str = "fhir", *, lang: str | None = None, overlay: Any = None,
           path: str | Path | None = None) -> ExportResult:
    """Export a measure definition to another system's format.

    Parameters
    ----------
    measure : Measure, str or path
        The measure, a catalog id or a definition file (composed measures are built).
    to : {"fhir", "xlsform", "redcap", "jsonschema"}
        Target format: a FHIR R4 Questionnaire (SDC), an XLSForm workbook for ODK/Kobo, a
        REDCap data dictionary, or the JSON Schema (2020-12) of one response row.
    lang : str, optional
        Main language (default: the measure's); other languages become translations.
    overlay : mapping or path, optional
        The user's licensed item text, for measures whose licence forbids redistributing
        it. Without it such texts are left out.
    path : str or Path, optional
        Also write the file there.

    Returns
    -------
    ExportResult

    Raises
    ------
    ValueError
        ``to`` is not a known format or ``lang`` is not a language of the measure.
    DefinitionError
        The measure (or overlay) is invalid.
    """
    if to not in FORMATS:
        raise ValueError(f"export(): `to` must be one of {', '.join(FORMATS)}; got {to!r}")
    from measurelib.interop._export._common import prepare

    m, diags = prepare(measure, overlay)
    if lang is not None and lang not in m.all_languages:
        raise ValueError(f"export(): `lang` must be one of {', '.join(m.all_languages)} "
                         f"(the languages of {m.id}); got {lang!r}")
    field_map: dict[str, str] = {}
    media: dict[str, bytes] = {}
    content: Any
    if to == "fhir":
        from measurelib.interop._export._fhir import questionnaire

        content, more = questionnaire(m, lang)
    elif to == "jsonschema":
        from measurelib.interop._export._jsonschema import response_schema

        content, more = response_schema(m, lang), []
    elif to == "xlsform":
        from measurelib.interop._export._xlsform import xlsform

        book, more, media = xlsform(m, lang)
        buf = io.BytesIO()
        book.save(buf)
        content = buf.getvalue()
    else:
        from measurelib.interop._export._redcap import data_dictionary

        content, more, field_map = data_dictionary(m, lang)
    res = ExportResult(format=to, measure_id=m.id, measure_version=m.version, content=content,
                       diagnostics=[*diags, *more], field_map=field_map, media=media)
    if path is not None:
        res.write(path)
    return res

