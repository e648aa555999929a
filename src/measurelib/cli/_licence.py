"""``measurelib licence``: the licence obligations of a measure and of every source."""

from __future__ import annotations

import argparse
import sys

from measurelib.compose import licence_report
from measurelib.errors import Diagnostic, Location

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="a measure or composed measure (.yaml), or "
                        "a catalog id")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")


def run(args: argparse.Namespace) -> int:
    from measurelib.cli._main import print_diagnostics, print_json

    report = licence_report(args.path)
    if args.format == "json":
        print_json(report.to_dict())
    else:
        sys.stdout.write(report.summary() + "\n")
        for row in report.violations:
            print_diagnostics([Diagnostic(d["code"], d["message"], d["hint"],
                                          Location(**d["location"]), d["severity"])
                               for d in row["diagnostics"] if d["severity"] == "error"])
    return 0 if report.ok else 1
