"""``measurelib lint``: check wording, scales, scores, burden and licences of a measure."""

from __future__ import annotations

import argparse
import sys

from measurelib.errors import DefinitionError

__all__ = ["add_arguments", "run"]


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="measures, banks or composed measures (.yaml), or catalog ids")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")
    parser.add_argument("--fail-on", choices=("error", "warning", "info"), default="error",
                        help="exit 1 when a finding of this severity or worse is found "
                             "(default: error)")
    parser.add_argument("--reading-age", type=_positive, default=11, metavar="YEARS",
                        help="target reading age in years (default: 11)")
    parser.add_argument("--max-minutes", type=_positive, default=10, metavar="N",
                        help="completion time (minutes) above which burden is a warning "
                             "(default: 10)")
    parser.add_argument("--overlay", metavar="FILE", action="append", default=[],
                        help="licensed item text, so that its wording is checked too")


def run(args: argparse.Namespace) -> int:
    from measurelib.cli._main import print_json
    from measurelib.linting import lint

    if not 5 <= args.reading_age <= 25:
        sys.stderr.write(f"measurelib lint: error: --reading-age must be from 5 to 25 years, "
                         f"not {args.reading_age:g}\n")
        return 2
    results = []
    failed = False
    errors: list[dict[str, object]] = []
    worst = 0
    for path in args.paths:
        try:
            res = lint(path, reading_age=args.reading_age, max_minutes=args.max_minutes,
                       overlay=args.overlay or None)
        except DefinitionError as err:
            for d in err.errors:
                sys.stderr.write(str(d) + "\n")
            usage = all(d.code in ("file-not-found", "catalog-unknown", "catalog-version")
                        for d in err.errors)
            worst = max(worst, 2 if usage else 1)
            errors.append({"path": path, "errors": [d.to_dict() for d in err.errors]})
            continue
        results.append(res)
        if res.at_or_above(args.fail_on):
            failed = True
        if args.format == "text":
            for d in res.diagnostics:
                sys.stdout.write(str(d) + "\n")
            sys.stdout.write(res.summary() + "\n")
    if args.format == "json":
        doc = [r.to_dict() for r in results]
        print_json(doc[0] if len(doc) == 1 and not errors else
                   {"results": doc, "errors": errors})
    if worst:
        return worst
    return 1 if failed else 0
