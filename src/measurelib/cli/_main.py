"""The ``measurelib`` command line.

Results go to stdout; diagnostics and progress go to stderr. Every command takes
``--format text|json``. Exit codes: 0 clean; 1 the input has errors (or findings at or
above ``--fail-on``); 2 bad usage or an unreadable file. No traceback without ``--debug``.

Commands live in their own modules (``measurelib.cli._<name>``) and are registered in
:data:`COMMANDS`; each module defines ``add_arguments(parser)`` and ``run(args) -> int`` and
imports heavy libraries only inside ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from typing import Any

from measurelib._version import __version__
from measurelib.compose import check_composition, load_overlays
from measurelib.definition import (
    Document,
    Origin,
    catalog,
    check_measure,
    did_you_mean,
    limits,
    load_document,
    parse_document,
    parse_limit_value,
    read_text,
    resolve,
    schema_text,
)
from measurelib.errors import DefinitionError, Diagnostic, MeasurelibError, for_cli

__all__ = ["COMMANDS", "main"]

# name -> (module, one-line help). Modules are imported when the parser is built, so they
# must stay light at import time.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("measurelib.cli._main", "check definition files and report every problem"),
    "schema": ("measurelib.cli._main", "print the JSON Schema of the definition format"),
    "catalog": ("measurelib.cli._main", "list the shipped measures and item banks"),
    "build": ("measurelib.cli._build", "build a composed measure into a flat, locked definition"),
    "lint": ("measurelib.cli._lint", "check wording, scales, scores, burden and licences"),
    "licence": ("measurelib.cli._licence", "show the licence obligations of a measure's sources"),
    "score": ("measurelib.cli._score", "score response files in chunks; every row accounted for"),
    "render": ("measurelib.cli._render", "make a form: web (HTML), paper (print, PDF) or read-aloud script"),
    "template": ("measurelib.cli._template", "write an Excel entry sheet for keying paper forms"),
    "assess": ("measurelib.cli._assess", "assess reliability and validity from responses (report)"),
    "import": ("measurelib.cli._import", "import response files into the outcomes store"),
    "due": ("measurelib.cli._due", "list who is due or overdue for a measure (CSV for mail-merge/SMS)"),
    "service": ("measurelib.cli._service",
                "store a service's schedule and equity fields (used by `due` and `import`)"),
    "report": ("measurelib.cli._report", "write the impact report of a service (HTML, PDF, JSON)"),
    "export-responses": ("measurelib.cli._export_responses",
                         "write a measure's stored responses and scores (CSV, XLSX, Parquet)"),
    "feedback": ("measurelib.cli._feedback", "write a person's one-page feedback sheet (HTML, PDF)"),
    "export": ("measurelib.cli._export", "export a measure to FHIR, XLSForm, REDCap or JSON Schema"),
    "import-definition": ("measurelib.cli._import_definition",
                          "make a definition from an XLSForm, FHIR Questionnaire or REDCap file"),
    "serve": ("measurelib.serve._command",
              "run the web service for staff and respondents (pip install 'measurelib[serve]')"),
    "calibrate": ("measurelib.cli._calibrate",
                  "calibrate a bank's items by IRT on responses; write the parameters into it"),
    "shortform": ("measurelib.cli._shortform",
                  "choose the items of a calibrated bank that measure best over a target"),
}

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # exit 2 with a hint, as argparse does
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.stderr.write(f"Run '{self.prog} --help' for the options.\n")
        raise SystemExit(EXIT_USAGE)


def add_format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def print_diagnostics(diags: Sequence[Diagnostic], stream: Any = None) -> None:
    stream = stream or sys.stderr
    for d in diags:
        stream.write(for_cli(str(d)) + "\n")


# ----------------------------------------------------------------------------- validate
def _validate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="definition files (.yaml: measures, banks, composed measures, "
                   "schedules, overlays) or catalog ids")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    add_format_option(p)


def _usage_problem(err: MeasurelibError) -> bool:
    """The path or id given on the command line is wrong (not a problem inside a file)."""
    return all(d.code in ("file-not-found", "catalog-unknown", "catalog-version")
               and d.location.line is None for d in err.errors)


def _kind(data: Any) -> str:
    """What a YAML document is: a measure (or bank), a schedule or an overlay."""
    if not isinstance(data, dict):
        return "measure"
    if "timepoints" in data and "format" not in data:
        return "schedule"
    if "format" not in data and "id" not in data and (
            isinstance(data.get("measures"), dict) or "items" in data and "measure" in data):
        return "overlay"
    return "measure"


def _check_one(source: str) -> tuple[dict[str, Any], list[Diagnostic]]:
    """(report fields, warnings) of one file or catalog id; raises DefinitionError."""
    from pathlib import Path

    path = Path(source)
    if not path.exists():
        path = resolve(source)
    doc: Document = parse_document(read_text(path, source), source, path.parent)
    kind = _kind(doc.data)
    if kind == "schedule":
        from measurelib.outcomes import Schedule

        schedule = load_document(doc, Schedule)
        known = _ids_beside(path)
        unknown = [Diagnostic("catalog-unknown", f"the schedule names measure {mid!r}, which is "
                              "neither a catalog id nor the id of a definition beside the "
                              "schedule", (did_you_mean(mid, known).capitalize() + " ")
                              .lstrip() + "Correct the id, unless the measure is stored only "
                              "in the outcomes store.", doc.location(("measures", i)),
                              "warning")
                   for i, mid in enumerate(schedule.measures) if mid not in known]
        return {"kind": kind, "measures": list(schedule.measures)}, unknown
    if kind == "overlay":

        overlays = load_overlays(path)
        return {"kind": kind, "measures": sorted(overlays)}, []
    measure = load_document(doc)
    measure = measure.with_origin(Origin(
        path=path.resolve(), display=source, document=doc, folder=path.resolve().parent))
    found = [doc.locate(d) for d in check_measure(measure) if d.severity != "error"]
    composed: list[Diagnostic] = []
    if measure.compose:

        composed = check_composition(measure)
    errors = [d for d in composed if d.severity == "error"]
    if errors:
        raise DefinitionError(errors)
    found += [d for d in composed if d.severity != "error"]
    return {"kind": measure.kind, "id": measure.id, "version": measure.version}, found


def _ids_beside(path: Any) -> set[str]:
    """Catalog ids and the ids of the definitions in the folder of ``path``."""
    ids = {e.id for e in catalog()}
    for other in sorted(path.resolve().parent.glob("*.y*ml"))[:200]:
        try:
            data = parse_document(read_text(other), str(other)).data
        except DefinitionError:
            continue
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            ids.add(data["id"])
    return ids


def _validate(args: argparse.Namespace) -> int:
    reports: list[dict[str, Any]] = []
    worst = EXIT_OK
    for source in args.paths:
        report: dict[str, Any] = {"path": source, "valid": False, "errors": [], "warnings": []}
        try:
            fields, warnings = _check_one(source)
            report.update(fields, valid=not (args.strict and warnings),
                          warnings=[w.to_dict() for w in warnings])
            if args.format == "text":
                print_diagnostics(warnings, sys.stdout)
            if args.strict and warnings:
                worst = max(worst, EXIT_INVALID)
        except MeasurelibError as err:
            report["errors"] = [d.to_dict() for d in err.errors]
            code = EXIT_USAGE if _usage_problem(err) else EXIT_INVALID
            worst = max(worst, code)
            if args.format == "text":
                print_diagnostics(err.errors, sys.stdout)
        reports.append(report)
    n_valid = sum(r["valid"] for r in reports)
    if args.format == "json":
        print_json({"valid": n_valid == len(reports), "files": reports})
    else:
        n_err = sum(len(r["errors"]) for r in reports)
        n_warn = sum(len(r["warnings"]) for r in reports)
        sys.stdout.write(
            f"{len(reports)} file(s) checked: {n_valid} valid, {len(reports) - n_valid} invalid "
            f"({n_err} error(s), {n_warn} warning(s))\n")
    return worst


# ----------------------------------------------------------------------------- schema
def _schema_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", help="write to this file instead of stdout")


def _schema(args: argparse.Namespace) -> int:

    text = schema_text()
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


# ----------------------------------------------------------------------------- catalog
def _catalog_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kind", choices=("measure", "bank", "all"), default="all")
    add_format_option(p)


def _catalog(args: argparse.Namespace) -> int:

    entries = [e for e in catalog() if args.kind in ("all", e.kind)]
    if args.format == "json":
        print_json([e.to_dict() for e in entries])
        return EXIT_OK
    rows = [("id", "version", "kind", "title", "licence")]
    rows += [(e.id, e.version, e.kind, e.title, e.licence) for e in entries]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        sys.stdout.write("  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4] + "\n")
    return EXIT_OK


_BUILTIN = {
    "validate": (_validate_args, _validate),
    "schema": (_schema_args, _schema),
    "catalog": (_catalog_args, _catalog),
}


# ----------------------------------------------------------------------------- main
def _command_in(argv: Sequence[str] | None) -> str | None:
    """The command named in ``argv`` (the first word that is one), or None."""
    args = list(sys.argv[1:] if argv is None else argv)
    skip = False
    for word in args:
        if skip:
            skip = False
            continue
        if word in ("--limit", "--allow-folder"):
            skip = True
            continue
        if word in COMMANDS:
            return word
        if not word.startswith("-"):
            return None
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with ``only``, other commands' modules are not imported
    (they are listed, with their help line, but their options are not read).
    """
    parser = _Parser(prog="measurelib", description="Patient-reported outcome measures: "
                     "define, render, score, store and assess them.")
    parser.add_argument("--version", action="version", version=f"measurelib {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")
    parser.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE",
                        help="raise a resource limit for this run, e.g. definition_bytes=50MB "
                        "(repeatable; see docs/limits.md)")
    parser.add_argument("--allow-folder", action="append", default=[], metavar="DIR",
                        help="let definitions read pictures and table files from DIR too "
                        "(repeatable)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text.capitalize() + ".")
        if name in _BUILTIN:
            _BUILTIN[name][0](p)
            p.set_defaults(_run=_BUILTIN[name][1])
        elif only is not None and name != only:
            continue  # start-up: import only the module of the command being run
        else:
            module = importlib.import_module(module_name)
            module.add_arguments(p)
            p.set_defaults(_run=module.run)
    return parser


#: the options that name files a command writes (every other option naming a file is read)
OUTPUT_OPTIONS = {"output": "-o", "rejected": "--rejected", "write_rci": "--write-rci",
                  "report": "--report"}


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before a command starts, an output that would replace a file it reads.

    Every option value naming an existing file is an input of the command (the definition,
    the data, overlays, the store, a schedule); each output (:data:`OUTPUT_OPTIONS`) must be
    none of them, none of the other outputs, not a folder, and in a folder that exists
    (``output-path``, exit 2): one check for every command.
    """
    import os

    from measurelib._output import check_output

    values = vars(args)
    outputs = [(flag, values[dest]) for dest, flag in OUTPUT_OPTIONS.items()
               if isinstance(values.get(dest), str) and values[dest]]
    inputs: list[str] = []
    for dest, value in values.items():
        if dest in OUTPUT_OPTIONS or dest.startswith("_"):
            continue
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str) and v and os.path.isfile(v):
                inputs.append(v)
    for i, (flag, path) in enumerate(outputs):
        check_output(path, inputs=inputs, others=outputs[i + 1:], option=flag)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    command = _command_in(argv)
    parser = build_parser(only=command) if command is not None else build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    overrides: dict[str, Any] = {}
    for spec in args.limit:
        name, sep, value = spec.partition("=")
        try:
            if not sep:
                raise ValueError(f"--limit takes NAME=VALUE, not {spec[:40]!r}")
            overrides[name.strip()] = parse_limit_value(name.strip(), value)
        except ValueError as exc:
            parser.error(str(exc).replace("limits: ", "--limit: "))
    try:
        with limits(allow_folders=args.allow_folder, **overrides):
            check_outputs(args)
            return int(args._run(args))
    except MeasurelibError as err:
        print_diagnostics(err.errors)
        if getattr(args, "format", "text") == "json" or getattr(args, "json", False):
            print_json(err.to_dict())
        codes = {d.code for d in err.errors}
        usage = codes <= {"file-not-found", "catalog-unknown", "catalog-version", "usage",
                          "store-not-found", "store-url-invalid", "data-file-type",
                          "data-not-utf8", "data-unreadable", "schedule-missing",
                          "output-path"}
        return EXIT_USAGE if usage else EXIT_INVALID
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:  # the file system refused a path given: not a bug, say which
        if args.debug:
            raise
        where = exc.filename if exc.filename is not None else ""
        sys.stderr.write(
            f"measurelib {args.command}: error: {where}{': ' if where else ''}"
            f"{exc.strerror or exc}\n"
            "    hint: Check the path: the folder must exist, and you must be allowed to "
            "read (an input) or write (an output) there.\n")
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - last resort: never a traceback for users
        if args.debug:
            raise
        sys.stderr.write(
            f"measurelib: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in measurelib, not in your input. Run again with --debug for "
            "the traceback and report it.\n")
        return EXIT_INTERNAL


def entry() -> None:  # pragma: no cover - console script shim
    raise SystemExit(main())


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
