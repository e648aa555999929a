"""Agreement and stability: intraclass correlations, test–retest, convergent validity.

The ICCs are those of R's ``psych::ICC`` (Shrout & Fleiss 1979 forms, McGraw & Wong 1996
confidence intervals); correlations follow ``psych::corr.test``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

from measurelib._results import Result
from measurelib.errors import DataError, Diagnostic, Location, SmallSampleWarning
from measurelib.psychometrics._reliability import (
    _as_frame,
    _check_choice,
    _numeric_block,
    _simulated,
)

__all__ = [
    "CorrelationResult",
    "ICCResult",
    "TestRetestResult",
    "convergent_validity",
    "icc",
    "test_retest",
]

# Names of the six forms: Shrout & Fleiss (1979) code, McGraw & Wong (1996) code and the
# plain description Koo & Li (2016) recommend reporting.
_FORMS: list[tuple[str, str, str, str]] = [
    ("ICC1", "ICC(1,1)", "ICC(1)", "one-way random effects, absolute agreement, single rater"),
    ("ICC2", "ICC(2,1)", "ICC(A,1)", "two-way random effects, absolute agreement, single rater"),
    ("ICC3", "ICC(3,1)", "ICC(C,1)", "two-way mixed effects, consistency, single rater"),
    ("ICC1k", "ICC(1,k)", "ICC(k)",
     "one-way random effects, absolute agreement, mean of k raters"),
    ("ICC2k", "ICC(2,k)", "ICC(A,k)",
     "two-way random effects, absolute agreement, mean of k raters"),
    ("ICC3k", "ICC(3,k)", "ICC(C,k)", "two-way mixed effects, consistency, mean of k raters"),
]


def koo_li_band(value: float) -> str:
    """Koo & Li (2016) band: poor < .5 ≤ moderate < .75 ≤ good < .9 ≤ excellent."""
    if value != value:  # NaN
        return "undefined"
    if value < 0.5:
        return "poor"
    if value < 0.75:
        return "moderate"
    if value < 0.9:
        return "good"
    return "excellent"


class ICCResult(Result):
    """The six Shrout & Fleiss intraclass correlations, one row per form in ``table``."""

    table: Any
    n: int
    n_raters: int
    n_rows: int
    n_excluded: int
    excluded_rows: list[int]
    columns: list[str]
    ci_level: float
    icc_method: str
    mean_squares: dict[str, float]
    simulated: bool
    warnings: list[str]
    method: str = "icc"

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        return self.table.reset_index()

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data: the JSON document that ``--format json`` prints."""
        out = super().to_dict()
        if self.simulated:
            out["note"] = "computed on simulated data"
        return out

    def __getitem__(self, form: str) -> float:
        """ICC estimate of one form, e.g. ``res["ICC2"]``."""
        return float(self.table.loc[form, "icc"])

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        lines = [f"Intraclass correlations: n = {self.n} subjects, k = {self.n_raters} "
                 f"raters/occasions" + (f" ({self.n_excluded} incomplete rows not used)"
                                        if self.n_excluded else "")]
        for form, row in self.table.iterrows():
            lines.append(
                f"{form:<6} {row['icc']:.3f} [{row['ci_lower']:.3f}, {row['ci_upper']:.3f}]  "
                f"{row['koo_li']:<9} {row['description']}")
        lines.append("bands (Koo & Li 2016, judge by the CI): <.50 poor, .50–.75 moderate, "
                     ".75–.90 good, >.90 excellent")
        if self.simulated:
            lines.append("note: computed on simulated data")
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def _reml_mean_squares(ss: dict[str, float], df: dict[str, int]) -> dict[str, float]:
    r"""Expected mean squares under REML for the balanced two-way random model.

    The REML likelihood of balanced data factorises into independent scaled chi-squares
    for the subject, rater and residual sums of squares, with expectations
    :math:`\theta_B = k\sigma^2_s + \sigma^2_e \ge \theta_E`,
    :math:`\theta_J = n\sigma^2_r + \sigma^2_e \ge \theta_E` and
    :math:`\theta_E = \sigma^2_e`. Without a violated constraint the estimates are the
    mean squares; a mean square below the residual one is pooled with it (weighted by
    degrees of freedom), which is where lme4 puts a zero variance component.
    """
    pooled_ss, pooled_df = ss["E"], df["E"]
    pooled = {"E"}
    for name in sorted(("B", "J"), key=lambda g: ss[g] / df[g]):
        if ss[name] / df[name] < pooled_ss / pooled_df:
            pooled_ss += ss[name]
            pooled_df += df[name]
            pooled.add(name)
    theta_e = pooled_ss / pooled_df
    return {g: (theta_e if g in pooled else ss[g] / df[g]) for g in ("B", "J", "E")}


