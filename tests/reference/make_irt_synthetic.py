"""Writes the synthetic polytomous IRT datasets of the golden tests to tests/data/.

Run from the repository root::

    PYTHONPATH=src python tests/reference/make_irt_synthetic.py

Both files are drawn with measurelib's own ``simulate_irt`` from fixed parameters and
fixed seeds (numpy's default generator), so the script reproduces them byte for byte;
``tests/unit/psychometrics/test_irt_data.py`` checks that it still does. The shape is
that of a short attitude scale: 4 items with 4 ordered categories coded 1..4, 400
respondents, answers piled towards the upper categories, one item with a steep slope.

- ``irt_graded_synthetic.csv``: all four items from Samejima's graded model.
- ``irt_mixed_synthetic.csv``: items 1-3 graded, item 4 from the generalized partial
  credit model (Muraki), the same abilities for all items.

The reference values for these data come from ``tests/reference/irt_openmx_rpf.R``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from measurelib.psychometrics import simulate_irt

N = 400
# slope-intercept form as mirt's coef(): graded P*(x >= k) = logistic(a theta + d_k)
GRADED_A = [1.0, 1.25, 2.25, 1.1]
GRADED_D = [[4.5, 2.5, -1.5],
            [3.0, 1.0, -2.25],
            [5.0, 2.25, -2.0],
            [3.25, 1.0, -1.75]]
# GPCM: P_c proportional to exp(c a theta + d_c), d_0 = 0
GPCM_A = [0.8]
GPCM_D = [[2.0, 3.0, 1.75]]

SEED_GRADED = 20_261_204
SEED_MIXED_THETA = 20_261_205
SEED_MIXED_GRADED = 20_261_206
SEED_MIXED_GPCM = 20_261_207


def graded() -> pd.DataFrame:
    """Four graded items, 400 respondents, N(0, 1) abilities."""
    data = simulate_irt(N, model="graded", a=GRADED_A, d=GRADED_D, seed=SEED_GRADED)
    return pd.DataFrame(data.to_numpy(), columns=list(data.columns))


def mixed() -> pd.DataFrame:
    """Items 1-3 graded and item 4 GPCM, answered by the same 400 respondents."""
    theta = np.random.default_rng(SEED_MIXED_THETA).standard_normal(N)
    first = simulate_irt(model="graded", a=GRADED_A[:3], d=GRADED_D[:3], theta=theta,
                         seed=SEED_MIXED_GRADED)
    last = simulate_irt(model="gpcm", a=GPCM_A, d=GPCM_D, theta=theta, seed=SEED_MIXED_GPCM)
    codes = np.column_stack([first.to_numpy(), last.to_numpy()])
    return pd.DataFrame(codes, columns=[f"item{j + 1}" for j in range(4)])


def to_csv_text(frame: pd.DataFrame) -> str:
    """The CSV text written to tests/data (header, integer codes, LF line ends)."""
    return str(frame.to_csv(index=False, lineterminator="\n"))


FILES = {"irt_graded_synthetic.csv": graded, "irt_mixed_synthetic.csv": mixed}


def main(out: Path) -> None:
    for name, make in FILES.items():
        (out / name).write_text(to_csv_text(make()), encoding="utf-8", newline="\n")
        print(name)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tests/data"))
