"""Small evaluators of the expression subsets the exporters write.

Used by the tests to check that an exported score expression computes the same number as
measurelib: ODK XPath (the ``calculate`` column of XLSForm) and REDCap's calculation
syntax. They implement the documented semantics of those languages for what we emit:
numbers, quoted strings, field references (``${name}`` / ``[name]``), ``+ - * div /``,
comparisons, ``and``/``or``, ``if()``, ``floor()``, ``number()``, ``rounddown()``.

- ODK XPath (XPath 1.0): a field's value is a string ('' when unanswered); ``=`` compares
  numerically when either side is a number, else as strings; arithmetic converts with
  ``number()`` (``''`` → NaN).
- REDCap: a blank field is ``''``; a comparison with a quoted string compares the raw
  value as text; arithmetic on a blank gives a blank result.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["evaluate_redcap", "evaluate_xpath"]

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<xref>\$\{[^}]+\})
  | (?P<rref>\[[^\]]+\])
  | (?P<op><=|>=|!=|<>|[-+*/()<>=,])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
""", re.VERBOSE)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        mt = _TOKEN.match(text, pos)
        if mt is None:
            raise ValueError(f"cannot read expression at {pos}: {text[pos:pos + 20]!r}")
        pos = mt.end()
        kind = mt.lastgroup or ""
        if kind != "ws":
            out.append((kind, mt.group()))
    return out


class _Parser:
    def __init__(self, text: str, values: dict[str, Any], dialect: str):
        self.toks = _tokens(text)
        self.i = 0
        self.values = values
        self.dialect = dialect

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _peek_text(self) -> str | None:
        tok = self.peek()
        return tok[1] if tok is not None else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise ValueError(f"expected {value!r}, found {tok!r}")
        self.i += 1
        return tok

    # grammar: or > and > comparison > additive > multiplicative > unary > primary
    def parse(self) -> Any:
        v = self.or_()
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.peek()!r}")
        return v

    def or_(self) -> Any:
        v = self.and_()
        while self.peek() == ("name", "or"):
            self.take()
            r = self.and_()
            v = _bool(v) or _bool(r)
        return v

    def and_(self) -> Any:
        v = self.cmp()
        while self.peek() == ("name", "and"):
            self.take()
            r = self.cmp()
            v = _bool(v) and _bool(r)
        return v

    def cmp(self) -> Any:
        v = self.add()
        while self.peek() is not None and self._peek_text() in ("=", "!=", "<>", "<", "<=",
                                                             ">", ">="):
            op = self.take()[1]
            r = self.add()
            v = self.compare(v, op, r)
        return v

    def compare(self, a: Any, op: str, b: Any) -> bool:
        if op in ("=", "!=", "<>"):
            if isinstance(a, str) and isinstance(b, str):
                eq = a == b
            else:
                x, y = _num(a), _num(b)
                eq = not (math.isnan(x) or math.isnan(y)) and x == y
            return eq if op == "=" else not eq
        x, y = _num(a), _num(b)
        if math.isnan(x) or math.isnan(y):
            return False
        return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]

    def add(self) -> Any:
        v = self.mul()
        while self.peek() is not None and self._peek_text() in ("+", "-"):
            op = self.take()[1]
            r = self.mul()
            v = _num(v) + _num(r) if op == "+" else _num(v) - _num(r)
        return v

    def mul(self) -> Any:
        v = self.unary()
        while self.peek() is not None and self._peek_text() in ("*", "/", "div"):
            op = self.take()[1]
            r = self.unary()
            x, y = _num(v), _num(r)
            v = x * y if op == "*" else math.nan if y == 0 or math.isnan(y) else x / y
        return v

    def unary(self) -> Any:
        if self._peek_text() == "-":
            self.take()
            return -_num(self.unary())
        return self.primary()

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "num":
            return float(text)
        if kind == "str":
            return text[1:-1]
        if kind == "xref" and self.dialect == "xpath":
            return _as_text(self.values.get(text[2:-1]))
        if kind == "rref" and self.dialect == "redcap":
            return _as_text(self.values.get(text[1:-1]))
        if text == "(":
            v = self.or_()
            self.take(")")
            return v
        if kind == "name":
            self.take("(")
            args = []
            if self.peek() != ("op", ")"):
                args.append(self.or_())
                while self.peek() == ("op", ","):
                    self.take()
                    args.append(self.or_())
            self.take(")")
            return self.call(text, args)
        raise ValueError(f"unexpected {text!r}")

    def call(self, name: str, args: list[Any]) -> Any:
        if name == "if" and len(args) == 3:
            return args[1] if _bool(args[0]) else args[2]
        if name == "floor" and self.dialect == "xpath":
            return math.floor(_num(args[0])) if not math.isnan(_num(args[0])) else math.nan
        if name == "number" and self.dialect == "xpath":
            return _num(args[0])
        if name in ("rounddown", "roundup", "round") and self.dialect == "redcap":
            x, d = _num(args[0]), int(_num(args[1])) if len(args) > 1 else 0
            if math.isnan(x):
                return math.nan
            f = 10.0 ** d
            if name == "rounddown":
                return math.floor(x * f) / f
            if name == "roundup":
                return math.ceil(x * f) / f
            return math.copysign(math.floor(abs(x) * f + 0.5), x) / f
        raise ValueError(f"function {name}() is not in the subset")


def _as_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _num(v: Any) -> float:
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(str(v).strip()) if str(v).strip() else math.nan
    except ValueError:
        return math.nan


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return not math.isnan(v) and v != 0
    return bool(v)


def _result(v: Any) -> float | None:
    if isinstance(v, str):
        return None if v == "" else _num(v)
    x = _num(v)
    return None if math.isnan(x) else x


def evaluate_xpath(expression: str, values: dict[str, Any]) -> float | None:
    """Value of an ODK ``calculate`` expression (None for ``''``/NaN)."""
    return _result(_Parser(expression, values, "xpath").parse())


def evaluate_redcap(expression: str, values: dict[str, Any]) -> float | None:
    """Value of a REDCap calc expression (None when blank)."""
    return _result(_Parser(expression, values, "redcap").parse())
