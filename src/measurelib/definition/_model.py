"""The measure definition model (pydantic v2).

A :class:`Measure` is what every stage of measurelib works on: rendering, scoring, linting,
psychometrics, storage and export. It is normally loaded from YAML with
:func:`measurelib.definition._load`, which adds file/line/column positions to every error.

Constructing a :class:`Measure` runs two phases of checks:

1. structural validation by pydantic (types, required fields, allowed values), and
2. cross-reference checks (:mod:`measurelib.definition._checks`): unknown or duplicate ids, bands,
   lookup tables, translations, ... These are all collected and raised together as one
   :class:`~measurelib.errors.DefinitionError`.

The docstrings of the fields below are the format reference: ``docs/format.md`` and the
JSON Schema are generated from them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "Alert",
    "Anchor",
    "Band",
    "Calibration",
    "CalibrationFit",
    "CalibrationSample",
    "CATStop",
    "Code",
    "ComposeEntry",
    "Condition",
    "CutOff",
    "FollowUp",
    "IRTTarget",
    "Item",
    "ItemIRT",
    "ItemIRTSE",
    "ItemSelection",
    "Licence",
    "LinearTransform",
    "Lock",
    "LockedSource",
    "Metric",
    "Measure",
    "MissingPolicy",
    "Option",
    "Permission",
    "Personalised",
    "Provenance",
    "Purpose",
    "Recall",
    "Reference",
    "ReliableChange",
    "Scale",
    "ScoreCAT",
    "ScoreIRT",
    "ScoreRule",
    "Text",
    "Transform",
    "ValidationStatus",
    "ValueSet",
    "text_in",
]

from measurelib.definition._checks import check_measure
from measurelib.definition._checks import score_range as _score_range
from measurelib.definition._document import dump_yaml
from measurelib.definition._types import (
    ID_PATTERN,
    MEASURE_ID_PATTERN,
    RTL_LANGUAGES,
    SEMVER_PATTERN,
    Id,
    LangCode,
    LookupTable,
    Number,
    Text,
    text_in,
)
from measurelib.errors import DefinitionError


@dataclass(frozen=True)
class Origin:
    """Where a measure was read from: what build, render and export need of its file.

    A loaded measure keeps its origin so that no later stage reads the file again: the
    parsed document (with the position of every value, for located errors) and the folder
    that files it names (overlays, pictures, table files) are relative to. Where a measure
    came from is not part of its value: two measures with equal fields are equal.
    """

    path: Path | None
    """The definition file (absolute), or None for a measure made from text or in memory."""
    display: str
    """The name messages show for the file."""
    document: Any = None
    """The parsed YAML document (:class:`~measurelib.definition.Document`), or None."""
    folder: Path | None = None
    """The folder that relative paths in the definition are relative to."""

    @property
    def base(self) -> Path:
        """The folder relative paths are resolved against (the working folder if none)."""
        if self.folder is not None:
            return self.folder
        return self.path.parent if self.path is not None else Path.cwd()


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        str_strip_whitespace=False,
        validate_default=False,
        protected_namespaces=(),
        # Validators are built on first use, so `import measurelib` stays fast.
        defer_build=True,
    )


# ----------------------------------------------------------------------------- pieces
class Code(_Model):
    """A code from a terminology (LOINC, SNOMED CT, ...) for a measure, item or answer."""

    system: str = Field(
        description="Code system: `loinc`, `snomed`, or a URI such as `http://loinc.org`.",
        examples=["loinc"],
    )
    code: str = Field(description="The code itself.", examples=["44249-1"])
    display: str | None = Field(default=None, description="The code's display text.")


class Reference(_Model):
    """A source: a paper, manual or web page that a fact in the definition comes from."""

    citation: str = Field(description="Full citation.")
    doi: str | None = Field(default=None, description="DOI, without `https://doi.org/`.")
    url: str | None = Field(default=None, description="Web address.")
    supports: str | None = Field(
        default=None, description="What this source supports, e.g. `bands`, `licence`."
    )


class Licence(_Model):
    """The terms under which a measure (or bank) may be used, copied and changed."""

    holder: str = Field(description="Copyright holder or licensor.")
    spdx: str | None = Field(
        default=None,
        description="SPDX licence id (e.g. `CC-BY-4.0`, `CC-BY-NC-ND-4.0`, `OGL-UK-3.0`); "
        "null for proprietary terms.",
    )
    text_redistribution: Literal["allowed", "forbidden"] = Field(
        description="May the item text be shipped/published? When `forbidden` the catalog "
        "holds metadata and scoring only and the text comes from the user's licensed overlay."
    )
    modification: Literal["allowed", "forbidden"] = Field(
        description="May items be reworded, subset, reordered or re-scaled?"
    )
    commercial_use: Literal["allowed", "forbidden", "licence_required"] = Field(
        default="allowed", description="Whether commercial users may use it, or need a paid licence."
    )
    registration_required: bool = Field(
        default=False, description="Users must register with the holder before use."
    )
    fees: Text | None = Field(default=None, description="Fees, if any, and who pays them.")
    attribution: Text | None = Field(
        default=None, description="Attribution line printed on every form that uses the measure."
    )
    url: str | None = Field(default=None, description="Where the terms are published.")
    notes: Text | None = Field(default=None, description="Anything else a user must know.")


class Purpose(_Model):
    """Why the measure is asked, who sees the answers and how they are used; shown on forms."""

    why: Text = Field(description="Why we ask these questions.")
    who_sees: Text | None = Field(default=None, description="Who will see the answers.")
    how_used: Text | None = Field(default=None, description="How the answers are used.")


class ValidationStatus(_Model):
    """How far the measure has been tested; shown on forms and reports."""

    status: Literal["validated", "adapted", "bespoke", "untested"] = Field(
        description="`validated`: used as published; `adapted`: changed from a validated "
        "measure; `bespoke`: written locally and psychometrically tested; `untested`: not tested."
    )
    note: Text | None = Field(default=None, description="Plain-language note on the evidence.")
    references: list[Reference] = Field(default_factory=list, description="Evidence.")


class Recall(_Model):
    """The recall period the questions ask about."""

    text: Text = Field(description="As worded to the respondent, e.g. `over the last 2 weeks`.")
    days: int | None = Field(
        default=None, ge=0, description="Length in days (0 = today/now); used by the linter."
    )


# ----------------------------------------------------------------------------- scales
class Option(_Model):
    """One response option of an ordinal (or yes/no) scale."""

    value: Number = Field(description="The value stored and scored.")
    label: Text | None = Field(default=None, description="What the respondent sees.")
    graphic: str | None = Field(
        default=None,
        description="A shipped pictogram (`faces/1`) or a path relative to the definition file.",
    )
    alt: Text | None = Field(default=None, description="Text alternative for the graphic.")
    missing: bool = Field(
        default=False,
        description="This option (e.g. `Don't know`, `Not applicable`) counts as missing when scored.",
    )
    score: Number | None = Field(
        default=None,
        description="Scored value (per-option weight) when it differs from the stored `value`; "
        "default: the value itself.",
    )
    codes: list[Code] = Field(default_factory=list, description="Terminology codes.")


class Anchor(_Model):
    """A labelled point of a numeric or visual-analogue scale (e.g. 0 = not at all)."""

    value: Number = Field(description="The point of the scale.")
    label: Text = Field(description="Its label, e.g. `Not at all`.")
    graphic: str | None = Field(default=None, description="A pictogram shown at the anchor.")
    alt: Text | None = Field(default=None, description="Text alternative for the graphic.")


class _ScaleBase(_Model):
    title: Text | None = Field(default=None, description="Optional name of the scale.")

    def values(self) -> list[float]:
        """Sorted numeric values a scored response may take (empty for free text)."""
        return []

    @property
    def is_numeric(self) -> bool:
        return True

    @property
    def is_ordered(self) -> bool:
        return True

    @property
    def min_value(self) -> float | None:
        vals = self.values()
        return vals[0] if vals else None

    @property
    def max_value(self) -> float | None:
        vals = self.values()
        return vals[-1] if vals else None


class OrdinalScale(_ScaleBase):
    """Ordered response options, e.g. 1 None of the time ... 5 All of the time."""

    type: Literal["ordinal"] = Field(description="`ordinal`.")
    options: list[Option] = Field(min_length=2, description="Options in display order.")

    def values(self) -> list[float]:
        return sorted({float(o.value) for o in self.options if not o.missing})


class YesNoScale(_ScaleBase):
    """A yes/no question; by default yes = 1, no = 0."""

    type: Literal["yesno"] = Field(description="`yesno`.")
    options: list[Option] = Field(
        default_factory=lambda: [Option(value=1, label="Yes"), Option(value=0, label="No")],
        min_length=2,
        max_length=3,
        description="Defaults to Yes = 1, No = 0; a third option may be e.g. `Not sure`.",
    )

    def values(self) -> list[float]:
        return sorted({float(o.value) for o in self.options if not o.missing})


class NumericScale(_ScaleBase):
    """A numeric rating such as 0–10, with optional anchor labels."""

    type: Literal["numeric"]
    min: Number = Field(description="Lowest value.")
    max: Number = Field(description="Highest value.")
    step: Number = Field(default=1, gt=0, description="Allowed increments from `min`.")
    anchors: list[Anchor] = Field(default_factory=list, description="Labelled points.")

    def n_values(self) -> int:
        """How many values the scale has, without listing them."""
        span = (float(self.max) - float(self.min)) / float(self.step)
        return round(span) + 1 if math.isfinite(span) and span >= 0 else 0

    def values(self) -> list[float]:
        """Every value of the scale. A scale may be huge (0–100,000,000): prefer
        :meth:`n_values`, :attr:`min_value` and :attr:`max_value` where they suffice.
        """
        n = self.n_values()
        return [float(self.min) + i * float(self.step) for i in range(n)]

    @property
    def min_value(self) -> float | None:
        """The lowest answer, without listing the scale's values (None if it has none)."""
        return float(self.min) if self.n_values() else None

    @property
    def max_value(self) -> float | None:
        """The highest answer, without listing the scale's values (None if it has none)."""
        n = self.n_values()
        return float(self.min) + (n - 1) * float(self.step) if n else None


