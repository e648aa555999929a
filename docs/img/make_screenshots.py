"""Regenerate the pictures of forms used in docs/forms.md.

Run from the repository root (needs Debian's chromium, poppler-utils and the 'browser'
extra)::

    .venv/bin/python docs/img/make_screenshots.py

Each picture is kept small (a palette PNG, under ~150 KB).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

import measurelib as ml

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "img"
EXAMPLE = ROOT / "instruments" / "examples" / "feeling-today-cy-ar.yaml"
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from _browser import CHROMIUM_ARGS, chromium_path  # noqa: E402


def shrink(src: Path, dest: Path, *, crop_height: int | None = None, width: int | None = None,
           colours: int = 64) -> None:
    im = Image.open(src).convert("RGB")
    if crop_height is not None and im.height > crop_height:
        im = im.crop((0, 0, im.width, crop_height))
    if width is not None and im.width > width:
        im = im.resize((width, round(im.height * width / im.width)), Image.LANCZOS)
    im.quantize(colours, method=Image.Quantize.MEDIANCUT).save(dest, optimize=True)
    print(f"{dest.relative_to(ROOT)}: {dest.stat().st_size // 1024} KB")


def main() -> None:
    from playwright.sync_api import sync_playwright

    m = ml.load(EXAMPLE)
    phq9 = ml.load("phq-9")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        pages = {
            "form-html-phone": (m.render("html"), 390, 1250),
            "form-html-arabic-phone": (m.render("html", lang="ar"), 390, 1250),
            "form-html-easy-read": (m.render("html", easy_read=True, respondent="proxy"), 600,
                                    1150),
            "form-script": (m.render("script"), 800, 1000),
        }
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            for name, (html, width, height) in pages.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                page.set_content(str(html))
                shot = tmp / f"{name}.png"
                page.screenshot(path=str(shot), full_page=True)
                page.close()
                shrink(shot, OUT / f"{name}.png", crop_height=height)
            browser.close()
        for name, measure, options in (("form-print-phq9", phq9, {}),
                                       ("form-print-example", m, {}),
                                       ("form-print-arabic", m, {"lang": "ar"})):
            pdf = tmp / f"{name}.pdf"
            measure.render("pdf", pdf, **options)
            subprocess.run(["pdftoppm", "-png", "-r", "75", "-f", "1", "-l", "1", str(pdf),
                            str(tmp / name)], check=True)
            (first,) = sorted(tmp.glob(f"{name}-*.png"))
            shrink(first, OUT / f"{name}.png")


if __name__ == "__main__":
    main()
