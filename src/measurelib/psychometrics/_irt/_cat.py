"""Computerised adaptive testing on a calibrated item bank.

A :class:`Session` is a small state machine usable from a web request cycle: ask it for
the next item, give it the answer, read ``theta`` and ``se``, and stop when ``done``.
``to_dict()`` gives a JSON-able snapshot and ``Session.from_dict(bank, snapshot)``
restores it, so a test survives a server restart and can be stored with the
administration. ``simulate()`` runs many sessions against simulated respondents.

Scores are EAP estimates over the bank's quadrature grid (posterior mean and SD), on the
bank's reported metric, exactly as ``IRTResult.scores(method="EAP")`` scores the same
answers.

References
----------
1. Chang, H.-H., & Ying, Z. (1996). A global information approach to computerized
   adaptive testing. Applied Psychological Measurement, 20(3), 213-229.
2. van der Linden, W. J. (1998). Bayesian item selection criteria for adaptive testing.
   Psychometrika, 63(2), 201-216.
3. Kingsbury, G. G., & Zara, A. R. (1989). Procedures for selecting items for
   computerized adaptive tests. Applied Measurement in Education, 2(4), 359-375.
4. Chalmers, R. P. (2016). Generating adaptive and non-adaptive test interfaces for
   multidimensional item response theory applications. J. Stat. Softw., 71(5), 1-38.
5. HealthMeasures. PROMIS computer adaptive test stopping rules.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from measurelib._results import Result

__all__ = ["STOP_PRESETS", "CATSimulationResult", "Session", "simulate"]

#: Published stopping rules as presets. PROMIS adult CATs: at least 4 items, at most 12,
#: stop when SE < 0.3 (3 T-score points); the "recommended" variant also stops when an
#: answer changes the SE by less than 0.01, with at most 8 items; paediatric and proxy
#: CATs: 5 to 12 items, SE < 0.4.
STOP_PRESETS: dict[str, dict[str, float]] = {
    "promis": {"se": 0.3, "min_items": 4, "max_items": 12},
    "promis-recommended": {"se": 0.3, "min_items": 4, "max_items": 8, "se_change": 0.01},
    "promis-pediatric": {"se": 0.4, "min_items": 5, "max_items": 12},
}
SELECT = ("MFI", "MEPV", "KL")


class _BankCache:
    """Item probabilities on the grid and the grid itself, computed once per bank."""

    def __init__(self, bank: Any) -> None:
        import numpy as np

        from ._estimate import quadrature
        from ._models import item_probs

        self.bank = bank
        theta, w = quadrature(bank.quadrature)
        self.theta = theta  # internal metric
        self.logw = np.log(w)
        d = bank.design_
        self.logp: list[Any] = [None] * len(d.items)
        for kind, k, grp in d.groups:
            p = item_probs(kind, d.group_beta(bank.beta_, grp, k), theta)
            for i, j in enumerate(grp):
                self.logp[int(j)] = np.log(np.maximum(p[i], 1e-300))
        self.index = {name: j for j, name in enumerate(d.items)}
        from ._scoring import test_information

        # item information on a fine grid (step 0.01 in the internal metric), interpolated
        # linearly at the current estimate: relative error below 1e-5
        self.fine = np.linspace(theta[0], theta[-1], 1201)
        self.info_fine = test_information(d, bank.beta_, self.fine)  # (J, 1201)
        self.names = list(d.items)
        kmax = max(d.ncat)
        self.p_all = np.zeros((len(d.items), kmax, theta.shape[0]))
        self.logp_all = np.zeros_like(self.p_all)
        for j, lp in enumerate(self.logp):
            self.p_all[j, : lp.shape[0]] = np.exp(lp)
            self.logp_all[j, : lp.shape[0]] = lp


_CACHE: dict[int, _BankCache] = {}


def _cache(bank: Any) -> _BankCache:
    c = _CACHE.get(id(bank))
    if c is None or c.bank is not bank:
        c = _BankCache(bank)
        if len(_CACHE) > 32:
            _CACHE.clear()
        _CACHE[id(bank)] = c
    return c


class Session:
    """One adaptive test.

    Parameters
    ----------
    bank : IRTResult
        A calibration (``irt()``) or a bank built with ``IRTResult.from_coef``.
    select : {"MFI", "MEPV", "KL"}
        Maximum Fisher information at the current estimate; minimum expected posterior
        variance (van der Linden, 1998); or Kullback–Leibler information integrated over
        ``theta ± 3/sqrt(n)`` (Chang & Ying, 1996).
    start_theta : float
        The estimate used to select the first item (reported metric).
    stop : dict or str
        Keys ``se`` (stop when the SE is below), ``min_items``, ``max_items`` and
        ``se_change`` (stop when an answer changes the SE by less than this), or a preset
        name from :data:`STOP_PRESETS` ("promis", "promis-recommended",
        "promis-pediatric").
    exposure : {None, "randomesque"}
        Randomesque exposure control (Kingsbury & Zara, 1989): pick at random among the
        ``randomesque_n`` best items.
    content : dict tag -> (min, max), optional
        Content balancing: at most ``max`` and (while enough items remain) at least
        ``min`` items per tag; ``tags`` gives each item's tags.
    seed : int, optional
        Seed of the random choices (exposure control).
    """

    def __init__(
        self,
        bank: Any,
        select: str = "MFI",
        start_theta: float = 0.0,
        stop: Mapping[str, float] | str = "promis",
        exposure: str | None = None,
        randomesque_n: int = 5,
        content: Mapping[str, tuple[int, int]] | None = None,
        tags: Mapping[str, Sequence[str]] | None = None,
        items: Sequence[str] | None = None,
        seed: int | None = None,
    ) -> None:
        import numpy as np

        if select not in SELECT:
            raise ValueError(f"Session(): parameter 'select' must be one of "
                             f"{', '.join(repr(s) for s in SELECT)}; got {select!r}")
        if exposure not in (None, "randomesque"):
            raise ValueError("Session(): parameter 'exposure' must be None or 'randomesque'; "
                             f"got {exposure!r}")
        if isinstance(stop, str):
            if stop not in STOP_PRESETS:
                raise ValueError(f"Session(): parameter 'stop' must be a dict or one of "
                                 f"{sorted(STOP_PRESETS)}; got {stop!r}")
            stop = STOP_PRESETS[stop]
        unknown = set(stop) - {"se", "min_items", "max_items", "se_change"}
        if unknown:
            raise ValueError(f"Session(): parameter 'stop' has unknown keys {sorted(unknown)}; "
                             "allowed: se, min_items, max_items, se_change")
        self.bank = bank
        self._c = _cache(bank)
        self.select = select
        self.start_theta = float(start_theta)
        self.stop = {k: float(v) for k, v in stop.items()}
        self.exposure = exposure
        self.randomesque_n = int(randomesque_n)
        self.content = {str(k): (int(v[0]), int(v[1])) for k, v in (content or {}).items()}
        self.tags = {str(k): [str(t) for t in v] for k, v in (tags or {}).items()}
        pool = list(bank.items) if items is None else [str(i) for i in items]
        bad = [i for i in pool if i not in self._c.index]
        if bad:
            raise ValueError(f"Session(): parameter 'items' names {bad}, not in the bank")
        self.pool = pool
        self._pool_idx = np.asarray([self._c.index[i] for i in pool], dtype=np.int64)
        self._used = np.zeros(len(self._c.names), dtype=bool)
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self.administered: list[str] = []
        self.responses: dict[str, float] = {}
        self.skipped: list[str] = []  # shown and not answered: not in the likelihood
        self._logpost = self._c.logw.copy()
        self._se_history: list[float] = []
        self._pending: str | None = None
        self._update()

    # -------------------------------------------------------------- estimates
    def _update(self) -> None:
        import numpy as np

        lp = self._logpost - self._logpost.max()
        w = np.exp(lp)
        w /= w.sum()
        t = self._c.theta
        m = float(w @ t)
        sd = math.sqrt(max(float(w @ (t * t)) - m * m, 0.0))
        self._post = w
        b = self.bank
        self._theta_internal = m
        self.theta = b.group_means[0] + b.scale_ * m
        self.se = b.scale_ * sd
        self._se_history.append(self.se)

    @property
    def done(self) -> bool:
        """Whether a stopping rule is met (or the pool is exhausted).

        ``max_items`` and the pool count every question shown, skipped ones included;
        ``min_items`` and the SE rules count answers only.
        """
        n = len(self.administered)
        s = self.stop
        shown = n + len(self.skipped)
        if shown >= len(self.pool) or shown >= s.get("max_items", math.inf):
            return True
        if n < s.get("min_items", 0):
            return False
        if "se" in s and self.se < s["se"] and n > 0:
            return True
        return bool("se_change" in s and n >= 2 and
                    abs(self._se_history[-2] - self._se_history[-1]) < s["se_change"])

    # -------------------------------------------------------------- selection
    def _candidates(self) -> Any:
        """Bank indices of the items that may be asked next."""
        import numpy as np

        idx = self._pool_idx[~self._used[self._pool_idx]]
        if not self.content:
            return idx
        names = self._c.names
        count = {t: 0 for t in self.content}
        for i in self.administered:
            for t in self.tags.get(i, []):
                if t in count:
                    count[t] += 1
        cand = [j for j in idx.tolist() if all(count[t] < self.content[t][1]
                                               for t in self.tags.get(names[j], []) if t in count)]
        need = {t for t, (lo, _) in self.content.items() if count[t] < lo}
        left = self.stop.get("max_items", len(self.pool)) - len(self.administered)
        short = sum(self.content[t][0] - count[t] for t in need)
        if need and left <= short:
            pref = [j for j in cand if need & set(self.tags.get(names[j], []))]
            if pref:
                return np.asarray(pref, dtype=np.int64)
        return np.asarray(cand, dtype=np.int64)

    def _criterion(self, ix: Any) -> Any:
        import numpy as np

        c = self._c
        if self.select == "MFI":
            th = (self._theta_internal if self.administered else
                  (self.start_theta - self.bank.group_means[0]) / self.bank.scale_)
            f = c.fine
            pos = min(max((th - f[0]) / (f[1] - f[0]), 0.0), f.shape[0] - 1.000001)
            i0 = int(pos)
            w = pos - i0
            return c.info_fine[ix, i0] * (1 - w) + c.info_fine[ix, i0 + 1] * w
        post = self._post if self.administered else \
            _prior_at(c, (self.start_theta - self.bank.group_means[0]) / self.bank.scale_)
        t = c.theta
        if self.select == "MEPV":
            joint = c.p_all[ix] * post  # (n, K, Q)
            pc = joint.sum(axis=2)
            safe = np.where(pc > 0, pc, 1.0)
            m = (joint @ t) / safe
            v = (joint @ (t * t)) / safe - m * m
            return -(pc * v).sum(axis=1)  # larger is better
        # KL: integrate KL(P(.|theta_hat) || P(.|theta)) over theta_hat +- 3/sqrt(n)
        th_hat = float(post @ t)
        delta = 3.0 / math.sqrt(max(len(self.administered), 1))
        win = np.abs(t - th_hat) <= delta
        q = int(np.argmin(np.abs(t - th_hat)))
        lp = c.logp_all[ix]  # (n, K, Q)
        ph = c.p_all[ix, :, q]  # (n, K)
        kl = ph[:, :, None] * (lp[:, :, q][:, :, None] - lp[:, :, win])
        return kl.sum(axis=(1, 2))

    def next_item(self) -> str | None:
        """The item to present next, or None when the test is done."""
        import numpy as np

        if self._pending is not None:
            return self._pending
        if self.done:
            return None
        cand = self._candidates()
        if cand.size == 0:
            return None
        crit = self._criterion(cand)
        if self.exposure == "randomesque":
            order = np.argsort(-crit, kind="stable")
            top = order[: max(1, self.randomesque_n)]
            pick = int(self._rng.choice(top))
        else:
            pick = int(np.argmax(crit))  # the first of equal maxima, as a stable sort
        self._pending = self._c.names[int(cand[pick])]
        return self._pending

    def answer(self, item_id: str, value: float) -> None:
        """Record the answer (coded as in the calibration data) to ``item_id``."""
        c = self._c
        if item_id not in c.index:
            raise ValueError(f"Session.answer(): item {item_id!r} is not in the bank")
        if item_id in self.responses or item_id in self.skipped:
            raise ValueError(f"Session.answer(): item {item_id!r} was already "
                             f"{'answered' if item_id in self.responses else 'skipped'}")
        j = c.index[item_id]
        values = self.bank.categories[item_id]
        code = float(value) - values[0]
        if code != int(code) or not 0 <= code < len(values):
            raise ValueError(f"Session.answer(): item {item_id!r}: answer {value!r} is not one "
                             f"of its categories {[int(v) for v in values]}")
        self._logpost = self._logpost + c.logp[j][int(code)]
        self.administered.append(item_id)
        self._used[j] = True
        self.responses[item_id] = float(value)
        self._pending = None
        self._update()

    def skip(self, item_id: str) -> None:
        """Record that ``item_id`` was shown and not answered ("prefer not to say").

        The item is administered without a response: it is not asked again, it counts
        towards ``max_items``, and it is left out of the likelihood, so the estimate, its
        SE and the SE-change rule are those of the answers given (missing responses
        ignored, as full-information scoring of the same answers treats them: the EAP
        the scoring engine computes from the stored answers equals ``theta``).
        """
        c = self._c
        if item_id not in c.index or item_id not in self.pool:
            raise ValueError(f"Session.skip(): item {item_id!r} is not in this test's pool")
        if item_id in self.responses or item_id in self.skipped:
            raise ValueError(f"Session.skip(): item {item_id!r} was already shown")
        self._used[c.index[item_id]] = True
        self.skipped.append(item_id)
        self._pending = None

    # -------------------------------------------------------------- persistence
    def to_dict(self) -> dict[str, Any]:
        """A JSON-able snapshot (answers, options and the random state)."""
        return {
            "version": 1,
            "bank_items": list(self.bank.items),
            "select": self.select, "start_theta": self.start_theta, "stop": self.stop,
            "exposure": self.exposure, "randomesque_n": self.randomesque_n,
            "content": {k: list(v) for k, v in self.content.items()}, "tags": self.tags,
            "items": self.pool, "seed": self.seed,
            "administered": list(self.administered),
            "responses": dict(self.responses), "skipped": list(self.skipped),
            "pending": self._pending,
            "rng_state": self._rng.bit_generator.state,
            "theta": self.theta, "se": self.se,
        }

    @classmethod
    def from_dict(cls, bank: Any, state: Mapping[str, Any]) -> Session:
        """Restore a session from :meth:`to_dict` (the same bank must be given)."""
        if list(state.get("bank_items", [])) != list(bank.items):
            raise ValueError("Session.from_dict(): the snapshot was taken on a different bank "
                             "(its item list differs)")
        s = cls(bank, select=state["select"], start_theta=state["start_theta"],
                stop=state["stop"], exposure=state["exposure"],
                randomesque_n=state["randomesque_n"],
                content={k: tuple(v) for k, v in state["content"].items()}, tags=state["tags"],
                items=state["items"], seed=state["seed"])
        for item in state["administered"]:
            s.answer(item, state["responses"][item])
        for item in state.get("skipped", []):  # (snapshots before skipping have none)
            s.skip(item)
        s._pending = state.get("pending")
        s._rng.bit_generator.state = state["rng_state"]
        return s


def _prior_at(c: _BankCache, centre: float) -> Any:
    """Normalised N(centre, 1) weights on the grid: the first item's selection density."""
    import numpy as np

    w = np.exp(-0.5 * (c.theta - centre) ** 2)
    return w / w.sum()