class VisualAnalogueScale(_ScaleBase):
    """A visual-analogue scale, e.g. the EQ VAS 0–100; any value in range is valid."""

    type: Literal["vas"]
    min: Number = Field(default=0, description="Lowest value.")
    max: Number = Field(default=100, description="Highest value.")
    anchors: list[Anchor] = Field(default_factory=list, description="Labelled points.")
    orientation: Literal["vertical", "horizontal"] = Field(
        default="horizontal", description="How the line is drawn (the EQ VAS is vertical)."
    )

    def values(self) -> list[float]:
        return [float(self.min), float(self.max)]


class TextScale(_ScaleBase):
    """Free text; never scored."""

    type: Literal["text"]
    max_length: int | None = Field(default=None, gt=0, description="Longest answer allowed.")

    @property
    def is_numeric(self) -> bool:
        """False: free-text answers are not numbers."""
        return False

    @property
    def is_ordered(self) -> bool:
        """False: free-text answers have no order."""
        return False


Scale = Annotated[
    Union[OrdinalScale, YesNoScale, NumericScale, VisualAnalogueScale, TextScale],
    Field(discriminator="type"),
]


# ----------------------------------------------------------------------------- items
class Provenance(_Model):
    """Where an item comes from, when it is borrowed from another measure or bank."""

    measure: str = Field(description="Id of the source measure or bank.")
    item: str = Field(description="The item's id in the source.")
    version: str | None = Field(default=None, description="Version of the source.")
    text_changed: bool = Field(default=False, description="The wording was changed.")
    scale_changed: bool = Field(default=False, description="The response scale was changed.")


class Condition(_Model):
    """A test on an item's answer or a score, e.g. `{item: q9, op: gt, value: 0}`."""

    item: str | None = Field(default=None, description="Item id tested (or use `score`).")
    score: str | None = Field(default=None, description="Score id tested (or use `item`).")
    op: Literal["gt", "ge", "lt", "le", "eq", "ne", "in", "answered"] = Field(
        description="Comparison: gt >, ge ≥, lt <, le ≤, eq =, ne ≠, in (one of a list), "
        "answered (any answer given)."
    )
    value: Number | list[Number] | None = Field(
        default=None, description="The number compared with (a list for `in`)."
    )

    @model_validator(mode="after")
    def _one_target(self) -> Condition:
        if (self.item is None) == (self.score is None):
            raise PydanticCustomError(
                "invalid-condition", "a condition tests exactly one of `item` or `score`"
            )
        if self.op == "in" and not isinstance(self.value, list):
            raise PydanticCustomError("invalid-condition", "`op: in` needs a list `value`")
        if self.op not in ("in", "answered") and not isinstance(self.value, (int, float)):
            raise PydanticCustomError(
                "invalid-condition", "`op: {op}` needs a number `value`", {"op": self.op}
            )
        return self


