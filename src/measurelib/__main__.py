"""``python -m measurelib``."""

from measurelib.cli import main

raise SystemExit(main())
