"""The result of an IRT calibration, with scoring, information and fit methods."""

from __future__ import annotations

import math
import warnings
from typing import Any, Literal

from measurelib._results import Result, to_jsonable
from measurelib.errors import ConvergenceWarning
from measurelib.psychometrics._reliability import _check_choice

__all__ = ["IRTResult"]


class IRTResult(Result):
    r"""A unidimensional IRT calibration by marginal maximum likelihood.

    ``coef`` holds mirt's slope–intercept parameters (``coef(x)``): ``a`` and ``d1..dK``
    with :math:`P^*_k = 1/(1+e^{-(a\theta + d_k)})` for the graded model and
    :math:`P_c \propto e^{c a\theta + d_c}` (``d0 = 0``) for the divide-by-total models.
    ``coef_irt`` holds the classical parametrisation (mirt's ``coef(x, IRTpars=TRUE)``):
    ``b_k = -d_k / a`` (graded, 2PL) and ``b_k = -(d_k - d_{k-1}) / a`` (GPCM, PCM, RSM).
    ``se`` has the shape of ``coef``: NaN marks a fixed parameter; ``se_irt`` those of
    ``coef_irt`` (the thresholds' by the delta method; None without standard errors). With ``groups``, the
    three tables are indexed by (group, item), ``group(label)`` gives one scoring
    object per group, and the scoring, information and fit methods use the reference
    (first) group.
    For Rasch-family calibrations the slope is fixed at 1 and the latent variance
    (``group_vars``) is estimated, as mirt does.
    """

    coef: Any
    coef_irt: Any
    se: Any
    loglik: float
    aic: float
    bic: float
    df: float
    n: int
    n_rows: int
    n_excluded: int
    n_items: int
    n_parameters: int
    items: list[str]
    models: dict[str, str]
    categories: dict[str, list[float]]
    converged: bool
    iterations: int
    group_means: list[float]
    group_vars: list[float]
    group_vars_se: list[float]
    vcov: Any
    parameter_labels: list[str]
    se_method: str | None
    quadrature: int
    tol: float
    max_iter: int
    simulated: bool
    warnings: list[str]
    groups: list[str] | None = None
    se_irt: Any = None
    invariance: list[str] = []
    group_n: list[int] | None = None
    method: str = "irt"
    # internals used by the methods (the internal metric: theta* ~ N(0,1))
    design_: Any = None
    beta_: Any = None
    scale_: float = 1.0
    codes_: Any = None
    freq_: Any = None
    inverse_: Any = None
    used_: Any = None
    group_results_: Any = None
    engine_: Any = None
    phi_: Any = None

    # ------------------------------------------------------------------ tables
    def to_frame(self) -> Any:
        """One row per item: model, categories, ``a``, ``d*``, ``b*`` and their SEs."""
        import pandas as pd

        out = self.coef.copy()
        se = self.se.add_prefix("se_")
        b = self.coef_irt.drop(columns="a").copy()
        frame = pd.concat([out, se, b], axis=1)
        items = [i[-1] if isinstance(i, tuple) else i for i in frame.index]
        frame.insert(0, "n_categories", [len(self.categories[i]) for i in items])
        frame.insert(0, "model", [self.models[i] for i in items])
        return frame

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data: the JSON document that ``--format json`` prints."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            if name.endswith("_") or name == "vcov":
                continue
            out[name] = to_jsonable(getattr(self, name))
        if self.simulated:
            out["note"] = "computed on simulated data"
        return out

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        lines = [
            f"IRT calibration ({', '.join(sorted(set(self.models.values())))}): "
            f"{self.n_items} items, n = {self.n}",
            f"log-likelihood {self.loglik:.3f}, AIC {self.aic:.2f}, BIC {self.bic:.2f}, "
            f"df {self.df:g}; {'converged' if self.converged else 'NOT converged'} "
            f"after {self.iterations} EM cycles",
        ]
        if self.groups:
            lines.append("groups: " + "; ".join(
                f"{g} (n = {n}): mean {m:.3f}, variance {v:.3f}" for g, n, m, v in
                zip(self.groups, self.group_n or [], self.group_means, self.group_vars)))
        elif self.group_vars[0] != 1.0:
            lines.append(f"latent variance {self.group_vars[0]:.4f}")
        lines.append(self.coef.round(3).to_string())
        if self.simulated:
            lines.append("(computed on simulated data)")
        return "\n".join(lines)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_coef(
        cls,
        coef: Any,
        model: str | dict[str, str] = "graded",
        categories: dict[str, list[float]] | None = None,
        group_mean: float = 0.0,
        group_var: float = 1.0,
        quadrature: int = 61,
    ) -> IRTResult:
        """A calibration from published parameters (an item bank), without data.

        ``coef`` is a DataFrame indexed by item with ``a`` and ``d1..dK`` in mirt's
        slope–intercept form (as ``.coef``). ``categories`` gives each item's category
        codes (default ``0..K``). Scoring, information, the EAP-for-sums table (without
        observed counts) and adaptive testing work; fit statistics need data.
        """
        import numpy as np
        import pandas as pd

        from ._estimate import MODELS, _design

        frame = pd.DataFrame(coef).copy()
        names = [str(i) for i in frame.index]
        if "a" not in frame.columns:
            raise ValueError("IRTResult.from_coef(): parameter 'coef' needs a column 'a' and "
                             f"columns d1..dK; got {list(frame.columns)}")
        dcols = [c for c in frame.columns if str(c).startswith("d")]
        models = [model] * len(names) if isinstance(model, str) else [
            str(model.get(n, "graded")) for n in names]
        for m in models:
            if m not in MODELS:
                raise ValueError(f"IRTResult.from_coef(): parameter 'model' must be one of "
                                 f"{MODELS}; got {m!r}")
        if not group_var > 0:
            raise ValueError(f"IRTResult.from_coef(): parameter 'group_var' must be > 0; got "
                             f"{group_var!r}")
        ncat = []
        values = []
        for n in names:
            d = frame.loc[n, dcols].to_numpy(dtype=np.float64)
            k = int(np.sum(~np.isnan(d))) + 1
            ncat.append(k)
            v = (categories or {}).get(n, list(range(k)))
            if len(v) != k:
                raise ValueError(f"IRTResult.from_coef(): item {n!r} has {k - 1} intercepts but "
                                 f"{len(v)} categories {v}")
            values.append([float(x) for x in v])
        # parameters given with the latent variance as a scale: internal slope = a * sd
        sd = float(np.sqrt(group_var))
        design = _design(names, ["graded" if m in ("graded", "2pl") else
                                 ("graded" if m == "rasch" and k == 2 else "gpcm")
                                 for m, k in zip(models, ncat)], ncat, values)
        design.models = models
        beta = np.zeros(design.n_beta)
        for j, n in enumerate(names):
            s = design.start[j]
            beta[s] = float(frame.loc[n, "a"]) * sd
            d = frame.loc[n, dcols].to_numpy(dtype=np.float64)[: ncat[j] - 1]
            # theta = mean + sd * theta*: a theta + d = (a sd) theta* + (a mean + d)
            shift = float(frame.loc[n, "a"]) * group_mean
            if design.kinds[j] == "graded":
                beta[s + 1: s + ncat[j]] = d + shift
            else:
                beta[s + 1: s + ncat[j]] = d + shift * np.arange(1, ncat[j])
        kmax = max(ncat) - 1
        cols = ["a", *[f"d{k}" for k in range(1, kmax + 1)]]
        out = pd.DataFrame(np.nan, index=pd.Index(names, name="item"), columns=cols)
        irt = pd.DataFrame(np.nan, index=out.index,
                           columns=["a", *[f"b{k}" for k in range(1, kmax + 1)]])
        for j, n in enumerate(names):
            a = float(frame.loc[n, "a"])
            d = frame.loc[n, dcols].to_numpy(dtype=np.float64)[: ncat[j] - 1]
            out.loc[n, "a"] = a
            out.loc[n, cols[1: ncat[j]]] = d
            irt.loc[n, "a"] = a
            b = -d / a if design.kinds[j] == "graded" else -np.diff(np.r_[0.0, d]) / a
            irt.loc[n, [f"b{k}" for k in range(1, ncat[j])]] = b
        nan = float("nan")
        return cls(
            coef=out, coef_irt=irt, se=out * np.nan, loglik=nan, aic=nan, bic=nan, df=nan, n=0,
            n_rows=0, n_excluded=0, n_items=len(names), n_parameters=0, items=names,
            models=dict(zip(names, models)), categories=dict(zip(names, values)),
            converged=True, iterations=0, group_means=[float(group_mean)],
            group_vars=[float(group_var)], group_vars_se=[nan], vcov=None,
            parameter_labels=[], se_method=None, quadrature=quadrature, tol=0.0, max_iter=0,
            simulated=False, warnings=[], design_=design, beta_=beta, scale_=sd,
            codes_=None, freq_=None, inverse_=None, used_=None,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IRTResult:
        """A bank from :meth:`to_dict` output (e.g. stored as JSON): the parameters, models,
        categories and the (reference) population; fit statistics are not restored.
        """
        import pandas as pd

        try:
            coef = pd.DataFrame(data["coef"])
            models = dict(data["models"])
            categories = {k: list(v) for k, v in data["categories"].items()}
        except (KeyError, TypeError) as exc:
            raise ValueError("IRTResult.from_dict(): parameter 'data' needs the 'coef', "
                             "'models' and 'categories' of IRTResult.to_dict()") from exc
        if "group" in coef.columns:
            coef = coef[coef["group"] == coef["group"].iloc[0]].drop(columns="group")
        coef = coef.set_index("item")
        return cls.from_coef(coef, model=models, categories=categories,
                             group_mean=float(data.get("group_means", [0.0])[0]),
                             group_var=float(data.get("group_vars", [1.0])[0]),
                             quadrature=int(data.get("quadrature", 61)))

    def group(self, label: str) -> IRTResult:
        """The calibration of one group of a multiple-group result (parameters only), on
        the common metric with that group's mean and variance: use it to score the group.
        """
        if not self.groups:
            raise ValueError("IRTResult.group(): this calibration has no groups")
        if label not in self.groups:
            raise ValueError(f"IRTResult.group(): parameter 'label' must be one of "
                             f"{self.groups}; got {label!r}")
        return self.group_results_[label]  # type: ignore[no-any-return]

    def _need_data(self, caller: str) -> None:
        if self.codes_ is None:
            raise ValueError(f"IRTResult.{caller}(): needs the calibration data; this result "
                             "was built from parameters (from_coef)")

    # ------------------------------------------------------------------ helpers
    def _grid(self, n: int | None = None) -> tuple[Any, Any, Any]:
        import numpy as np

        from ._estimate import quadrature

        theta, w = quadrature(n or self.quadrature)
        return theta, w, np.log(w)

    def _codes(self, data: Any, caller: str) -> tuple[Any, Any]:
        import numpy as np
        import pandas as pd

        from ._scoring import codes_for

        if isinstance(data, pd.DataFrame):
            frame = data
        else:
            arr = np.asarray(data)
            if arr.ndim == 1:
                arr = arr[None, :]
            if arr.shape[1] != self.n_items:
                raise ValueError(f"{caller}(): parameter 'data' needs {self.n_items} columns "
                                 f"(one per item, in calibration order); got {arr.shape[1]}")
            frame = pd.DataFrame(arr, columns=self.items)
        return codes_for(self.design_, frame, caller), frame.index

    # ------------------------------------------------------------------ scores
    def scores(self, data: Any = None,
               method: Literal["EAP", "MAP", "ML", "WLE", "EAPsum"] = "EAP") -> Any:
        r"""Latent trait estimates per row: a DataFrame with ``theta`` and ``se``.

        Parameters
        ----------
        data : DataFrame or array, optional
            Answers coded as in the calibration; missing answers and absent item columns
            are unanswered (score any subset of the calibrated items). Defaults to the
            calibration data, one row per row of it.
        method : {"EAP", "MAP", "ML", "WLE", "EAPsum"}
            Expected a posteriori over the 61-point grid (mirt's ``fscores`` default),
            maximum a posteriori with the N(mean, var) prior, maximum likelihood,
            Warm's (1989) weighted likelihood (maximising :math:`\log L + \tfrac12\log I`),
            or EAP for the summed score (a lookup in :meth:`sum_score_table`; rows with a
            missing answer get their pattern EAP instead, as the table needs every item).

        Notes
        -----
        .. math:: \hat\theta_{EAP} = \frac{\sum_q \theta_q L(x|\theta_q) w_q}
                                         {\sum_q L(x|\theta_q) w_q}

        ML estimates of patterns whose answers are all in the lowest (highest) category
        are ``-inf`` (``+inf``) with SE NaN and a ``ConvergenceWarning``, as mirt's
        ``fscores(method = "ML")``. Rows with no answers get NaN. Same numbers as
        ``mirt::fscores``.
        """
        import numpy as np
        import pandas as pd

        from ._estimate import collapse
        from ._scoring import eap, extreme_patterns, newton_scores, warn_infinite

        _check_choice("method", method, ("EAP", "MAP", "ML", "WLE", "EAPsum"),
                      "IRTResult.scores")
        if method == "EAPsum" and isinstance(data, pd.DataFrame) and all(
                i in data.columns and pd.api.types.is_integer_dtype(data[i].dtype)
                for i in self.items):
            # fast path: complete integer answers -> one row sum and a table lookup
            arr = data[self.items].to_numpy()
            lo = np.asarray([v[0] for v in self.categories.values()])
            hi = np.asarray([v[-1] for v in self.categories.values()])
            if (arr.min(axis=0) >= lo).all() and (arr.max(axis=0) <= hi).all():
                tab = self.sum_score_table()
                sums = arr.sum(axis=1) - int(lo.sum())
                return pd.DataFrame({"theta": tab["theta"].to_numpy()[sums],
                                     "se": tab["se"].to_numpy()[sums]}, index=data.index)
        if data is None:
            self._need_data("scores")
            codes = np.full((len(self.used_), self.n_items), -1, dtype=np.int16)
            codes[self.used_] = self.codes_[self.inverse_]
            index = pd.RangeIndex(codes.shape[0])
        else:
            codes, index = self._codes(data, "IRTResult.scores")
        design = self.design_
        if method == "EAPsum":
            tab = self.sum_score_table()
            full = (codes >= 0).all(axis=1)
            sums = codes.sum(axis=1, dtype=np.int64)
            th_out = tab["theta"].to_numpy()[np.where(full, sums, 0)]
            se_out = tab["se"].to_numpy()[np.where(full, sums, 0)]
            if not full.all():
                rest = self.scores(pd.DataFrame(
                    np.where(codes[~full] >= 0, codes[~full], -1), columns=self.items)
                    .replace(-1, np.nan) + np.asarray([v[0] for v in self.categories.values()]),
                    method="EAP")
                th_out[~full] = rest["theta"].to_numpy()
                se_out[~full] = rest["se"].to_numpy()
            return pd.DataFrame({"theta": th_out, "se": se_out}, index=index)
        pats = collapse(codes, design.ncat)
        theta, _, logw = self._grid()
        t_eap, s_eap = eap(design, self.beta_, pats.onehot, theta, logw)
        if method == "EAP":
            t, s = t_eap, s_eap
        else:
            t, s, _ok = newton_scores(design, self.beta_, pats.onehot, method, t_eap)
            if method == "ML":
                low, high = extreme_patterns(design, pats.codes)
                t = np.where(low, -np.inf, np.where(high, np.inf, t))
                s = np.where(low | high, np.nan, s)
                n_inf = int(pats.freq[low | high].sum())
                if n_inf:
                    warn_infinite(n_inf, "IRTResult.scores")
        empty = (pats.codes < 0).all(axis=1)
        t = np.where(empty, np.nan, t)
        s = np.where(empty, np.nan, s)
        mean = self.group_means[0]
        theta_out = mean + self.scale_ * t[pats.inverse]
        se_out = self.scale_ * s[pats.inverse]
        return pd.DataFrame({"theta": theta_out, "se": se_out}, index=index)

    def sum_score_table(self) -> Any:
        r"""EAP for summed scores (Thissen, Pommerich, Billeaud & Williams, 1995).

        Returns a DataFrame with ``sum`` (in the data's coding), ``theta``, ``se``,
        ``observed`` (complete rows of the calibration data with that sum), ``expected``
        (n times the model's probability of the sum); ``.attrs`` holds ``rxx`` (marginal
        reliability of the EAP-sum scores as mirt: var(theta)/(var(theta)+mean(se^2))
        over the observed rows), ``X2``, ``df`` and ``p`` of observed vs expected, and
        ``monotone`` (whether theta increases with the sum: guaranteed for Rasch-family
        models, usual but not guaranteed when slopes differ).

        Notes
        -----
        The summed-score likelihoods come from the Lord–Wingersky (1984) recursion:

        .. math:: \hat\theta_s = \frac{\sum_q \theta_q L_s(\theta_q) w_q}
                                         {\sum_q L_s(\theta_q) w_q}

        Same numbers as ``mirt::fscores(method = "EAPsum", full.scores = FALSE)``.
        """
        import numpy as np
        import pandas as pd

        from .._numeric import chi2_sf
        from ._scoring import lord_wingersky

        theta, w, _ = self._grid()
        dist = lord_wingersky(self.design_, self.beta_, theta)
        post = dist * w
        ps = post.sum(axis=1)
        m = (post @ theta) / ps
        sd = np.sqrt(np.maximum((post @ theta**2) / ps - m * m, 0))
        tm = self.group_means[0] + self.scale_ * m
        tsd = self.scale_ * sd
        if self.codes_ is None:
            obs = np.full(len(ps), np.nan)
            ncomp = float("nan")
        else:
            complete = (self.codes_ >= 0).all(axis=1)
            sums = self.codes_[complete].sum(axis=1)
            obs = np.bincount(sums, weights=self.freq_[complete], minlength=len(ps))
            ncomp = float(self.freq_[complete].sum())
        exp = ncomp * ps if self.codes_ is not None else ps
        mins = sum(v[0] for v in self.categories.values())
        frame = pd.DataFrame({"sum": np.arange(len(ps)) + mins, "theta": tm, "se": tsd,
                              "observed": obs, "expected": exp})
        # guaranteed increasing for the Rasch family; with unequal slopes a bank can break it
        frame.attrs["monotone"] = bool((np.diff(tm) > 0).all())
        if self.codes_ is None:
            # no data: marginal reliability over the model's distribution of sums
            mu = float(ps @ tm)
            var = float(ps @ (tm - mu) ** 2)
            frame.attrs.update({"rxx": var / (var + float(ps @ tsd**2)), "n": 0.0})
            return frame
        # rxx over the observed rows
        if ncomp > 1:
            wt = obs
            mu = (wt * tm).sum() / ncomp
            var = (wt * (tm - mu) ** 2).sum() / (ncomp - 1)
            rxx = float(var / (var + (wt * tsd**2).sum() / ncomp))
        else:
            rxx = float("nan")
        e = exp.copy()
        o = obs.copy()
        while len(e) > 1 and (e < 1).any():
            small = e < 1
            for i in range(len(e) - 1):
                if small[i]:
                    e[i + 1] += e[i]
                    o[i + 1] += o[i]
                    e[i] = o[i] = np.nan
            if small[-1] and len(e) > 1:
                e[-2] += e[-1]
                o[-2] += o[-1]
                e[-1] = o[-1] = np.nan
            keep = ~np.isnan(e)
            e, o = e[keep], o[keep]
        x2 = float(((o - e) ** 2 / e).sum())
        df = len(o) - 1
        frame.attrs.update({"rxx": rxx, "X2": x2, "df": df,
                            "p": float(chi2_sf(x2, df)) if df > 0 else float("nan"),
                            "n": ncomp})
        return frame

    # ------------------------------------------------------------------ information
    def information(self, theta: Any, items: list[str] | None = None) -> Any:
        r"""Item and test information at ``theta`` (reported metric).

        .. math:: I_j(\theta) = \sum_c \frac{P'_{jc}(\theta)^2}{P_{jc}(\theta)}

        Returns a DataFrame indexed by theta with one column per item and ``total``
        (the sum over the selected items). Same numbers as ``mirt::iteminfo`` /
        ``mirt::testinfo`` and ``rpf::rpf.info``.
        """
        import numpy as np
        import pandas as pd

        from ._scoring import test_information

        th = np.atleast_1d(np.asarray(theta, dtype=np.float64))
        sel = self.items if items is None else list(items)
        unknown = [i for i in sel if i not in self.items]
        if unknown:
            raise ValueError(f"IRTResult.information(): parameter 'items' names {unknown}, "
                             f"not calibrated items; allowed: {self.items}")
        internal = (th - self.group_means[0]) / self.scale_
        info = test_information(self.design_, self.beta_, internal) / self.scale_**2
        idx = [self.items.index(i) for i in sel]
        frame = pd.DataFrame(info[idx].T, index=pd.Index(th, name="theta"), columns=sel)
        frame["total"] = frame[sel].sum(axis=1)
        return frame

    # ------------------------------------------------------------------ fit
    def itemfit(self, mincell: float = 1.0) -> Any:
        r"""Orlando & Thissen's (2000) S-X2 per item, with df, p and RMSEA.

        .. math:: S\text{-}X^2_j = \sum_{s} N_s \sum_c
                  \frac{(O_{jcs} - E_{jcs})^2}{E_{jcs}}

        where :math:`E_{jcs}` is the model's probability of category c of item j given
        summed score s (computed with the Lord–Wingersky recursion without item j), with
        sparse cells collapsed as mirt's ``itemfit`` does (``mincell = 1``); df = cells −
        score groups − item parameters − estimated latent-variance parameters. Complete
        rows only. Same numbers as ``mirt::itemfit(x, "S_X2")``.
        """
        import numpy as np
        import pandas as pd

        from .._numeric import chi2_sf
        from ._fit import collapse_cells, s_x2_tables

        self._need_data("itemfit")
        complete = (self.codes_ >= 0).all(axis=1)
        if self.freq_[complete].sum() < 2:
            raise ValueError(
                f"IRTResult.itemfit(): S-X2 uses the rows that answered every item, and "
                f"{int(self.freq_[complete].sum())} of {int(self.freq_.sum())} did; mirt "
                "refuses S-X2 with missing answers too — use residuals() or m2(), which use "
                "the answers given")
        theta, w, _ = self._grid()
        tabs = s_x2_tables(self.design_, self.beta_, theta, w, self.codes_[complete],
                           self.freq_[complete])
        n = float(self.freq_[complete].sum())
        rows = []
        n_group = 1 if self.design_.shared_slope else 0
        for j, (o, e) in enumerate(tabs):
            oc, ec = collapse_cells(o, e, mincell)
            x2 = float(np.nansum((oc - ec) ** 2 / ec))
            npar = self._n_item_parameters(j)
            df = int((~np.isnan(ec)).sum() - ec.shape[0] - npar - n_group)
            df = max(df, 0)
            if df == 0:
                x2 = float("nan")
            p = float(chi2_sf(x2, df)) if df > 0 else float("nan")
            rmsea = math.sqrt(max((x2 - df) / (df * (n - 1)), 0)) if df > 0 else float("nan")
            rows.append({"item": self.items[j], "S_X2": x2, "df": df, "RMSEA": rmsea, "p": p})
        return pd.DataFrame(rows).set_index("item")

    def _n_item_parameters(self, j: int) -> int:
        """Free parameters attributed to item j as mirt counts them (``sum(pars@est)``)."""
        model = self.design_.models[j]
        k = int(self.design_.ncat[j])
        if model in ("graded", "gpcm", "2pl"):
            return k
        if model == "rsm":
            # mirt's rsm items carry the shared thresholds and their own location
            first = [i for i, m in enumerate(self.design_.models) if m == "rsm"][0]  # type: int
            return (k - 1) + (0 if j == first else 1)
        return k - 1

    def m2(self, type: Literal["M2", "M2*", "C2"] = "M2") -> Any:  # noqa: A002
        r"""Limited-information fit: M2 (Maydeu-Olivares & Joe, 2005, 2006), M2* (Cai &
        Hansen, 2013) or C2 (Cai & Monroe, 2014), with RMSEA, SRMSR, CFI and TLI.

        .. math:: M_2 = N (p - \pi)' \Delta_c (\Delta_c' \Xi \Delta_c)^{-1}
                  \Delta_c' (p - \pi)

        ``p`` and ``pi`` are the observed and model univariate and bivariate marginal
        proportions (M2: every category above the lowest; M2*: the item means and the
        cross-products of item scores, mirt's default for polytomous items; C2:
        univariate categories and the cross-products), ``Xi`` their asymptotic covariance under the
        model and ``Delta_c`` the orthogonal complement of their derivatives. CFI and TLI
        compare with the independence model (slopes zero). With missing answers, each
        observed moment is taken over the rows that answered its items and weighted by
        their number, as mirt's ``M2()`` does (SRMSR from pairwise correlations likewise).
        Same numbers as ``mirt::M2(x, type = "M2" | "M2*" | "C2")`` (for dichotomous
        items the three coincide with mirt's ``M2``) while the Jacobian of the moments has
        full numerical rank; ``attrs["condition"]`` gives its condition number. Above about
        1e7 mirt's ``qr()`` (tolerance 1e-7) drops columns and its value differs: see
        docs/irt.md.
        """
        import numpy as np
        import pandas as pd

        from .._numeric import chi2_sf
        from ._fit import m2_statistic

        _check_choice("type", type, ("M2", "M2*", "C2"), "IRTResult.m2")
        self._need_data("m2")
        # every row, missing answers included: moments over the rows that answered their
        # items, as mirt's M2() (complete rows only dropped answers and, with a category
        # that no complete row chose, made the independence model singular)
        codes = self.codes_
        freq = self.freq_
        theta, w, _ = self._grid()
        d = self.design_
        res = m2_statistic(d, self.beta_, d.M, theta, w, codes, freq, type)
        # independence model: slopes 0, intercepts at the observed marginals
        beta0 = np.zeros(d.n_beta)
        for j in range(len(d.items)):
            k = d.ncat[j]
            ok = codes[:, j] >= 0
            cnt = np.bincount(codes[ok, j], weights=freq[ok], minlength=k)
            p = cnt / cnt.sum()
            s = d.start[j]
            if d.kinds[j] == "graded":
                cum = np.cumsum(p[::-1])[::-1][1:]
                beta0[s + 1: s + k] = np.log(cum / (1 - cum))
            else:
                beta0[s + 1: s + k] = np.log(np.maximum(p[1:], 1e-12) / max(p[0], 1e-12))
        eye = np.eye(d.n_beta)
        free0 = np.array([i for i in range(d.n_beta) if i not in d.start])
        stat, df, n = res["stat"], res["df"], res["n"]
        try:
            null = m2_statistic(d, beta0, eye, theta, w, codes, freq, type, free=free0)
            s0, df0 = null["stat"], null["df"]
        except ValueError as exc:
            warnings.warn(f"IRTResult.m2(): no CFI or TLI: the independence model's statistic "
                          f"could not be computed ({exc})", ConvergenceWarning, stacklevel=2)
            s0, df0 = float("nan"), 0.0
        rmsea = (math.sqrt(max(stat - df, 0) / (df * (n - 1))) if df > 0 and n > 1
                 else float("nan"))
        # mirt's cfi(): 1 - (M2 - df) / (M2_0 - df_0), clamped to [0, 1]
        cfi = (min(max(1 - (stat - df) / (s0 - df0), 0.0), 1.0)
               if df0 > 0 and s0 != df0 else float("nan"))
        tli = (s0 / df0 - stat / df) / (s0 / df0 - 1) if df > 0 and df0 > 0 else float("nan")
        srmsr = self._srmsr(codes, freq, theta, w)
        out = pd.DataFrame([{
            "type": type, "stat": stat, "df": df,
            "p": float(chi2_sf(stat, df)) if df > 0 else float("nan"),
            "RMSEA": rmsea, "SRMSR": srmsr, "CFI": cfi, "TLI": tli, "n": n,
        }])
        # the condition number of the moments' Jacobian: above ~1e7 the statistic depends
        # on how its null space is computed (mirt's R qr() then drops columns; docs/irt.md)
        out.attrs["condition"] = res["condition"]
        return out

    def _srmsr(self, codes: Any, freq: Any, theta: Any, w: Any) -> float:
        import numpy as np

        from ._models import item_probs

        d = self.design_
        ex = np.zeros((len(d.items), theta.shape[0]))
        ex2 = np.zeros_like(ex)
        for kind, k, grp in d.groups:
            p = item_probs(kind, d.group_beta(self.beta_, grp, k), theta)
            cs = np.arange(k)
            ex[grp] = np.einsum("c,ncq->nq", cs, p)
            ex2[grp] = np.einsum("c,ncq->nq", cs * cs, p)
        mu = ex @ w
        var = ex2 @ w - mu**2
        cross = (ex * w) @ ex.T
        cov = cross - np.outer(mu, mu)
        np.fill_diagonal(cov, var)
        sd = np.sqrt(var)
        r_model = cov / np.outer(sd, sd)
        # mirt's observed correlations: cov2cor(cross / cN - outer(means)), the cross
        # products over the rows that answered both items and the means over each item's
        # answers (the usual covariance for complete data)
        ok = (codes >= 0).astype(np.float64)
        x = np.where(codes >= 0, codes, 0).astype(np.float64)
        fx = x * freq[:, None]
        m = (freq @ x) / (freq @ ok)
        c_obs = (fx.T @ x) / ((ok * freq[:, None]).T @ ok) - np.outer(m, m)
        so = np.sqrt(np.diag(c_obs))
        r_obs = c_obs / np.outer(so, so)
        iu = np.triu_indices(len(d.items), 1)
        return float(np.sqrt(np.mean((r_obs[iu] - r_model[iu]) ** 2)))

    def residuals(self, type: Literal["LD", "Q3"] = "LD") -> Any:  # noqa: A002
        r"""Local dependence between item pairs.

        ``"LD"``: Chen & Thissen's (1997) X2 of each pair's observed table against the
        model's expected table, with df, p and the signed Cramér's V mirt prints above the
        diagonal of ``residuals(x, type = "LD")`` (sign of the difference of observed and
        expected Goodman–Kruskal gamma). ``"Q3"``: Yen's (1984) correlations of the
        residuals :math:`x_{ij} - E(x_{ij} | \hat\theta_i)` with EAP scores, as
        ``mirt::residuals(x, type = "Q3")``. Returns one row per item pair.
        """
        import numpy as np
        import pandas as pd

        from .._numeric import chi2_sf
        from ._fit import ld_pairs
        from ._models import item_probs

        _check_choice("type", type, ("LD", "Q3"), "IRTResult.residuals")
        self._need_data("residuals")
        theta, w, _ = self._grid()
        if type == "LD":
            rows = ld_pairs(self.design_, self.beta_, theta, w, self.codes_, self.freq_)
            frame = pd.DataFrame(rows)
            frame["p"] = chi2_sf(frame["X2"], frame["df"])
            return frame
        sc = self.scores()
        th = ((sc["theta"].to_numpy() - self.group_means[0]) / self.scale_)[self.used_]
        codes = self.codes_[self.inverse_]
        d = self.design_
        res = np.full(codes.shape, np.nan)
        for kind, k, grp in d.groups:
            p = item_probs(kind, d.group_beta(self.beta_, grp, k), th)
            e = np.einsum("c,ncq->nq", np.arange(k), p)
            for i, j in enumerate(grp):
                ok = codes[:, j] >= 0
                res[ok, j] = codes[ok, j] - e[i, ok]
        frame = pd.DataFrame(res, columns=self.items)
        q3 = frame.corr()
        rows = [{"item1": a, "item2": b, "Q3": float(q3.loc[a, b])}
                for i, a in enumerate(self.items) for b in self.items[i + 1:]]
        return pd.DataFrame(rows)

    def expected_score(self, theta: Any) -> Any:
        """Expected summed score (in the data's coding) at ``theta`` — the test
        characteristic curve.
        """
        import numpy as np

        from ._models import item_probs

        th = np.atleast_1d(np.asarray(theta, dtype=np.float64))
        internal = (th - self.group_means[0]) / self.scale_
        d = self.design_
        tot = np.zeros_like(internal)
        for kind, k, grp in d.groups:
            p = item_probs(kind, d.group_beta(self.beta_, grp, k), internal)
            tot += np.einsum("c,ncq->q", np.arange(k), p)
        return tot + sum(v[0] for v in self.categories.values())
