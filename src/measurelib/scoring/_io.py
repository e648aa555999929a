"""Response files in and out: the one reader and writer of data files, and ``score_file``.

Every stage that reads a file of responses (scoring, the store's import, the assessment,
the importers) reads it with :func:`read_responses`, so that blank rows, blank cells and
row numbers follow one rule: cells are text exactly as the file holds them, a blank cell is
missing, a wholly blank row is not a row, and the row number in a message is the row a
spreadsheet shows (the heading is row 1). :func:`score_file` scores a file of any size in
chunks, with memory bounded by the chunk size.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from measurelib._output import neutralise
from measurelib._results import to_jsonable
from measurelib.compose import as_measure
from measurelib.errors import DataError, Diagnostic, Location
from measurelib.scoring._score import ScoreAccount, score

__all__ = ["READ_SUFFIXES", "WRITE_SUFFIXES", "FileUsageError", "ResponseWriter", "ScoreFileResult",
           "ScoreStats", "detect_separator", "iter_response_chunks", "read_responses",
           "records", "score_file", "spreadsheet_safe", "summary_text", "suppress_counts"]

READ_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")
WRITE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".parquet")


# ----------------------------------------------------------------------------- reading
def detect_separator(path: Path) -> str:
    """The field separator of a delimited text file: tab for .tsv, else sniffed from the heading."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        head = fh.readline()
    counts = {s: head.count(s) for s in (",", ";", "\t")}
    return max(counts, key=lambda s: counts[s]) if any(counts.values()) else ","


class _Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.on = sys.stderr.isatty() and os.environ.get("TERM") != "dumb"

    def update(self, done: int, rows: int) -> None:
        if not self.on:
            return
        if self.total:
            frac = min(done / self.total, 1.0)
            bar = "#" * int(frac * 30)
            sys.stderr.write(f"\rscoring [{bar:<30}] {frac:4.0%}  {rows:,} rows")
        else:
            sys.stderr.write(f"\rscoring {rows:,} rows")
        sys.stderr.flush()

    def close(self) -> None:
        if self.on:
            sys.stderr.write("\n")


def iter_response_chunks(path: Path, chunksize: int, sheet: str | None = None,
                         progress: _Progress | None = None) -> Any:
    """Yield the rows of a data file as DataFrames of at most ``chunksize`` rows (text cells)."""
    progress = progress or _Progress(None)
    import numpy as np
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame = pd.read_excel(path, sheet_name=sheet or 0, engine="openpyxl", dtype=object)
        # drop trailing empty rows (formatted but empty cells); keep the others so that
        # row numbers stay those the spreadsheet shows
        filled = np.flatnonzero(frame.notna().any(axis=1).to_numpy())
        frame = frame.iloc[: int(filled[-1]) + 1 if filled.size else 0]
        yield frame
        return
    if suffix in (".parquet", ".pq"):
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise FileUsageError("reading Parquet needs pyarrow", "pip install 'measurelib[dask]' "
                         "(or pyarrow)") from None
        pf = pq.ParquetFile(path)
        total = pf.metadata.num_rows
        progress.total = total
        done = 0
        for batch in pf.iter_batches(batch_size=chunksize):
            frame = batch.to_pandas()
            done += len(frame)
            yield frame
            progress.update(done, done)
        return
    progress.total = path.stat().st_size
    with open(path, "rb") as fh:
        reader = pd.read_csv(fh, sep=detect_separator(path), dtype=str, keep_default_na=False,
                             na_filter=False, chunksize=chunksize, encoding="utf-8-sig",
                             skip_blank_lines=False)  # keep row numbers those of the file
        rows = 0
        for frame in reader:
            rows += len(frame)
            yield frame
            progress.update(fh.tell(), rows)


