r"""Estimation engine behind :func:`measurelib.psychometrics.cfa`.

The model is a LISREL-style measurement model per group ``g``:

.. math::

    \Sigma_g = \Lambda_g \Psi_g \Lambda_g^\top + \Theta_g, \qquad
    \mu_g = \nu_g + \Lambda_g \alpha_g .

Parameters live in a parameter table (one row per ``lhs op rhs group`` as lavaan's
``parTable``); rows sharing a free-parameter number are equal (``group.equal``).
Everything works from sufficient statistics (covariance matrices and means, or
missing-data patterns), so after one pass over the data the cost does not depend on n.

Estimation is Fisher scoring (Gauss–Newton for DWLS) with step halving, using analytic
first derivatives :math:`\Delta = \partial(\sigma, \mu)/\partial\theta`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

LOG2PI = float(np.log(2.0 * np.pi))


# ----------------------------------------------------------------------------- table
@dataclass
class ParRow:
    lhs: str
    op: str
    rhs: str
    group: int  # 1-based
    mat: str  # lambda | theta | psi | nu | alpha | tau | delta | none
    row: int
    col: int
    free: int  # 0 fixed, else 1-based index into the free-parameter vector
    value: float  # fixed value, or start value when free
    label: str = ""


@dataclass
class GroupDims:
    p: int
    m: int
    nth: int = 0  # number of thresholds


@dataclass
class Model:
    """Parameter table plus the per-group index arrays needed to build the matrices."""

    rows: list[ParRow]
    ov: list[str]
    lv: list[str]
    ngroups: int
    meanstructure: bool
    categorical: bool = False  # delta parameterization, thresholds
    th_item: list[int] = field(default_factory=list)  # item index of each threshold
    npar: int = 0

    def __post_init__(self) -> None:
        self.npar = max((r.free for r in self.rows), default=0)
        self.p = len(self.ov)
        self.m = len(self.lv)
        self.nth = len(self.th_item)
        self._free_by_group: list[list[ParRow]] = [
            [r for r in self.rows if r.group == g + 1 and r.free > 0 and r.mat != "none"]
            for g in range(self.ngroups)
        ]
        self._scatter = [self._scatter_index(g) for g in range(self.ngroups)]
        self._jac_index = [self._jacobian_index(g) for g in range(self.ngroups)]

    # ------------------------------------------------------------------ index arrays
    def _scatter_index(self, g: int) -> dict[str, tuple[np.ndarray, ...]]:
        """Per matrix: positions (row, col), free index (0 = fixed) and fixed value."""
        out: dict[str, tuple[np.ndarray, ...]] = {}
        for name in ("lambda", "theta", "psi", "nu", "alpha", "tau"):
            rs = [r for r in self.rows if r.group == g + 1 and r.mat == name]
            if rs:
                out[name] = (
                    np.array([r.row for r in rs], dtype=np.intp),
                    np.array([r.col for r in rs], dtype=np.intp),
                    np.array([r.free for r in rs], dtype=np.intp),
                    np.array([r.value for r in rs], dtype=float),
                )
        return out

    def _jacobian_index(self, g: int) -> dict[str, Any]:
        """Index arrays of the free parameters of group g by matrix, and the constant part
        of the Jacobian (residual (co)variances, intercepts and thresholds enter linearly).
        """
        q, p = self.npar, self.p
        ds0 = np.zeros((q, p, p))
        dmu0 = np.zeros((q, p))
        dtau0 = np.zeros((q, self.nth))
        idx: dict[str, Any] = {}
        for name in ("lambda", "psi", "alpha"):
            rs = [r for r in self._free_by_group[g] if r.mat == name]
            idx[name] = (
                np.array([r.free - 1 for r in rs], dtype=np.intp),
                np.array([r.row for r in rs], dtype=np.intp),
                np.array([r.col for r in rs], dtype=np.intp),
            )
        for r in self._free_by_group[g]:
            k, i, j = r.free - 1, r.row, r.col
            if r.mat == "theta":
                ds0[k, i, j] += 1.0
                if i != j:
                    ds0[k, j, i] += 1.0
            elif r.mat == "nu":
                dmu0[k, i] += 1.0
            elif r.mat == "tau":
                dtau0[k, i] += 1.0
        idx["const"] = (ds0, dmu0, dtau0)
        return idx

    # ------------------------------------------------------------------ matrices
    def matrices(self, theta: np.ndarray) -> list[dict[str, np.ndarray]]:
        out = []
        p, m = self.p, self.m
        tp = np.concatenate(([0.0], np.asarray(theta, dtype=float)))
        for g in range(self.ngroups):
            mats = {
                "lambda": np.zeros((p, m)),
                "theta": np.zeros((p, p)),
                "psi": np.zeros((m, m)),
                "nu": np.zeros(p),
                "alpha": np.zeros(m),
                "tau": np.zeros(self.nth),
            }
            for name, (ri, ci, fr, fixed) in self._scatter[g].items():
                val = np.where(fr > 0, tp[fr], fixed)
                mat = mats[name]
                if mat.ndim == 1:
                    mat[ri] = val
                else:
                    mat[ri, ci] = val
                    if name != "lambda":
                        mat[ci, ri] = val
            if self.categorical:
                lpl = mats["lambda"] @ mats["psi"] @ mats["lambda"].T
                np.fill_diagonal(mats["theta"], 1.0 - np.diag(lpl))
            out.append(mats)
        return out

    def implied(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Model-implied (Sigma, mu, tau) per group."""
        return self.implied_from(self.matrices(theta))

    @staticmethod
    def implied_from(
        mats_list: list[dict[str, np.ndarray]]
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        res = []
        for mats in mats_list:
            lam, psi = mats["lambda"], mats["psi"]
            sigma = lam @ psi @ lam.T + mats["theta"]
            mu = mats["nu"] + lam @ mats["alpha"]
            res.append((sigma, mu, mats["tau"]))
        return res

    def jacobian(
        self, theta: np.ndarray, mats_list: list[dict[str, np.ndarray]] | None = None
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per group: dSigma (q, p, p), dmu (q, p), dtau (q, nth) for the q free parameters."""
        if mats_list is None:
            mats_list = self.matrices(theta)
        p = self.p
        out = []
        for g, mats in enumerate(mats_list):
            lam, psi, alpha = mats["lambda"], mats["psi"], mats["alpha"]
            idx = self._jac_index[g]
            ds0, dmu0, dtau0 = idx["const"]
            ds, dmu, dtau = ds0.copy(), dmu0.copy(), dtau0.copy()
            k, i, j = idx["lambda"]
            if len(k):
                # d(Lambda Psi Lambda')/d lambda_ij = e_i (Lambda Psi)_j' + its transpose
                v = (lam @ psi)[:, j].T
                np.add.at(ds, (k, i), v)
                np.add.at(ds.transpose(0, 2, 1), (k, i), v)
                np.add.at(dmu, (k, i), alpha[j])
            k, i, j = idx["psi"]
            if len(k):
                o = lam[:, i].T[:, :, None] * lam[:, j].T[:, None, :]
                off = (i != j)[:, None, None]
                np.add.at(ds, k, o + np.where(off, o.transpose(0, 2, 1), 0.0))
            k, i, _ = idx["alpha"]
            if len(k):
                np.add.at(dmu, k, lam[:, i].T)
            if self.categorical:
                d = np.arange(p)
                ds[:, d, d] = 0.0
            out.append((ds, dmu, dtau))
        return out


# ----------------------------------------------------------------------------- stats
@dataclass
class Pattern:
    obs: np.ndarray  # indices of observed variables
    n: int
    mean: np.ndarray
    cov: np.ndarray  # about the pattern mean, divisor n
    rows: np.ndarray | None = None  # raw rows of the pattern (observed columns), for MLR


@dataclass
class GroupStats:
    n: int
    cov: np.ndarray  # ML covariance (divisor n), or EM estimate under FIML
    mean: np.ndarray
    patterns: list[Pattern] | None = None  # FIML
    gamma: np.ndarray | None = None  # NACOV of (thresholds, correlations) for WLSMV
    gamma_raw: np.ndarray | None = None  # the same without lavaan's n / (n - 1) factor
    wls_obs: np.ndarray | None = None  # WLSMV sample statistics (thresholds, correlations)
    wls_w: np.ndarray | None = None  # WLSMV diagonal weights
    rows: np.ndarray | None = None  # raw complete rows (for MLR casewise scores)
    label: str = ""
    levels: list[Any] | None = None  # observed categories of ordinal items


def vech_idx(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Row/col indices of lavaan's vech (column-wise lower triangle incl. diagonal)."""
    rows, cols = [], []
    for j in range(p):
        for i in range(j, p):
            rows.append(i)
            cols.append(j)
    return np.array(rows), np.array(cols)


def vech_offdiag_idx(p: int) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = [], []
    for j in range(p):
        for i in range(j + 1, p):
            rows.append(i)
            cols.append(j)
    return np.array(rows), np.array(cols)


def _times(ds: np.ndarray, si: np.ndarray) -> np.ndarray:
    """The stack ds_k @ si (q, p, p) in one BLAS product. With ds_k symmetric,
    tr((ds_k si)(ds_l si)) = tr(si ds_k si ds_l), so it serves the trace products.
    """
    q, p, _ = ds.shape
    out: np.ndarray = (ds.reshape(q * p, p) @ si).reshape(q, p, p)
    return out


def _trace_products(a: np.ndarray) -> np.ndarray:
    """M[k, l] = tr(A_k A_l) for a stack A (q, p, p), with one BLAS product."""
    q = a.shape[0]
    out: np.ndarray = a.reshape(q, -1) @ a.transpose(0, 2, 1).reshape(q, -1).T
    return out


def _inv_logdet(sigma: np.ndarray) -> tuple[np.ndarray, float] | None:
    try:
        c = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return None
    ci = np.linalg.inv(c)
    return ci.T @ ci, 2.0 * float(np.sum(np.log(np.diag(c))))


# ----------------------------------------------------------------------------- objectives
class Objective:
    """Discrepancy function F(theta) with gradient and a Fisher-type information."""

    def __init__(self, model: Model, stats: list[GroupStats]):
        self.model = model
        self.stats = stats
        self.ntotal = int(sum(s.n for s in stats))
        self.w = np.array([s.n / self.ntotal for s in stats])

    def value(self, theta: np.ndarray) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def grad_info(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        raise NotImplementedError  # pragma: no cover

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        return self.grad_info(theta)[1]

    def info_blocks(self, theta: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray]:
        """Columns ``:q`` of the expected information and its diagonal (what the score
        tests of modification indices need when the first q parameters are the model's).
        """
        info = self.grad_info(theta)[2]
        return info[:, :q], np.diag(info).copy()


def _trace_blocks(a: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray]:
    """tr(A_k A_l) for all k and l < q, and tr(A_k A_k), for a stack A (Q, p, p)."""
    n = a.shape[0]
    af = a.reshape(n, -1)
    at = a.transpose(0, 2, 1).reshape(n, -1)
    return af @ at[:q].T, np.einsum("ij,ij->i", af, at)


class MLObjective(Objective):
    r"""Normal-theory ML, complete data: lavaan's fmin with likelihood = "normal".

    .. math:: F = \sum_g \frac{n_g}{N} \tfrac12 [\log|\Sigma_g|
              + \mathrm{tr}(S_g\Sigma_g^{-1})
              - \log|S_g| - p + (\bar x_g-\mu_g)^\top\Sigma_g^{-1}(\bar x_g-\mu_g)]
    """

    def __init__(self, model: Model, stats: list[GroupStats]):
        super().__init__(model, stats)
        self.logdet_s = [float(np.linalg.slogdet(s.cov)[1]) for s in stats]

    def value(self, theta: np.ndarray) -> float:
        f = 0.0
        for g, (sigma, mu, _) in enumerate(self.model.implied(theta)):
            il = _inv_logdet(sigma)
            if il is None:
                return np.inf
            si, ld = il
            st = self.stats[g]
            fg = ld + float(np.sum(st.cov * si)) - self.logdet_s[g] - self.model.p
            if self.model.meanstructure:
                d = st.mean - mu
                fg += float(d @ si @ d)
            f += self.w[g] * 0.5 * fg
        return f

    def grad_info(
        self, theta: np.ndarray, need_info: bool = True
    ) -> tuple[float, np.ndarray, np.ndarray]:
        mats = self.model.matrices(theta)
        jac = self.model.jacobian(theta, mats)
        q = self.model.npar
        grad = np.zeros(q)
        info = np.zeros((q, q))
        f = 0.0
        for g, (sigma, mu, _) in enumerate(self.model.implied_from(mats)):
            il = _inv_logdet(sigma)
            if il is None:
                return np.inf, grad, info
            si, ld = il
            st = self.stats[g]
            ds, dmu, _ = jac[g]
            m = st.cov.copy()
            fg = ld + float(np.sum(st.cov * si)) - self.logdet_s[g] - self.model.p
            d = st.mean - mu
            if self.model.meanstructure:
                fg += float(d @ si @ d)
                m = m + np.outer(d, d)
            f += self.w[g] * 0.5 * fg
            gs = 0.5 * (si - si @ m @ si)
            grad += self.w[g] * (ds.reshape(len(ds), -1) @ gs.ravel())
            if self.model.meanstructure:
                grad += self.w[g] * (dmu @ (-si @ d))
            if need_info:
                info += self.w[g] * 0.5 * _trace_products(_times(ds, si))
                if self.model.meanstructure:
                    info += self.w[g] * (dmu @ si @ dmu.T)
        return f, grad, info

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        return self.grad_info(theta, need_info=False)[1]

    def info_blocks(self, theta: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray]:
        return _normal_info_blocks(self, theta, q)

    def group_info(self, g: int, sigma: np.ndarray, ds: np.ndarray, dmu: np.ndarray,
                   q: int) -> tuple[np.ndarray, np.ndarray]:
        b, d = _normal_info_block(ds, dmu, np.linalg.inv(sigma), q, self.model.meanstructure)
        return self.w[g] * b, self.w[g] * d


def _normal_info_blocks(obj: Any, theta: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum over groups of ``obj.group_info`` (normal-theory expected information): columns
    ``:q`` and the diagonal, as :meth:`Objective.info_blocks` returns them.
    """
    mats = obj.model.matrices(theta)
    jac = obj.model.jacobian(theta, mats)
    n = obj.model.npar
    block = np.zeros((n, q))
    diag = np.zeros(n)
    for g, (sigma, _, _) in enumerate(obj.model.implied_from(mats)):
        ds, dmu, _ = jac[g]
        b, d = obj.group_info(g, sigma, ds, dmu, q)
        block += b
        diag += d
    return block, diag


def _normal_info_block(ds: np.ndarray, dmu: np.ndarray, si: np.ndarray, q: int,
                       means: bool) -> tuple[np.ndarray, np.ndarray]:
    """Normal-theory expected information of one group (or missing-data pattern) with
    inverse covariance ``si``: its columns for the first ``q`` parameters, and its diagonal.
    """
    b, d = _trace_blocks(_times(ds, si), q)
    b, d = 0.5 * b, 0.5 * d
    if means:
        dms = dmu @ si
        b = b + dms @ dmu[:q].T
        d = d + np.einsum("ij,ij->i", dms, dmu)
    return b, d


class FIMLObjective(Objective):
    """Casewise (full-information) normal likelihood: F = -logl / N (lavaan missing = "ml")."""

    def value(self, theta: np.ndarray) -> float:
        f = 0.0
        for g, (sigma, mu, _) in enumerate(self.model.implied(theta)):
            for pat in self.stats[g].patterns or []:
                o = pat.obs
                il = _inv_logdet(sigma[np.ix_(o, o)])
                if il is None:
                    return np.inf
                si, ld = il
                d = pat.mean - mu[o]
                f += pat.n * 0.5 * (len(o) * LOG2PI + ld + float(np.sum(pat.cov * si)) + d @ si @ d)
        return f / self.ntotal

    def grad_info(
        self, theta: np.ndarray, need_info: bool = True
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """Value, gradient and (for the scoring steps) the complete-data expected information."""
        mats = self.model.matrices(theta)
        jac = self.model.jacobian(theta, mats)
        q, p = self.model.npar, self.model.p
        grad = np.zeros(q)
        info = np.zeros((q, q))
        f = 0.0
        for g, (sigma, mu, _) in enumerate(self.model.implied_from(mats)):
            ds, dmu, _ = jac[g]
            gs = np.zeros((p, p))
            gm = np.zeros(p)
            for pat in self.stats[g].patterns or []:
                o = pat.obs
                il = _inv_logdet(sigma[np.ix_(o, o)])
                if il is None:
                    return np.inf, grad, info
                si, ld = il
                d = pat.mean - mu[o]
                mm = pat.cov + np.outer(d, d)
                f += pat.n * 0.5 * (len(o) * LOG2PI + ld + float(np.sum(mm * si)))
                gs[np.ix_(o, o)] += pat.n * 0.5 * (si - si @ mm @ si)
                gm[o] += -pat.n * (si @ d)
            grad += (ds.reshape(len(ds), -1) @ gs.ravel()) + dmu @ gm
            if need_info:
                il = _inv_logdet(sigma)
                if il is None:
                    return np.inf, grad, info
                si = il[0]
                a = _times(ds, si)
                nn = self.stats[g].n
                info += nn * 0.5 * _trace_products(a)
                info += nn * (dmu @ si @ dmu.T)
        n = self.ntotal
        return f / n, grad / n, info / n

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        return self.grad_info(theta, need_info=False)[1]

    def info_blocks(self, theta: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray]:
        """Expected information given the missing-data patterns (lavaan's
        ``lav_mvnorm_missing_information_expected``, h1.information = "structured"):
        each pattern contributes the normal information of its observed variables.
        """
        return _normal_info_blocks(self, theta, q)

    def group_info(self, g: int, sigma: np.ndarray, ds: np.ndarray, dmu: np.ndarray,
                   q: int) -> tuple[np.ndarray, np.ndarray]:
        block = np.zeros((ds.shape[0], q))
        diag = np.zeros(ds.shape[0])
        for pat in self.stats[g].patterns or []:
            o = pat.obs
            b, d = _normal_info_block(ds[:, o][:, :, o], dmu[:, o],
                                      np.linalg.inv(sigma[np.ix_(o, o)]), q, True)
            block += pat.n * b
            diag += pat.n * d
        return block / self.ntotal, diag / self.ntotal


class DWLSObjective(Objective):
    r"""Diagonally weighted least squares on thresholds and polychoric correlations.

    .. math:: F = \sum_g \frac{n_g}{N} \tfrac12 (s_g - \sigma_g(\theta))^\top W_g
              (s_g - \sigma_g(\theta))
    """

    def __init__(self, model: Model, stats: list[GroupStats]):
        super().__init__(model, stats)
        self.ri, self.ci = vech_offdiag_idx(model.p)
        self.obs = [np.asarray(s.wls_obs, dtype=float) for s in stats]
        self.weights = [np.asarray(s.wls_w, dtype=float) for s in stats]

    def moments(self, theta: np.ndarray) -> list[np.ndarray]:
        return [np.concatenate([tau, sigma[self.ri, self.ci]])
                for sigma, _, tau in self.model.implied(theta)]

    def delta(self, theta: np.ndarray) -> list[np.ndarray]:
        out = []
        for ds, _, dtau in self.model.jacobian(theta):
            out.append(np.concatenate([dtau, ds[:, self.ri, self.ci]], axis=1).T)
        return out

    def value(self, theta: np.ndarray) -> float:
        f = 0.0
        for g, sig in enumerate(self.moments(theta)):
            r = self.obs[g] - sig
            f += self.w[g] * 0.5 * float(r @ (self.weights[g] * r))
        return f

    def grad_info(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        q = self.model.npar
        grad = np.zeros(q)
        info = np.zeros((q, q))
        f = 0.0
        for g, (sig, dl) in enumerate(zip(self.moments(theta), self.delta(theta))):
            r = self.obs[g] - sig
            f += self.w[g] * 0.5 * float(r @ (self.weights[g] * r))
            grad += self.w[g] * (-(dl.T @ (self.weights[g] * r)))
            info += self.w[g] * (dl.T @ (self.weights[g][:, None] * dl))
        return f, grad, info

    def info_blocks(self, theta: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray]:
        """Lavaan's expected information for DWLS: sum_g (n_g / N) Delta' V_g Delta with
        its WLS.VD = 1 / diag(NACOV), i.e. the weights here times n_g / (n_g - 1).
        """
        n = self.model.npar
        block = np.zeros((n, q))
        diag = np.zeros(n)
        for g, dl in enumerate(self.delta(theta)):
            ng = self.stats[g].n
            wd = (self.w[g] * ng / (ng - 1)) * self.weights[g][:, None] * dl
            block += wd.T @ dl[:, :q]
            diag += np.einsum("ij,ij->j", wd, dl)
        return block, diag


# ----------------------------------------------------------------------------- optimizer
@dataclass
class OptimResult:
    theta: np.ndarray
    fmin: float
    converged: bool
    iterations: int
    message: str = ""
    grad: np.ndarray | None = None  # gradient and information at theta
    info: np.ndarray | None = None


def fisher_scoring(
    obj: Objective, theta0: np.ndarray, max_iter: int = 500, gtol: float = 1e-11
) -> OptimResult:
    r"""Minimise ``obj``: Fisher scoring, then BFGS updates of the information.

    Fisher scoring (the expected information as curvature) is robust far from the
    optimum but only linearly convergent when the model does not fit exactly; once
    the Newton decrement is small, the curvature matrix is refined by BFGS updates,
    which converge superlinearly. Every step is backtracked until the function falls.
    Stops when the largest absolute gradient element is below ``gtol``, the Newton
    decrement :math:`g^\top H^{-1} g` is below 1e-20, or three steps in a row leave F
    unchanged to machine precision with the gradient below 1e-6 or the Fisher decrement
    :math:`g^\top I^{-1} g` below 1e-12.
    """
    theta = np.array(theta0, dtype=float)
    f, g, info = obj.grad_info(theta)
    if not np.isfinite(f):
        return OptimResult(theta, f, False, 0, "start values give a non positive definite model",
                           g, info)
    hess = info
    quasi = False
    stall = 0
    for it in range(1, max_iter + 1):
        try:
            step = np.linalg.solve(hess + 1e-14 * np.eye(len(g)), g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, g, rcond=None)[0]
        # Newton decrement: scale-free measure of the distance to the optimum
        decrement = float(g @ step)
        if np.max(np.abs(g)) < gtol or abs(decrement) < 1e-20:
            return OptimResult(theta, f, True, it - 1, "", g, info)
        if decrement <= 0:  # curvature lost: restart from the information
            hess = info
            quasi = False
            continue
        t = 1.0
        improved = False
        full: tuple[float, np.ndarray, np.ndarray] | None = None
        for _ in range(40):
            cand = theta - t * step
            # the full step is usually taken: evaluate the gradient with the function
            full = obj.grad_info(cand) if t == 1.0 else None
            fc = full[0] if full is not None else obj.value(cand)
            if np.isfinite(fc) and fc <= f - 1e-4 * t * decrement + 1e-15 * abs(f):
                improved = True
                break
            # at the optimum F changes by rounding only (its terms, log|Sigma| and the
            # trace, are O(p) while F is small): accept a full step that leaves F equal
            # to 1e-14 and reduces the gradient
            if (full is not None and np.isfinite(fc) and decrement < 1e-12
                    and fc <= f + 1e-14 * max(1.0, abs(f))
                    and np.max(np.abs(full[1])) < 0.5 * np.max(np.abs(g))):
                improved = True
                break
            t *= 0.5
        if not improved:
            ok = decrement < 1e-12
            return OptimResult(theta, f, ok, it, "" if ok else "line search failed", g, info)
        g_old = g
        s_vec = cand - theta
        theta = cand
        f_old = f
        f, g, info = full if full is not None else obj.grad_info(theta)
        # at the limit of floating point: three steps in a row that no longer change F
        stall = stall + 1 if abs(f_old - f) <= 4e-16 * max(1.0, abs(f)) else 0
        if stall >= 3:
            # scale-free test (a rescaled item rescales its gradient): Fisher decrement
            try:
                fisher_dec = float(g @ np.linalg.solve(info, g))
            except np.linalg.LinAlgError:
                fisher_dec = math.inf
            if np.max(np.abs(g)) < 1e-6 or fisher_dec < 1e-12:
                return OptimResult(theta, f, True, it, "", g, info)
        if not quasi and decrement < 1e-4:
            quasi = True
            hess = info
        if quasi:
            y_vec = g - g_old
            sy = float(s_vec @ y_vec)
            if sy > 1e-300:
                hs_ = hess @ s_vec
                hess = hess + np.outer(y_vec, y_vec) / sy - np.outer(hs_, hs_) / float(s_vec @ hs_)
        else:
            hess = info
    return OptimResult(theta, f, False, max_iter, "iteration limit reached", g, info)


def numeric_hessian(grad_fn: Any, theta: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Five-point Hessian from an analytic gradient (symmetrised).

    (g(x-2s) - 8g(x-s) + 8g(x+s) - g(x+2s)) / 12s, lavaan's ``lav_model_hessian`` stencil,
    with a step s = h * max(|theta_k|, 1e-6) relative to the parameter: its error is
    O((s/theta)^4), so the result does not depend on the scale of the data (a central
    difference with the absolute step 1e-5 moved MLR's scaling factor by 1.5e-4 when the
    residual variances were of order 1e-3; lavaan's absolute step 1e-6 fails below that).
    """
    q = len(theta)
    hess = np.zeros((q, q))
    for k in range(q):
        e = np.zeros(q)
        step = h * max(abs(float(theta[k])), 1e-6)
        e[k] = step
        hess[:, k] = (grad_fn(theta - 2 * e) - 8 * grad_fn(theta - e) + 8 * grad_fn(theta + e)
                      - grad_fn(theta + 2 * e)) / (12 * step)
    return 0.5 * (hess + hess.T)
