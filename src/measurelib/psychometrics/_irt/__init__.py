"""Item response theory: calibration, scores, information and fit.

``irt()`` calibrates graded, GPCM, PCM, RSM, 2PL and Rasch models by marginal maximum
likelihood, with mirt's defaults; ``IRTResult`` scores respondents, gives information
and item/model fit; ``dif()`` tests items across groups; ``link()`` places a calibration
on a bank's metric; ``short_form()`` picks items for a target; ``simulate_irt()`` draws
answers from a model. The adaptive-testing engine lives in ``_cat``.

The public names are those of :mod:`measurelib.psychometrics` (``irt``, ``IRTResult``,
``dif``, ``link``, ``short_form``, ``simulate_irt``); the adaptive-testing engine is
:mod:`measurelib.cat`.
"""

from __future__ import annotations

from ._bank import (
    ShortFormMeasure,
    conversion_table,
    irt_reliable_change,
    measure_bank,
    short_form_measure,
)
from ._calibrate import irt
from ._dif import dif
from ._link import LinkResult, ShortFormResult, link, short_form
from ._result import IRTResult
from ._simulate import simulate_irt

__all__ = ["IRTResult", "LinkResult", "ShortFormMeasure", "ShortFormResult", "conversion_table",
           "dif", "irt", "irt_reliable_change", "link", "measure_bank", "short_form",
           "short_form_measure", "simulate_irt"]
