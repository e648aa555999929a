"""``measurelib calibrate``: calibrate a bank on responses and write the parameters into it."""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bank", metavar="BANK", help="the bank or measure (.yaml, or a catalog id)")
    parser.add_argument("data", metavar="RESPONSES", help="responses (CSV, Excel or Parquet)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the calibrated definition here (default: stdout)")
    parser.add_argument("--trait", metavar="TAG", action="append", default=[],
                        help="calibrate the items carrying this tag as one trait (repeat for a "
                             "multi-trait bank; default: all items form one trait)")
    parser.add_argument("--model", default="graded",
                        choices=("graded", "gpcm", "pcm", "rsm", "2pl", "rasch"),
                        help="IRT model (default: graded)")
    parser.add_argument("--metric", metavar="NAME:MEAN:SD", default=None,
                        help="reported metric, e.g. T:50:10 (the default) or theta:0:1")
    parser.add_argument("--population", metavar="TEXT", help="the reference population")
    parser.add_argument("--description", metavar="TEXT", help="the calibration sample")
    parser.add_argument("--simulated", action="store_true",
                        help="the responses are simulated (recorded, and shown on reports)")
    parser.add_argument("--source", metavar="TEXT", help="where the responses come from")
    parser.add_argument("--target", type=float, nargs=2, metavar=("LO", "HI"),
                        help="range on the metric that subsets must measure well (lint checks "
                             "test information >= 10 there)")
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="calibration date (default: today)")
    parser.add_argument("--se", choices=("louis", "oakes", "sem", "none"), default="louis",
                        help="standard errors of the parameters written into each irt block "
                        "(default: louis; none leaves them out)")
    parser.add_argument("--on-invalid", choices=("error", "reject", "missing"), default="error",
                        help="what to do with an answer not on an item's scale")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format of the summary (default: text)")


def _metric(text: str | None) -> dict[str, object] | None:
    if text is None:
        return None
    parts = text.split(":")
    if len(parts) != 3:
        raise ValueError(f"--metric must be NAME:MEAN:SD, e.g. T:50:10; got {text!r}")
    return {"name": parts[0], "mean": float(parts[1]), "sd": float(parts[2])}


def run(args: argparse.Namespace) -> int:
    from measurelib.assessment import calibrate
    from measurelib.cli._main import EXIT_USAGE, print_json

    try:
        result = calibrate(args.bank, args.data, traits=args.trait or None, model=args.model,
                           metric=_metric(args.metric), population=args.population,
                           description=args.description, simulated=args.simulated,
                           source=args.source, date=args.date, on_invalid=args.on_invalid,
                           target={"score": list(args.target)} if args.target else None,
                           se=None if args.se == "none" else args.se)
    except ValueError as exc:
        sys.stderr.write(f"measurelib calibrate: error: {exc}\n")
        return EXIT_USAGE
    header = "# Calibrated by `measurelib calibrate` (see `calibration:`).\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(header + result.to_yaml())
    else:
        sys.stdout.write(header + result.to_yaml())
    if args.format == "json":
        print_json(result.to_dict())
    else:
        (sys.stdout if args.output else sys.stderr).write(result.summary() + "\n")
    return 0
