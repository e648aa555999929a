"""``measurelib build``: resolve a composed measure into a flat, locked definition."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from measurelib.compose import build, version_map
from measurelib.errors import FormWarning, LicenceWarning

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="the composed measure (.yaml) to build")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the built measure here (default: stdout)")
    parser.add_argument("--overlay", metavar="FILE", action="append", default=[],
                        help="licensed item text for sources whose text is not shipped "
                             "(may be repeated; see docs/licences.md)")
    parser.add_argument("--version-map", metavar="OLD", dest="version_map",
                        help="compare with an older version of this measure: print which items "
                             "match and whether scores are comparable")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format of the summary and version map (default: text)")


def run(args: argparse.Namespace) -> int:
    import warnings

    from measurelib.cli._main import print_json
    from measurelib.linting import burden as estimate_burden

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LicenceWarning)
        warnings.simplefilter("always", FormWarning)
        built = build(args.path, overlay=args.overlay or None)
    notices = [str(w.message) for w in caught if issubclass(w.category, LicenceWarning)]
    for n in notices:
        sys.stderr.write(f"licence: {n}\n")
    for w in caught:  # e.g. items without the proxy wording the measure offers
        if issubclass(w.category, FormWarning):
            sys.stderr.write(f"warning: {w.message}\n")
    text = built.to_yaml()
    header = (f"# Built by `measurelib build` from {_name(args.path)}: edit that file and build "
              "again rather than editing this one.\n")
    if any(s.licence is not None and s.licence.text_redistribution == "forbidden"
           for s in (built.lock.sources if built.lock else [])):
        header += ("# It holds licensed item text from your overlay: do not publish or share "
                   "it beyond what your licence allows.\n")
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(header + text)
    elif args.version_map is None:
        sys.stdout.write(header + text)
    burden = estimate_burden(built)
    summary: dict[str, Any] = {
        "id": built.id, "version": built.version, "items": len(built.items),
        "scores": [s.id for s in built.scores],
        "sources": [{"id": s.id, "version": s.version, "use": s.use, "status": s.status}
                    for s in (built.lock.sources if built.lock else [])],
        "sha256": built.lock.sha256 if built.lock else None,
        "minutes": burden["minutes"], "licence_notices": notices,
        "output": args.output,
    }
    if args.version_map is not None:
        vm = version_map(args.version_map, built)
        summary["version_map"] = vm.to_dict()
    if args.format == "json" and (args.output or args.version_map is not None):
        print_json(summary)
    else:
        out = sys.stdout if (args.output or args.version_map is not None) else sys.stderr
        out.write(f"built {built.id} {built.version}: {len(built.items)} items from "
                  f"{len(summary['sources'])} source(s), scores: "
                  f"{', '.join(summary['scores']) or 'none'}; estimated completion time "
                  f"{burden['minutes']:.1f} min"
                  + (" (by source: " + ", ".join(f"{k} {v:.1f}" for k, v in
                                                  burden["by_source"].items()) + ")"
                     if "by_source" in burden else "")
                  + (f"; written to {args.output}" if args.output else "") + "\n")
        if args.version_map is not None:
            sys.stdout.write(vm.summary() + "\n")
    return 0


def _name(path: str) -> str:
    from pathlib import Path

    return Path(path).name
