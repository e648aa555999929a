"""``measurelib shortform``: the items of a calibrated bank that measure best over a target."""

from __future__ import annotations

import argparse
import os
import sys

from measurelib.compose import as_measure

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bank", metavar="BANK", help="a calibrated bank (.yaml, or a catalog id)")
    parser.add_argument("-n", "--items", type=int, required=True, metavar="N",
                        help="number of items in the short form")
    parser.add_argument("--target", type=float, nargs=2, metavar=("LO", "HI"),
                        help="range to measure well, on the bank's metric (e.g. T: 35 60); "
                             "default: the bank's calibration.target, else its population")
    parser.add_argument("--theta", action="store_true",
                        help="read --target on theta (SD units) instead of the metric")
    parser.add_argument("--trait", metavar="TRAIT", help="the trait, in a multi-trait bank")
    parser.add_argument("--tag", metavar="TAG:MIN:MAX", action="append", default=[],
                        help="keep between MIN and MAX items with this tag (repeatable)")
    parser.add_argument("--id", dest="measure_id", metavar="ID", help="id of the short form")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the short form's definition here (it composes the items "
                             "from the bank; `measurelib build` it)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")


def run(args: argparse.Namespace) -> int:
    from measurelib.cli._main import EXIT_USAGE, print_json
    from measurelib.psychometrics import short_form_measure

    bank = as_measure(args.bank, caller="shortform")
    if os.path.exists(args.bank) and args.output:
        source = os.path.relpath(os.path.abspath(args.bank),
                                 os.path.dirname(os.path.abspath(args.output)))
    else:
        source = f"{bank.id}@{bank.version}"
    try:
        constraints = {}
        for spec in args.tag:
            tag, lo, hi = spec.split(":")
            constraints[tag] = (int(lo), int(hi))
        target = tuple(args.target) if args.target else None
        result = short_form_measure(
            bank, args.items, target=target if args.theta else None,
            score_target=None if args.theta else target,
            trait=args.trait, constraints=constraints or None, source=source,
            measure_id=args.measure_id)
    except ValueError as exc:
        sys.stderr.write(f"measurelib shortform: error: {exc}\n")
        return EXIT_USAGE
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(f"# A short form of {bank.id} {bank.version} chosen by `measurelib "
                     "shortform`; build it with `measurelib build`.\n"
                     + result.measure.to_yaml())
    if args.format == "json":
        print_json(result.to_dict())
    else:
        sys.stdout.write(result.summary() + "\n")
    return 0
