"""``measurelib assess``: psychometric evidence about a measure, as a report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from measurelib.cli._main import add_format_option, print_json
from measurelib.definition import dump_yaml, load


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("measure", help="definition file or catalog id")
    p.add_argument("responses", help="responses: CSV, TSV, Excel or Parquet, one row per form")
    p.add_argument("--report", metavar="FILE", help="write the report (.html or .pdf)")
    p.add_argument("--retest", metavar="FILE", help="second administration, for test-retest")
    p.add_argument("--reference", metavar="FILE",
                   help="scores on a reference measure, for convergent validity")
    p.add_argument("--reference-score", metavar="COLUMN", help="column of --reference to use")
    p.add_argument("--id-column", metavar="COLUMN",
                   help="respondent id column (needed with --retest/--reference)")
    p.add_argument("--column", action="append", default=[], metavar="HEADING=ITEM",
                   help="map a data heading to an item id (repeatable)")
    p.add_argument("--on-invalid", choices=("error", "reject", "missing"), default="error",
                   help="what to do with invalid answers (default: error)")
    p.add_argument("--seed", type=int, default=20261123, help="seed of every random step")
    p.add_argument("--iterations", type=int, default=100, help="parallel-analysis iterations")
    p.add_argument("--write-rci", metavar="FILE",
                   help="write a new version of the measure recording the local reliable-change "
                        "threshold")
    p.add_argument("--score", help="score for --write-rci (default: the primary score)")
    add_format_option(p)


def run(args: argparse.Namespace) -> int:

    from measurelib.assessment import assess, write_rci

    columns = {}
    for pair in args.column:
        heading, sep, item = pair.partition("=")
        if not sep:
            sys.stderr.write(f"measurelib assess: --column needs HEADING=ITEM, got {pair!r}\n")
            return 2
        columns[heading] = item
    if args.report and Path(args.report).suffix.lower() not in (".html", ".htm", ".pdf"):
        sys.stderr.write("measurelib assess: --report must end in .html or .pdf\n")
        return 2
    measure = load(args.measure)
    result = assess(measure, args.responses, retest=args.retest, reference=args.reference,
                    id_column=args.id_column, reference_score=args.reference_score,
                    columns=columns or None, on_invalid=args.on_invalid, seed=args.seed,
                    n_iter=args.iterations, score=args.score)
    if args.report:
        result.render("pdf" if args.report.lower().endswith(".pdf") else "html", args.report)
        sys.stderr.write(f"report written to {args.report}\n")
    if args.write_rci:
        new = write_rci(measure, result, args.score)

        text = dump_yaml(new.to_dict())
        Path(args.write_rci).write_text(text, encoding="utf-8")
        sys.stderr.write(f"{new.id} {new.version} with the local reliable-change threshold "
                         f"written to {args.write_rci}\n")
    if args.format == "json":
        print_json(result.to_dict())
    else:
        sys.stdout.write(result.summary() + "\n")
        for w in result.warnings:
            sys.stderr.write(f"note: {w}\n")
    return 0
