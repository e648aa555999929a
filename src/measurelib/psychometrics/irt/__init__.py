"""Item response theory: calibration, scores, information and fit (issue 18).

``irt()`` calibrates graded, GPCM, PCM, RSM, 2PL and Rasch models by marginal maximum
likelihood, with mirt's defaults; ``IRTResult`` scores respondents, gives information
and item/model fit; ``dif()`` tests items across groups; ``link()`` places a calibration
on a bank's metric; ``short_form()`` picks items for a target; ``simulate_irt()`` draws
answers from a model. The adaptive-testing engine lives in ``_cat``.

The public path is ``measurelib.psychometrics.irt(...)``. Importing this subpackage makes
Python bind the attribute ``measurelib.psychometrics.irt`` to the subpackage itself, so
the subpackage is made callable and calling it calibrates: both spellings work.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from ._calibrate import irt
from ._dif import dif
from ._link import LinkResult, ShortFormResult, link, short_form
from ._result import IRTResult
from ._simulate import simulate_irt

__all__ = ["IRTResult", "LinkResult", "ShortFormResult", "dif", "irt", "link", "short_form",
           "simulate_irt"]


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> IRTResult:
        return irt(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
