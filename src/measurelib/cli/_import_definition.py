"""``measurelib import-definition``: a measure from an XLSForm, FHIR Questionnaire or REDCap dictionary."""

from __future__ import annotations

import argparse
import sys

from measurelib.definition import schema_path

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE",
                        help="an XLSForm (.xlsx), FHIR Questionnaire (.json) or REDCap data "
                        "dictionary (.csv)")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="YAML file to write (default: stdout)")
    parser.add_argument("--from", dest="source", choices=("xlsform", "fhir", "redcap"),
                        help="source format (default: from the file's suffix)")
    parser.add_argument("--schema", default=None, metavar="PATH_OR_URL",
                        help="schema for the `# yaml-language-server` comment (default: the installed "
                        "schema, relative to OUT; the published URL on stdout)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="format of the report (default: text)")


def run(args: argparse.Namespace) -> int:
    from measurelib.cli._main import print_diagnostics, print_json
    from measurelib.interop._import import SCHEMA_URL, import_definition

    try:
        res = import_definition(args.file, format=args.source)
    except ValueError as exc:
        sys.stderr.write(f"measurelib import-definition: {exc}\n")
        return 2
    schema = args.schema
    if schema is None and args.output:
        # a path relative to the output, so that editors find the installed schema
        import os

        out_dir = os.path.dirname(os.path.abspath(args.output))
        try:
            schema = os.path.relpath(schema_path(), out_dir).replace(os.sep, "/")
        except ValueError:  # another drive (Windows)
            schema = schema_path().as_uri()
    text = res.to_yaml(schema or SCHEMA_URL)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            sys.stderr.write(f"measurelib import-definition: cannot write {args.output}: "
                             f"{exc.strerror}\n")
            return 2
    print_diagnostics(res.diagnostics)
    if args.format == "json":
        print_json({**res.to_dict(), "output": args.output})
    elif args.output:
        sys.stdout.write(res.summary().splitlines()[0] + f"\nwrote {args.output}\n")
    else:
        sys.stdout.write(text)
    return 0
