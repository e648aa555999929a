"""``measurelib service``: store a service's schedule and equity fields (Store.configure_service)."""

from __future__ import annotations

import argparse
import sys

from measurelib.cli._main import EXIT_OK, add_format_option, print_json
from measurelib.definition import read_text
from measurelib.errors import DefinitionError, Diagnostic, Location


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", metavar="NAME", help="the service, as in the `service` column")
    p.add_argument("--db", default=None, metavar="PATH|URL",
                   help="store: a SQLite file (default measurelib.db) or a PostgreSQL URL")
    p.add_argument("--schedule", default=None, metavar="FILE",
                   help="the service's schedule (YAML), used by `measurelib due`")
    p.add_argument("--equity-field", action="append", default=[], metavar="FIELD",
                   help="an optional equity field the service collects (repeatable)")
    add_format_option(p)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from measurelib.outcomes import check_schedule, loads_schedule
    from measurelib.outcomes.store import Store

    text = None
    if args.schedule:
        text = read_text(Path(args.schedule), args.schedule)
        sched = loads_schedule(text, args.schedule)
        if sched.service is not None and sched.service != args.name:

            raise DefinitionError([Diagnostic(
                "schedule-invalid", f"the schedule is for service {sched.service!r}, not "
                f"{args.name!r}", "Remove its `service:` line or name the same service.",
                Location(args.schedule, 1, 1, "service"))])
    store = Store(args.db)
    try:
        if text is not None:
            problems = check_schedule(loads_schedule(text, args.schedule), store)
            if problems:
                raise DefinitionError(problems)
        store.configure_service(args.name, equity_fields=args.equity_field, schedule=text)
    finally:
        store.close()
    if args.format == "json":
        print_json({"service": args.name, "schedule": args.schedule,
                    "equity_fields": args.equity_field})
    else:
        sys.stdout.write(f"service {args.name}: "
                         + (f"schedule from {args.schedule}" if args.schedule else "no schedule")
                         + (f"; equity fields {', '.join(args.equity_field)}"
                            if args.equity_field else "") + "\n")
    return EXIT_OK
