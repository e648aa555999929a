"""Item response theory: calibration, scores, information and fit (issue 18).

``irt()`` calibrates graded, GPCM, PCM, RSM, 2PL and Rasch models by marginal maximum
likelihood, with mirt's defaults; ``IRTResult`` scores respondents, gives information
and item/model fit.
"""

from __future__ import annotations

from ._calibrate import irt
from ._result import IRTResult

__all__ = ["IRTResult", "irt"]
