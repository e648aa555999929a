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
import warnings
from pathlib import Path
from typing import Any

from measurelib._output import asset, render_template, write_pdf
from measurelib.compose import apply_overlay, as_measure, load_overlays, overlays_from_mapping
from measurelib.definition import Measure
from measurelib.errors import (
    DefinitionError,
    Diagnostic,
    LicenceError,
    Location,
    PlaceholderWarning,
    VariantFallbackWarning,
)
from measurelib.forms._context import (
    _INSTRUCTIONS,
    FormContext,
    RenderOptions,
    build_context,
    load_overlay,
    overlay_block,
)

__all__ = ["ASK_FIELDS", "FORMATS", "render", "with_overlay"]

FORMATS = ("html", "print", "pdf", "script", "script-text")
ASK_FIELDS = ("respondent_id", "timepoint", "date")
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
               "base_dir", "header", "hidden", "ask", "timepoints", "placeholders",
               "values", "items", "stamp"}
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
    timepoints = options.get("timepoints") or ()
    if isinstance(timepoints, str) or not all(isinstance(t, str) and t.strip()
                                              for t in timepoints):
        raise TypeError("render(): `timepoints` must be a list of names such as ['baseline', "
                        f"'review', 'exit']; got {timepoints!r}")
    ask = options.get("ask")
    if ask is None:
        # a standalone form must say who answered and when, or its file cannot be imported
        ask = () if action else tuple(f for f in ASK_FIELDS[:2] if f not in hidden)
    if isinstance(ask, str) or not all(f in ASK_FIELDS for f in ask):
        raise ValueError(f"render(): `ask` must be a list of {', '.join(ASK_FIELDS)}; got "
                         f"{ask!r}")
    if "placeholders" in options and not isinstance(options["placeholders"], bool):
        raise TypeError("render(): `placeholders` must be True or False; got "
                        f"{options['placeholders']!r}")
    values, items = _answers_options(measure, options)
    overlay = dict(load_overlay(options.get("overlay"), measure))
    return RenderOptions(
        fmt=fmt, lang=lang, large_print=bool(options.get("large_print", False)),
        easy_read=bool(options.get("easy_read", False)), respondent=respondent,
        action=action, method=method,
        base_dir=Path(base_dir) if base_dir is not None else None,
        overlay=overlay, overlay_instructions=overlay.pop(_INSTRUCTIONS, None),
        header=bool(options.get("header", True)),
        hidden={k: str(v) for k, v in hidden.items()},
        ask=tuple(f for f in ASK_FIELDS if f in ask and f not in hidden),
        timepoints=tuple(str(t) for t in timepoints),
        placeholders=bool(options.get("placeholders", False)), values=values, items=items,
        stamp=_stamp_option(options.get("stamp")))


def _stamp_option(stamp: Any) -> dict[str, str] | None:
    """The ``stamp`` option: a short code (and a ``data:`` picture) for the paper header."""
    if stamp is None:
        return None
    if not isinstance(stamp, dict) or not isinstance(stamp.get("code"), str) \
            or not 0 < len(stamp["code"]) <= 64 or not all(
                isinstance(stamp.get(k, ""), str) for k in ("image", "alt", "text")):
        raise TypeError("render(): `stamp` must be a dict with a `code` (text, at most 64 "
                        "characters) and optionally `image` (a data: URL), `alt` and `text`; "
                        f"got {stamp!r}")
    image = stamp.get("image", "")
    if image and not image.startswith("data:image/"):
        raise ValueError("render(): `stamp['image']` must be a data:image/... URL (nothing "
                         "is fetched from elsewhere)")
    return {"code": stamp["code"], "image": image, "alt": stamp.get("alt", ""),
            "text": stamp.get("text", "")}


def _answers_options(measure: Any, options: dict[str, Any]
                     ) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...] | None]:
    """The ``values`` (answers to pre-fill) and ``items`` (questions shown) options."""
    raw = options.get("values") or {}
    if not isinstance(raw, dict) or not all(isinstance(k, str) for k in raw):
        raise TypeError("render(): `values` must be a dict of response column to answer, "
                        f"e.g. {{'q1': '2'}}; got {raw!r}")
    values: dict[str, tuple[str, ...]] = {}
    for key, value in raw.items():
        seq = value if isinstance(value, (list, tuple)) else (value,)
        if not all(isinstance(v, (str, int, float)) for v in seq):
            raise TypeError(f"render(): `values[{key!r}]` must be text or a number (or a list "
                            f"of them); got {value!r}")
        values[key] = tuple(str(v) for v in seq)
    items = options.get("items")
    if items is None:
        return values, None
    if isinstance(items, str) or not all(isinstance(i, str) for i in items):
        raise TypeError(f"render(): `items` must be a list of question names; got {items!r}")
    unknown = sorted(set(items) - set(measure.response_columns()))
    if unknown:
        raise ValueError(f"render(): `items` names no question of {measure.id}: "
                         f"{', '.join(unknown)}")
    return values, tuple(items)


def with_overlay(measure: Measure, overlay: Any) -> Measure:
    """``measure`` with a licensed overlay (file path or mapping) applied, for one form."""
    if isinstance(overlay, (str, os.PathLike)):
        where = str(overlay)
        blocks = load_overlays(overlay, default_measure=measure.id)
    elif isinstance(overlay, dict):
        where = "overlay"
        if "items" not in overlay and "measures" not in overlay and "scales" not in overlay:
            overlay = {"items": overlay}  # the short form {item id: text}
        blocks = overlays_from_mapping(overlay, default_measure=measure.id)
    else:
        raise TypeError("render(): `overlay` must be a mapping of item id to text or the path "
                        f"of a YAML file, not {type(overlay).__name__}")
    block = overlay_block(blocks, measure, where)
    out, problems = apply_overlay(measure, block)
    if problems:
        raise DefinitionError(problems)
    return out


