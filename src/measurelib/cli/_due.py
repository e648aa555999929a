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
                        "the schedules stored with Store.configure_service)")
    p.add_argument("--worker", default=None, help="only this worker's caseload")
    p.add_argument("--on", default=None, metavar="YYYY-MM-DD", help="date (default: today)")
    p.add_argument("-o", "--output", default=None, metavar="FILE.csv",
                   help="write the list as CSV (pseudonymous ids only)")
    add_format_option(p)


def run(args: argparse.Namespace) -> int:
    import datetime as dt

    from measurelib.outcomes import completion, due, load_schedule, stored_schedules
    from measurelib.outcomes.store import Store

    if args.on is not None:
        try:
            dt.date.fromisoformat(args.on)
        except ValueError:
            raise DataError(Diagnostic("usage", f"--on {args.on!r} is not a date",
                                       "Write the date as YYYY-MM-DD.",
                                       Location(field="--on"))) from None
    import pandas as pd

    store = Store(args.db)
    try:
        schedules = [load_schedule(args.schedule)] if args.schedule else stored_schedules(store)
        if not schedules:
            raise DataError(Diagnostic(
                "usage", "no schedule given and none stored in the store",
                "Give --schedule FILE, or store one with "
                "Store.configure_service(service, schedule=TEXT).", Location(field="--schedule")))
        table = pd.concat([due(store, s, on=args.on, worker=args.worker) for s in schedules],
                          ignore_index=True)
        comp = pd.concat([completion(store, s, on=args.on) for s in schedules],
                         ignore_index=True)
    finally:
        store.close()
    if args.output:
        table.to_csv(args.output, index=False)
    if args.format == "json":
        print_json({"due": table.to_dict(orient="records"),
                    "completion": comp.to_dict(orient="records"),
                    "output": args.output})
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
    return EXIT_OK
