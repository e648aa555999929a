"""``measurelib template``: an Excel entry sheet for keying paper forms.

Columns: respondent_id, date, timepoint, worker, then the item codes printed on the paper
form, each with a drop-down of the allowed answer codes; a "codes" sheet says what each
code means. What is keyed in scores with ``measurelib score MEASURE FILE`` unchanged.
"""

from __future__ import annotations

import argparse
import sys

from measurelib.cli._main import EXIT_OK, EXIT_USAGE, add_format_option, print_json
from measurelib.definition import load


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("measure", metavar="MEASURE", help="definition file (.yaml) or catalog id")
    p.add_argument("-o", "--output", metavar="FILE.xlsx", required=True,
                   help="where to write the Excel workbook")
    p.add_argument("--rows", type=int, default=500,
                   help="rows with drop-down checks (1-2000, default 500)")
    p.add_argument("--lang", default=None, help="language of the labels on the codes sheet")
    p.add_argument("--schedule", default=None, metavar="FILE",
                   help="offer this service schedule's timepoints in the timepoint drop-down "
                        "(default: the measure's declared timepoints)")
    add_format_option(p)


def run(args: argparse.Namespace) -> int:
    from measurelib.forms import HEADER_FIELDS, entry_columns, write_entry_sheet

    if not args.output.lower().endswith((".xlsx", ".xlsm")):
        sys.stderr.write("measurelib template: error: the entry sheet is an Excel file\n"
                         "    hint: Give -o a name ending in .xlsx.\n")
        return EXIT_USAGE
    if not 1 <= args.rows <= 2000:
        sys.stderr.write(f"measurelib template: error: --rows must be 1 to 2000, not {args.rows}\n")
        return EXIT_USAGE

    measure = load(args.measure)
    timepoints = None
    if args.schedule:
        from measurelib.outcomes import load_schedule

        sched = load_schedule(args.schedule)
        timepoints = [tp.id for tp in sched.timepoints
                      if measure.id in (tp.measures or sched.measures)] or None
    try:
        write_entry_sheet(measure, args.output, rows=args.rows, lang=args.lang,
                          timepoints=timepoints)
    except OSError as exc:
        sys.stderr.write(f"measurelib template: error: cannot write {args.output}: "
                         f"{exc.strerror or exc}\n")
        return EXIT_USAGE
    columns = list(HEADER_FIELDS) + [h for h, _, _ in entry_columns(measure)]
    if args.format == "json":
        print_json({"path": args.output, "measure": measure.id, "version": measure.version,
                    "columns": columns})
    else:
        sys.stdout.write(f"wrote {args.output}: {len(columns)} columns "
                         f"({', '.join(columns)})\n")
    return EXIT_OK
