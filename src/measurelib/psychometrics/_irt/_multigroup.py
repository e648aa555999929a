"""Multiple-group calibration (as mirt's ``multipleGroup``) for DIF and invariance.

Each group has its own item parameters unless constrained equal across groups, and its
own normal latent density on the common grid. The reference (first) group is N(0, 1);
other groups' means and variances are estimated when ``free_means`` / ``free_var`` are
asked for. The latent density of a group is the normal density evaluated at the grid
points and normalised (mirt's discrete prior); its M-step is moment matching on the grid,
which is exact for that family because the normalised weights are an exponential family
in the natural parameters ``eta = (mu / s^2, -1 / (2 s^2))``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from measurelib.errors import ConvergenceWarning

from ._estimate import Design, Engine, Patterns, collapse, start_values

__all__ = ["MultiEngine", "parse_invariance"]

_ALIASES = {"a": "a", "slopes": "a", "d": "d", "intercepts": "d", "free_means": "free_means",
            "free_var": "free_var", "free_variances": "free_var", "free_vars": "free_var"}


def parse_invariance(invariance: Sequence[str], items: Sequence[str]) -> tuple[set[str], set[str]]:
    flags: set[str] = set()
    anchors: set[str] = set()
    for v in invariance:
        if v in _ALIASES:
            flags.add(_ALIASES[v])
        elif v in items:
            anchors.add(v)
        else:
            raise ValueError(
                "irt(): parameter 'invariance' takes 'a' (slopes), 'd' (intercepts), "
                f"'free_means', 'free_var' and anchor item names; got {v!r}")
    return flags, anchors


class MultiEngine:
    """EM over several groups sharing a vector of free parameters."""

    def __init__(self, design: Design, pats: list[Patterns], labels: list[str], theta: Any,
                 weights: Any, flags: set[str], anchors: set[str],
                 item_equal: dict[str, set[str]] | None = None,
                 item_free: dict[str, set[str]] | None = None) -> None:
        self.design = design
        self.pats_list = pats
        self.labels = labels
        self.theta = theta
        self.engines = [Engine(design, p, theta, weights) for p in pats]
        for e in self.engines:
            e.newton_per_mstep = 2
        self.flags = flags
        self.anchors = anchors
        g_n = len(pats)
        base = design.M
        cols: list[list[int]] = [[] for _ in range(g_n)]  # per group: global col of base col
        n_glob = 0
        self.labels_free: list[tuple[str, str, str]] = []
        self.base_col: list[int] = []  # base free column each global item column copies
        for c, (item, pname) in enumerate(design.free_labels):
            kind = "a" if pname == "a" else "d"
            shared = (item == "(slope)"
                      or ((kind in flags or item in anchors)
                          and kind not in (item_free or {}).get(item, set()))
                      or kind in (item_equal or {}).get(item, set()))
            if shared:
                for g in range(g_n):
                    cols[g].append(n_glob)
                self.labels_free.append(("all", item, pname))
                self.base_col.append(c)
                n_glob += 1
            else:
                for g in range(g_n):
                    cols[g].append(n_glob)
                    self.labels_free.append((labels[g], item, pname))
                    self.base_col.append(c)
                    n_glob += 1
        self.n_item_par = n_glob
        self.latent: list[tuple[int, int, int]] = []  # (group, which (0 mean,1 var), col)
        for g in range(1, g_n):
            if "free_means" in flags:
                self.latent.append((g, 0, n_glob))
                self.labels_free.append((labels[g], "(group)", "eta_mean"))
                n_glob += 1
            if "free_var" in flags:
                self.latent.append((g, 1, n_glob))
                self.labels_free.append((labels[g], "(group)", "eta_var"))
                n_glob += 1
        self.n_par = n_glob
        self.Ms = []
        for g in range(g_n):
            m = np.zeros((design.n_beta, n_glob))
            for c, gc in enumerate(cols[g]):
                m[:, gc] += base[:, c]
            self.Ms.append(m)
        self.n_evals = 0
        self.newton_per_mstep = 2
        self._t = np.stack([theta, theta**2], axis=1)  # sufficient statistics (Q, 2)

    # ---------------------------------------------------------------- parameters
    def eta(self, phi: Any, g: int) -> Any:
        e = np.array([0.0, -0.5])
        for gg, which, col in self.latent:
            if gg == g:
                e[which] = phi[col]
        return e

    def logw(self, phi: Any, g: int) -> Any:
        u = self._t @ self.eta(phi, g)
        u -= u.max()
        return u - np.log(np.exp(u).sum())

    def beta_g(self, phi: Any, g: int) -> Any:
        return self.Ms[g] @ phi + self.design.c0

    def beta_of(self, phi: Any) -> Any:
        return np.stack([self.beta_g(phi, g) for g in range(len(self.engines))])

    def start(self) -> Any:
        pooled = Patterns(np.concatenate([p.codes for p in self.pats_list]),
                          np.concatenate([p.freq for p in self.pats_list]), np.zeros(0),
                          self.design.ncat)
        base = start_values(self.design, pooled)
        phi = np.zeros(self.n_par)
        phi[: self.n_item_par] = base[self.base_col]
        for _, which, col in self.latent:
            phi[col] = 0.0 if which == 0 else -0.5
        return phi

    def valid(self, phi: Any) -> bool:
        if any(phi[col] >= -1e-6 for _, which, col in self.latent if which == 1):
            return False
        return all(self.design.valid(self.beta_g(phi, g)) for g in range(len(self.engines)))

    # ---------------------------------------------------------------- EM
    def _estep_all(self, phi: Any) -> tuple[float, list[Any]]:
        self.n_evals += 1
        total = 0.0
        es = []
        for g, eng in enumerate(self.engines):
            eng.logw = self.logw(phi, g)
            e = eng.estep(self.beta_g(phi, g))
            total += e.loglik
            es.append(e)
        return total, es

    def _latent_mstep(self, phi: Any, es: list[Any]) -> Any:
        phi = phi.copy()
        for g in range(1, len(self.engines)):
            free = [(which, col) for gg, which, col in self.latent if gg == g]
            if not free:
                continue
            nq = es[g].nq
            n = nq.sum()
            target = nq @ self._t  # observed sufficient statistics
            eta = self.eta(phi, g)
            idx = [w for w, _ in free]
            for _ in range(50):
                u = self._t @ eta
                u -= u.max()
                w = np.exp(u)
                w /= w.sum()
                mean = w @ self._t
                cov = (self._t * w[:, None]).T @ self._t - np.outer(mean, mean)
                grad = (target - n * mean)[idx]
                hess = -n * cov[np.ix_(idx, idx)]
                step = np.linalg.solve(-hess, grad)
                new = eta.copy()
                new[idx] += step
                t = 1.0
                while new[1] >= -1e-6 and t > 1e-8:
                    t *= 0.5
                    new = eta.copy()
                    new[idx] += t * step
                eta = new
                if np.max(np.abs(t * step)) < 1e-12:
                    break
            for which, col in free:
                phi[col] = eta[which]
        return phi

    def _item_mstep(self, phi: Any, es: list[Any]) -> Any:
        k = self.n_item_par
        for _ in range(self.newton_per_mstep):
            grad = np.zeros(k)
            hess = np.zeros((k, k))
            val = 0.0
            for g, eng in enumerate(self.engines):
                m = self.Ms[g][:, :k]
                gb, hb, v = eng._blocks(self.beta_g(phi, g), es[g].r)
                grad += m.T @ gb
                hess += m.T @ hb @ m
                val += v
            try:
                step = np.linalg.solve(-hess, grad)
            except np.linalg.LinAlgError:
                step = np.linalg.solve(-hess + 1e-6 * np.eye(k), grad)
            t = 1.0
            for _h in range(40):
                cand = phi.copy()
                cand[:k] += t * step
                if all(self.design.valid(self.beta_g(cand, g)) for g in range(len(self.engines))):
                    v2 = sum(eng.q_value(self.beta_g(cand, g), es[g].r)
                             for g, eng in enumerate(self.engines))
                    if v2 >= val - 1e-12 * max(1.0, abs(val)):
                        phi = cand
                        break
                t *= 0.5
            else:
                break
            if np.max(np.abs(t * step)) < 1e-11:
                break
        return phi

    def loglik(self, phi: Any) -> float:
        """The marginal log-likelihood of all groups at ``phi``."""
        return self._estep_all(phi)[0]

    @property
    def mixed_precision(self) -> bool:
        """Whether early E-steps may run in float32 (every group on the BLAS path)."""
        return all(eng.mixed_precision for eng in self.engines)

    def single_precision(self, on: bool) -> None:
        """Every group's E-step products in float32 (``on``) or float64."""
        for eng in self.engines:
            eng.single_precision(on)

    def em_map(self, phi: Any) -> tuple[Any, float]:
        ll, es = self._estep_all(phi)
        phi = self._item_mstep(phi, es)
        phi = self._latent_mstep(phi, es)
        return phi, ll

    def gradient(self, phi: Any) -> tuple[Any, float]:
        ll, es = self._estep_all(phi)
        grad = np.zeros(self.n_par)
        k = self.n_item_par
        for g, eng in enumerate(self.engines):
            gb, _, _ = eng._blocks(self.beta_g(phi, g), es[g].r, second=False)
            grad[:k] += self.Ms[g][:, :k].T @ gb
        for g, which, col in self.latent:
            nq = es[g].nq
            w = np.exp(self.logw(phi, g))
            grad[col] += (nq - nq.sum() * w) @ self._t[:, which]
        return grad, ll

    def oakes_information(self, phi: Any) -> Any:
        n = len(phi)
        jac = np.zeros((n, n))
        for i in range(n):
            h = 1e-5 * max(1.0, abs(phi[i]))
            up, dn = phi.copy(), phi.copy()
            up[i] += h
            dn[i] -= h
            jac[:, i] = (self.gradient(up)[0] - self.gradient(dn)[0]) / (2 * h)
        return -0.5 * (jac + jac.T)

    louis_information = None  # multiple groups: Oakes's identity (see irt())
    sem_information = None

    def group_moments(self, phi: Any, g: int) -> tuple[float, float]:
        e = self.eta(phi, g)
        var = -1.0 / (2 * e[1])
        return float(e[0] * var), float(var)


