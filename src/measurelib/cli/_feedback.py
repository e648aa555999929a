"""``measurelib feedback``: a person's one-page, large-print feedback sheet."""

from __future__ import annotations

import argparse
import sys

from measurelib.cli._main import EXIT_OK, add_format_option, print_json
from measurelib.errors import DataError, Diagnostic, Location


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None, metavar="PATH|URL",
                   help="store: a SQLite file (default measurelib.db) or a PostgreSQL URL")
    p.add_argument("--respondent", required=True, metavar="ID", help="pseudonymous id")
    p.add_argument("--measure", default=None,
                   help="definition file, id of a measure in the store, or catalog id "
                        "(default: the person's only measure)")
    p.add_argument("--score", default=None, help="score id (default: the first)")
    p.add_argument("--episode", default=None, help="only this episode")
    p.add_argument("--lang", default=None, help="language of the sheet (default: the measure's)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="me.html or me.pdf")
    add_format_option(p)


def run(args: argparse.Namespace) -> int:
    from measurelib.outcomes import feedback_sheet, write_feedback
    from measurelib.outcomes.store import Store

    store = Store(args.db, create=False)
    try:
        if args.measure:
            measure = store.find_measure(args.measure)
        else:
            ids = store.respondent_measures(args.respondent)
            if not ids:
                raise DataError(Diagnostic(
                    "usage", f"no forms are stored for respondent {args.respondent!r}",
                    "Check the id: it is the pseudonymous id as imported (see "
                    "`measurelib export-responses`), and --db the store it went into.",
                    Location(field="--respondent")))
            if len(ids) != 1:
                raise DataError(Diagnostic(
                    "usage", f"{args.respondent!r} has scores of {len(ids)} measures "
                    f"({', '.join(ids) or 'none'})", "Name one with --measure.",
                    Location(field="--respondent")))
            measure = store.measure(ids[0])
        try:
            html = feedback_sheet(store, measure, args.respondent, score=args.score,
                                  episode=args.episode, lang=args.lang)
        except ValueError as exc:
            raise DataError(Diagnostic("usage", str(exc), "Check the id (pseudonymous, as "
                                       "imported) and the measure.",
                                       Location(field="--respondent"))) from None
    finally:
        store.close()
    if not args.output.lower().endswith((".html", ".htm", ".pdf")):
        raise DataError(Diagnostic("usage", f"-o {args.output!r}: allowed file types are "
                                   ".html, .pdf", "Name the output e.g. me.pdf.",
                                   Location(field="--output")))
    write_feedback(args.output, html)
    if args.format == "json":
        print_json({"output": args.output})
    else:
        sys.stdout.write(f"written to {args.output}\n")
    return EXIT_OK