class CATSimulationResult(Result):
    """Summary of simulated adaptive tests against known abilities."""

    n: int
    mean_length: float
    bias: float
    rmse: float
    correlation: float
    correlation_full_bank: float
    mean_se: float
    exposure: dict[str, float]
    options: dict[str, Any]
    thetas: Any
    estimates: Any
    lengths: Any
    simulated: bool = True
    method: str = "cat.simulate"

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        import pandas as pd

        return pd.DataFrame({"theta": self.thetas, "estimate": self.estimates,
                             "n_items": self.lengths})

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        return (f"{self.n} simulated CATs: mean length {self.mean_length:.2f} items, bias "
                f"{self.bias:+.3f}, RMSE {self.rmse:.3f}, r = {self.correlation:.3f} "
                f"(full bank r = {self.correlation_full_bank:.3f}); max exposure "
                f"{max(self.exposure.values()):.2f}")


def simulate(bank: Any, thetas: Any = 1000, seed: int | None = None,
             **session: Any) -> CATSimulationResult:
    """Simulate adaptive tests: respondents with abilities ``thetas`` (or ``n`` draws
    from the bank's population) answer items drawn from the model.

    Returns the mean test length, bias, RMSE and correlation of the CAT estimates with
    the true abilities, the correlation of full-bank EAP with them, and item exposure.
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    if isinstance(thetas, (int, np.integer)):
        n = int(thetas)
        true = bank.group_means[0] + math.sqrt(bank.group_vars[0]) * rng.standard_normal(n)
    else:
        true = np.asarray(thetas, dtype=np.float64)
    c = _cache(bank)
    internal = (true - bank.group_means[0]) / bank.scale_
    from ._models import item_probs

    d = bank.design_
    answers = np.empty((len(true), len(d.items)), dtype=np.int64)
    for kind, k, grp in d.groups:
        p = item_probs(kind, d.group_beta(bank.beta_, grp, k), internal)  # (n, K, N)
        cum = np.cumsum(p, axis=1)
        u = rng.random((len(grp), 1, len(true)))
        codes = (u > cum).sum(axis=1)  # (n_g, N)
        for i, j in enumerate(grp):
            answers[:, j] = codes[i] + int(bank.categories[d.items[j]][0])
    est = np.empty(len(true))
    lengths = np.empty(len(true), dtype=np.int64)
    ses = np.empty(len(true))
    counts = dict.fromkeys(d.items, 0)
    seeds = rng.integers(0, 2**31 - 1, len(true))
    for r in range(len(true)):
        s = Session(bank, seed=int(seeds[r]), **session)
        while (item := s.next_item()) is not None:
            s.answer(item, answers[r, c.index[item]])
        est[r] = s.theta
        ses[r] = s.se
        lengths[r] = len(s.administered)
        for name in s.administered:
            counts[name] += 1
    full = bank.scores(pd.DataFrame(answers, columns=d.items))["theta"].to_numpy()
    err = est - true
    return CATSimulationResult(
        n=len(true), mean_length=float(lengths.mean()), bias=float(err.mean()),
        rmse=float(np.sqrt((err**2).mean())), correlation=float(np.corrcoef(est, true)[0, 1]),
        correlation_full_bank=float(np.corrcoef(full, true)[0, 1]), mean_se=float(ses.mean()),
        exposure={k: v / len(true) for k, v in counts.items()},
        options={k: v for k, v in session.items() if k != "tags"}, thetas=true, estimates=est,
        lengths=lengths,
    )
