"""Lazy public names for packages: submodules load on first access (PEP 562).

Each package's ``__init__`` lists its public names and the private module that defines
each; ``import measurelib`` then loads only the definition model, and pandas, scipy and
the statistics libraries load when a function that needs them is first used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def attach(package: str, names: Mapping[str, str],
           deprecated: Mapping[str, tuple[str, str]] | None = None,
           ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return ``(__getattr__, __dir__)`` for ``package`` serving ``names`` lazily.

    ``names`` maps a public name to the module that defines it: a name relative to the
    package (``"_render"``) or absolute (``"measurelib.scoring._score"``). A value of the
    form ``"module:attr"`` serves another attribute name; ``"module:"`` serves the module.
    ``deprecated`` maps an old public name to ``(new name, release that removes it)``:
    the old name still works and warns (:class:`DeprecationWarning`), as CHANGELOG.md's
    deprecation policy says.
    """
    globals_of = importlib.import_module(package).__dict__
    old_names = dict(deprecated or {})

    def __getattr__(name: str) -> Any:
        if name in old_names:
            import warnings

            new, removed_in = old_names[name]
            warnings.warn(f"{package}.{name} is deprecated and will be removed in measurelib "
                          f"{removed_in}; use {package}.{new}", DeprecationWarning, stacklevel=2)
            return __getattr__(new)
        target = names.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attr = target.partition(":")
        if not module_name.startswith("measurelib"):
            module_name = f"{package}.{module_name}"
        module = importlib.import_module(module_name)
        value = module if (attr == "" and ":" in target) else getattr(module, attr or name)
        globals_of[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals_of) | set(names))

    return __getattr__, __dir__
