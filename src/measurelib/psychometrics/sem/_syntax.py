"""Parse the model of :func:`measurelib.psychometrics.cfa`.

A model is either a mapping ``factor -> [items]`` or text in lavaan's model syntax,
restricted to measurement models:

* ``factor =~ item1 + item2 + item3`` (a numeric pre-multiplier fixes a loading,
  ``1*item`` or ``0.5*item``; ``NA*item`` frees the marker loading);
* ``item1 ~~ item2`` for a residual covariance, ``factor1 ~~ 0*factor2`` to fix a
  factor covariance to zero, ``factor ~~ 1*factor`` to fix a factor variance;
* comments start with ``#`` or ``!``; statements are separated by new lines or ``;``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from measurelib.errors import DefinitionError, Diagnostic, Location, register

CODE_SYNTAX = register(
    "cfa-model-syntax", "CFA model syntax error",
    "A line of the CFA model cannot be read as lavaan measurement-model syntax.",
    "Write `factor =~ item1 + item2 + item3`, one factor per line; `a ~~ b` for covariances.",
)
CODE_UNIDENTIFIED = register(
    "cfa-unidentified", "CFA model not identified",
    "The CFA model has more free parameters than the data have moments, or a factor "
    "has too few indicators to be identified.",
    "Give each factor at least two indicators (three if it does not covary with another "
    "factor), or fix a loading or variance.",
)

_NAME = r"[A-Za-z_.][A-Za-z0-9_.]*"


@dataclass
class Term:
    """One right-hand-side term: a variable and an optional fixed value."""

    name: str
    fixed: float | None = None  # numeric pre-multiplier
    free: bool = False  # NA* pre-multiplier


@dataclass
class ModelSpec:
    """A parsed measurement model."""

    factors: dict[str, list[Term]] = field(default_factory=dict)
    covariances: list[tuple[str, Term]] = field(default_factory=list)

    @property
    def observed(self) -> list[str]:
        seen: list[str] = []
        for terms in self.factors.values():
            for t in terms:
                if t.name not in seen and t.name not in self.factors:
                    seen.append(t.name)
        return seen


def _error(message: str, line: int | None = None, hint: str = "") -> DefinitionError:
    loc = Location(file="<model>", line=line)
    return DefinitionError(
        [Diagnostic(CODE_SYNTAX, message, hint or "See docs/cfa.md for the syntax.", loc)],
        title="The CFA model cannot be read",
    )


def _parse_term(text: str, line: int) -> Term:
    text = text.strip()
    if not text:
        raise _error(f"line {line} has an empty term (a '+' with nothing on one side)", line)
    m = re.fullmatch(rf"(?:(NA|[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*\*\s*)?({_NAME})", text)
    if m is None:
        raise _error(f"cannot read the term {text!r} on line {line}", line)
    pre, name = m.group(1), m.group(2)
    if pre is None:
        return Term(name)
    if pre == "NA":
        return Term(name, free=True)
    return Term(name, fixed=float(pre))


def parse_model(model: Any) -> ModelSpec:
    """Parse a model mapping or lavaan syntax text into a :class:`ModelSpec`."""
    spec = ModelSpec()
    if isinstance(model, Mapping):
        if not model:
            raise ValueError("cfa(): parameter 'model' is an empty mapping; give factor -> items")
        for factor, items in model.items():
            if not isinstance(factor, str):
                raise TypeError(f"cfa(): factor names in 'model' must be str, got {factor!r}")
            if isinstance(items, str) or not isinstance(items, Sequence):
                raise TypeError(
                    f"cfa(): 'model[{factor!r}]' must be a list of item names, got {items!r}"
                )
            terms = []
            for it in items:
                if not isinstance(it, str):
                    raise TypeError(f"cfa(): item names must be str, got {it!r} in {factor!r}")
                terms.append(Term(it))
            spec.factors[factor] = terms
        return _check(spec)
    if not isinstance(model, str):
        raise TypeError(
            "cfa(): parameter 'model' must be a mapping factor -> list of items or lavaan "
            f"model syntax (str), got {type(model).__name__}"
        )
    statements: list[tuple[int, str]] = []
    for lineno, raw in enumerate(model.splitlines(), start=1):
        text = re.split(r"[#!]", raw, maxsplit=1)[0]
        for part in text.split(";"):
            if part.strip():
                statements.append((lineno, part.strip()))
    for lineno, text in statements:
        if "=~" in text:
            lhs, rhs = text.split("=~", 1)
            lhs = lhs.strip()
            if not re.fullmatch(_NAME, lhs):
                raise _error(f"the factor name {lhs!r} on line {lineno} is not a name", lineno)
            terms = [_parse_term(t, lineno) for t in rhs.split("+")]
            spec.factors.setdefault(lhs, []).extend(terms)
        elif "~~" in text:
            lhs, rhs = text.split("~~", 1)
            lhs = lhs.strip()
            if not re.fullmatch(_NAME, lhs):
                raise _error(f"cannot read {lhs!r} on line {lineno}", lineno)
            for t in rhs.split("+"):
                spec.covariances.append((lhs, _parse_term(t, lineno)))
        elif re.search(r"(?<![=~])~(?!~)", text) or ":=" in text or "==" in text:
            raise _error(
                f"line {lineno} ({text!r}) is a regression, defined parameter or constraint; "
                "cfa() accepts measurement models only (=~ and ~~)",
                lineno,
            )
        else:
            raise _error(f"cannot read line {lineno}: {text!r}", lineno)
    if not spec.factors:
        raise _error("the model defines no factor (no `=~` line)")
    return _check(spec)


def _check(spec: ModelSpec) -> ModelSpec:
    for factor, terms in spec.factors.items():
        names = [t.name for t in terms]
        if not names:
            raise _error(f"factor {factor!r} has no items")
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise _error(f"factor {factor!r} lists {', '.join(dup)} more than once")
        nested = [n for n in names if n in spec.factors]
        if nested:
            raise _error(
                f"factor {factor!r} is measured by factor(s) {', '.join(nested)}; "
                "higher-order factors are not supported by cfa()"
            )
    known = set(spec.factors) | set(spec.observed)
    for lhs, term in spec.covariances:
        for name in (lhs, term.name):
            if name not in known:
                raise _error(
                    f"the covariance {lhs} ~~ {term.name} names {name!r}, which is neither a "
                    "factor nor an item of the model"
                )
        if (lhs in spec.factors) != (term.name in spec.factors):
            raise _error(f"the covariance {lhs} ~~ {term.name} mixes a factor and an item")
    return spec
