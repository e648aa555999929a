"""Response and score data out (CSV, Excel, Parquet, SPSS, Stata) and in (REDCap, FHIR).

>>> import measurelib as ml, pandas as pd
>>> from measurelib.interop._export._data import write_data
>>> m = ml.load("phq-9")
>>> res = m.score(pd.DataFrame({it.id: [1, 2] for it in m.items}))
>>> write_data(res.scores, "/tmp/phq9.sav", measure=m)  # doctest: +SKIP

- **CSV and Excel**: text cells that begin with ``=``, ``+``, ``-``, ``@`` (or a tab or
  carriage return) are written with a leading ``'`` so spreadsheet programs do not run
  them as formulas (CSV/formula injection); numbers, including negative ones, stay
  numbers.
- **SPSS (.sav) and Stata (.dta)**, through pyreadstat: variable labels from the item
  wording and score titles, value labels from the option labels (and band labels).
  Stata names are cut to 32 characters (reported).
- **Parquet**: the frame as is (categoricals kept), with pyarrow.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from measurelib._output import neutralise, write_csv, write_xlsx
from measurelib.errors import DataError, Diagnostic, Location

if TYPE_CHECKING:
    import pandas as pd

    from measurelib.definition import Measure

__all__ = [
    "DATA_FORMATS",
    "labels_of",
    "neutralise",
    "read_data",
    "read_fhir",
    "read_redcap",
    "write_data",
]

DATA_FORMATS = {".csv": "csv", ".xlsx": "excel", ".parquet": "parquet", ".sav": "spss",
                ".dta": "stata"}


def labels_of(m: Measure | None, columns: list[str], lang: str | None = None,
              ) -> tuple[dict[str, str], dict[str, dict[Any, str]]]:
    """Variable labels and value labels of the columns that belong to ``m``."""
    if m is None:
        return {}, {}
    from measurelib.interop._export._common import column_specs

    var: dict[str, str] = {}
    val: dict[str, dict[Any, str]] = {}
    specs = {s.column: s for s in column_specs(m)}
    for col in columns:
        s = specs.get(col)
        if s is not None:
            text = m.text(s.text, lang) if s.text is not None else None
            var[col] = (text or s.item_id)[:250]
            if s.kind == "choice":
                val[col] = {_key(o.value): m.text(o.label, lang) or str(o.value)
                            for o in s.options}
            continue
        for rule in m.scores:
            if col == rule.id:
                var[col] = (m.text(rule.title, lang) if rule.title else rule.id) or rule.id
            elif col == f"{rule.id}_n_missing":
                var[col] = f"{rule.id}: items missing"
            elif col == f"{rule.id}_band":
                var[col] = f"{rule.id}: band"
    return var, val


def _key(v: Any) -> Any:
    f = float(v)
    return int(f) if f.is_integer() else f


def _frame(data: Any) -> pd.DataFrame:
    import pandas as pd

    frame = getattr(data, "scores", data)
    if isinstance(frame, pd.DataFrame):
        return frame
    return pd.DataFrame(list(frame))


def write_data(data: Any, path: str | Path, measure: Measure | None = None, *,
               lang: str | None = None) -> list[Diagnostic]:
    """Write response or score data; the format follows the suffix of ``path``.

    Parameters
    ----------
    data : DataFrame, ScoreResult or list of dict
        Rows to write (a ScoreResult writes its ``.scores``).
    path : str or Path
        ``.csv``, ``.xlsx``, ``.parquet``, ``.sav`` (SPSS) or ``.dta`` (Stata).
    measure : Measure, optional
        Gives SPSS/Stata their variable and value labels.

    Returns
    -------
    list of Diagnostic
        Notes, e.g. Stata names that had to be shortened.
    """
    import pandas as pd

    path = Path(path)
    kind = DATA_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"write_data(): `path` must end in one of {', '.join(DATA_FORMATS)}; "
                         f"got {path.name!r}")
    frame = _frame(data).copy()
    diags: list[Diagnostic] = []
    if kind in ("csv", "excel"):  # through the one neutraliser, headings included
        if kind == "csv":
            write_csv(frame, path)
        else:
            write_xlsx({"data": frame}, path)
        return diags
    if kind == "parquet":
        frame.to_parquet(path, index=False)
        return diags
    import pyreadstat

    var, val = labels_of(measure, [str(c) for c in frame.columns], lang)
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
        elif pd.api.types.is_string_dtype(frame[col]) and frame[col].dtype != object:
            frame[col] = frame[col].astype(object)
    if kind == "stata":
        rename = {}
        taken: set[str] = set()
        for col in frame.columns:
            name = re.sub(r"[^A-Za-z0-9_]", "_", str(col))
            if not re.match(r"[A-Za-z_]", name):
                name = "v_" + name
            base, n = name[:32], 1
            name = base
            while name in taken:
                suffix = f"_{n}"
                name, n = base[: 32 - len(suffix)] + suffix, n + 1
            taken.add(name)
            if name != col:
                rename[col] = name
        if rename:
            diags.append(Diagnostic(
                "export-field-renamed", "Stata names: " + ", ".join(
                    f"{k} → {v}" for k, v in rename.items()), "The variable labels keep "
                "the wording; the renames are listed here.", Location(str(path)), "info"))
            frame = frame.rename(columns=rename)
            var = {rename.get(k, k): v for k, v in var.items()}
            val = {rename.get(k, k): v for k, v in val.items()}
        # Stata value labels: integer values only
        val = {k: v for k, v in val.items() if all(isinstance(x, int) for x in v)}
        var = {k: v[:80] for k, v in var.items()}
        pyreadstat.write_dta(frame, str(path), column_labels=dict(var) or None,
                             variable_value_labels=val or None)
    else:
        pyreadstat.write_sav(frame, str(path), column_labels=dict(var) or None,
                             variable_value_labels=val or None)
    return diags


def read_data(path: str | Path) -> pd.DataFrame:
    """Read a file :func:`write_data` wrote (labels are not applied to the values)."""
    import pandas as pd

    path = Path(path)
    kind = DATA_FORMATS.get(path.suffix.lower())
    if kind == "csv":
        return pd.read_csv(path)
    if kind == "excel":
        return pd.read_excel(path)
    if kind == "parquet":
        return pd.read_parquet(path)
    if kind in ("spss", "stata"):
        import pyreadstat

        reader = pyreadstat.read_sav if kind == "spss" else pyreadstat.read_dta
        frame, _meta = reader(str(path))
        return frame
    raise ValueError(f"read_data(): `path` must end in one of {', '.join(DATA_FORMATS)}; "
                     f"got {path.name!r}")


def read_redcap(measure: Measure, data: Any) -> pd.DataFrame:
    """Response rows from a REDCap data export (raw CSV, the default "raw" coded values).

    Field names are mapped back to response columns (REDCap's shortened names included),
    choice codes back to option values; ``record_id`` becomes ``respondent_id``; REDCap's
    own columns (``redcap_*``, ``<form>_complete``) and calculated scores are dropped.
    """
    import pandas as pd

    from measurelib.interop._export._common import column_specs, prepare
    from measurelib.interop._export._redcap import data_dictionary, scale_codes

    if isinstance(data, (str, Path)):
        from measurelib.scoring import read_responses

        # the one reader of data files: its limits, encodings and located errors
        frame = read_responses(data).astype(object)
    else:
        frame = _frame(data).astype(object)
    m, _ = prepare(measure)
    _, _, field_map = data_dictionary(m)
    back = {v: k for k, v in field_map.items()}
    specs = {s.column: s for s in column_specs(m)}
    out: dict[str, Any] = {}
    unknown = []
    for col in frame.columns:
        name = back.get(col, col)
        if col == "record_id":
            out["respondent_id"] = frame[col].tolist()
        elif name in specs:
            s = specs[name]
            values = frame[col].tolist()
            if s.kind == "choice":
                codes = {c: v for v, c in scale_codes(s.options).items()}
                conv: list[Any] = []
                for i, v in enumerate(values):
                    key = "" if v is None or (isinstance(v, float) and v != v) else str(v).strip()
                    if key.endswith(".0") and key[:-2] in codes:
                        key = key[:-2]
                    if key == "":
                        conv.append(None)
                    elif key in codes:
                        f = codes[key]
                        conv.append(int(f) if float(f).is_integer() else f)
                    else:
                        raise DataError([Diagnostic(
                            "invalid-answer", f"{v!r} is not a code of field {col}",
                            "Export the raw (coded) data from REDCap, not the labels.",
                            Location(row=i + 2, field=col))])
                out[name] = conv
            elif s.kind in ("integer", "decimal"):
                out[name] = pd.to_numeric(pd.Series(values).replace("", None),
                                          errors="coerce").tolist()
            else:
                out[name] = [None if v in ("", None) else v for v in values]
        elif col.startswith("redcap_") or col.endswith("_complete") or col.startswith(
                "score_"):
            continue
        else:
            unknown.append(col)
            out[col] = frame[col].tolist()
    return pd.DataFrame(out)


def read_fhir(measure: Measure, resource: Any) -> pd.DataFrame:
    """Response rows from a QuestionnaireResponse, a Bundle of them, or a JSON file of either."""
    import json

    import pandas as pd

    from measurelib.interop._export._common import column_specs, prepare
    from measurelib.interop._export._fhir import rows_from_fhir

    if isinstance(resource, Path) or (isinstance(resource, str)
                                      and not resource.lstrip().startswith("{")):
        try:
            resource = json.loads(Path(resource).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise DataError([Diagnostic("file-not-found", f"no file {resource}",
                                        "Check the path.", Location(str(resource)))]) from exc
    m, _ = prepare(measure)
    rows = rows_from_fhir(m, resource)
    cols = ["respondent_id", "date"] + [s.column for s in column_specs(m)]
    extra = [c for r in rows for c in r if c not in cols]
    return pd.DataFrame(rows, columns=[c for c in cols if any(c in r for r in rows)]
                        + sorted(set(extra)))