class FollowUp(_Model):
    """A question asked after an item, e.g. DIALOG's "Do you want more help with this?".

    Its response column is ``<item id>_<follow-up id>``.
    """

    id: Id = Field(description="Follow-up id; the column is `<item id>_<follow-up id>`.")
    text: Text = Field(description="The follow-up question.")
    scale: str = Field(description="Scale id of the follow-up answer.")
    when: Condition | None = Field(
        default=None, description="Ask only when this holds for the parent item."
    )


class Personalised(_Model):
    """An item the person writes themselves (e.g. a goal), rated at every timepoint.

    The item stands for ``max_count`` response columns ``<id>_1 ... <id>_<max_count>``,
    each with a free-text column ``<id>_<n>_text`` for the person's own wording.
    """

    min_count: int = Field(default=1, ge=0, le=10, description="Fewest the person must write.")
    max_count: int = Field(ge=1, le=10, description="Most the person may write (at most 10).")
    label: Text | None = Field(default=None, description="Label for each, e.g. `Goal`.")

    @model_validator(mode="after")
    def _bounds(self) -> Personalised:
        if self.min_count > self.max_count:
            raise PydanticCustomError(
                "personalised-bounds", "min_count ({lo}) is larger than max_count ({hi})",
                {"lo": self.min_count, "hi": self.max_count},
            )
        return self


# ----------------------------------------------------------------------------- IRT
IRTModelName = Literal["graded", "gpcm", "pcm", "rsm", "2pl", "rasch"]


class ItemIRTSE(_Model):
    """Standard errors of an item's calibrated parameters (written by `measurelib calibrate`)."""

    a: float | None = Field(default=None, ge=0, description="Standard error of `a`.")
    b: list[float] | None = Field(default=None, description="Standard errors of `b`.")
    d: list[float] | None = Field(default=None, description="Standard errors of `d`.")


class ItemIRT(_Model):
    """Item response theory parameters of a calibrated item (see docs/irt.md).

    Categories are the item's *scored* values (after `recode` and `reverse`) in increasing
    order, the lowest being category 0. Give the thresholds `b` (IRT parametrisation, mirt's
    `IRTpars = TRUE`) or the intercepts `d` (slope–intercept form, mirt's `coef()`), one
    fewer than the categories. Graded/2PL: ``P(X ≥ k) = 1/(1 + exp(−a(θ − b_k)))`` with
    ``d_k = −a b_k``; GPCM/PCM/RSM: `b` are the step difficulties,
    ``d_k = −a (b_1 + … + b_k)``. θ is on the reference population's N(0, 1) scale; the
    bank's `calibration.metric` turns it into reported scores.
    """

    model: IRTModelName = Field(
        default="graded",
        description="`graded` (Samejima), `gpcm`, `pcm`, `rsm`, `2pl` or `rasch` (as mirt's "
        "`itemtype`).",
    )
    a: float = Field(default=1.0, gt=0, description="Slope (discrimination), > 0 on scored values.")
    b: list[float] | None = Field(
        default=None, description="Thresholds (graded: increasing) or step difficulties (GPCM)."
    )
    d: list[float] | None = Field(
        default=None, description="Intercepts in slope–intercept form (instead of `b`)."
    )
    trait: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_-]*$",
        description="The latent trait the item measures, when a bank measures several (e.g. "
        "`neuroticism`); items of one trait are calibrated and scored together.",
    )
    se: ItemIRTSE | None = Field(
        default=None, description="Standard errors of the parameters from the calibration "
        "(observed information, Louis's method; `b` by the delta method). Scoring does not "
        "use them; they say how precisely the calibration sample fixed each parameter.",
    )

    @model_validator(mode="after")
    def _parameters(self) -> ItemIRT:
        if (self.b is None) == (self.d is None):
            raise PydanticCustomError(
                "invalid-irt", "an irt block gives exactly one of `b` (thresholds) or `d` "
                "(intercepts)")
        vals = self.b if self.b is not None else (self.d or [])
        if not vals:
            raise PydanticCustomError("invalid-irt", "the irt block's thresholds are empty")
        if self.se is not None:
            for name, given in (("b", self.b), ("d", self.d)):
                ses = getattr(self.se, name)
                if ses is not None and (given is None or len(ses) != len(given)):
                    raise PydanticCustomError(
                        "invalid-irt", "`se.{name}` must give one standard error per value "
                        "of `{name}`", {"name": name})
        if any(not math.isfinite(v) for v in vals):
            raise PydanticCustomError("invalid-irt", "irt thresholds must be finite numbers")
        if self.model in ("graded", "2pl", "rasch") and len(vals) > 1:
            bad = [i for i in range(1, len(vals))
                   if (vals[i] <= vals[i - 1] if self.b is not None else vals[i] >= vals[i - 1])]
            if bad:
                what = "thresholds `b` must increase" if self.b is not None else \
                    "intercepts `d` must decrease"
                raise PydanticCustomError(
                    "invalid-irt", "{what} for the {model} model (position {pos})",
                    {"what": what, "model": self.model, "pos": bad[0] + 1})
        if self.model in ("2pl",) and len(vals) != 1:
            raise PydanticCustomError("invalid-irt", "a 2pl item has one threshold")
        if self.model in ("rasch", "pcm", "rsm") and self.a != 1.0:
            raise PydanticCustomError(
                "invalid-irt", "the {model} model fixes the slope at 1; give the latent "
                "variance in the metric instead", {"model": self.model})
        return self

    @property
    def intercepts(self) -> list[float]:
        """The intercepts ``d`` (slope–intercept form), from `b` when `b` is given."""
        if self.d is not None:
            return list(self.d)
        b = list(self.b or [])
        if self.model in ("graded", "2pl", "rasch") or len(b) == 1:
            return [-self.a * x for x in b]
        out, acc = [], 0.0
        for x in b:
            acc += x
            out.append(-self.a * acc)
        return out


