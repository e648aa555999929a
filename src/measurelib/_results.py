"""Base class of result objects: frozen, echo their inputs, serialise to JSON and frames."""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import BaseModel, ConfigDict


def to_jsonable(value: Any) -> Any:
    """Convert numpy/pandas values (and nested containers) to plain JSON-able Python."""
    # Local imports keep `import measurelib` light; numpy/pandas are only touched if present.
    if isinstance(value, BaseModel):
        return to_jsonable(value.model_dump())
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    mod = type(value).__module__
    if mod.startswith("pandas"):
        import pandas as pd

        if isinstance(value, pd.DataFrame):
            frame = value.reset_index() if not isinstance(value.index, pd.RangeIndex) else value
            return [to_jsonable(r) for r in frame.to_dict(orient="records")]
        if isinstance(value, pd.Series):
            return {str(k): to_jsonable(v) for k, v in value.items()}
        if value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
    if mod == "numpy":
        import numpy as np

        if isinstance(value, np.ndarray):
            return to_jsonable(value.tolist())
        if isinstance(value, np.generic):
            return to_jsonable(value.item())
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


class Result(BaseModel):
    """Frozen result of a computation.

    Subclasses hold full-precision estimates and echo their inputs (``n``, ``n_items``,
    method, options). ``to_dict()`` is the JSON that ``--format json`` prints;
    ``to_frame()`` gives a tidy table; ``summary()`` a short text.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, protected_namespaces=())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            out[name] = to_jsonable(getattr(self, name))
        return out

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_frame(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def summary(self) -> str:  # pragma: no cover - overridden
        return repr(self)