def _warn(ctx: FormContext, opts: RenderOptions) -> None:
    """Say what the form shows in place of what was asked for (and refuse a PDF of
    placeholders unless told).
    """
    for variant, ids in ctx.fallbacks.items():
        warnings.warn(VariantFallbackWarning(
            f"{ctx.measure_id}: {len(ids)} question(s) have no {variant.replace('_', '-')} "
            f"wording and are shown as written for the person themselves: {', '.join(ids)}. "
            f"Add `variants: {{{variant}: ...}}` to them; the print form and the script list "
            "them in a note for staff."), stacklevel=3)
    if not ctx.placeholders:
        return
    shown = ", ".join(ctx.placeholders[:8]) + (
        f" and {len(ctx.placeholders) - 8} more" if len(ctx.placeholders) > 8 else "")
    if opts.fmt == "pdf" and not opts.placeholders:
        raise LicenceError([Diagnostic(
            "text-placeholder", f"{ctx.measure_id}: licensed text is missing for {shown}, so "
            "the PDF would print placeholders", "Supply the text in your licensed overlay "
            "(overlay= / --overlay FILE); to check the layout anyway, pass placeholders=True "
            "(--placeholders).", Location(path="items"))],
            title=f"cannot make a PDF of {ctx.measure_id}: it would print placeholders")
    warnings.warn(PlaceholderWarning(
        f"{ctx.measure_id}: the form shows placeholders where licensed text is missing "
        f"({shown}); do not use it with respondents. Supply the text in an overlay "
        "(overlay= / --overlay FILE)."), stacklevel=3)


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
        Where and how the HTML form posts (default method ``post``). Without ``action`` the
        form is *standalone*: with JavaScript on, "Save my answers" saves a CSV file (one
        header row, one row of answers) that ``measurelib import`` reads, and the page says
        so; with JavaScript off the button stays disabled and the page says that the form
        must be made with an ``action`` (``measurelib render --action URL``). It never posts
        to itself, so answers are not lost by a reload.
    overlay : mapping or path, optional
        Licensed text for measures whose licence forbids shipping it, and translations of
        shipped text: ``{item_id: text}`` or an overlay file (``items:`` with text, option
        labels and variants per item, ``scales:`` option labels, ``instructions:``,
        ``recall:``; see docs/licences.md). Texts may be ``{language: text}`` maps.
    base_dir : path, optional
        Folder that image paths in the definition are relative to (default: the folder of
        the file the measure was loaded from).
    header : bool, default True
        Print the respondent id / date / timepoint / worker boxes on paper forms.
    hidden : dict, optional
        Extra hidden fields of the HTML form, e.g. ``{"respondent_id": "R001",
        "timepoint": "baseline"}``; :func:`measurelib.parse_submission` returns them in
        ``.metadata``.
    ask : list of {"respondent_id", "timepoint", "date"}, optional
        Fields the HTML form asks at the top. Default: none when the form has an
        ``action``; respondent id and timepoint (those not set by ``hidden``) when it has
        none, so that the file it saves can be imported.
    timepoints : list of str, optional
        The timepoints a ``timepoint`` field offers (a drop-down); without them it is text.
    values : dict, optional
        Answers to pre-fill in the HTML form, ``{response column: value}`` (a list for
        several), e.g. the answers a respondent saved before; values that match no option
        are not shown.
    items : list of str, optional
        Show only these questions (response column names of top-level questions, with
        their follow-ups), e.g. one question per page; default all.
    stamp : dict, optional
        Paper forms (``print``, ``pdf``): a box in the header with a short ``code`` (e.g. the
        code that opens the keying screen of this very form), an optional ``text`` before
        it and an optional ``image`` — a ``data:image/...`` URL such as a QR code — with its
        ``alt`` text. ``values`` also fills the header boxes (``respondent_id``, ``date``,
        ``timepoint``, ``worker``) of paper forms.
    placeholders : bool, default False
        Make a PDF although licensed text is missing and the form shows placeholders (for
        checking the layout; never for respondents). HTML and print forms always show the
        placeholders, with a warning.

    Returns
    -------
    str or bytes
        HTML or text; bytes for ``pdf``.

    Warns
    -----
    PlaceholderWarning
        Licensed text is missing; the form shows a visible placeholder for each text.
    VariantFallbackWarning
        A proxy or easy-read form was asked for and some questions have no such wording;
        the message lists them (and the print form and script show them in a note).

    Raises
    ------
    LicenceError
        ``pdf`` only: licensed text is missing (or is an overlay's ``[PLACEHOLDER ...]``)
        and ``placeholders=True`` was not given.
    DefinitionError
        A text lacks a translation into ``lang``, or a graphic cannot be found.
    """
    overlay = options.get("overlay")
    if isinstance(measure, Measure) and measure.compose:
        measure = as_measure(measure, overlay=overlay if isinstance(overlay, (str, os.PathLike))
                             else None)
        options = {**options, "overlay": None}  # the build has applied it
    elif isinstance(measure, Measure) and overlay is not None:
        measure = with_overlay(measure, overlay)
        options = {**options, "overlay": None}
    opts = _check_options(measure, fmt, options)
    ctx = build_context(measure, opts)
    _warn(ctx, opts)
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
