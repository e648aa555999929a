"""``measurelib report``: the impact report of a service (HTML, PDF or JSON)."""

from __future__ import annotations

import argparse
import sys

from measurelib.cli._main import EXIT_OK, add_format_option, print_json
from measurelib.definition import load
from measurelib.errors import DataError, Diagnostic, Location


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None, metavar="PATH|URL",
                   help="store: a SQLite file (default measurelib.db) or a PostgreSQL URL")
    p.add_argument("--measure", required=True, help="definition file (.yaml) or catalog id")
    p.add_argument("--score", default=None, help="score id (default: the first)")
    p.add_argument("--from", dest="start", default=None, metavar="YYYY-MM-DD",
                   help="episodes whose baseline is on or after this date")
    p.add_argument("--to", dest="end", default=None, metavar="YYYY-MM-DD",
                   help="episodes whose baseline is on or before this date")
    p.add_argument("--service", default=None, help="only this service")
    p.add_argument("--by", action="append", default=None,
                   choices=("site", "service", "worker"),
                   help="break down by this (repeatable; default: site)")
    p.add_argument("--min-cell", type=int, default=5,
                   help="show counts below this as '<N' (default 5)")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="impact.html, impact.pdf or impact.json")
    add_format_option(p)


def run(args: argparse.Namespace) -> int:
    import datetime as dt

    from measurelib.outcomes import impact_report
    from measurelib.outcomes.store import Store

    for flag, value in (("--from", args.start), ("--to", args.end)):
        if value is not None:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise DataError(Diagnostic("usage", f"{flag} {value!r} is not a date",
                                           "Write the date as YYYY-MM-DD.",
                                           Location(field=flag))) from None
    if args.min_cell < 1:
        raise DataError(Diagnostic("usage", f"--min-cell must be 1 or more, got {args.min_cell}",
                                   "Use e.g. --min-cell 5.", Location(field="--min-cell")))
    if not args.output.lower().endswith((".html", ".htm", ".pdf", ".json")):
        raise DataError(Diagnostic("usage", f"-o {args.output!r}: allowed file types are "
                                   ".html, .pdf, .json", "Name the output e.g. impact.html.",
                                   Location(field="--output")))
    measure = load(args.measure)
    store = Store(args.db)
    try:
        rep = impact_report(store, measure, score=args.score, start=args.start, end=args.end,
                            service=args.service, by=args.by or ["site"],
                            min_cell=args.min_cell)
    finally:
        store.close()
    rep.write(args.output)
    if args.format == "json":
        print_json({"output": args.output, **rep.to_dict()})
    else:
        sys.stdout.write(rep.summary() + f"\nwritten to {args.output}\n")
    return EXIT_OK
