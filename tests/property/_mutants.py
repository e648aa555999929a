"""Hostile mutations of real definition files, shared by the CI fuzz test and the nightly run.

Each mutation works on the YAML *text* (so that tags, aliases, odd numbers, deep nesting
and broken syntax reach the parser, which structure-level mutation never produces) and is
driven by a ``random.Random``, so the nightly script can replay any mutant from its seed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def seed_texts() -> list[str]:
    """Every shipped definition (measures, banks, examples) as text: the seeds."""
    files = sorted((ROOT / "instruments").rglob("*.yaml"))
    return [p.read_text(encoding="utf-8") for p in files]


TAGS = ["!!timestamp", "!!binary", "!!int", "!!float", "!!bool", "!!null", "!!str", "!!set",
        "!!omap", "!!pairs", "!!seq", "!!map", "!!python/object:os.system", "!!python/name:os",
        "!foo", "!<tag:yaml.org,2002:int>", "!!merge", "!!value", "!!yaml"]
ODD_NUMBERS = ["1" + "0" * 400, "1" + "0" * 5000, "-" + "9" * 4400, "1e400", "-1e999", ".inf",
               "-.inf", ".nan", "0x1F", "0o17", "0b101", "1_000", "1:30", "1e-400",
               "99999999999999999999", "2024-13-45", "4.2.1", "+.5", "0." + "0" * 300 + "1",
               "100000000", "-100000000", "1e15", "123456789012345678901234567890"]
ODD_SCALARS = ["", "~", "null", "[]", "{}", "''", '"\\x00"', "yes", "No", "<<", "*undefined",
               "&a", "? x", "- -", "|", ">", "'unterminated", '"\\uZZZZ"', "%YAML 1.1", "---",
               "...", "@x", "`x`", "a: b: c", "{a: [}", "\t", "\u2028", "\ufeff", "\x85",
               "é" * 50, "x" * 20_000]
SCALAR = re.compile(r"(?<=: )([^\n{}\[\],#&*!|>'\"]+)$", re.MULTILINE)
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span(1 if pattern.groups else 0) for m in pattern.finditer(text)]


def _replace_at(text: str, span: tuple[int, int], new: str) -> str:
    return text[: span[0]] + new + text[span[1]:]


def tag_scalar(r: random.Random, text: str) -> str:
    spans = _spans(SCALAR, text)
    if not spans:
        return text
    span = r.choice(spans)
    return text[: span[0]] + r.choice(TAGS) + " " + text[span[0]:]


def tag_key(r: random.Random, text: str) -> str:
    lines = text.split("\n")
    idx = [i for i, ln in enumerate(lines) if re.match(r"^\s*[a-z_]+:", ln)]
    if not idx:
        return text
    i = r.choice(idx)
    indent = len(lines[i]) - len(lines[i].lstrip())
    lines[i] = lines[i][:indent] + r.choice(TAGS) + " " + lines[i][indent:]
    return "\n".join(lines)


def odd_number(r: random.Random, text: str) -> str:
    spans = _spans(NUMBER, text)
    if not spans:
        return text
    return _replace_at(text, r.choice(spans), r.choice(ODD_NUMBERS))


def odd_scalar(r: random.Random, text: str) -> str:
    spans = _spans(SCALAR, text)
    if not spans:
        return text
    return _replace_at(text, r.choice(spans), r.choice(ODD_SCALARS))


def deep_flow(r: random.Random, text: str) -> str:
    spans = _spans(SCALAR, text)
    if not spans:
        return text
    depth = r.choice([10, 60, 65, 100, 999, 1001, 5000, 50_000, 300_000])
    new = "[" * depth + "1" + "]" * depth if r.random() < 0.5 else "{a: " * depth + "1" + "}" * depth
    return _replace_at(text, r.choice(spans), new)


def deep_block(r: random.Random, text: str) -> str:
    depth = r.choice([30, 70, 200, 1200, 3000])
    step = r.choice(["- ", "  "])
    if step == "- ":
        block = "extra:\n" + "".join(" " * (2 + 2 * i) + "-\n" for i in range(depth))
    else:
        block = "extra:\n" + "".join(" " * (2 * (i + 1)) + f"k{i}:\n" for i in range(depth))
    return text + "\n" + block + " " * (2 * (depth + 1)) + "1\n"


def alias_bomb(r: random.Random, text: str) -> str:
    width = r.choice([2, 5, 10, 20])
    levels = r.choice([3, 6, 9, 12])
    lines = [f"b0: &b0 [{', '.join(['x'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"b{i}: &b{i} [{', '.join([f'*b{i - 1}'] * width)}]")
    return text + "\n" + "\n".join(lines) + "\n"


def merge_key(r: random.Random, text: str) -> str:
    lines = text.split("\n")
    i = r.randrange(len(lines))
    indent = len(lines[i]) - len(lines[i].lstrip())
    choice = r.choice(["<<: *m", "<<: [*m, *m]", "<<: 5", "<<: [1, 2]", "m: &m {id: x}",
                       "<<: &m {a: 1}", "<<: *m\n" + " " * indent + "<<: *m"])
    lines.insert(i, " " * indent + choice)
    return "\n".join(lines)


def char_edit(r: random.Random, text: str) -> str:
    if not text:
        return text
    for _ in range(r.randint(1, 8)):
        pos = r.randrange(len(text) + 1)
        op = r.random()
        if op < 0.4 and text:
            text = text[:pos] + text[pos + 1:]
        elif op < 0.8:
            text = text[:pos] + r.choice(":-[]{},&*!|>'\"#?%@` \t\n\r\\\x00\x07\x1b\ufffeé") \
                + text[pos:]
        else:
            text = text[:pos] + text[pos:pos + 40] * r.randint(2, 5) + text[pos + 40:]
    return text


def line_edit(r: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(r.randint(1, 4)):
        if not lines:
            break
        i = r.randrange(len(lines))
        op = r.choice(["del", "dup", "swap", "indent", "dedent", "many"])
        if op == "del":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = r.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "indent":
            lines[i] = "  " + lines[i]
        elif op == "dedent":
            lines[i] = lines[i][2:]
        else:
            lines[i:i + 1] = [lines[i]] * r.choice([10, 200])
    return "\n".join(lines)


def huge_scale(r: random.Random, text: str) -> str:
    """A numeric scale or a band with an enormous range (the reachable-score checks)."""
    hi = r.choice(["100000000", "1e12", "1e15", "1e300", "99999999999"])
    step = r.choice(["1", "0.001", "1e-9", "0.5"])
    text = re.sub(r"\bmax: \d+", f"max: {hi}", text, count=r.randint(1, 3))
    return re.sub(r"\bstep: [\d.]+", f"step: {step}", text)


def many_options(r: random.Random, text: str) -> str:
    n = r.choice([50, 500, 1500, 5000])
    opts = "".join(f"      - {{value: {i}, label: o{i}}}\n" for i in range(n))
    return re.sub(r"(\n    options:\n)", "\\1" + opts.replace("\\", "\\\\"), text, count=1)


def table_file(r: random.Random, text: str) -> str:
    target = r.choice(["/etc/passwd", "../../../../etc/hostname", "/dev/zero", "/proc/self/environ",
                       "missing.csv", "", "/", "tables", "\x00"])
    block = f"tables:\n  t_fuzz:\n    file: {target!r}\n"
    return text + "\n" + block


def graphic(r: random.Random, text: str) -> str:
    target = r.choice(["/etc/passwd", "../../x.png", "/dev/zero", "faces/1", "faces/../../x"])
    return re.sub(r"(label: [^\n}]*)", lambda m: m.group(1) + f", graphic: {target!r}", text,
                  count=1)


MUTATORS: list[Callable[[random.Random, str], str]] = [
    tag_scalar, tag_key, odd_number, odd_scalar, deep_flow, deep_block, alias_bomb, merge_key,
    char_edit, line_edit, huge_scale, many_options, table_file, graphic,
]


def mutant(seed: int, seeds: list[str]) -> str:
    """Mutant number ``seed``: one to three mutations of one seed text."""
    r = random.Random(seed)
    text = r.choice(seeds)
    for _ in range(r.choice([1, 1, 1, 2, 3])):
        text = r.choice(MUTATORS)(r, text)
    return text
