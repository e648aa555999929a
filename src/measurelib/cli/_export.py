"""``measurelib export``: a measure as a FHIR Questionnaire, XLSForm, REDCap dictionary or JSON Schema."""

from __future__ import annotations

import argparse
import sys

from measurelib.errors import LicenceWarning

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("measure", metavar="MEASURE",
                        help="a definition file (.yaml) or a catalog id")
    parser.add_argument("--to", required=True, choices=("fhir", "xlsform", "redcap", "jsonschema"),
                        help="target format")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="file to write (default: stdout for text formats)")
    parser.add_argument("--lang", help="main language (default: the measure's)")
    parser.add_argument("--overlay", metavar="FILE",
                        help="your licensed item text, for measures whose licence forbids "
                        "redistributing it (keep the export private)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="format of the report on stderr/stdout (default: text)")


def run(args: argparse.Namespace) -> int:
    from measurelib.cli._main import print_diagnostics, print_json
    from measurelib.interop._export import export

    if args.to == "xlsform" and not args.output:
        sys.stderr.write("measurelib export: --to xlsform writes a workbook: give -o FILE.xlsx\n")
        return 2
    import warnings

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LicenceWarning)
            res = export(args.measure, to=args.to, lang=args.lang, overlay=args.overlay)
    except ValueError as exc:
        sys.stderr.write(f"measurelib export: {exc}\n")
        return 2
    for w in caught:
        if issubclass(w.category, LicenceWarning):
            sys.stderr.write(f"licence: {w.message}\n")
    if args.output:
        try:
            res.write(args.output)
        except OSError as exc:
            sys.stderr.write(f"measurelib export: cannot write {args.output}: {exc.strerror}\n")
            return 2
    print_diagnostics(res.diagnostics)
    if args.format == "json":
        data = res.to_dict()
        if args.output:
            data["content"] = args.output
        print_json(data)
    elif args.output:
        sys.stdout.write(f"wrote {args.output} ({res.measure_id} {res.measure_version}, "
                         f"{args.to})\n")
        for col, name in res.field_map.items():
            sys.stdout.write(f"  renamed {col} → {name}\n")
    else:
        sys.stdout.write(res.to_bytes().decode("utf-8"))
    return 0