class FileUsageError(Exception):
    """A data file that cannot be used as asked (a type not read, too many rows for Excel)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.hint = message, hint



# ----------------------------------------------------------------------------- writing
def spreadsheet_safe(frame: Any) -> Any:
    """Text cells starting with =, +, -, @ made inert (formula injection); numbers untouched."""
    import pandas as pd

    text = [c for c in frame.columns
            if pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c])]
    if not text:
        return frame
    frame = frame.copy()
    for col in text:
        frame[col] = frame[col].map(neutralise)
    return frame


class ResponseWriter:
    """Writes frames chunk by chunk (CSV, Parquet) or all at the end (Excel)."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.kind = Path(path).suffix.lower() if path else ".csv"
        self.started = False
        self.frames: list[Any] = []
        self.parquet: Any = None

    def write(self, frame: Any) -> None:
        if self.kind in (".csv", ".tsv", ".xlsx"):
            frame = spreadsheet_safe(frame)
        if self.kind in (".xlsx", "collect"):
            self.frames.append(frame)
            return
        if self.kind == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self.parquet is None:
                self.parquet = pq.ParquetWriter(self.path, table.schema)
            self.parquet.write_table(table.cast(self.parquet.schema))
            return
        sep = "\t" if self.kind == ".tsv" else ","
        if self.path is None:
            frame.to_csv(sys.stdout, index=False, header=not self.started, sep=sep)
        else:
            frame.to_csv(self.path, index=False, header=not self.started, sep=sep,
                         mode="a" if self.started else "w", encoding="utf-8")
        self.started = True

    def close(self, empty: Any = None) -> None:
        if self.kind == ".xlsx" and self.path:
            import pandas as pd

            frame = pd.concat(self.frames, ignore_index=True) if self.frames else empty
            if frame is None:
                frame = pd.DataFrame()
            if len(frame) > 1_048_575:
                raise FileUsageError(f"{len(frame):,} rows do not fit in an Excel sheet",
                             "Write .csv or .parquet instead.")
            for col in frame.columns:  # Excel has no categorical type
                if isinstance(frame[col].dtype, pd.CategoricalDtype):
                    frame[col] = frame[col].astype(object)
            frame.to_excel(self.path, index=False, engine="openpyxl")
        elif self.parquet is not None:
            self.parquet.close()
        elif not self.started and empty is not None:
            self.write(empty)

    def discard(self) -> None:
        if self.parquet is not None:
            self.parquet.close()
        if self.path and os.path.exists(self.path):
            os.remove(self.path)


# ----------------------------------------------------------------------------- statistics
class ScoreStats:
    """Streaming n / mean / sd / min / max and band counts, summed over chunks."""

    def __init__(self, score_ids: list[str]) -> None:
        self.ids = score_ids
        self.n = dict.fromkeys(score_ids, 0)
        self.mean = dict.fromkeys(score_ids, 0.0)
        self.m2 = dict.fromkeys(score_ids, 0.0)
        self.min = dict.fromkeys(score_ids, math.inf)
        self.max = dict.fromkeys(score_ids, -math.inf)
        self.bands: dict[str, dict[str, int]] = {}

    def add(self, frame: Any) -> None:
        import numpy as np

        for sid in self.ids:
            vals = frame[sid].to_numpy(dtype=np.float64, na_value=np.nan)
            vals = vals[~np.isnan(vals)]
            if vals.size:
                n_b, mean_b = vals.size, float(vals.mean())
                m2_b = float(((vals - mean_b) ** 2).sum())
                n_a, mean_a = self.n[sid], self.mean[sid]
                n = n_a + n_b
                delta = mean_b - mean_a
                self.mean[sid] = mean_a + delta * n_b / n
                self.m2[sid] += m2_b + delta * delta * n_a * n_b / n
                self.n[sid] = n
                self.min[sid] = min(self.min[sid], float(vals.min()))
                self.max[sid] = max(self.max[sid], float(vals.max()))
            band = f"{sid}_band"
            if band in frame.columns:
                counts = self.bands.setdefault(sid, {})
                col = frame[band]
                cats = list(col.cat.categories) if hasattr(col, "cat") else []
                for c in cats:
                    counts.setdefault(str(c), 0)
                for k, v in col.value_counts(sort=False, dropna=True).items():
                    counts[str(k)] = counts.get(str(k), 0) + int(v)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for sid in self.ids:
            n = self.n[sid]
            d: dict[str, Any] = {"n": n}
            if n:
                d.update(mean=self.mean[sid],
                         sd=math.sqrt(self.m2[sid] / (n - 1)) if n > 1 else None,
                         min=self.min[sid], max=self.max[sid])
            if sid in self.bands:
                d["bands"] = self.bands[sid]
            out[sid] = d
        return out


def _protected(stats: dict[str, Any], alerts: dict[str, int], below: int) -> Any:
    """The disclosure decision for a score summary (one mechanism for every output).

    Cells: each score's ``n`` and band counts (bands add up to ``n`` when every score falls
    in a band), each alert's count and the number fired (their sum). Primary and
    complementary suppression as in :mod:`measurelib._output._disclosure`.
    """
    from measurelib._output import Cells, protect

    cells = Cells(max(below, 1))
    for sid, d in stats.items():
        n_key = cells.add((sid, "n"), d["n"])
        bands = d.get("bands") or {}
        keys = [cells.add((sid, "band", k), v) for k, v in bands.items()]
        if keys and sum(bands.values()) == d["n"]:
            cells.relate(n_key, keys)
    keys = [cells.add(("alert", k), v) for k, v in alerts.items()]
    cells.add(("alerts",), sum(alerts.values()))
    if keys:
        cells.relate(("alerts",), keys)
    return protect(cells)


