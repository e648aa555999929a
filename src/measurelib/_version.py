"""The version of measurelib (one place; the package, the store and built measures record it)."""

__version__ = "0.1.0"
