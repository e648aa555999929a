"""Excel entry sheets for keying paper forms: ``measurelib template MEASURE -o entry.xlsx``.

The columns are the header fields of the paper form (``respondent_id``, ``date``,
``timepoint``, ``worker``) and then the item codes printed beside each question; each
answer column has a drop-down of the allowed answer codes. What is keyed in scores with no
mapping: the scoring engine matches columns by item id or item code.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from measurelib._output import neutralise_workbook
from measurelib.definition import (
    Measure,
    NumericScale,
    OrdinalScale,
    TextScale,
    VisualAnalogueScale,
    YesNoScale,
)

__all__ = ["entry_columns", "write_entry_sheet"]

HEADER_FIELDS = ("respondent_id", "date", "timepoint", "worker")
_MAX_ROWS = 2000


def _num(v: float) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)


def entry_columns(measure: Measure) -> list[tuple[str, str, str]]:
    """``(heading, response column, scale id)`` for every answer column, in form order.

    The heading is the code printed on the paper form: the item's ``code`` (or its id),
    ``<code>_<n>`` for personalised items and ``<code>_<follow-up>`` for follow-ups.
    """
    out: list[tuple[str, str, str]] = []
    for item in measure.items:
        code = item.code or item.id
        if item.personalised is None:
            out.append((code, item.id, item.scale))
        else:
            for n, col in enumerate(item.columns(), start=1):
                out.append((f"{code}_{n}", col, item.scale))
                out.append((f"{code}_{n}_text", f"{col}_text", ""))
        for fu in item.follow_up:
            out.append((f"{code}_{fu.id}", f"{item.id}_{fu.id}", fu.scale))
    return out


def write_entry_sheet(measure: Measure, path: str | os.PathLike[str], *, rows: int = 500,
                      lang: str | None = None,
                      timepoints: Sequence[str] | None = None) -> Path:
    """Write an Excel workbook for keying paper forms of ``measure``.

    Parameters
    ----------
    measure : Measure
        The measure whose paper forms will be keyed.
    path : path-like
        Where to write the ``.xlsx`` file.
    rows : int, default 500
        How many rows get drop-down validation (1–2000).
    lang : str, optional
        Language of the labels on the "codes" sheet.
    timepoints : sequence of str, optional
        The labels the ``timepoint`` column offers as a drop-down (default: the measure's
        declared timepoints; give a service's schedule's to match it).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    if not isinstance(measure, Measure):
        raise TypeError("write_entry_sheet(): `measure` must be a measurelib.Measure, not "
                        f"{type(measure).__name__}")
    if not isinstance(rows, int) or not 1 <= rows <= _MAX_ROWS:
        raise ValueError(f"write_entry_sheet(): `rows` must be a whole number from 1 to "
                         f"{_MAX_ROWS}; got {rows!r}")
    lang = lang or measure.language
    columns = entry_columns(measure)
    wb = Workbook()
    ws = wb.active
    ws.title = "entry"
    headings = list(HEADER_FIELDS) + [h for h, _, _ in columns]
    ws.append(headings)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DCE6F1")
    for i, _ in enumerate(headings, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[get_column_letter(i)].width = 14 if i <= len(HEADER_FIELDS) else 8
    ws.column_dimensions["A"].width = 16
    ws.freeze_panes = "B2"
    last = rows + 1

    # dates: a real date validation and format
    date_col = get_column_letter(HEADER_FIELDS.index("date") + 1)
    dv_date = DataValidation(type="date", operator="greaterThan", formula1="DATE(1900,1,1)",
                             allow_blank=True, showErrorMessage=True,
                             errorTitle="Date", error="Enter a date, e.g. 2024-05-01.")
    dv_date.add(f"{date_col}2:{date_col}{last}")
    ws.add_data_validation(dv_date)
    ws.column_dimensions[date_col].number_format = "yyyy-mm-dd"

    # timepoints: exactly the declared ones (an import refuses any other label)
    tps = list(timepoints) if timepoints is not None else list(measure.timepoint_ids)
    tp_col = get_column_letter(HEADER_FIELDS.index("timepoint") + 1)
    dv_tp = DataValidation(type="list", formula1='"' + ",".join(tps) + '"', allow_blank=True,
                           showErrorMessage=True, errorTitle="Timepoint",
                           error=f"Choose one of: {', '.join(tps)}.")
    dv_tp.add(f"{tp_col}2:{tp_col}{last}")
    ws.add_data_validation(dv_tp)

    for offset, (heading, _col, scale_id) in enumerate(columns):
        letter = get_column_letter(len(HEADER_FIELDS) + 1 + offset)
        rng = f"{letter}2:{letter}{last}"
        if not scale_id:
            ws.column_dimensions[letter].width = 24
            continue
        scale = measure.scales[scale_id]
        dv: Any = None
        if isinstance(scale, (OrdinalScale, YesNoScale)):
            codes = [_num(o.value) for o in scale.options]
            dv = DataValidation(type="list", formula1='"' + ",".join(codes) + '"',
                                allow_blank=True, showErrorMessage=True, errorTitle=heading,
                                error=f"Allowed answer codes: {', '.join(codes)} (blank if "
                                "not answered).")
        elif isinstance(scale, NumericScale):
            values = [_num(v) for v in scale.values()]
            if len(values) <= 30:
                dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                                    allow_blank=True, showErrorMessage=True, errorTitle=heading,
                                    error=f"Allowed: {values[0]} to {values[-1]}.")
            else:
                whole = float(scale.step).is_integer() and float(scale.min).is_integer()
                dv = DataValidation(type="whole" if whole else "decimal", operator="between",
                                    formula1=_num(scale.min), formula2=_num(scale.max),
                                    allow_blank=True, showErrorMessage=True, errorTitle=heading,
                                    error=f"Enter a number from {_num(scale.min)} to "
                                    f"{_num(scale.max)}.")
        elif isinstance(scale, VisualAnalogueScale):
            dv = DataValidation(type="decimal", operator="between", formula1=_num(scale.min),
                                formula2=_num(scale.max), allow_blank=True,
                                showErrorMessage=True, errorTitle=heading,
                                error=f"Enter a number from {_num(scale.min)} to "
                                f"{_num(scale.max)}.")
        elif isinstance(scale, TextScale):
            ws.column_dimensions[letter].width = 24
        if dv is not None:
            dv.add(rng)
            ws.add_data_validation(dv)

    # the codes sheet: what every code means
    cs = wb.create_sheet("codes")
    cs.append(["column", "item id", "question", "answer code", "answer"])
    for i in range(1, 6):
        cs.cell(row=1, column=i).font = bold
        cs.cell(row=1, column=i).fill = fill
    cs.freeze_panes = "A2"
    for width, letter in zip((12, 22, 60, 12, 36), "ABCDE"):
        cs.column_dimensions[letter].width = width
    items = {it.id: it for it in measure.items}
    for heading, col, scale_id in columns:
        base = col.rsplit("_", 1)[0] if col not in items else col
        item = items.get(col) or items.get(base)
        question = ""
        if item is not None and item.text is not None and col in items:
            question = measure.text(item.text, lang) or ""
        if not scale_id:
            cs.append([heading, col, question or "(free text)", "", ""])
            continue
        scale = measure.scales[scale_id]
        if isinstance(scale, (OrdinalScale, YesNoScale)):
            for k, o in enumerate(scale.options):
                label = measure.text(o.label, lang) or ""
                if not label and k == 0 and scale.title is not None:
                    # licensed answer wording is not shipped: say what the codes stand for
                    label = f"(answer wording licensed) {measure.text(scale.title, lang)}"
                if o.missing:
                    label += " (counts as missing)"
                cs.append([heading if k == 0 else "", col if k == 0 else "",
                           question if k == 0 else "", _num(o.value), label])
        elif isinstance(scale, (NumericScale, VisualAnalogueScale)):
            anchors = "; ".join(f"{_num(a.value)} = {measure.text(a.label, lang)}"
                                for a in scale.anchors)
            cs.append([heading, col, question, f"{_num(scale.min)}–{_num(scale.max)}", anchors])
        else:
            cs.append([heading, col, question or "(free text)", "", ""])
    cs.append([])
    cs.append([f"{measure.id} {measure.version}. Leave a cell blank when the question was not "
               "answered. Score this sheet with: measurelib score " + measure.id + " FILE"])
    out = Path(path)
    neutralise_workbook(wb)  # author text such as "=x" is text, never a formula
    wb.save(out)
    return out