class Metric(_Model):
    """The reported metric of a calibrated bank: score = mean + sd × θ (e.g. T = 50 + 10θ)."""

    name: str = Field(default="theta", max_length=32, description="Name, e.g. `T`.")
    mean: float = Field(default=0.0, description="Score of the reference population's mean.")
    sd: float = Field(default=1.0, gt=0, description="Score points per SD of θ.")
    decimals: int | None = Field(default=None, ge=0, le=6, description="Display precision.")

    def to_metric(self, theta: float) -> float:
        """θ on this metric."""
        return self.mean + self.sd * theta


class CalibrationSample(_Model):
    """The people whose answers calibrated the bank."""

    n: int = Field(ge=1, description="Number of respondents used.")
    description: Text | None = Field(default=None, description="Who they were, how recruited.")
    simulated: bool = Field(
        default=False, description="The answers were simulated (a placeholder calibration: "
        "reports and forms say so)."
    )
    source: str | None = Field(
        default=None, description="The data set, or the script that generated it."
    )


class CalibrationFit(_Model):
    """Fit of one calibration (one trait) of the bank."""

    trait: str | None = Field(default=None, description="The trait, for multi-trait banks.")
    items: int | None = Field(default=None, ge=1, description="Items calibrated.")
    loglik: float | None = Field(default=None, description="Log-likelihood.")
    aic: float | None = Field(default=None, description="AIC.")
    bic: float | None = Field(default=None, description="BIC.")
    m2: float | None = Field(default=None, description="Limited-information M2 statistic.")
    m2_type: str | None = Field(default=None, description="Which: `M2`, `M2*` or `C2`.")
    df: float | None = Field(default=None, description="Its degrees of freedom.")
    rmsea: float | None = Field(default=None, description="RMSEA of M2.")
    srmsr: float | None = Field(default=None, description="SRMSR.")
    cfi: float | None = Field(default=None, description="CFI.")
    rxx: float | None = Field(default=None, description="Marginal reliability of EAP-for-sums.")
    converged: bool | None = Field(default=None, description="Whether EM converged.")


class IRTTarget(_Model):
    """The range a short form or subset must measure well, and the information it needs there.

    Give `theta` (θ, reference population's SD units) or `score` (on the metric). The
    default threshold is PROMIS's: test information ≥ 10, i.e. SE ≤ 0.32 (reliability
    ≈ 0.9).
    """

    theta: list[float] | None = Field(
        default=None, min_length=2, max_length=2, description="[low, high] on θ."
    )
    score: list[float] | None = Field(
        default=None, min_length=2, max_length=2, description="[low, high] on the metric."
    )
    min_information: float = Field(
        default=10.0, gt=0, description="Test information required over the range."
    )
    source: str | None = Field(
        default="PROMIS: information ≥ 10 (SE ≤ 0.32, reliability ≈ 0.9)",
        description="Where the threshold comes from.",
    )

    @model_validator(mode="after")
    def _one_range(self) -> IRTTarget:
        if (self.theta is None) == (self.score is None):
            raise PydanticCustomError("invalid-value",
                                      "a target gives exactly one of `theta` or `score`")
        lo, hi = self.theta or self.score or [0.0, 0.0]
        if not lo < hi:
            raise PydanticCustomError("invalid-value", "a target range is [low, high] with "
                                      "low < high; got [{lo}, {hi}]", {"lo": lo, "hi": hi})
        return self


class Calibration(_Model):
    """How a bank's `irt` parameters were estimated, on whom, and the metric scores use."""

    sample: CalibrationSample = Field(description="The calibration sample.")
    population: Text | None = Field(
        default=None, description="The reference population (θ ~ N(0, 1) in it)."
    )
    date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                             description="Date of calibration, YYYY-MM-DD.")
    software: str | None = Field(default=None, description="Software, e.g. `measurelib`.")
    version: str | None = Field(default=None, description="Its version.")
    method: str | None = Field(
        default=None, description="Estimation, e.g. `MML-EM, 61 quadrature points`."
    )
    fit: list[CalibrationFit] = Field(default_factory=list, description="Fit per trait.")
    metric: Metric = Field(default_factory=Metric, description="The reported metric.")
    target: IRTTarget | None = Field(
        default=None, description="The range subsets must measure well (checked by lint)."
    )
    subset_of: str | None = Field(
        default=None, description="Set by `measurelib build`: the bank (`id@version`) this "
        "measure keeps a subset of, on the bank's metric."
    )
    notes: Text | None = Field(default=None, description="Anything else users must know.")
    references: list[Reference] = Field(default_factory=list, description="Sources.")


class CATStop(_Model):
    """When an adaptive test stops (θ units: the reference population's SDs)."""

    se: float | None = Field(default=None, gt=0, description="Stop when SE(θ) is below.")
    min_items: int = Field(default=1, ge=1, description="Ask at least this many questions.")
    max_items: int | None = Field(default=None, ge=1, description="Ask at most this many.")
    se_change: float | None = Field(
        default=None, gt=0, description="Stop when an answer changes SE(θ) by less than this."
    )


class ScoreCAT(_Model):
    """Administer a `method: irt` score as an adaptive test (CAT): one question at a time,
    each chosen from the calibrated items for what is known so far, until a stopping rule
    is met. The score is the final EAP θ and its SE on the bank's metric.
    """

    select: Literal["MFI", "MEPV", "KL"] = Field(
        default="MFI",
        description="Item selection: maximum Fisher information at the estimate (`MFI`), "
        "minimum expected posterior variance (`MEPV`) or Kullback–Leibler (`KL`).",
    )
    stop: Literal["promis", "promis-recommended", "promis-pediatric"] | CATStop = Field(
        default="promis",
        description="A published stopping rule (`promis`: 4–12 questions, SE < 0.3; "
        "`promis-recommended`: also stops when the SE changes by < 0.01, at most 8; "
        "`promis-pediatric`: 5–12, SE < 0.4) or your own.",
    )
    exposure: Literal["none", "randomesque"] = Field(
        default="none", description="`randomesque`: pick at random among the 5 best "
        "questions, so that the same few are not asked of everyone.",
    )
    start_theta: float = Field(default=0.0, description="θ used to choose the first question.")