def _icc_core(Y: Any, ci_level: float,
              method: str = "anova") -> tuple[Any, dict[str, float]]:
    """Six ICCs of a complete n × k matrix: psych::ICC with lmer = FALSE ("anova"), or
    its default REML variance components ("reml").
    """
    import numpy as np
    import pandas as pd
    from scipy import stats

    n, k = Y.shape
    grand = Y.mean()
    row_m = Y.mean(axis=1)
    col_m = Y.mean(axis=0)
    ss_rows = k * float(((row_m - grand) ** 2).sum())
    ss_cols = n * float(((col_m - grand) ** 2).sum())
    ss_tot = float(((Y - grand) ** 2).sum())
    ss_err = ss_tot - ss_rows - ss_cols
    df_b, df_j, df_e = n - 1, k - 1, (n - 1) * (k - 1)
    ss_err = max(ss_err, 0.0)
    if method == "reml":
        th = _reml_mean_squares({"B": ss_rows, "J": ss_cols, "E": ss_err},
                                {"B": df_b, "J": df_j, "E": df_e})
        MSB, MSJ, MSE = np.float64(th["B"]), np.float64(th["J"]), np.float64(th["E"])
        # psych: MSW = error + rater variance = MSE + (MSJ - MSE) / n
        MSW = np.float64(MSE + (MSJ - MSE) / n)
    else:
        MSB = np.float64(ss_rows / df_b)
        MSJ = np.float64(ss_cols / df_j)
        MSE = np.float64(ss_err / df_e)
        MSW = np.float64((ss_cols + ss_err) / (df_j + df_e))
    a = 1 - ci_level
    with np.errstate(all="ignore"):
        icc1 = (MSB - MSW) / (MSB + (k - 1) * MSW)
        icc2 = (MSB - MSE) / (MSB + (k - 1) * MSE + k * (MSJ - MSE) / n)
        icc3 = (MSB - MSE) / (MSB + (k - 1) * MSE)
        icc1k = (MSB - MSW) / MSB
        icc2k = (MSB - MSE) / (MSB + (MSJ - MSE) / n)
        icc3k = (MSB - MSE) / MSB
        F11 = MSB / MSW
        df11n, df11d = n - 1, n * (k - 1)
        F21 = MSB / MSE
        df21n, df21d = n - 1, (n - 1) * (k - 1)
        p11 = float(stats.f.sf(F11, df11n, df11d))
        p21 = float(stats.f.sf(F21, df21n, df21d))
        F1L = F11 / stats.f.ppf(1 - a / 2, df11n, df11d)
        F1U = F11 * stats.f.ppf(1 - a / 2, df11d, df11n)
        F3L = F21 / stats.f.ppf(1 - a / 2, df21n, df21d)
        F3U = F21 * stats.f.ppf(1 - a / 2, df21d, df21n)
        L1, U1 = (F1L - 1) / (F1L + k - 1), (F1U - 1) / (F1U + k - 1)
        L3, U3 = (F3L - 1) / (F3L + k - 1), (F3U - 1) / (F3U + k - 1)
        L1k, U1k = 1 - 1 / F1L, 1 - 1 / F1U
        L3k, U3k = 1 - 1 / F3L, 1 - 1 / F3U
        # ICC(2,1): Satterthwaite degrees of freedom (McGraw & Wong 1996, eq. A.3)
        Fj = MSJ / MSE
        vn = (k - 1) * (n - 1) * (k * icc2 * Fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
        vd = (n - 1) * k**2 * icc2**2 * Fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
        v = vn / vd
        FU = stats.f.ppf(1 - a / 2, n - 1, v)
        FL = stats.f.ppf(1 - a / 2, v, n - 1)
        L2 = n * (MSB - FU * MSE) / (FU * (k * MSJ + (k * n - k - n) * MSE) + n * MSB)
        U2 = n * (FL * MSB - MSE) / (k * MSJ + (k * n - k - n) * MSE + n * FL * MSB)
        L2k = L2 * k / (1 + L2 * (k - 1))
        U2k = U2 * k / (1 + U2 * (k - 1))
    est = [icc1, icc2, icc3, icc1k, icc2k, icc3k]
    Fs = [F11, F21, F21, F11, F21, F21]
    d1 = [df11n, df21n, df21n, df11n, df21n, df21n]
    d2 = [df11d, df21d, df21d, df11d, df21d, df21d]
    ps = [p11, p21, p21, p11, p21, p21]
    lo = [L1, L2, L3, L1k, L2k, L3k]
    hi = [U1, U2, U3, U1k, U2k, U3k]
    table = pd.DataFrame(
        {
            "icc": [float(x) for x in est],
            "F": [float(x) for x in Fs],
            "df1": [float(x) for x in d1],
            "df2": [float(x) for x in d2],
            "p": ps,
            "ci_lower": [float(x) for x in lo],
            "ci_upper": [float(x) for x in hi],
            "shrout_fleiss": [f[1] for f in _FORMS],
            "mcgraw_wong": [f[2] for f in _FORMS],
            "description": [f[3] for f in _FORMS],
            "koo_li": [koo_li_band(float(x)) for x in est],
        },
        index=pd.Index([f[0] for f in _FORMS], name="type"),
    )
    ms = {"MSB": float(MSB), "MSJ": float(MSJ), "MSE": float(MSE), "MSW": float(MSW),
          "df_subjects": float(df_b), "df_raters": float(df_j), "df_residual": float(df_e)}
    return table, ms


def icc(
    data: Any,
    columns: Sequence[str] | None = None,
    *,
    ci_level: float = 0.95,
    method: Literal["anova", "reml"] = "anova",
) -> ICCResult:
    r"""Intraclass correlations: all six Shrout & Fleiss forms with F tests and CIs.

    Parameters
    ----------
    data : pandas.DataFrame or numpy.ndarray
        One row per subject (respondent), one column per rater or occasion (any number
        ≥ 2). Rows with a missing value are left out and reported (``excluded_rows``).
    columns : list of str, optional
        The rater/occasion columns (default: all).
    ci_level : float, default 0.95
        Confidence level.
    method : {"anova", "reml"}, default "anova"
        Mean squares from the two-way ANOVA (``psych::ICC(x, lmer = FALSE)``, SPSS,
        pingouin), or from REML variance components (``psych::ICC``'s default
        ``lmer = TRUE``). They differ only when a variance component would be negative,
        e.g. raters' (occasions') mean square below the residual one — common in
        test–retest data without systematic change — where REML sets it to zero.

    Returns
    -------
    ICCResult
        ``table`` indexed ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k with ``icc``, ``F``,
        ``df1``, ``df2``, ``p``, ``ci_lower``, ``ci_upper``, the Shrout & Fleiss and
        McGraw & Wong names, a plain description and the Koo & Li band.

    Notes
    -----
    From the two-way ANOVA of ``n`` subjects × ``k`` raters (mean squares for subjects
    :math:`MS_B`, raters :math:`MS_J`, residual :math:`MS_E`, within subjects
    :math:`MS_W`):

    .. math::

        ICC1 = \frac{MS_B - MS_W}{MS_B + (k-1)MS_W},\quad
        ICC2 = \frac{MS_B - MS_E}{MS_B + (k-1)MS_E + k(MS_J - MS_E)/n},\quad
        ICC3 = \frac{MS_B - MS_E}{MS_B + (k-1)MS_E},

    and the average-measure forms :math:`(MS_B - MS_W)/MS_B`,
    :math:`(MS_B - MS_E)/(MS_B + (MS_J - MS_E)/n)`, :math:`(MS_B - MS_E)/MS_B`. The F
    tests are :math:`MS_B/MS_W` on :math:`(n-1, n(k-1))` df and :math:`MS_B/MS_E` on
    :math:`(n-1, (n-1)(k-1))`; the intervals are those of Shrout & Fleiss (1979) and, for
    ICC2, McGraw & Wong's (1996) Satterthwaite approximation.

    Same numbers as ``psych::ICC(x, lmer = FALSE)``. With ``method="reml"`` the mean
    squares are the REML expectations of the balanced model, computed in closed form
    (a mean square below the residual one is pooled with it), which is what
    ``psych::ICC(x)`` (``lmer = TRUE``) estimates iteratively with lme4: the two agree to
    lme4's convergence tolerance (about 1e-5). psych with ``lmer = TRUE`` also uses
    incomplete rows; here they are reported and left out.
    ``pingouin.intraclass_corr`` gives the same estimates and uses the same formulas.

    References
    ----------
    .. [1] Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in
       assessing rater reliability. Psychological Bulletin, 86(2), 420–428.
    .. [2] McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass
       correlation coefficients. Psychological Methods, 1(1), 30–46.
    .. [3] Koo, T. K., & Li, M. Y. (2016). A guideline of selecting and reporting
       intraclass correlation coefficients for reliability research. Journal of
       Chiropractic Medicine, 15(2), 155–163.

    Examples
    --------
    >>> import pandas as pd
    >>> from measurelib.psychometrics import icc
    >>> sf = pd.DataFrame({"J1": [9, 6, 8, 7, 10, 6], "J2": [2, 1, 4, 1, 5, 2],
    ...                    "J3": [5, 3, 6, 2, 6, 4], "J4": [8, 2, 8, 6, 9, 7]})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # 6 subjects: a small-sample warning
    ...     res = icc(sf)
    >>> round(res["ICC2"], 2)
    0.29
    """
    import warnings as _w

    import numpy as np

    caller = "icc"
    _check_choice("method", method, ("anova", "reml"), caller)
    if not (isinstance(ci_level, float) and 0 < ci_level < 1):
        raise ValueError(f"{caller}(): parameter 'ci_level' must be a float between 0 and 1; "
                         f"got {ci_level!r}")
    frame = _as_frame(data, caller)
    cols = list(frame.columns) if columns is None else list(columns)
    if len(cols) < 2:
        raise DataError(Diagnostic("data-too-few-items",
                                   f"{len(cols)} rater/occasion column(s); at least 2 needed",
                                   "Pass two or more columns."), title="icc(): too few columns")
    Y = _numeric_block(frame, cols, caller)
    n_rows = Y.shape[0]
    bad = np.isnan(Y).any(axis=1)
    excluded = [int(i) + 2 for i in np.flatnonzero(bad)]  # spreadsheet row numbers
    Y = Y[~bad]
    n, k = Y.shape
    msgs: list[str] = []
    if n < 2:
        raise DataError(Diagnostic("data-too-few-respondents",
                                   f"{n} complete row(s); at least 2 are needed",
                                   "Each subject needs a value in every column."),
                        title="icc(): too few complete rows")
    if Y.std() == 0:
        raise DataError(Diagnostic("data-constant-item",
                                   "the ratings do not vary (all values are equal), so the ICC "
                                   "is 0/0",
                                   "An ICC needs variation between subjects and residual "
                                   "variation; report the agreement as perfect instead."),
                        title="icc(): ICC undefined")
    if excluded:
        msgs.append(f"{len(excluded)} of {n_rows} rows had a missing value and were not used "
                    f"(rows {', '.join(map(str, excluded[:20]))}"
                    + (", …)" if len(excluded) > 20 else ")"))
    if n < 30:
        text = (f"only {n} subjects: ICC confidence intervals are wide; Koo & Li (2016) "
                "recommend at least 30 subjects")
        msgs.append(text)
        _w.warn(text, SmallSampleWarning, stacklevel=2)
    table, ms = _icc_core(Y, ci_level, method)
    if np.all(Y.std(axis=1) == 0):
        # every subject got the same value from every rater: perfect agreement
        msgs.append("every subject has identical values in all columns: perfect agreement "
                    "(ICC = 1; F is infinite)")
        table[["icc", "ci_lower", "ci_upper"]] = 1.0
        table["p"] = 0.0
        table["koo_li"] = "excellent"
    return ICCResult(table=table, n=int(n), n_raters=int(k), n_rows=int(n_rows),
                     n_excluded=len(excluded), excluded_rows=excluded,
                     columns=[str(c) for c in cols], ci_level=ci_level, icc_method=method,
                     mean_squares=ms,
                     simulated=_simulated(frame), warnings=msgs)


# ----------------------------------------------------------------------------- test–retest
class TestRetestResult(Result):
    """Test–retest agreement of two administrations matched by id."""

    __test__ = False  # not a pytest test class

    icc: Any
    score: str
    n_pairs: int
    n_first: int
    n_second: int
    only_in_first: list[Any]
    only_in_second: list[Any]
    n_only_in_first: int
    n_only_in_second: int
    n_incomplete_pairs: int
    incomplete_ids: list[Any]
    mean_difference: float
    mean_difference_ci: tuple[float, float]
    sd_difference: float
    limits_of_agreement: tuple[float, float]
    lower_limit_ci: tuple[float, float]
    upper_limit_ci: tuple[float, float]
    sem: float
    item_icc: Any = None
    sdc: float
    ci_level: float
    simulated: bool
    warnings: list[str]
    method: str = "test_retest"

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        return self.icc.reset_index()

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data: the JSON document that ``--format json`` prints."""
        out = super().to_dict()
        if self.simulated:
            out["note"] = "computed on simulated data"
        return out

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        row = self.icc.loc["ICC2"]
        lo, hi = self.limits_of_agreement
        lines = [
            f"Test–retest of {self.score!r}: {self.n_pairs} matched pairs "
            f"({self.n_only_in_first} only in first, {self.n_only_in_second} only in second, "
            f"{self.n_incomplete_pairs} with a missing score)",
            f"ICC(A,1) = {row['icc']:.3f} [{row['ci_lower']:.3f}, {row['ci_upper']:.3f}] "
            f"({row['koo_li']}, Koo & Li 2016)",
            f"mean difference (second − first) = {self.mean_difference:.3f}; 95% limits of "
            f"agreement {lo:.3f} to {hi:.3f} (Bland & Altman)",
            f"SEM = {self.sem:.3f}; smallest detectable change = {self.sdc:.3f}",
        ]
        if self.simulated:
            lines.append("note: computed on simulated data")
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)


def _score_column(frame: Any, items: Any, id_column: str, caller: str, which: str) -> Any:
    import pandas as pd

    if isinstance(items, str):
        vals = _numeric_block(frame, [items], caller)[:, 0]
        return pd.Series(vals, index=frame.index), items
    if items is None:
        cols = [c for c in frame.columns if c != id_column and c != "simulated"]
        if len(cols) == 1:
            vals = _numeric_block(frame, cols, caller)[:, 0]
            return pd.Series(vals, index=frame.index), str(cols[0])
        items = cols
    block = _numeric_block(frame, list(items), caller)
    total = block.sum(axis=1)  # NaN if any item is missing: no silent prorating
    return pd.Series(total, index=frame.index), "sum of " + ", ".join(map(str, items))


def _item_icc(first: Any, second: Any, id_column: str, cols: list[Any], ids: list[Any],
              ci_level: float, caller: str) -> Any:
    """ICC(A,1) and ICC(C,1) of each item over the matched ids answering it both times."""
    import numpy as np
    import pandas as pd

    a = pd.DataFrame(_numeric_block(first, cols, caller), index=first[id_column].to_numpy())
    b = pd.DataFrame(_numeric_block(second, cols, caller), index=second[id_column].to_numpy())
    A = a.loc[ids].to_numpy(dtype=float)
    B = b.loc[ids].to_numpy(dtype=float)
    rows = []
    for j, c in enumerate(cols):
        ok = ~(np.isnan(A[:, j]) | np.isnan(B[:, j]))
        Y = np.column_stack([A[ok, j], B[ok, j]])
        row: dict[str, Any] = {"item": str(c), "n_pairs": int(ok.sum())}
        if ok.sum() >= 3 and Y.std() > 0 and not np.all(Y[:, 0] == Y[:, 1]):
            t, _ = _icc_core(Y, ci_level)
            for form, key in (("ICC2", "icc_agreement"), ("ICC3", "icc_consistency")):
                row[key] = float(t.loc[form, "icc"])
                row[key + "_lower"] = float(t.loc[form, "ci_lower"])
                row[key + "_upper"] = float(t.loc[form, "ci_upper"])
        elif ok.sum() >= 1 and np.all(Y[:, 0] == Y[:, 1]) and Y.std() > 0:
            for key in ("icc_agreement", "icc_consistency"):
                row[key] = row[key + "_lower"] = row[key + "_upper"] = 1.0
        row["mean_difference"] = float((Y[:, 1] - Y[:, 0]).mean()) if ok.any() else np.nan
        rows.append(row)
    return pd.DataFrame(rows).set_index("item")


def test_retest(
    first: Any,
    second: Any,
    id_column: str = "id",
    items: str | Sequence[str] | None = None,
    *,
    ci_level: float = 0.95,
    icc_method: Literal["anova", "reml"] = "anova",
) -> TestRetestResult:
    r"""Test–retest reliability of two administrations matched by id.

    Parameters
    ----------
    first, second : pandas.DataFrame
        The two administrations, one row per person, with an id column.
    id_column : str, default "id"
        Column identifying a person in both frames.
    items : str or list of str, optional
        A score column present in both frames, or item columns summed into a score (a
        person with any of them missing has no score and is reported). Default: the only
        other column, or the sum of all other columns.
    ci_level : float, default 0.95
        Confidence level.
    icc_method : {"anova", "reml"}, default "anova"
        Passed to :func:`icc` as ``method`` ("reml" reproduces ``psych::ICC``'s default).

    Returns
    -------
    TestRetestResult
        The six ICCs (:func:`icc` on the matched pairs), the ids found only in one
        administration and the pairs with a missing score (never silently dropped), the
        mean difference with Bland–Altman limits of agreement and their CIs, the standard
        error of measurement and the smallest detectable change. With item columns,
        ``item_icc`` gives each item's ICC(A,1) and ICC(C,1) with CIs over the matched
        people who answered it both times (items that do not vary have no ICC).

    Notes
    -----
    With :math:`d_i` = second − first, :math:`\bar d` and :math:`s_d`:

    .. math::

        \text{LoA} = \bar d \pm 1.96\, s_d,\qquad
        \bar d \pm t_{n-1}\, s_d/\sqrt n,\qquad
        \text{LoA} \pm t_{n-1}\, s_d \sqrt{3/n}

    (Bland & Altman 1986, 1999). SEM = :math:`s_d/\sqrt 2` and SDC =
    :math:`1.96\sqrt 2\,\text{SEM}` (de Vet et al. 2006). The ICCs equal
    ``psych::ICC(cbind(first, second), lmer = FALSE)`` on the matched complete pairs.

    References
    ----------
    .. [1] Bland, J. M., & Altman, D. G. (1986). Statistical methods for assessing
       agreement between two methods of clinical measurement. Lancet, 327(8476), 307–310.
    .. [2] Bland, J. M., & Altman, D. G. (1999). Measuring agreement in method comparison
       studies. Statistical Methods in Medical Research, 8(2), 135–160.
    .. [3] de Vet, H. C. W., Terwee, C. B., Knol, D. L., & Bouter, L. M. (2006). When to use
       agreement versus reliability measures. Journal of Clinical Epidemiology, 59(10),
       1033–1039.
    """
    import warnings as _w

    import numpy as np
    import pandas as pd
    from scipy import stats

    caller = "test_retest"
    _check_choice("icc_method", icc_method, ("anova", "reml"), caller)
    for name, fr in (("first", first), ("second", second)):
        if not isinstance(fr, pd.DataFrame):
            raise TypeError(f"{caller}(): parameter {name!r} must be a pandas DataFrame; got "
                            f"{type(fr).__name__}")
        if id_column not in fr.columns:
            raise ValueError(f"{caller}(): parameter 'id_column' is {id_column!r}, which is not "
                             f"a column of {name!r} (columns: {', '.join(map(str, fr.columns))})")
    if not (isinstance(ci_level, float) and 0 < ci_level < 1):
        raise ValueError(f"{caller}(): parameter 'ci_level' must be a float between 0 and 1; "
                         f"got {ci_level!r}")
    problems = []
    for name, fr in (("first", first), ("second", second)):
        dup = fr[id_column].duplicated(keep=False)
        for pos in np.flatnonzero(dup.to_numpy())[:20]:
            problems.append(Diagnostic(
                "data-duplicate-id",
                f"id {fr[id_column].iloc[pos]!r} occurs more than once in {name!r}",
                "Keep one row per person per administration.",
                Location(row=int(pos) + 2, field=id_column)))
        if fr[id_column].isna().any():
            pos = int(np.flatnonzero(fr[id_column].isna().to_numpy())[0])
            problems.append(Diagnostic("data-duplicate-id", f"a row of {name!r} has no id",
                                       "Give every row an id.",
                                       Location(row=pos + 2, field=id_column)))
    if problems:
        raise DataError(problems, title="test_retest(): the ids do not identify people")
    item_cols: list[Any] | None = None
    if not isinstance(items, str):
        cand = (list(items) if items is not None else
                [c for c in first.columns if c != id_column and c != "simulated"])
        item_cols = cand if len(cand) > 1 else None
    s1, label = _score_column(first, items, id_column, caller, "first")
    s2, _ = _score_column(second, items, id_column, caller, "second")
    a = pd.Series(s1.to_numpy(), index=first[id_column].to_numpy())
    b = pd.Series(s2.to_numpy(), index=second[id_column].to_numpy())
    ids1, ids2 = list(a.index), list(b.index)
    set1, set2 = set(ids1), set(ids2)
    only1 = [i for i in ids1 if i not in set2]
    only2 = [i for i in ids2 if i not in set1]
    both = [i for i in ids1 if i in set2]
    pa = a.loc[both].to_numpy(dtype=float)
    pb = b.loc[both].to_numpy(dtype=float)
    ok = ~(np.isnan(pa) | np.isnan(pb))
    incomplete = [i for i, good in zip(both, ok) if not good]
    pa, pb = pa[ok], pb[ok]
    n = len(pa)
    msgs: list[str] = []
    if only1 or only2:
        msgs.append(f"{len(only1)} id(s) only in the first administration and {len(only2)} "
                    "only in the second were not paired")
    if incomplete:
        msgs.append(f"{len(incomplete)} matched pair(s) had a missing score and were not used")
    if n < 3:
        raise DataError(Diagnostic("data-too-few-respondents",
                                   f"{n} complete matched pair(s); at least 3 are needed",
                                   "Check that the ids match between the administrations."),
                        title="test_retest(): too few pairs")
    with _w.catch_warnings():
        _w.simplefilter("ignore", SmallSampleWarning)
        res = icc(pd.DataFrame({"first": pa, "second": pb}), ci_level=ci_level,
                  method=icc_method)
    if n < 30:
        text = (f"only {n} matched pairs: ICC and limits of agreement are imprecise "
                "(Koo & Li 2016 recommend at least 30)")
        msgs.append(text)
        _w.warn(text, SmallSampleWarning, stacklevel=2)
    item_table = None
    if item_cols is not None:
        item_table = _item_icc(first, second, id_column, item_cols, both, ci_level, caller)
    d = pb - pa
    md = float(d.mean())
    sd = float(d.std(ddof=1))
    t = float(stats.t.ppf(1 - (1 - ci_level) / 2, n - 1))
    z = 1.96 if abs(ci_level - 0.95) < 1e-12 else float(stats.norm.ppf(1 - (1 - ci_level) / 2))
    se_md = sd / math.sqrt(n)
    se_loa = sd * math.sqrt(3.0 / n)
    lo, hi = md - z * sd, md + z * sd
    sem = sd / math.sqrt(2.0)
    return TestRetestResult(
        icc=res.table, score=label, n_pairs=n, n_first=len(ids1), n_second=len(ids2),
        only_in_first=only1, only_in_second=only2, n_only_in_first=len(only1),
        n_only_in_second=len(only2), n_incomplete_pairs=len(incomplete),
        incomplete_ids=incomplete, mean_difference=md,
        mean_difference_ci=(md - t * se_md, md + t * se_md), sd_difference=sd,
        limits_of_agreement=(lo, hi), lower_limit_ci=(lo - t * se_loa, lo + t * se_loa),
        upper_limit_ci=(hi - t * se_loa, hi + t * se_loa), sem=sem,
        sdc=z * math.sqrt(2.0) * sem, item_icc=item_table, ci_level=ci_level,
        simulated=_simulated(first) or _simulated(second), warnings=msgs,
    )


test_retest.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


# ----------------------------------------------------------------------------- correlation
class CorrelationResult(Result):
    """A correlation between two scores with its Fisher-z interval."""

    r: float
    ci: tuple[float, float]
    ci_level: float
    n: int
    n_excluded: int
    p: float
    t: float
    method: Literal["pearson", "spearman"]
    simulated: bool
    warnings: list[str]

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        import pandas as pd

        return pd.DataFrame([{"method": self.method, "r": self.r, "ci_lower": self.ci[0],
                              "ci_upper": self.ci[1], "n": self.n, "p": self.p}])

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        name = "Pearson r" if self.method == "pearson" else "Spearman rho"
        text = (f"{name} = {self.r:.3f} ({self.ci_level:.0%} CI {self.ci[0]:.3f} to "
                f"{self.ci[1]:.3f}), n = {self.n}, p = {self.p:.3g}")
        if self.simulated:
            text += "\nnote: computed on simulated data"
        return text


def convergent_validity(
    score_a: Any,
    score_b: Any,
    method: Literal["pearson", "spearman"] = "pearson",
    *,
    ci_level: float = 0.95,
) -> CorrelationResult:
    r"""Correlation of two scores (e.g. a new measure and an established one).

    Parameters
    ----------
    score_a, score_b : array-like or pandas.Series
        Scores of the same people, in the same order (pairs with a missing value are
        left out and counted in ``n_excluded``).
    method : {"pearson", "spearman"}, default "pearson"
    ci_level : float, default 0.95

    Returns
    -------
    CorrelationResult

    Notes
    -----
    .. math::

        t = r\sqrt{\frac{n-2}{1-r^2}},\qquad
        \tanh\Bigl(\operatorname{atanh} r \pm \frac{z_{1-p/2}}{\sqrt{n-3}}\Bigr).

    The p value is the two-sided t test on :math:`n-2` df for both methods, and the
    interval uses Fisher's z for both, as ``psych::corr.test`` does (``cor.test`` would
    use an exact test for Spearman's rho in small samples).

    References
    ----------
    .. [1] Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation
       deduced from a small sample. Metron, 1, 3–32.
    .. [2] Revelle, W. (2022). psych: corr.test. R package 2.2.9.
    """
    import numpy as np
    import pandas as pd
    from scipy import stats

    caller = "convergent_validity"
    _check_choice("method", method, ("pearson", "spearman"), caller)
    if not (isinstance(ci_level, float) and 0 < ci_level < 1):
        raise ValueError(f"{caller}(): parameter 'ci_level' must be a float between 0 and 1; "
                         f"got {ci_level!r}")
    try:
        a = np.asarray(pd.to_numeric(pd.Series(np.asarray(score_a).ravel())), dtype=float)
        b = np.asarray(pd.to_numeric(pd.Series(np.asarray(score_b).ravel())), dtype=float)
    except (ValueError, TypeError) as exc:
        raise DataError(Diagnostic("data-non-numeric", f"a score is not numeric: {exc}",
                                   "Pass numeric scores.")) from None
    if a.shape != b.shape:
        raise ValueError(f"{caller}(): 'score_a' and 'score_b' must have the same length; got "
                         f"{a.size} and {b.size}")
    ok = ~(np.isnan(a) | np.isnan(b))
    a, b = a[ok], b[ok]
    n = int(ok.sum())
    msgs: list[str] = []
    if n < 4:
        raise DataError(Diagnostic("data-too-few-respondents",
                                   f"{n} complete pair(s); at least 4 are needed",
                                   "Collect more paired scores."),
                        title="convergent_validity(): too few pairs")
    if a.std() == 0 or b.std() == 0:
        raise DataError(Diagnostic("data-constant-item", "one score does not vary",
                                   "A correlation needs variation in both scores."),
                        title="convergent_validity(): correlation undefined")
    if method == "spearman":
        a, b = stats.rankdata(a), stats.rankdata(b)
    r = float(np.corrcoef(a, b)[0, 1])
    r = max(-1.0, min(1.0, r))
    with np.errstate(divide="ignore"):
        t = r * math.sqrt((n - 2) / (1 - r * r)) if abs(r) < 1 else math.copysign(math.inf, r)
    p = float(2 * stats.t.sf(abs(t), n - 2))
    z = float(stats.norm.ppf(1 - (1 - ci_level) / 2))
    zr = math.atanh(r) if abs(r) < 1 else math.copysign(math.inf, r)
    half = z / math.sqrt(n - 3)
    sim = bool(getattr(score_a, "attrs", {}).get("simulated", False)
               or getattr(score_b, "attrs", {}).get("simulated", False))
    return CorrelationResult(r=r, ci=(math.tanh(zr - half), math.tanh(zr + half)),
                             ci_level=ci_level, n=n, n_excluded=int((~ok).sum()), p=p, t=t,
                             method=method, simulated=sim, warnings=msgs)
