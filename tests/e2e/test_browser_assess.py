"""The assessment report in a real headless Chromium: axe-core finds no WCAG 2.1 A/AA violation."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import measurelib as ml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _browser import CHROMIUM_ARGS, axe_source, axe_violations, chromium_path, describe  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None,
                       reason="Chromium is not installed (Debian package `chromium`; run "
                       "scripts/setup-system.sh)"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def test_report_has_no_wcag_violations(browser: Any) -> None:
    df = pd.read_csv(ROOT / "tests" / "data" / "bfi.csv").iloc[:500]
    m = ml.load(ROOT / "instruments" / "banks" / "ipip-bfi.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        html = str(ml.assess(m, df, on_invalid="missing", n_iter=10).render("html"))
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    try:
        page = context.new_page()
        page.set_content(html)
        violations = axe_violations(page, axe_source())
        assert not violations, describe(violations)
        page.set_viewport_size({"width": 375, "height": 812})
        violations = axe_violations(page, axe_source())
        assert not violations, "phone width:\n" + describe(violations)
    finally:
        context.close()
