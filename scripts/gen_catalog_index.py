"""Write the catalog index shipped with the instruments (run before packaging).

    python scripts/gen_catalog_index.py          # write instruments/catalog-index.json
    python scripts/gen_catalog_index.py --check  # exit 1 if the committed index is stale

The index saves every command that names a catalog id from parsing all shipped YAML files.
Each entry carries its file's SHA-256; an entry whose file has changed is ignored at run time
(the file is read instead), so a stale index costs speed, never correctness.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from measurelib.definition._catalog import INDEX_NAME, build_index  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    target = ROOT / "instruments" / INDEX_NAME
    text = json.dumps(build_index(ROOT / "instruments"), indent=1, ensure_ascii=False) + "\n"
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is out of date: run python scripts/gen_catalog_index.py")
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