class ScoreIRT(_Model):
    """Options of a `method: irt` score."""

    estimator: Literal["EAP", "EAP_sum"] = Field(
        default="EAP",
        description="`EAP` (from the answer pattern; skipped answers allowed) or `EAP_sum` "
        "(from the summed score, as the printed conversion table; rows with a skipped "
        "answer get their pattern EAP).",
    )
    se: bool = Field(default=True, description="Write the standard error as `<score>_se`.")
    trait: str | None = Field(default=None, description="The trait scored, in multi-trait banks.")
    cat: ScoreCAT | None = Field(
        default=None, description="Administer adaptively on the service's web form and "
        "through FHIR `Questionnaire/$next-question` (the score's items are the pool)."
    )


RespondentVariant = Literal["proxy", "easy_read", "telephone", "assisted"]


class Item(_Model):
    """One question."""

    id: Id = Field(description="Stable id; also the response column name.")
    text: Text | None = Field(
        default=None,
        description="The question. Omit only when the licence forbids redistributing the "
        "text (it then comes from the user's overlay).",
    )
    scale: str = Field(description="Id of a scale under `scales:`.")
    reverse: bool = Field(default=False, description="Reverse-score (max + min − value).")
    recode: dict[Number, Number] | None = Field(
        default=None,
        description="Per-item recode of the stored answer before scoring, e.g. PROMIS Global07r "
        "`{0: 5, 1: 4, 2: 4, 3: 4, 4: 3, ...}`; values not listed are scored as given. Applied "
        "before `reverse` (which then uses the recoded minimum and maximum).",
    )
    tags: list[str] = Field(default_factory=list, description="Tags (subscales, domains).")
    code: str | None = Field(
        default=None, description="Short code printed on paper forms for data entry (default: id)."
    )
    required: bool = Field(default=False, description="The form insists on an answer.")
    recall: Recall | None = Field(default=None, description="Overrides the measure's recall.")
    graphic: str | None = Field(default=None, description="A picture shown with the question.")
    alt: Text | None = Field(default=None, description="Text alternative for `graphic`.")
    variants: dict[RespondentVariant, Text] = Field(
        default_factory=dict,
        description="Wording for other respondents or modes: `proxy` (carer answering for "
        "the person), `easy_read`, `telephone` (read aloud), `assisted`.",
    )
    source: Provenance | None = Field(default=None, description="Provenance when borrowed.")
    follow_up: list[FollowUp] = Field(
        default_factory=list, description="Questions asked after this one."
    )
    personalised: Personalised | None = Field(
        default=None, description="The person writes this item themselves (e.g. goals)."
    )
    codes: list[Code] = Field(default_factory=list, description="Terminology codes.")
    help: Text | None = Field(default=None, description="Extra help shown under the question.")
    irt: ItemIRT | None = Field(
        default=None, description="IRT parameters, when the item belongs to a calibrated bank."
    )

    def columns(self) -> list[str]:
        """Response columns this item stands for (personalised items expand)."""
        if self.personalised is None:
            return [self.id]
        return [f"{self.id}_{i}" for i in range(1, self.personalised.max_count + 1)]


# ----------------------------------------------------------------------------- scores
class MissingPolicy(_Model):
    """How many answers may be missing, and whether the score is prorated."""

    max_missing: int = Field(default=0, ge=0, description="Most items that may be missing.")
    prorate: bool = Field(
        default=False,
        description="Scale a sum up to the full item count: sum × n_items / n_answered.",
    )
    round_prorated: bool = Field(
        default=False, description="Round a prorated sum half up to a whole number."
    )


class LinearTransform(_Model):
    """``value × multiply + add`` (applied after the raw score)."""

    multiply: Number = Field(default=1, description="Multiplier.")
    add: Number = Field(default=0, description="Added after multiplying.")


class Transform(_Model):
    """A conversion of the raw score: a lookup table or a linear rescaling."""

    table: str | dict[Number, Number] | None = Field(
        default=None,
        description="Lookup raw → converted, inline or the name of a table under `tables:`.",
    )
    linear: LinearTransform | None = Field(default=None, description="A linear rescaling.")
    decimals: int | None = Field(default=None, ge=0, le=6, description="Round the result.")

    @model_validator(mode="after")
    def _exactly_one(self) -> Transform:
        if (self.table is None) == (self.linear is None):
            raise PydanticCustomError(
                "invalid-value", "a transform has exactly one of `table` or `linear`"
            )
        return self


class Band(_Model):
    """A labelled range of a score; bands are listed from low to high scores.

    A band covers ``min ≤ score ≤ max``. An omitted ``min`` starts just above the previous
    band's ``max``; an omitted ``max`` is open upwards (only on the last band).
    """

    label: Text = Field(description="Name of the band, e.g. `Mild`.")
    min: Number | None = Field(default=None, description="Lowest score in the band (inclusive).")
    max: Number | None = Field(default=None, description="Highest score in the band (inclusive).")
    advice: Text | None = Field(default=None, description="Plain-language advice for feedback.")
    severity: Literal["none", "low", "moderate", "high", "severe"] | None = Field(
        default=None, description="Severity level, used for colours and sorting in reports."
    )


class CutOff(_Model):
    """A clinical cut-off: the boundary of the clinical ('case') range."""

    value: Number = Field(description="The cut-off score.")
    clinical: Literal["ge", "gt", "le", "lt"] = Field(
        description="The clinical range is score ≥ (ge), > (gt), ≤ (le) or < (lt) value."
    )
    label: Text | None = Field(default=None, description="e.g. `Caseness`.")
    source: str | None = Field(default=None, description="Where the cut-off is published.")


class ReliableChange(_Model):
    """Reliable-change criterion: a threshold in score points, or what gives one.

    With ``reliability`` and ``sd`` the Jacobson & Truax threshold is
    ``1.96 × sd × sqrt(2 × (1 − reliability))``.
    """

    threshold: Number | None = Field(
        default=None, gt=0, description="Smallest change in points that counts as reliable."
    )
    reliability: float | None = Field(
        default=None, gt=0, lt=1, description="Reliability (e.g. alpha or test-retest) of the score."
    )
    sd: float | None = Field(default=None, gt=0, description="Reference standard deviation.")
    source: str | None = Field(default=None, description="Where the figures come from.")

    @model_validator(mode="after")
    def _something(self) -> ReliableChange:
        if self.threshold is None and (self.reliability is None or self.sd is None):
            raise PydanticCustomError(
                "missing-field", "reliable_change needs `threshold`, or `reliability` and `sd`"
            )
        return self


