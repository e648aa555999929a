"""Forms: accessible HTML, A4 print and PDF, read-aloud scripts.

>>> import measurelib as ml
>>> html = ml.load("phq-9").render("html", action="/submit")
>>> 'name="measure_id"' in html and "<fieldset" in html
True

Formats
-------
``html``
    A self-contained web form (CSS and pictures inlined): one ``fieldset`` with a ``legend``
    per item, real radio buttons with labels, number inputs for wide numeric scales and
    visual-analogue scales, ``textarea`` for text. It works with JavaScript off and posts
    to ``action`` with ``method``; :func:`measurelib.parse_submission` reads what it posts.
``print``
    An A4 paper form (HTML with print CSS): header fields for respondent id, date,
    timepoint and worker; purpose and validation status; tick boxes with the answer codes;
    item codes for data entry; the licence attribution in the footer; page numbers.
``pdf``
    The print form as PDF through WeasyPrint (``pip install measurelib[pdf]``).
``script``, ``script-text``
    A read-aloud / telephone script for the worker (HTML, or plain text).

Every text from a definition is escaped: a definition cannot inject markup or script.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from measurelib._output import asset, render_template, write_pdf
from measurelib.compose import as_measure
from measurelib.definition import Measure
from measurelib.forms._context import _INSTRUCTIONS, RenderOptions, build_context, load_overlay

__all__ = ["FORMATS", "render"]

FORMATS = ("html", "print", "pdf", "script", "script-text")
_TEMPLATES = {
    "html": "forms/html_form.html.j2",
    "print": "forms/print_form.html.j2",
    "pdf": "forms/print_form.html.j2",
    "script": "forms/script.html.j2",
    "script-text": "forms/script.txt.j2",
}


def _check_options(measure: Any, fmt: Any, options: dict[str, Any]) -> Any:

    if not isinstance(measure, Measure):
        raise TypeError(f"render(): `measure` must be a measurelib.Measure, not "
                        f"{type(measure).__name__}")
    if fmt not in FORMATS:
        raise ValueError(f"render(): `fmt` must be one of {', '.join(FORMATS)}; got {fmt!r}")
    allowed = {"lang", "large_print", "easy_read", "respondent", "action", "method", "overlay",
               "base_dir", "header", "hidden"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"render(): unknown option(s) {', '.join(unknown)}; allowed: "
                        f"{', '.join(sorted(allowed))}")
    respondent = options.get("respondent", "self")
    if respondent not in ("self", "proxy"):
        raise ValueError(f"render(): `respondent` must be 'self' or 'proxy'; got {respondent!r}")
    method = str(options.get("method", "post")).lower()
    if method not in ("post", "get"):
        raise ValueError(f"render(): `method` must be 'post' or 'get'; got {method!r}")
    lang = options.get("lang") or measure.language
    if not isinstance(lang, str):
        raise TypeError(f"render(): `lang` must be a language code such as 'cy'; got {lang!r}")
    base_dir = options.get("base_dir")
    for flag in ("large_print", "easy_read", "header"):
        if flag in options and not isinstance(options[flag], bool):
            raise TypeError(f"render(): `{flag}` must be True or False; got {options[flag]!r}")
    action = options.get("action") or ""
    if not isinstance(action, str):
        raise TypeError(f"render(): `action` must be a URL string; got {action!r}")
    hidden = options.get("hidden") or {}
    if not isinstance(hidden, dict) or not all(
            isinstance(k, str) and isinstance(v, (str, int, float)) for k, v in hidden.items()):
        raise TypeError("render(): `hidden` must be a dict of field name to text, e.g. "
                        f"{{'respondent_id': 'R001'}}; got {hidden!r}")
    reserved = {"measure_id", "measure_version", "respondent_type", "lang"} | {
        c for c in measure.response_columns()}
    clash = sorted(set(hidden) & reserved)
    if clash:
        raise ValueError(f"render(): `hidden` may not set {', '.join(clash)}: the form sets "
                         "those itself")
    overlay = dict(load_overlay(options.get("overlay"), measure))
    return RenderOptions(
        fmt=fmt, lang=lang, large_print=bool(options.get("large_print", False)),
        easy_read=bool(options.get("easy_read", False)), respondent=respondent,
        action=action, method=method,
        base_dir=Path(base_dir) if base_dir is not None else None,
        overlay=overlay, overlay_instructions=overlay.pop(_INSTRUCTIONS, None),
        header=bool(options.get("header", True)),
        hidden={k: str(v) for k, v in hidden.items()})


def render(measure: Measure, fmt: str = "html", path: str | os.PathLike[str] | None = None,
           **options: Any) -> str | bytes:
    """Render a measure as a form or script.

    Parameters
    ----------
    measure : Measure
        The measure (e.g. from :func:`measurelib.definition._load`).
    fmt : {"html", "print", "pdf", "script", "script-text"}
        What to make; see the module docstring.
    path : str or path-like, optional
        Also write the result to this file (UTF-8 text, or PDF bytes).
    lang : str, optional
        Language of the form (default: the measure's ``language``). Right-to-left languages
        render right-to-left.
    large_print : bool, default False
        Larger type and touch targets.
    easy_read : bool, default False
        ``variants.easy_read`` wording, bigger pictures, one item per section.
    respondent : {"self", "proxy"}, default "self"
        ``proxy`` uses ``variants.proxy`` wording for a carer answering for the person.
    action, method : str
        Where and how the HTML form posts (default: the same page, ``post``).
    overlay : mapping or path, optional
        Item text for measures whose licence forbids shipping it: ``{item_id: text}`` or a
        YAML file with ``items: {item_id: text}``.
    base_dir : path, optional
        Folder that image paths in the definition are relative to (default: the folder of
        the file the measure was loaded from).
    header : bool, default True
        Print the respondent id / date / timepoint / worker boxes on paper forms.
    hidden : dict, optional
        Extra hidden fields of the HTML form, e.g. ``{"respondent_id": "R001",
        "timepoint": "baseline"}``; :func:`measurelib.parse_submission` returns them in
        ``.metadata``.

    Returns
    -------
    str or bytes
        HTML or text; bytes for ``pdf``.

    Raises
    ------
    LicenceError
        The licence forbids shipping the item text and no overlay supplies it.
    DefinitionError
        A text lacks a translation into ``lang``, or a graphic cannot be found.
    """
    if isinstance(measure, Measure) and measure.compose:
        overlay = options.get("overlay")
        measure = as_measure(measure, overlay=overlay if isinstance(overlay, (str, os.PathLike))
                             else None)
        options = {**options, "overlay": None}  # the build has applied it
    opts = _check_options(measure, fmt, options)
    ctx = build_context(measure, opts)
    css = asset("forms/forms.css")
    if fmt in ("print", "pdf"):
        css += "\n" + asset("forms/print.css")
    if fmt == "pdf":
        # the stylesheet goes to the PDF writer apart from the page (parsed once, reused)
        page = render_template(_TEMPLATES[fmt], ctx=ctx, q=ctx.questions, opts=opts, css="")
        data = write_pdf(page, css)
        if path is not None:
            Path(path).write_bytes(data)
        return data
    text = render_template(_TEMPLATES[fmt], ctx=ctx, q=ctx.questions, opts=opts, css=css)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text
