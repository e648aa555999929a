"""``measurelib due``: who is due or overdue for which measure, as a CSV for mail-merge/SMS."""

from __future__ import annotations

import argparse
import sys

from measurelib.cli._main import EXIT_OK, add_format_option, print_json
from measurelib.errors import DataError, Diagnostic, Location


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None, metavar="PATH|URL",
                   help="store: a SQLite file (default measurelib.db) or a PostgreSQL URL")
    p.add_argument("--schedule", default=None, metavar="FILE",
                   help="the service's schedule (YAML): timepoints and measures (default: "
                        "the schedules stored with `measurelib service`)")
    p.add_argument("--service", default=None, metavar="NAME",
                   help="only this service: its stored schedule, or --schedule applied to it")
    p.add_argument("--worker", default=None, help="only this worker's caseload")
    p.add_argument("--on", default=None, metavar="YYYY-MM-DD", help="date (default: today)")
    p.add_argument("-o", "--output", default=None, metavar="FILE.csv",
                   help="write the list as CSV (pseudonymous ids only)")
    add_format_option(p)


def run(args: argparse.Namespace) -> int:
    import datetime as dt

    from measurelib.outcomes import due_list, load_schedule
    from measurelib.outcomes.store import Store

    if args.on is not None:
        try:
            dt.date.fromisoformat(args.on)
        except ValueError:
            raise DataError(Diagnostic("usage", f"--on {args.on!r} is not a date",
                                       "Write the date as YYYY-MM-DD.",
                                       Location(field="--on"))) from None
    schedule = load_schedule(args.schedule) if args.schedule else None
    store = Store(args.db, create=False)
    try:
        res = due_list(store, schedule, on=args.on, worker=args.worker, service=args.service)
    finally:
        store.close()
    table, comp = res.table, res.completion
    if args.output:
        from measurelib._output import write_csv

        write_csv(table, args.output)
    if args.format == "json":
        print_json({**res.to_dict(), "output": args.output})
        return EXIT_OK
    n_over = int((table["status"] == "overdue").sum()) if len(table) else 0
    sys.stdout.write(f"{len(table)} measure(s) due, {n_over} overdue"
                     + (f"; list written to {args.output}" if args.output else "") + "\n")
    if not args.output and len(table):
        sys.stdout.write(table[["respondent_id", "episode", "measure_id", "timepoint",
                                "due_date", "status"]].to_string(index=False) + "\n")
    for rec in comp.itertuples(index=False):
        sys.stdout.write(f"completion {rec.measure_id} {rec.timepoint}: {rec.completed} of "
                         f"{rec.expected} ({100 * rec.rate:.0f}%)\n")
    for note in res.notes:
        sys.stderr.write(f"note: {note}\n")
    return EXIT_OK
