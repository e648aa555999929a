"""``measurelib export-responses``: a measure's stored responses and scores as a data file."""

from __future__ import annotations

import argparse
import sys

from measurelib.cli._main import EXIT_OK, add_format_option, print_json
from measurelib.errors import DataError, Diagnostic, Location


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("measure", metavar="MEASURE",
                   help="id of a measure in the store, definition file (.yaml) or catalog id")
    p.add_argument("--db", default=None, metavar="PATH|URL",
                   help="store: a SQLite file (default measurelib.db) or a PostgreSQL URL")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="responses.csv, .tsv, .xlsx or .parquet")
    p.add_argument("--no-scores", action="store_true", help="answers and metadata only")
    add_format_option(p)


def run(args: argparse.Namespace) -> int:
    from measurelib.outcomes.store import Store
    from measurelib.scoring import WRITE_SUFFIXES

    if not args.output.lower().endswith(WRITE_SUFFIXES):
        raise DataError(Diagnostic("usage", f"-o {args.output!r}: allowed file types are "
                                   f"{', '.join(WRITE_SUFFIXES)}",
                                   "Name the output e.g. responses.csv.",
                                   Location(field="--output")))
    with Store(args.db, create=False) as store:
        result = store.export_responses(store.find_measure(args.measure), args.output,
                                        scores=not args.no_scores)
    if args.format == "json":
        print_json(result.to_dict())
    else:
        sys.stdout.write(result.summary() + "\n")
    return EXIT_OK
