"""``python -m measurelib.serve``: the same as ``measurelib serve``."""

from __future__ import annotations

import sys

from measurelib.serve._command import main

if __name__ == "__main__":
    sys.exit(main())