def split_groups(codes: Any, used: Any, groups: Any, ncat: list[int],
                 n_rows: int) -> tuple[list[str], list[Patterns], Any]:
    import pandas as pd

    g = pd.Series(np.asarray(groups, dtype=object))
    if len(g) != n_rows:
        raise ValueError(f"irt(): parameter 'groups' needs one label per row ({n_rows}); got "
                         f"{len(g)}")
    miss = g.isna().to_numpy()
    if miss.any():
        raise ValueError(f"irt(): parameter 'groups' is missing for rows "
                         f"{list(np.nonzero(miss)[0][:5] + 1)}; give every row a group")
    labels = sorted({str(x) for x in g}, key=lambda s: (list(map(str, pd.unique(g))).index(s)))
    if len(labels) < 2:
        raise ValueError(f"irt(): parameter 'groups' has one group only ({labels}); multiple-"
                         "group calibration needs at least two")
    lab = g.astype(str).to_numpy()
    pats = []
    for name in labels:
        sel = used & (lab == name)
        if not sel.any():
            raise ValueError(f"irt(): group {name!r} has no answers")
        pats.append(collapse(codes[sel], ncat))
    return labels, pats, lab


def warn_identification(flags: set[str], anchors: set[str]) -> None:
    if ("free_means" in flags or "free_var" in flags) and not (
            anchors or "a" in flags or "d" in flags):
        warnings.warn("irt(): free group means/variances need invariant (anchor) items to be "
                      "identified; add anchor item names or 'a'/'d' to invariance",
                      ConvergenceWarning, stacklevel=3)
