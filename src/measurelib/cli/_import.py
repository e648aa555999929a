"""``measurelib import``: load response files into the outcomes store."""

from __future__ import annotations

import argparse
import sys

from measurelib.cli._main import EXIT_INVALID, EXIT_OK, add_format_option, print_json
from measurelib.definition import load
from measurelib.errors import DataError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("measure", metavar="MEASURE", help="definition file (.yaml) or catalog id")
    p.add_argument("file", metavar="FILE", help="responses: .csv or .xlsx, one row per form")
    p.add_argument("--db", default=None, metavar="PATH|URL",
                   help="store: a SQLite file (default measurelib.db) or a PostgreSQL URL")
    p.add_argument("--verify", metavar="SECOND", default=None,
                   help="a second, independent keying of the same forms: every disagreeing "
                        "cell is listed and nothing is stored until they agree")
    p.add_argument("--reject-bad-rows", action="store_true",
                   help="store the good rows and write the bad ones, with reasons, to "
                        "--rejected (default: any bad row stops the whole import)")
    p.add_argument("--rejected", metavar="FILE", default=None,
                   help="where to write rejected rows (default: FILE.rejected.csv)")
    p.add_argument("--anonymous", action="store_true",
                   help="anonymous experience measure: no respondent ids, aggregate use only")
    for col in ("site", "service", "worker", "mode", "timepoint"):
        p.add_argument(f"--{col}", default=None,
                       help=f"{col} for rows whose `{col}` column is missing or blank")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar (it is drawn only on a terminal anyway)")
    add_format_option(p)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from measurelib.outcomes.store import Store

    measure = load(args.measure)
    defaults = {c: getattr(args, c) for c in ("site", "service", "worker", "mode", "timepoint")}
    store = Store(args.db)
    try:
        try:
            result = store.import_file(measure, args.file, reject_bad_rows=args.reject_bad_rows,
                                       anonymous=args.anonymous, defaults=defaults,
                                       verify=args.verify,
                                       progress=False if args.quiet else None)
        except DataError as err:
            if err.title:
                sys.stderr.write(err.title + "\n")
            raise DataError(err.errors) from None
    finally:
        store.close()
    rejected_path = None
    if result.n_rejected:
        rejected_path = Path(args.rejected or f"{args.file}.rejected.csv")
        _write_rejected(args.file, result.rejected, rejected_path)
    if args.format == "json":
        data = result.to_dict()
        data.pop("rejected", None)
        data["rejected_file"] = str(rejected_path) if rejected_path else None
        print_json(data)
    else:
        sys.stdout.write(result.summary() + "\n")
        if rejected_path:
            sys.stdout.write(f"rejected rows and reasons written to {rejected_path}\n")
    return EXIT_INVALID if result.n_rejected else EXIT_OK


def _write_rejected(source: str, rejected: object, path: object) -> None:
    """The rejected rows as they were in the file, with a `reasons` column."""
    import pandas as pd

    from measurelib.scoring import read_responses

    raw = read_responses(source)
    if not isinstance(rejected, pd.DataFrame):  # pragma: no cover - defensive
        return
    reasons = (rejected.assign(text=rejected["column"] + ": " + rejected["message"])
               .groupby("row")["text"].agg("; ".join))
    rows = raw.iloc[reasons.index.to_numpy() - 2].copy()
    rows.insert(0, "row", reasons.index.to_numpy())
    rows["reasons"] = reasons.to_numpy()
    from measurelib._output import write_csv

    write_csv(rows, str(path))
