"""The front door: one way to turn a catalog id, a path or a Measure into the Measure a stage needs.

Every stage (scoring, forms, export, outcomes, assessment) calls :func:`as_measure`, so that
"phq-9", "my-measure.yaml" and a loaded :class:`~measurelib.Measure` behave alike
everywhere: composed measures are built, and a measure loaded from a file keeps its
origin, so nothing downstream reads the file again.
"""

from __future__ import annotations

import os
from typing import Any

from measurelib.compose._compose import assemble, build, plan
from measurelib.compose._licence import LicenceReportResult, own_row
from measurelib.compose._licence import assess as assess_licences
from measurelib.definition import Measure, load
from measurelib.errors import Diagnostic, MeasurelibError

__all__ = ["as_measure", "check_composition", "licence_report"]


def as_measure(obj: Any, *, build: bool = True, overlay: Any = None,
               caller: str = "measure") -> Measure:
    """The :class:`~measurelib.Measure` named by ``obj``: a Measure, a catalog id or a path.

    Parameters
    ----------
    obj
        A :class:`~measurelib.Measure`, a catalog id (``"phq-9"``, ``"swemwbs@1.0.0"``) or
        the path of a definition file.
    build
        Build a composed measure (``compose:``) so that it has every item it pulls in
        (default). With False the definition is returned as written.
    overlay
        Licensed item text for the build (see :func:`measurelib.build`).
    caller
        The name of the calling function and parameter, for the error message.

    Raises
    ------
    TypeError
        ``obj`` is none of those.
    DefinitionError
        The file or catalog id cannot be loaded or built; every problem is located.

    Examples
    --------
    >>> import measurelib as ml
    >>> ml.as_measure("phq-9").id
    'phq-9'
    """
    if isinstance(obj, Measure):
        m = obj
    elif isinstance(obj, (str, os.PathLike)):
        m = load(obj)
    else:
        raise TypeError(f"{caller}: expected a Measure, a catalog id or the path of a definition "
                        f"file, not {type(obj).__name__}")
    if build and m.compose:
        m = _build(m, overlay=overlay)
    return m


_build = build


def licence_report(source: Any, *, overlay: Any = None) -> LicenceReportResult:
    """The licence obligations table of a measure or composer (nothing is raised for breaches).

    Parameters
    ----------
    source
        A path, catalog id or Measure. A composer's sources are resolved (not built).
    overlay
        Unused for the table; accepted so that callers can pass the same options as to
        :func:`measurelib.build`.

    Raises
    ------
    DefinitionError
        The composer cannot be resolved (unknown source, item, ...).
    """
    del overlay
    p = plan(source)
    rows = [own_row(p.measure, p.file)] if not p.uses else assess_licences(p)
    return LicenceReportResult(measure=p.measure.id, version=p.measure.version,
                         rows=[r.to_dict() for r in rows],
                         ok=all(r.status != "violation" for r in rows))




def check_composition(measure: Measure) -> list[Diagnostic]:
    """Every problem a build of ``measure`` would meet, without building it.

    Plans the build (sources and versions resolved, items found in their sources, ids,
    order), assesses the sources' licences, and assembles the result in memory, so that
    ``measurelib validate`` reports what ``measurelib build`` would. Licensed text that
    needs an overlay is not an error here (validate is given no overlay); a licence
    breach is.

    Returns
    -------
    list of Diagnostic
        Errors and warnings, each located in the composer or the source named.
    """
    if not measure.compose:
        return []
    import warnings

    try:
        p = plan(measure)
    except MeasurelibError as err:
        return list(err.errors)
    out: list[Diagnostic] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = assess_licences(p)
    for row in report:
        out.extend(row.diagnostics)
    out.extend(p.deferred)
    if any(d.severity == "error" for d in out):
        return out
    try:
        assemble(p, report, {})
    except MeasurelibError as err:
        out.extend(d for d in err.errors if not d.code.startswith("overlay"))
    return out