class ValueSet(_Model):
    """A preference-based value set (e.g. EQ-5D-5L index) named and versioned."""

    id: str = Field(description="Value set id, e.g. `uk_crosswalk_vanhout2012`.")
    version: str = Field(description="Version of the value set.")
    title: Text | None = Field(default=None, description="Name shown in reports.")
    source: str | None = Field(default=None, description="Citation of the value set.")
    constant: Number = Field(default=0, description="Value added to the sum of decrements.")
    decrements: dict[str, dict[Number, Number]] = Field(
        default_factory=dict, description="Per item, the decrement for each level."
    )
    table: str | None = Field(
        default=None, description="Name of a full state → value table under `tables:`."
    )


ScoreItems = Union[Literal["all"], list[str], dict[Literal["tags"], list[str]]]


class ScoreRule(_Model):
    """How a score is computed from items."""

    id: Id = Field(description="Score id; also the output column name.")
    title: Text | None = Field(default=None, description="Name shown in reports.")
    items: ScoreItems = Field(
        description="`all`, a list of item ids, or `{tags: [...]}` for items with any of the tags."
    )
    method: Literal["sum", "mean", "weighted_sum", "value_set", "irt"] = Field(
        default="sum",
        description="`sum`, `mean` (of answered items), `weighted_sum` (with `weights`), "
        "`value_set` (a preference-based index, with `value_set`) or `irt` (on the "
        "calibrated bank's metric from the items' `irt` blocks, with a standard error).",
    )
    irt: ScoreIRT | None = Field(default=None, description="Options of `method: irt`.")
    weights: dict[str, Number] | None = Field(
        default=None, description="Weight per item for `weighted_sum`."
    )
    value_set: ValueSet | None = Field(default=None, description="For `method: value_set`.")
    missing: MissingPolicy = Field(
        default_factory=MissingPolicy, description="Missing-answer policy (default: none missing)."
    )
    transform: Transform | None = Field(
        default=None, description="Conversion of the raw score (lookup table or linear)."
    )
    bands: list[Band] = Field(
        default_factory=list, description="Labelled ranges, from the lowest score to the highest."
    )
    higher_is_better: bool | None = Field(
        default=None, description="Direction; required for change analysis."
    )
    reliable_change: ReliableChange | None = Field(
        default=None, description="Reliable-change criterion; a number is a threshold in points."
    )
    clinical_cutoff: CutOff | None = Field(
        default=None, description="Boundary of the clinical range, for recovery analysis."
    )
    decimals: int | None = Field(default=None, ge=0, le=6, description="Display precision.")
    codes: list[Code] = Field(default_factory=list, description="Terminology codes of the score.")
    references: list[Reference] = Field(
        default_factory=list, description="Sources of the scoring rules, bands and cut-offs."
    )

    @field_validator("reliable_change", mode="before")
    @classmethod
    def _rc_number(cls, v: Any) -> Any:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return {"threshold": v}
        return v


class Alert(_Model):
    """A rule that raises a flagged alert, e.g. any answer above 0 on a self-harm item."""

    id: Id = Field(description="Alert id.")
    when: Condition = Field(description="When the alert fires; see Conditions.")
    text: Text = Field(description="What the worker is told.")
    severity: Literal["info", "warning", "urgent"] = Field(
        default="urgent", description="How quickly the worker must act."
    )


# ----------------------------------------------------------------------------- composition
class Permission(_Model):
    """A recorded permission from a licence holder for something the licence forbids."""

    granted_by: str = Field(description="Who granted the permission.")
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="ISO date, YYYY-MM-DD.")
    reference: str | None = Field(default=None, description="Letter, e-mail or licence number.")
    scope: str | None = Field(default=None, description="What the permission covers.")


class ItemSelection(_Model):
    """How a short form's items were chosen from a calibrated bank (written by
    `measurelib shortform`; kept in the built measure's lock).
    """

    method: str = Field(
        default="maximum test information integrated over the target",
        description="The selection criterion.",
    )
    n_items: int = Field(ge=1, description="Number of items chosen.")
    target: IRTTarget | None = Field(
        default=None, description="The range the items were chosen to measure well, on θ "
        "and on the metric (none: the bank's whole reference population)."
    )
    constraints: dict[str, list[int]] = Field(
        default_factory=dict, description="Item counts per tag, `{tag: [min, max]}`."
    )
    trait: str | None = Field(default=None, description="The trait, in a multi-trait bank.")
    reliability: float | None = Field(
        default=None, description="Marginal reliability of the short form's summed-score "
        "table."
    )
    software: str | None = Field(default=None, description="Software, e.g. `measurelib`.")
    version: str | None = Field(default=None, description="Its version.")
    date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                             description="Date of selection, YYYY-MM-DD.")


class ComposeEntry(_Model):
    """Items pulled from a bank or another measure: ``from: <id>@<version>`` or a path."""

    from_: str = Field(alias="from", description="`<catalog id>@<version>` or a relative path.")
    items: Literal["all"] | list[str] = Field(default="all")
    rename: dict[str, str] = Field(default_factory=dict, description="Old id → new id.")
    permission: Permission | None = None
    scores: bool = Field(
        default=False, description="Take the source's score rules (only when taken whole)."
    )
    prefix: str | None = Field(
        default=None, pattern=r"^[a-z][a-z0-9_]*$", max_length=32,
        description="Put this before every item id taken (e.g. `phq_`), to avoid id clashes.",
    )
    text: dict[str, Text] = Field(
        default_factory=dict,
        description="New wording per source item id (a rewording: the licence must allow it).",
    )
    rescale: dict[str, str] = Field(
        default_factory=dict,
        description="Source item id → id of a scale under this measure's `scales:` "
        "(a re-scaling: the licence must allow it).",
    )
    overlay: str | None = Field(
        default=None,
        description="Path of a local overlay file holding the licensed item text of a source "
        "whose licence forbids redistributing it (see docs/licences.md).",
    )
    selection: ItemSelection | None = Field(
        default=None, description="How the items were chosen from a calibrated bank "
        "(`measurelib shortform` writes it; `build` keeps it in the lock and checks the "
        "short form over its target)."
    )