def suppress_counts(stats: dict[str, Any], alerts: dict[str, int],
              below: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Statistics and alert counts with hidden counts replaced by None (JSON output).

    Small counts (1 to ``below - 1``) and the counts that would reveal one by subtraction
    are hidden; a score whose ``n`` is hidden, or below ``below``, keeps no statistics.
    """
    if below <= 1:
        return stats, dict(alerts)
    prot = _protected(stats, alerts, below)
    out: dict[str, Any] = {}
    for sid, d in stats.items():
        d = dict(d)
        if not prot.shown(group=(sid, "n")) and d["n"]:
            d = {"n": None, **({"bands": d["bands"]} if "bands" in d else {})}
        if "bands" in d:
            d["bands"] = {k: (None if (sid, "band", k) in prot.hidden else v)
                          for k, v in d["bands"].items()}
        out[sid] = d
    return out, {k: (None if ("alert", k) in prot.hidden else v) for k, v in alerts.items()}


def summary_text(measure: Any, account: Any, stats: dict[str, Any], out: str | None,
                  rejected_path: str | None, below: int = 0) -> str:
    prot = _protected(stats, account.alerts, below) if below > 1 else None

    def show(key: Any, v: int) -> str:
        return str(v) if prot is None else str(prot.count(key))

    lines = [f"{measure.id} {measure.version}: {account.summary()}"]
    for sid, d in stats.items():
        if d["n"] and (prot is None or prot.shown(group=(sid, "n"))):
            sd = "-" if d.get("sd") is None else f"{d['sd']:.2f}"
            lines.append(f"{sid}: n={d['n']} mean={d['mean']:.2f} sd={sd} min={d['min']:g} "
                         f"max={d['max']:g}")
        else:
            lines.append(f"{sid}: n={show((sid, 'n'), d['n'])}")
        if d.get("bands"):
            lines.append("  bands: " + ", ".join(
                f"{k} {show((sid, 'band', k), v)}" for k, v in d["bands"].items()))
    fired = sum(account.alerts.values())
    lines.append(f"alerts fired: {show(('alerts',), fired)}" + (" (" + ", ".join(
        f"{k} {show(('alert', k), v)}" for k, v in account.alerts.items() if v) + ")"
        if fired else ""))
    if prot is not None:
        lines.append(f"([c]: counts from 1 to {below - 1}, and counts that would reveal one "
                     "by subtraction, are hidden)")
    if out:
        lines.append(f"scores written to {out}")
    if rejected_path and account.rows_rejected:
        lines.append(f"rejected rows written to {rejected_path}")
    return "\n".join(lines)


def records(frame: Any) -> list[Any]:
    return list(to_jsonable(frame.reset_index(drop=True)))




def read_responses(path: str | os.PathLike[str], *, sheet: str | None = None) -> Any:
    """Read a whole file of responses (CSV/TSV, Excel or Parquet) as text cells.

    The one reader of response files: ``score``, ``import``, ``assess`` and the importers
    all use it, so blank rows, blank cells and row numbers follow one rule. Cells are text
    as the file holds them (nothing is guessed: ``007`` stays ``007``); Excel dates become
    ISO ``YYYY-MM-DD`` text and whole numbers lose Excel's ``.0``; a blank cell is missing
    (None); wholly blank rows are dropped, and the index of each row is its row number as
    a spreadsheet shows it (the heading is row 1). The separator of a text file is
    detected from its heading (comma, semicolon or tab). Headings are stripped of spaces.

    Raises
    ------
    DataError
        ``file-not-found`` when the file cannot be read, ``usage`` for a type not read.
    """
    import pandas as pd

    p = Path(path)
    shown = str(path)
    if not p.is_file():
        raise DataError([Diagnostic("file-not-found", f"{shown}: no such file",
                                    "Check the path of the data file.", Location(shown))])
    suffix = p.suffix.lower()
    if suffix not in READ_SUFFIXES:
        kind = f"{suffix} files" if suffix else "files without an extension"
        raise DataError([Diagnostic("usage", f"{shown}: cannot read {kind}",
                                    "Give a .csv, .tsv, .xlsx or .parquet file.", Location(shown))])
    try:
        if suffix in (".xlsx", ".xlsm"):
            df = pd.read_excel(p, sheet_name=sheet or 0, engine="openpyxl", dtype=object)
            for col in df.columns:
                if df[col].map(lambda v: hasattr(v, "date") and hasattr(v, "year")).any():
                    df[col] = pd.to_datetime(df[col], errors="coerce").dt.strftime("%Y-%m-%d")
            df = df.astype(object).where(df.notna(), None)
            df = df.map(lambda v: None if v is None else _cell_text(v))
        elif suffix in (".parquet", ".pq"):
            df = pd.read_parquet(p)
        else:
            df = pd.read_csv(p, sep=detect_separator(p), dtype=str, keep_default_na=False,
                             na_values=[""], encoding="utf-8-sig", skip_blank_lines=False)
    except UnicodeDecodeError:
        raise DataError([Diagnostic("file-not-found", f"{shown} is not UTF-8 text",
                                    "Save the file as CSV UTF-8.", Location(shown))]) from None
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad file for the user
        raise DataError([Diagnostic("file-not-found", f"cannot read {shown}: {exc}",
                                    "Check that the file is a valid CSV, Excel or Parquet file.",
                                    Location(shown))]) from None
    df.columns = [str(c).strip() for c in df.columns]
    df.index = range(2, len(df) + 2)
    blank = df.isna().all(axis=1) if len(df.columns) else df.index.to_series().astype(bool)
    return df.loc[~blank.to_numpy()] if len(df.columns) else df


def _cell_text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


@dataclass
class ScoreFileResult:
    """What :func:`score_file` did: the row account, statistics, and where it wrote."""

    measure_id: str
    measure_version: str
    data: str
    output: str | None
    rejected_file: str | None
    account: Any
    statistics: dict[str, Any]
    errors: list[Diagnostic] = field(default_factory=list)
    frames: list[Any] = field(default_factory=list)
    """The scored rows, when they were collected rather than written (``output="collect"``)."""

    @property
    def valid(self) -> bool:
        """True when every value was a valid answer (or was dealt with by ``on_invalid``)."""
        return not self.errors


def score_file(measure: Any, data: str | os.PathLike[str], output: str | None = None, *,
               columns: dict[str, str] | None = None, on_invalid: str = "error",
               rejected: str | None = None, chunksize: int = 100_000, sheet: str | None = None,
               lang: str | None = None) -> ScoreFileResult:
    """Score a data file of any size in chunks, writing the scores as it goes.

    Parameters
    ----------
    measure
        A :class:`~measurelib.Measure`, a catalog id or a definition file.
    data
        Responses: ``.csv``, ``.tsv``, ``.xlsx`` or ``.parquet``, one row per administration.
    output
        Where the scores go (``.csv``, ``.tsv``, ``.xlsx``, ``.parquet``); None writes CSV
        to stdout; ``"collect"`` keeps the scored frames in the result.
    columns, on_invalid, lang
        As :func:`measurelib.scoring.score`.
    rejected
        A ``.csv``, ``.tsv`` or ``.xlsx`` file for the rejected rows (row, column, reason).
    chunksize
        Rows scored at a time for CSV and Parquet; memory is bounded by it.

    Returns
    -------
    ScoreFileResult
        When ``errors`` is not empty (invalid values with ``on_invalid="error"``), nothing
        was written.
    """
    m = as_measure(measure, build=False, caller="score_file(measure=...)")
    data_path = Path(data)
    collect = output == "collect"
    writer = ResponseWriter(None if collect else output)
    if collect:
        writer.kind = "collect"
    rej_writer = ResponseWriter(rejected) if rejected else None
    account = ScoreAccount()
    stats = ScoreStats([r.id for r in m.scores])
    errors: list[Diagnostic] = []
    rows_before = 0
    progress = _Progress(None)
    empty = None
    try:
        for frame in iter_response_chunks(data_path, chunksize, sheet, progress):
            try:
                res = score(m, frame, columns=columns, on_invalid=on_invalid,  # type: ignore[arg-type]
                            lang=lang, file=data_path.name, first_row=2 + rows_before)
            except DataError as err:
                if any(d.code in ("invalid-answer", "not-a-number") for d in err.errors):
                    errors.extend(err.errors)
                    rows_before += len(frame)
                    continue
                raise
            rows_before += len(frame)
            account = account + res.account
            if errors:
                continue  # keep validating, write nothing
            stats.add(res.scores)
            writer.write(res.scores)
            if empty is None:
                empty = res.scores.iloc[:0]
            if rej_writer is not None and len(res.rejected):
                rej_writer.write(res.rejected)
        progress.close()
        if errors:
            writer.discard()
            if rej_writer is not None:
                rej_writer.discard()
        else:
            import pandas as pd

            writer.close(empty)
            if rej_writer is not None:
                rej_writer.close(pd.DataFrame(columns=["row", "column", "reason", "message",
                                                       "alerts"]))
    except BaseException:
        progress.close()
        writer.discard()
        raise
    return ScoreFileResult(m.id, m.version, str(data_path), output, rejected, account,
                           stats.to_dict(), errors, writer.frames if collect else [])
