"""Small example data shipped with measurelib, so that the examples in the docs run anywhere.

``holzinger_swineford_1939``
    Mental ability test scores of 301 seventh- and eighth-grade children from two schools
    (Pasteur, Grant-White): ``id``, ``sex``, ``ageyr``, ``agemo``, ``school``, ``grade`` and
    the nine tests ``x1``..``x9`` (visual: x1-x3, textual: x4-x6, speed: x7-x9), as in R's
    ``lavaan::HolzingerSwineford1939``. Source: Holzinger KJ, Swineford F (1939). *A study
    in factor analysis: the stability of a bi-factor solution*. Supplementary Educational
    Monographs 48. University of Chicago.

>>> from measurelib.datasets import load_dataset
>>> hs = load_dataset("holzinger_swineford_1939")
>>> hs.shape
(301, 15)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["DATASETS", "load_dataset"]

DATASETS = ("holzinger_swineford_1939",)


def load_dataset(name: str) -> Any:
    """The example data set ``name`` as a pandas DataFrame.

    Parameters
    ----------
    name : {"holzinger_swineford_1939"}
        The data set.

    Raises
    ------
    ValueError
        ``name`` is not one of :data:`DATASETS`.
    """
    import pandas as pd

    if name not in DATASETS:
        raise ValueError(f"load_dataset(name=...): allowed values are {', '.join(DATASETS)}; "
                         f"got {name!r}")
    return pd.read_csv(Path(__file__).resolve().parent / f"{name}.csv")