class LockedSource(_Model):
    """One source of a built measure: what was used, its hash, and its licence obligations."""

    id: str = Field(description="Source id.")
    version: str = Field(description="Source version.")
    sha256: str = Field(description="Hash of the source's canonical JSON form.")
    path: str | None = Field(default=None, description="Path it was read from, if a file.")
    title: Text | None = Field(default=None, description="Title of the source.")
    items: list[str] = Field(default_factory=list, description="Source item ids taken.")
    use: str | None = Field(
        default=None, description="What the built measure does with the source, in words."
    )
    licence: Licence | None = Field(default=None, description="The source's licence.")
    status: Literal["ok", "permission"] = Field(
        default="ok",
        description="`ok`: the use is within the licence; `permission`: it relies on a "
        "recorded permission.",
    )
    permission: Permission | None = Field(default=None, description="The permission relied on.")
    obligations: list[str] = Field(
        default_factory=list,
        description="What users of the built measure must do (register, pay, attribute, ...).",
    )
    selection: ItemSelection | None = Field(
        default=None, description="How the items were chosen (from the composer's entry)."
    )


class Lock(_Model):
    """Written by `measurelib build`: versions and content hashes of every source."""

    sources: list[LockedSource] = Field(default_factory=list, description="Every source used.")
    sha256: str = Field(description="Hash of the built measure itself (without this block).")
    measurelib: str | None = Field(default=None, description="measurelib version that built it.")


# ----------------------------------------------------------------------------- measure
#: A timepoint label: lowercase, starting with a letter (as schedules require).
TIMEPOINT_PATTERN = r"^[a-z][a-z0-9_-]*$"
#: The timepoints of a measure that declares none (and of the change figures' defaults).
DEFAULT_TIMEPOINTS = ("baseline", "review", "exit")


