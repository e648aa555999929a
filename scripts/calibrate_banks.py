"""Calibrate the shipped item banks and write their `irt:` and `calibration:` blocks.

    python scripts/calibrate_banks.py          # simulate, calibrate, patch the bank files
    python scripts/calibrate_banks.py --check  # exit 1 if the committed blocks differ

* The wellbeing bank (instruments/banks/wellbeing-bank.yaml) has no real data yet: its
  answers are SIMULATED (seed 20261204) from a graded model with the generating
  parameters below, written to instruments/examples/data/wellbeing-bank-simulated.csv,
  and the calibration says so (`calibration.sample.simulated: true`). Replace it when
  real data exists.
* The IPIP bank (instruments/banks/ipip-bfi.yaml) is calibrated on the bfi data
  (tests/data/bfi.csv, 2,800 SAPA respondents; columns A1..O5 are the items' codes),
  one trait per domain.

The bank files are patched in place (an `irt:` entry on each item, a `calibration:`
block at the end), keeping their layout and comments.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WELLBEING = ROOT / "instruments" / "banks" / "wellbeing-bank.yaml"
IPIP = ROOT / "instruments" / "banks" / "ipip-bfi.yaml"
SIMULATED = ROOT / "instruments" / "examples" / "data" / "wellbeing-bank-simulated.csv"
BFI = ROOT / "tests" / "data" / "bfi.csv"
SEED = 20261204
N_SIMULATED = 1500
DATE = "2026-12-04"


def simulate_wellbeing() -> None:
    """Seeded answers to the wellbeing bank's 14 ordinal items (one trait)."""
    import pandas as pd

    import measurelib as ml
    from measurelib.psychometrics import simulate_irt

    bank = ml.load(WELLBEING)
    items = [it.id for it in bank.items if bank.scales[it.scale].type == "ordinal"]
    rng = np.random.default_rng(SEED)
    a = np.round(rng.uniform(0.9, 2.4, len(items)), 2)
    b = np.sort(rng.normal(0, 0.4, (len(items), 4)) + np.array([-2.0, -0.9, 0.1, 1.2]), axis=1)
    d = -a[:, None] * b
    data = simulate_irt(N_SIMULATED, a=a, d=d, start=1, seed=SEED)
    data.columns = items
    for item_id in items:  # simulated in the scored direction: un-reverse reversed items
        if bank.item(item_id).reverse:
            data[item_id] = 6 - data[item_id]
    data.insert(0, "respondent_id", [f"SIM{i:04d}" for i in range(1, len(data) + 1)])
    SIMULATED.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(data).to_csv(SIMULATED, index=False, lineterminator="\n")


def _scalar(v: object) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _flow(block: dict[str, object]) -> str:
    """A YAML flow mapping, nested mappings (the ``se:`` block) and lists included."""
    parts = []
    for k, v in block.items():
        if isinstance(v, dict):
            parts.append(f"{k}: {_flow(v)}")
        elif isinstance(v, list):
            parts.append(f"{k}: [{', '.join(_scalar(x) for x in v)}]")
        else:
            parts.append(f"{k}: {_scalar(v)}")
    return "{" + ", ".join(parts) + "}"


def _rounded(v: object) -> object:
    if isinstance(v, float):
        return round(v, 4)
    if isinstance(v, list):
        return [_rounded(x) for x in v]
    if isinstance(v, dict):
        return {k: _rounded(x) for k, x in v.items()}
    return v


def _strip_irt(line: str) -> str:
    """``line`` without its flow ``, irt: {...}`` entry (nested braces included)."""
    at = line.find(", irt: {")
    if at < 0:
        return line
    depth = 0
    for j in range(at + len(", irt: "), len(line)):
        depth += {"{": 1, "}": -1}.get(line[j], 0)
        if depth == 0:
            return line[:at] + line[j + 1:]
    return line


def patch(path: Path, measure: object) -> str:
    """The bank file's text with each item's irt entry and the calibration block."""
    from measurelib.definition import dump_yaml

    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\n# --- calibration.*", "\n", text, flags=re.S).rstrip("\n") + "\n"
    lines = [_strip_irt(line) for line in text.split("\n")]
    for it in measure.items:  # type: ignore[attr-defined]
        if it.irt is None:
            continue
        block = it.irt.model_dump(mode="json", exclude_defaults=True)
        block.pop("model", None) if block.get("model") == "graded" else None
        flow = _flow({k: _rounded(v) for k, v in block.items()})
        for i, line in enumerate(lines):
            if re.match(r"\s*- \{id: " + re.escape(it.id) + ",", lines[i]):
                lines[i] = lines[i][:-1] + f", irt: {flow}}}"
                break
            if re.match(r"\s*- id: " + re.escape(it.id) + "$", lines[i]):
                indent = " " * (len(line) - len(line.lstrip()) + 2)
                j = i + 1
                while j < len(lines) and lines[j].startswith(indent) and \
                        not lines[j].startswith(indent + "irt:"):
                    j += 1
                if j < len(lines) and lines[j].startswith(indent + "irt:"):
                    lines[j] = f"{indent}irt: {flow}"
                else:
                    lines.insert(j, f"{indent}irt: {flow}")
                break
    cal = measure.calibration.model_dump(mode="json", exclude_defaults=True)  # type: ignore[attr-defined]
    return ("\n".join(lines).rstrip("\n")
            + "\n# --- calibration: written by scripts/calibrate_banks.py\n"
            + dump_yaml({"calibration": cal}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    from measurelib.assessment import calibrate

    if not args.check:
        simulate_wellbeing()
    wb = calibrate(WELLBEING, SIMULATED, simulated=True, date=DATE,
                   description=f"{N_SIMULATED} SIMULATED respondents (scripts/calibrate_banks.py, "
                   f"seed {SEED}): a placeholder until real data exists",
                   source="instruments/examples/data/wellbeing-bank-simulated.csv",
                   population="None: simulated answers (theta ~ N(0, 1) by construction)",
                   metric={"name": "T", "mean": 50, "sd": 10}, target={"score": [35, 60]})
    ipip = calibrate(IPIP, BFI, traits=["agreeableness", "conscientiousness", "extraversion",
                                        "neuroticism", "openness"],
                     on_invalid="missing", date=DATE, source="psychTools::bfi (tests/data/bfi.csv)",
                     description="2,800 adult SAPA web respondents (Revelle, psychTools::bfi); "
                     "missing answers allowed", population="SAPA project web respondents, "
                     "2010 (mostly US adults and students)",
                     metric={"name": "T", "mean": 50, "sd": 10})
    stale = []
    for path, result in ((WELLBEING, wb), (IPIP, ipip)):
        text = patch(path, result.measure)
        if path.read_text(encoding="utf-8") != text:
            stale.append(path.name)
            if not args.check:
                path.write_text(text, encoding="utf-8")
        print(result.summary())
    if args.check and stale:
        print("out of date: " + ", ".join(stale) + " (run: python scripts/calibrate_banks.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
