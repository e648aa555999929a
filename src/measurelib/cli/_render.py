"""``measurelib render``: make a form (HTML, print, PDF) or a read-aloud script.

The form goes to ``-o FILE`` (or to stdout for the text formats); a one-line note of what
was written goes to stderr. ``--format`` here picks the kind of form (``html``, ``print``,
``pdf``, ``script``, ``script-text``); ``--json`` prints what was written (or, without
``-o``, the form itself) as JSON, and errors as JSON too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from measurelib.cli._main import EXIT_OK, EXIT_USAGE, print_json
from measurelib.definition import load

_FORMATS = ("html", "print", "pdf", "script", "script-text")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("measure", metavar="MEASURE", help="definition file (.yaml) or catalog id")
    p.add_argument("--format", choices=_FORMATS, default="html",
                   help="html: web form; print: A4 paper form (HTML); pdf: paper form as PDF; "
                   "script / script-text: read-aloud script as HTML / plain text (default: html; "
                   "'script' with an -o ending in .txt writes plain text)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write here (required for pdf); default: stdout")
    p.add_argument("--lang", default=None, help="language of the form (default: the measure's)")
    p.add_argument("--large-print", action="store_true", help="larger type and targets")
    p.add_argument("--easy-read", action="store_true",
                   help="easy-read wording (variants.easy_read), bigger pictures")
    p.add_argument("--respondent", choices=("self", "proxy"), default="self",
                   help="proxy: wording for a carer answering for the person (variants.proxy)")
    p.add_argument("--action", default="", metavar="URL",
                   help="where the HTML form posts (default: the page itself)")
    p.add_argument("--method", choices=("post", "get"), default="post",
                   help="how the HTML form is sent (default: post)")
    p.add_argument("--overlay", metavar="FILE",
                   help="licensed item text (YAML: `items: {item_id: text}`) for measures whose "
                   "licence forbids shipping it")
    p.add_argument("--hidden", action="append", default=[], metavar="NAME=VALUE",
                   help="extra hidden field of the HTML form, e.g. respondent_id=R001 (repeatable)")
    p.add_argument("--no-header", action="store_true",
                   help="leave out the respondent id / date / timepoint / worker boxes")
    p.add_argument("--json", action="store_true",
                   help="print a JSON record of what was written (without -o: the form in "
                   "it), and errors as JSON (--format names the kind of form here)")


def _fail(message: str, hint: str = "", as_json: bool = False) -> int:
    sys.stderr.write(f"measurelib render: error: {message}\n")
    if hint:
        sys.stderr.write(f"    hint: {hint}\n")
    if as_json:
        print_json({"errors": [{"code": "usage", "severity": "error", "message": message,
                                "hint": hint}]})
    return EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    from measurelib.forms import render

    as_json = bool(getattr(args, "json", False))

    def fail(message: str, hint: str = "") -> int:
        return _fail(message, hint, as_json)

    fmt = args.format
    if fmt == "script" and args.output and args.output.lower().endswith(".txt"):
        fmt = "script-text"
    if fmt == "pdf" and not args.output:
        return fail("--format pdf needs -o FILE.pdf", "Add -o form.pdf.")
    if args.overlay and not Path(args.overlay).is_file():
        return fail(f"overlay file {args.overlay} not found", "Give the path of a YAML file.")
    hidden: dict[str, str] = {}
    for spec in args.hidden:
        name, sep, value = spec.partition("=")
        if not sep or not name.strip():
            return fail(f"--hidden {spec!r} is not NAME=VALUE", "Write e.g. --hidden "
                         "respondent_id=R001.")
        hidden[name.strip()] = value

    measure = load(args.measure)
    options = dict(lang=args.lang, large_print=args.large_print, easy_read=args.easy_read,
                   respondent=args.respondent, action=args.action, method=args.method,
                   overlay=args.overlay, header=not args.no_header, hidden=hidden)
    try:
        out = render(measure, fmt, args.output, **options)
    except (TypeError, ValueError) as exc:
        return fail(str(exc).replace("render(): ", ""))
    except OSError as exc:
        return fail(f"cannot write {args.output}: {exc.strerror or exc}")
    record = {"measure": measure.id, "version": measure.version, "form": fmt,
              "language": args.lang or measure.language}
    if args.output:
        size = len(out.encode("utf-8")) if isinstance(out, str) else len(out)
        sys.stderr.write(f"wrote {args.output} ({fmt}, {size:,} bytes)\n")
        if as_json:
            print_json({**record, "path": args.output, "bytes": size})
    elif as_json:
        print_json({**record, "content": out if isinstance(out, str) else out.decode("utf-8")})
    else:
        sys.stdout.write(out if isinstance(out, str) else out.decode("utf-8"))
    return EXIT_OK