class Measure(_Model):
    """A measure (questionnaire), item bank or battery."""

    _origin: Origin | None = PrivateAttr(default=None)
    _item_index: tuple[list[Item], dict[str, Item]] | None = PrivateAttr(default=None)

    format: int = Field(description="Version of this file format; currently 1.")
    id: str = Field(
        pattern=MEASURE_ID_PATTERN, max_length=64,
        description="Stable id: lowercase letters, digits and `-`.",
    )
    version: str = Field(pattern=SEMVER_PATTERN, description="Semantic version, e.g. 1.2.0.")
    kind: Literal["measure", "bank", "battery"] = Field(
        default="measure",
        description="`bank`: a collection of items to compose from; `battery`: whole measures "
        "on one form, each keeping its own scores.",
    )
    title: Text = Field(description="Full title, as printed on forms and reports.")
    short_title: Text | None = Field(default=None, description="Short name, e.g. `PHQ-9`.")
    description: Text | None = Field(default=None, description="What the measure measures.")
    language: LangCode = Field(default="en", description="Language of plain-string texts.")
    languages: list[LangCode] | None = Field(
        default=None,
        description="All languages the measure is available in; every text map must have each.",
    )
    instructions: Text | None = Field(
        default=None, description="Instructions shown before the items."
    )
    recall: Recall | None = Field(default=None, description="The recall period asked about.")
    purpose: Purpose | None = Field(
        default=None, description="Why it is asked, who sees it, how it is used (on forms)."
    )
    validation: ValidationStatus | None = Field(
        default=None, description="How far the measure has been tested (on forms and reports)."
    )
    licence: Licence = Field(description="The terms of use; every definition needs one.")
    respondents: list[Literal["self", "proxy"]] = Field(
        default_factory=lambda: ["self"],  # type: ignore[arg-type]
        description="Who may answer: the person, or a proxy."
    )
    population: Text | None = Field(default=None, description="Who the measure is for.")
    timepoints: list[Annotated[str, StringConstraints(pattern=TIMEPOINT_PATTERN,
                                                      max_length=64)]] | None = Field(
        default=None, min_length=1,
        description="The timepoints at which the measure is asked (e.g. `[baseline, review, "
        "exit]`): forms and entry sheets offer exactly these, and an import refuses any other "
        "label. A service's schedule, when stored, takes precedence. Default: baseline, "
        "review, exit.",
    )
    profile: bool = Field(
        default=False, description="Scored item by item with no total (e.g. ONS4)."
    )
    codes: list[Code] = Field(
        default_factory=list, description="Terminology codes for the measure (e.g. LOINC panel)."
    )
    references: list[Reference] = Field(
        default_factory=list, description="Sources: papers, manuals, licence pages."
    )
    scales: dict[str, Scale] = Field(
        default_factory=dict, description="Response scales by id; items refer to them."
    )
    tables: dict[str, LookupTable] = Field(
        default_factory=dict,
        description="Named lookup tables for transforms and value sets: inline `key: value` "
        "pairs, or `{file: table.csv}`, a CSV file beside the definition read when it is "
        "loaded (header row; the first column is the key and the second the value, or name "
        "them with `key:` and `value:`).",
    )
    items: list[Item] = Field(default_factory=list, description="The questions, in form order.")
    scores: list[ScoreRule] = Field(
        default_factory=list, description="Score rules; the first is the primary score."
    )
    alerts: list[Alert] = Field(
        default_factory=list, description="Rules that flag answers needing action (e.g. risk)."
    )
    compose: list[ComposeEntry] = Field(
        default_factory=list, description="Items taken from banks or other measures."
    )
    order: list[str] | None = Field(
        default=None,
        description="Form order of a composed measure: item ids, or a compose entry's `from` "
        "(or its source id) standing for all its items. Default: composed items first, in "
        "compose order, then the measure's own items.",
    )
    attributions: list[Text] = Field(
        default_factory=list,
        description="Attribution lines of every source, collected by `measurelib build`; "
        "forms print them all.",
    )
    lock: Lock | None = Field(
        default=None, description="Written by `measurelib build`; do not edit by hand."
    )
    calibration: Calibration | None = Field(
        default=None, description="How the items' `irt` parameters were calibrated, and the "
        "metric `method: irt` scores report (see docs/irt.md)."
    )

    @field_validator("timepoints")
    @classmethod
    def _unique_timepoints(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and len(set(v)) != len(v):
            dup = sorted({t for t in v if v.count(t) > 1})
            raise PydanticCustomError("duplicate-id", "timepoint {dup} is listed twice",
                                      {"dup": ", ".join(dup)})
        return v

    @property
    def timepoint_ids(self) -> tuple[str, ...]:
        """The declared timepoints, or :data:`DEFAULT_TIMEPOINTS` when none are declared."""
        return tuple(self.timepoints) if self.timepoints else DEFAULT_TIMEPOINTS

    @field_validator("format")
    @classmethod
    def _format(cls, v: int) -> int:
        if v != 1:
            raise PydanticCustomError(
                "unsupported-format", "format {v} is not supported; this version reads format 1",
                {"v": v},
            )
        return v

    @field_validator("scales")
    @classmethod
    def _scale_ids(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key in v:
            if not re.match(ID_PATTERN, key):
                raise PydanticCustomError(
                    "invalid-id", "scale id {key!r} must be lowercase letters, digits, `_` or `-`",
                    {"key": key},
                )
        return v

    @model_validator(mode="after")
    def _cross_references(self) -> Measure:
        problems = [d for d in check_measure(self) if d.severity == "error"]
        if problems:
            raise DefinitionError(problems)
        return self

    # ------------------------------------------------------------------ origin
    @property
    def origin(self) -> Origin | None:
        """Where the measure was read from (file, parsed document), or None."""
        return self._origin

    @property
    def folder(self) -> Path | None:
        """The folder that files named in the definition are relative to, or None."""
        o = self._origin
        if o is None:
            return None
        return o.folder or (o.path.parent if o.path is not None else None)

    def with_origin(self, origin: Origin | None) -> Measure:
        """The same measure, remembering that it was read from ``origin``."""
        copy = self.model_copy()
        copy._origin = origin
        return copy

    def __eq__(self, other: object) -> bool:
        """Measures are equal when their fields are; where they were read from does not count."""
        if not isinstance(other, BaseModel):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ conveniences
    @property
    def all_languages(self) -> list[str]:
        """Every language the measure is available in (its own first)."""
        return list(self.languages) if self.languages else [self.language]

    def item(self, item_id: str) -> Item:
        """The item with id ``item_id`` (the first, if a faulty definition repeats it).

        Looked up in an index built on first use, so checks over many items stay linear.
        """
        index = self._index()
        if item_id not in index:
            raise KeyError(item_id)
        return index[item_id]

    def _index(self) -> dict[str, Item]:
        # Kept with the list it indexes: a copy with other items (model_copy(update=...))
        # must not reuse it.
        private = self.__pydantic_private__
        cached = private.get("_item_index") if private is not None else None
        if cached is not None and cached[0] is self.items:
            return cached[1]  # type: ignore[no-any-return]
        index: dict[str, Item] = {}
        for it in self.items:
            index.setdefault(it.id, it)
        if private is not None:
            private["_item_index"] = (self.items, index)
        return index

    def scale_of(self, item_id: str) -> Any:
        """The scale of an item."""
        return self.scales[self.item(item_id).scale]

    def score_rule(self, score_id: str) -> ScoreRule:
        """The score rule with id ``score_id``; raises KeyError if there is none."""
        for s in self.scores:
            if s.id == score_id:
                return s
        raise KeyError(score_id)

    def score_items(self, rule: ScoreRule) -> list[str]:
        """Item ids a score rule uses, in item order (personalised items are not expanded)."""
        if rule.items == "all":
            return [it.id for it in self.items
                    if it.scale in self.scales and self.scales[it.scale].is_numeric]
        if isinstance(rule.items, dict):
            tags = set(rule.items.get("tags", []))
            return [it.id for it in self.items if tags & set(it.tags)]
        return list(rule.items)

    def score_columns(self, rule: ScoreRule) -> list[str]:
        """Response columns a score rule uses (personalised items expanded)."""
        cols: list[str] = []
        for item_id in self.score_items(rule):
            cols.extend(self.item(item_id).columns())
        return cols

    def response_columns(self) -> list[str]:
        """Every response column of the measure, in order, with follow-ups and goal texts."""
        cols: list[str] = []
        for it in self.items:
            for col in it.columns():
                cols.append(col)
                if it.personalised is not None:
                    cols.append(f"{col}_text")
            cols.extend(f"{it.id}_{fu.id}" for fu in it.follow_up)
        return cols

    @property
    def primary_score(self) -> ScoreRule | None:
        """The first score rule: the measure's primary score."""
        return self.scores[0] if self.scores else None

    def score_range(self, rule: ScoreRule | str) -> tuple[float, float]:
        """Lowest and highest value the score can take (after any transform)."""
        if isinstance(rule, str):
            rule = self.score_rule(rule)
        return _score_range(self, rule)

    def direction(self, lang: str | None = None) -> Literal["ltr", "rtl"]:
        """The text direction of ``lang`` (default: the measure's language): ``ltr`` or ``rtl``."""
        code = (lang or self.language).split("-")[0]
        return "rtl" if code in RTL_LANGUAGES else "ltr"

    def text(self, value: Text | None, lang: str | None = None) -> str | None:
        """A text in ``lang`` (default: the measure's language)."""
        return text_in(value, lang or self.language, self.language)

    def to_dict(self) -> dict[str, Any]:
        """The definition as plain data (defaults left out), ready for YAML or JSON."""
        return self.model_dump(mode="json", by_alias=True, exclude_defaults=True)

    def to_yaml(self) -> str:
        """The definition as YAML that :func:`measurelib.loads` reads back to an equal model."""
        return dump_yaml(self.to_dict())

    # Stage methods: implemented in their own modules, loaded on first use.
    def score(self, data: Any, **kwargs: Any) -> Any:
        """Score response data; see :func:`measurelib.scoring._score.score`."""
        from measurelib.scoring import score

        return score(self, data, **kwargs)

    def render(self, fmt: str = "html", path: Any = None, **kwargs: Any) -> Any:
        """Render a form; see :func:`measurelib.forms._render.render`."""
        from measurelib.forms import render

        return render(self, fmt, path, **kwargs)
