"""``measurelib score``: score a data file (CSV, Excel or Parquet), in chunks.

The scores go to ``-o FILE`` (or to stdout as CSV); the summary (rows in, scored and
rejected, per score n/mean/sd/min/max, band counts, alerts fired) goes to stdout, or to
stderr when the scores themselves go to stdout. No individual response value is ever
printed except in the messages that locate an invalid cell.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Any

from measurelib.cli._main import EXIT_INVALID, EXIT_OK, EXIT_USAGE, add_format_option, print_json

_READ = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")
_WRITE = (".csv", ".tsv", ".xlsx", ".parquet")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("measure", metavar="MEASURE", help="definition file (.yaml) or catalog id")
    p.add_argument("data", metavar="DATA", help="responses: .csv, .tsv, .xlsx or .parquet, one "
                   "row per administration")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write the scores here (.csv, .tsv, .xlsx, .parquet); "
                   "default: CSV to stdout")
    p.add_argument("--columns", metavar="MAP.yaml",
                   help="YAML file mapping data headings to item ids: {'Q1 interest': interest}")
    p.add_argument("--column", action="append", default=[], metavar="HEADING=ITEM",
                   help="map one data heading to an item id or code (repeatable)")
    p.add_argument("--on-invalid", choices=("error", "reject", "missing"), default="error",
                   help="values that are not valid answers: list them and exit 1 (default), "
                   "reject their rows, or treat them as missing")
    p.add_argument("--rejected", metavar="FILE",
                   help="write rejected rows (row, column, reason) to this .csv or .xlsx file")
    p.add_argument("--chunksize", type=int, default=100_000, metavar="N",
                   help="rows scored at a time for CSV and Parquet (default: 100000)")
    p.add_argument("--sheet", default=None, help="Excel sheet to read (default: the first)")
    p.add_argument("--lang", default=None, help="language of band labels")
    p.add_argument("--suppress-below", type=int, default=0, metavar="N",
                   help="in the summary, show band, alert and score counts from 1 to N-1 as "
                   "'<N' (small-number suppression for summaries that will be shared)")
    add_format_option(p)


def _fail(message: str, hint: str = "") -> int:
    sys.stderr.write(f"measurelib score: error: {message}\n")
    if hint:
        sys.stderr.write(f"    hint: {hint}\n")
    return EXIT_USAGE


def _column_map(args: argparse.Namespace) -> dict[str, str] | None | int:
    mapping: dict[str, str] = {}
    if args.columns:
        from measurelib.errors import DefinitionError
        from measurelib.definition._load import parse_document

        path = Path(args.columns)
        if not path.is_file():
            return _fail(f"{args.columns}: no such file", "Give a YAML file of heading: item.")
        try:
            data = parse_document(path.read_text(encoding="utf-8"), str(path)).data
        except DefinitionError as err:
            for d in err.errors:
                sys.stderr.write(str(d) + "\n")
            return EXIT_USAGE
        if isinstance(data, dict) and isinstance(data.get("columns"), dict):
            data = data["columns"]
        if not isinstance(data, dict) or not all(
                isinstance(v, (str, int)) for v in data.values()):
            return _fail(f"{args.columns}: expected a mapping of data heading to item id",
                         "Write one line per column, e.g. `Q1 interest: interest`.")
        mapping.update({str(k): str(v) for k, v in data.items()})
    for entry in args.column:
        heading, sep, target = entry.partition("=")
        if not sep or not heading or not target:
            return _fail(f"--column {entry!r} is not HEADING=ITEM",
                         "Write e.g. --column Q1=interest.")
        mapping[heading] = target
    return mapping or None


# ----------------------------------------------------------------------------- reading
def _sep(path: Path) -> str:
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


def _chunks(path: Path, chunksize: int, sheet: str | None, progress: _Progress) -> Any:
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
            raise _Usage("reading Parquet needs pyarrow", "pip install 'measurelib[dask]' "
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
        reader = pd.read_csv(fh, sep=_sep(path), dtype=str, keep_default_na=False,
                             na_filter=False, chunksize=chunksize, encoding="utf-8-sig",
                             skip_blank_lines=False)  # keep row numbers those of the file
        rows = 0
        for frame in reader:
            rows += len(frame)
            yield frame
            progress.update(fh.tell(), rows)


class _Usage(Exception):
    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


# ----------------------------------------------------------------------------- writing
def _spreadsheet_safe(frame: Any) -> Any:
    """Text cells starting with =, +, -, @ made inert (formula injection); numbers untouched."""
    import pandas as pd

    from measurelib.interop.export._data import neutralise

    text = [c for c in frame.columns
            if pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c])]
    if not text:
        return frame
    frame = frame.copy()
    for col in text:
        frame[col] = frame[col].map(neutralise)
    return frame


class _Writer:
    """Writes frames chunk by chunk (CSV, Parquet) or all at the end (Excel)."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.kind = Path(path).suffix.lower() if path else ".csv"
        self.started = False
        self.frames: list[Any] = []
        self.parquet: Any = None

    def write(self, frame: Any) -> None:
        if self.kind in (".csv", ".tsv", ".xlsx"):
            frame = _spreadsheet_safe(frame)
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
                raise _Usage(f"{len(frame):,} rows do not fit in an Excel sheet",
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
class _Stats:
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


def _small(v: int, below: int) -> str:
    """A count, or ``<N`` when it is 1..N-1 (small-number suppression)."""
    return f"<{below}" if 0 < v < below else str(v)


def _suppress(stats: dict[str, Any], alerts: dict[str, int],
              below: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Statistics and alert counts with small numbers replaced by None (JSON output)."""
    if below <= 1:
        return stats, dict(alerts)
    out: dict[str, Any] = {}
    for sid, d in stats.items():
        d = dict(d)
        if 0 < d["n"] < below:
            d = {"n": None}
        if "bands" in d:
            d["bands"] = {k: (None if 0 < v < below else v) for k, v in d["bands"].items()}
        out[sid] = d
    return out, {k: (None if 0 < v < below else v) for k, v in alerts.items()}


def _summary_text(measure: Any, account: Any, stats: dict[str, Any], out: str | None,
                  rejected_path: str | None, below: int = 0) -> str:
    lines = [f"{measure.id} {measure.version}: {account.summary()}"]
    for sid, d in stats.items():
        if d["n"] and not d["n"] < below:
            sd = "-" if d.get("sd") is None else f"{d['sd']:.2f}"
            lines.append(f"{sid}: n={d['n']} mean={d['mean']:.2f} sd={sd} min={d['min']:g} "
                         f"max={d['max']:g}")
        else:
            lines.append(f"{sid}: n={_small(d['n'], below)}")
        if d.get("bands"):
            lines.append("  bands: " + ", ".join(
                f"{k} {_small(v, below)}" for k, v in d["bands"].items()))
    fired = sum(account.alerts.values())
    lines.append(f"alerts fired: {_small(fired, below)}" + (" (" + ", ".join(
        f"{k} {_small(v, below)}" for k, v in account.alerts.items() if v) + ")"
        if fired else ""))
    if below > 1:
        lines.append(f"(counts from 1 to {below - 1} are shown as <{below})")
    if out:
        lines.append(f"scores written to {out}")
    if rejected_path and account.rows_rejected:
        lines.append(f"rejected rows written to {rejected_path}")
    return "\n".join(lines)


def _records(frame: Any) -> list[Any]:
    from measurelib._results import to_jsonable

    return list(to_jsonable(frame.reset_index(drop=True)))


# ----------------------------------------------------------------------------- run
def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from measurelib.definition._catalog import resolve
    from measurelib.errors import DataError, Diagnostic
    from measurelib.definition._load import load
    from measurelib.scoring._score import ScoreAccount, score

    if args.suppress_below < 0:
        return _fail(f"--suppress-below must be 0 (off) or more; got {args.suppress_below}")
    if args.chunksize < 1:
        return _fail(f"--chunksize must be a positive number of rows; got {args.chunksize}")
    data_path = Path(args.data)
    if not data_path.is_file():
        return _fail(f"{args.data}: no such file", "Check the path of the data file.")
    if data_path.suffix.lower() not in _READ:
        return _fail(f"{args.data}: cannot read {data_path.suffix or 'files without an extension'}",
                     "Use .csv, .tsv, .xlsx or .parquet.")
    for opt, path in (("-o", args.output), ("--rejected", args.rejected)):
        if path and Path(path).suffix.lower() not in (_WRITE if opt == "-o" else (".csv", ".tsv",
                                                                                   ".xlsx")):
            allowed = ", ".join(_WRITE if opt == "-o" else (".csv", ".tsv", ".xlsx"))
            return _fail(f"{opt} {path}: unsupported file type", f"Use one of {allowed}.")
    mapping = _column_map(args)
    if isinstance(mapping, int):
        return mapping
    source = args.measure
    measure = load(source if Path(source).exists() else resolve(source))
    if args.lang and args.lang not in measure.all_languages:
        return _fail(f"--lang {args.lang}: {measure.id} is available in "
                     f"{', '.join(measure.all_languages)}")

    to_stdout = args.output is None
    info = sys.stderr if to_stdout else sys.stdout
    writer = _Writer(args.output)
    if to_stdout and args.format == "json":
        writer.kind = "collect"  # the rows go into the JSON document
    rej_writer = _Writer(args.rejected) if args.rejected else None
    account = ScoreAccount()
    stats = _Stats([r.id for r in measure.scores])
    errors: list[Diagnostic] = []
    title = ""
    rows_before = 0
    progress = _Progress(None)
    empty = None
    try:
        for frame in _chunks(data_path, args.chunksize, args.sheet, progress):
            try:
                res = score(measure, frame, columns=mapping, on_invalid=args.on_invalid,
                            lang=args.lang, file=data_path.name, first_row=2 + rows_before)
            except DataError as err:
                if any(d.code in ("invalid-answer", "not-a-number") for d in err.errors):
                    errors.extend(err.errors)
                    title = err.title or ""
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
    except _Usage as err:
        progress.close()
        writer.discard()
        return _fail(err.message, err.hint)
    except (OSError, ValueError, UnicodeDecodeError) as err:
        progress.close()
        writer.discard()
        if isinstance(err, (DataError,)):
            raise
        return _fail(f"{args.data}: cannot read the file ({err})",
                     "Check that it is a valid, UTF-8 encoded data file.")
    except DataError:
        progress.close()
        writer.discard()
        raise
    progress.close()
    if errors:
        writer.discard()
        if rej_writer is not None:
            rej_writer.discard()
        n_rows = len({d.location.row for d in errors})
        if args.format == "json":
            print_json({"valid": False, "title": f"{len(errors)} invalid value(s) in {n_rows} "
                        f"row(s)", "errors": [d.to_dict() for d in errors]})
        for d in errors:
            sys.stderr.write(f"{d.location}: {d.message}\n")
        sys.stderr.write(
            f"{len(errors)} invalid value(s) in {n_rows} row(s); nothing was written.\n"
            "    hint: correct the values, or rerun with --on-invalid reject (drop those rows; "
            "list them with --rejected FILE) or --on-invalid missing (treat them as missing).\n")
        del title
        return EXIT_INVALID
    try:
        writer.close(empty)
        if rej_writer is not None:
            cols = pd.DataFrame(columns=["row", "column", "reason", "message", "alerts"])
            rej_writer.close(cols)
    except _Usage as err:
        return _fail(err.message, err.hint)
    statistics = stats.to_dict()
    statistics_json, alerts_json = _suppress(statistics, account.alerts, args.suppress_below)
    if args.format == "json":
        print_json({
            "valid": True,
            "measure": {"id": measure.id, "version": measure.version},
            "data": str(data_path),
            "output": args.output,
            "rejected_file": args.rejected,
            "options": {"on_invalid": args.on_invalid, "chunksize": args.chunksize,
                        "columns": mapping},
            "account": {**account.to_dict(), "alerts": alerts_json},
            "statistics": statistics_json,
            "suppressed_below": args.suppress_below or None,
            "value_sets": {r.id: {"id": r.value_set.id, "version": r.value_set.version}
                           for r in measure.scores if r.value_set is not None},
            **({"scores": [r for f in writer.frames for r in _records(f)]}
               if writer.kind == "collect" else {}),
        })
    else:
        info.write(_summary_text(measure, account, statistics, args.output, args.rejected,
                                 args.suppress_below) + "\n")
        if account.rows_rejected and not args.rejected:
            info.write("    hint: add --rejected FILE to list the rejected rows and why.\n")
    return EXIT_OK
