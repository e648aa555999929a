"""``measurelib score``: score a data file (CSV, Excel or Parquet), in chunks.

The scores go to ``-o FILE`` (or to stdout as CSV); the summary (rows in, scored and
rejected, per score n/mean/sd/min/max, band counts, alerts fired) goes to stdout, or to
stderr when the scores themselves go to stdout. No individual response value is ever
printed except in the messages that locate an invalid cell.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from measurelib.cli._main import EXIT_INVALID, EXIT_OK, EXIT_USAGE, add_format_option, print_json
from measurelib.compose import as_measure
from measurelib.definition import parse_document
from measurelib.errors import DataError, DefinitionError, for_cli


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
                   help="rows read and scored at a time; memory is bounded by it "
                   "(default: 100000)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar (it is shown only on a terminal anyway)")
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


def run(args: argparse.Namespace) -> int:

    from measurelib.scoring._io import (
        WRITE_SUFFIXES,
        FileUsageError,
        check_data_file,
        records,
        score_file,
        summary_text,
        suppress_counts,
    )

    if args.suppress_below < 0:
        return _fail(f"--suppress-below must be 0 (off) or more; got {args.suppress_below}")
    if args.chunksize < 1:
        return _fail(f"--chunksize must be a positive number of rows; got {args.chunksize}")
    data_path = Path(args.data)
    kind = check_data_file(data_path)  # missing, a folder, a type not read, not as named
    if args.sheet is not None and kind != "excel":
        return _fail(f"--sheet {args.sheet}: {args.data} is not an Excel workbook",
                     "Leave out --sheet, or give the .xlsx file.")
    for opt, path in (("-o", args.output), ("--rejected", args.rejected)):
        allowed_suffixes = WRITE_SUFFIXES if opt == "-o" else (".csv", ".tsv", ".xlsx")
        if path and Path(path).suffix.lower() not in allowed_suffixes:
            return _fail(f"{opt} {path}: unsupported file type",
                         f"Use one of {', '.join(allowed_suffixes)}.")
    mapping = _column_map(args)
    if isinstance(mapping, int):
        return mapping
    measure = as_measure(args.measure, build=False)
    if args.lang and args.lang not in measure.all_languages:
        return _fail(f"--lang {args.lang}: {measure.id} is available in "
                     f"{', '.join(measure.all_languages)}")
    to_stdout = args.output is None
    info = sys.stderr if to_stdout else sys.stdout
    output = "collect" if (to_stdout and args.format == "json") else args.output
    try:
        result = score_file(measure, data_path, output, columns=mapping,
                            on_invalid=args.on_invalid, rejected=args.rejected,
                            chunksize=args.chunksize, sheet=args.sheet, lang=args.lang,
                            quiet=args.quiet or args.format == "json")
    except FileUsageError as err:
        return _fail(err.message, err.hint)
    except UnicodeDecodeError as err:
        return _fail(f"{args.data}: cannot read the file ({err})",
                     "Check that it is a valid, UTF-8 encoded data file.")
    except ValueError as err:
        if isinstance(err, DataError):
            raise
        return _fail(f"{args.data}: cannot read the file ({type(err).__name__})",
                     "Check that it is a CSV (UTF-8), Excel (.xlsx) or Parquet file.")
    if result.errors:
        errors = result.errors
        n_rows = len({d.location.row for d in errors})
        if args.format == "json":
            print_json({"valid": False, "title": f"{len(errors)} invalid value(s) in {n_rows} "
                        f"row(s)", "errors": [d.to_dict() for d in errors]})
        for d in errors:
            sys.stderr.write(f"{d.location}: {for_cli(d.message)}\n")
        sys.stderr.write(
            f"{len(errors)} invalid value(s) in {n_rows} row(s); nothing was written.\n"
            "    hint: correct the values, or rerun with --on-invalid reject (drop those rows; "
            "list them with --rejected FILE) or --on-invalid missing (treat them as missing).\n")
        return EXIT_INVALID
    account = result.account
    statistics = result.statistics
    statistics_json, alerts_json = suppress_counts(statistics, account.alerts, args.suppress_below)
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
            **({"scores": [r for f in result.frames for r in records(f)]}
               if output == "collect" else {}),
        })
    else:
        info.write(summary_text(measure, account, statistics, args.output, args.rejected,
                                args.suppress_below) + "\n")
        if account.rows_rejected and not args.rejected:
            info.write("    hint: add --rejected FILE to list the rejected rows and why.\n")
    return EXIT_OK
