"""Deprecated module paths of earlier releases, kept importable for one more minor release.

``import measurelib.exporters.fhir`` and the like still work, warn with a
:class:`DeprecationWarning` naming the new place, and give the module that now holds the
names. Only module paths that the documentation showed are kept; see CHANGELOG.md.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import Any

__all__ = ["MOVED", "install"]

REMOVED_IN = "0.3.0"

#: old module path -> the module that holds its public names now
MOVED = {
    "measurelib.exporters": "measurelib.interop",
    "measurelib.exporters.data": "measurelib.interop._export._data",
    "measurelib.exporters.fhir": "measurelib.interop._export._fhir",
    "measurelib.impact": "measurelib.outcomes",
    "measurelib.schedule": "measurelib.outcomes",
    "measurelib.store": "measurelib.outcomes.store",
}

#: what users should import instead, for the warning
_INSTEAD = {
    "measurelib.exporters": "measurelib.interop",
    "measurelib.exporters.data": "measurelib.interop",
    "measurelib.exporters.fhir": "measurelib.interop",
    "measurelib.impact": "measurelib.outcomes",
    "measurelib.schedule": "measurelib.outcomes",
    "measurelib.store": "measurelib.outcomes (or measurelib.Store)",
}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> Any:
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self, is_package=True)

    def create_module(self, spec: Any) -> ModuleType:
        warnings.warn(f"{spec.name} is deprecated and will be removed in measurelib "
                      f"{REMOVED_IN}; import from {_INSTEAD[spec.name]}",
                      DeprecationWarning, stacklevel=2)
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module: ModuleType) -> None:
        """The module is the new one, already executed."""


def install() -> None:
    """Make the deprecated module paths importable (idempotent)."""
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        sys.meta_path.append(_Alias())
