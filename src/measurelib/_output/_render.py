"""The one Jinja environment and the one PDF writer, shared by forms and reports.

Templates live in the shipped ``templates/`` folder. Every template is autoescaped (only
plain-text ``*.txt.j2`` templates are not), so no text from a definition or a data file
can inject markup. Undefined variables are errors, not blanks.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from measurelib._resources import data_dir

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = ["asset", "embedded_only", "environment", "pdf_tagging", "render_template", "write_pdf"]


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja environment of every form and report template."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(
        loader=FileSystemLoader(str(data_dir("templates"))),
        autoescape=lambda name: name is None or not name.endswith(".txt.j2"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_template(name: str, **context: Any) -> str:
    """Render the template ``name`` (relative to ``templates/``) with ``context``."""
    text: str = environment().get_template(name).render(**context)
    return text


@lru_cache(maxsize=16)
def asset(name: str) -> str:
    """A static text asset (a stylesheet) from ``templates/``."""
    return (data_dir("templates") / name).read_text(encoding="utf-8")


_PDF_CACHE = threading.local()  # per thread: WeasyPrint font configuration and parsed CSS


def write_pdf(html: str, css: str | None = None) -> bytes:
    """The PDF of ``html`` (WeasyPrint), with the stylesheet ``css`` given apart.

    A stylesheet given apart is parsed once per thread and reused (forms share one); styles
    inlined in ``html`` are read as usual. Nothing is fetched from the network or the
    file system: pictures must be inlined as ``data:`` URLs.
    """
    try:
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("PDF output needs WeasyPrint: pip install 'measurelib[pdf]' "
                          f"(and the Pango libraries of your system); {exc}") from None
    # WeasyPrint logs CSS it ignores (screen-only rules) at warning level; the HTML is
    # generated here, so keep those out of users' logs.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    cache = _PDF_CACHE.__dict__
    if "fonts" not in cache:
        cache["fonts"] = FontConfiguration()
        cache["css"] = {}
    fonts = cache["fonts"]
    stylesheets = []
    if css:
        sheet = cache["css"].get(css)
        if sheet is None:
            if len(cache["css"]) > 32:
                cache["css"].clear()
            sheet = cache["css"][css] = CSS(string=css, font_config=fonts,
                                              url_fetcher=embedded_only())
        stylesheets.append(sheet)
    result: bytes = HTML(string=html, base_url=None, url_fetcher=embedded_only()).write_pdf(
        stylesheets=stylesheets, font_config=fonts, **pdf_tagging())
    return result


def pdf_tagging() -> dict[str, Any]:
    """WeasyPrint options for a tagged, accessible PDF, by what the installed WeasyPrint has:
    the PDF/UA-1 variant (a structure tree, the document language and title, PDF 1.7), else
    plain tagging (``pdf_tags``), else nothing (an old WeasyPrint makes untagged PDFs).
    """
    import weasyprint

    try:
        from weasyprint.pdf import VARIANTS
    except ImportError:  # pragma: no cover - depends on the installed version
        VARIANTS = {}  # noqa: N806
    if "pdf/ua-1" in VARIANTS:
        return {"pdf_variant": "pdf/ua-1"}
    if "pdf_tags" in getattr(weasyprint, "DEFAULT_OPTIONS", {}):  # pragma: no cover
        return {"pdf_tags": True}
    return {}  # pragma: no cover


class RefusedURL(ValueError):
    """The PDF engine asked for a URL that is not embedded in the document."""


def embedded_only() -> Any:
    """WeasyPrint's URL fetcher for measurelib: ``data:`` URLs only, nothing else.

    Forms and reports embed every picture as a ``data:`` URL, so the engine never needs the
    network or the file system; a picture (an SVG's ``<image href>``, a CSS ``url()``)
    pointing anywhere else is refused before any request is made, so that rendering a
    definition cannot read a local file or send a request off the machine.
    """
    from weasyprint.urls import URLFetcher

    class _EmbeddedOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                raise RefusedURL("only data: URLs are fetched when making a PDF")
            return super().fetch(url, headers)

    return _EmbeddedOnly(allowed_protocols={"data"}, allow_redirects=False)
