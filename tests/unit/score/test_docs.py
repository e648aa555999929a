"""The examples in the scoring docstrings run and give the output shown."""

from __future__ import annotations

import doctest

import measurelib.scoring._score
import measurelib.scoring._validate


def test_docstring_examples():
    for module in (measurelib.scoring._score, measurelib.scoring._validate):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, module.__name__


def test_results_serialise_to_json():
    import json

    import pandas as pd

    import measurelib as ml

    df = pd.DataFrame({f"Q{i}": [1, None] for i in range(1, 10)})
    res = ml.load("phq-9").score(df)
    doc = json.loads(res.to_json())
    assert doc["account"]["rows_in"] == 2
    assert doc["scores"][0]["total"] == 9 and doc["scores"][1]["total"] is None
    assert doc["statistics"]["total"]["n"] == 1
    assert "rows: 2 in, 2 scored, 0 rejected" in res.summary()
