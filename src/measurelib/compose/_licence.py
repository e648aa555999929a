"""Licence rules for composed measures, and the obligations table.

Rules, applied to each source a measure composes from (its ``licence:`` block):

* ``modification: forbidden`` — taking a subset of its items, rewording, reordering
  (including placing other items between its items) or re-scaling them is an error
  (``licence-modification``) unless the compose entry records a ``permission:``; the
  permission turns it into a reported exception (``licence-permission``). Renaming item
  ids is not a modification: respondents never see ids.
* ``text_redistribution: forbidden`` — the catalog holds no item text; the build takes it
  from the user's overlay file (``licence-text-overlay``).
* ``registration_required`` or ``fees`` — a :class:`~measurelib.errors.LicenceWarning` on
  every build, recorded in the built measure's ``lock:`` (``licence-registration``).
* ``commercial_use`` other than ``allowed`` — reported (``licence-non-commercial``).
* ``attribution`` — every source's line is collected into the built measure's
  ``attributions:`` so forms print them all.

:func:`licence_report` gives one row per source (source, holder, terms, what this measure
does with it, status ``ok``/``permission``/``violation``); ``measurelib licence`` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from measurelib._results import Result
from measurelib.errors import CODES, Diagnostic, Location

if TYPE_CHECKING:
    from measurelib.compose._compose import Plan, SourceUse
    from measurelib.definition import Licence, Measure

__all__ = ["LicenceReportResult", "LicenceRow", "assess", "locked_findings", "obligations", "terms",
           "own_row"]


def terms(lic: Licence) -> str:
    """The licence terms in a few words, e.g. ``CC-BY-4.0``, ``proprietary; no changes; ...``."""
    parts = [lic.spdx or "proprietary"]
    if lic.text_redistribution == "forbidden":
        parts.append("text not shipped")
    parts.append("no changes" if lic.modification == "forbidden" else "changes allowed")
    if lic.commercial_use == "forbidden":
        parts.append("non-commercial only")
    elif lic.commercial_use == "licence_required":
        parts.append("commercial licence needed")
    if lic.registration_required:
        parts.append("registration")
    if lic.fees is not None:
        parts.append("fees for some users")
    return "; ".join(parts)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return str(value.get("en") or next(iter(value.values()), ""))
    return str(value)


def obligations(lic: Licence) -> list[str]:
    """What a user of a measure under ``lic`` must do, one sentence each."""
    out: list[str] = []
    if lic.registration_required:
        out.append(f"register with {lic.holder} before use")
    if lic.fees is not None:
        out.append(f"fees: {_text(lic.fees)}")
    if lic.commercial_use == "forbidden":
        out.append("non-commercial use only")
    elif lic.commercial_use == "licence_required":
        out.append("commercial users need a paid licence")
    if lic.spdx and "-SA" in lic.spdx.upper():
        out.append("share adaptations under the same licence")
    if lic.text_redistribution == "forbidden":
        out.append("item text comes from your licensed copy: do not publish it")
    if lic.attribution is not None:
        out.append("print the attribution line on every form")
    if lic.modification == "forbidden":
        out.append("keep its items complete, unchanged and in order")
    return out


@dataclass
class LicenceRow:
    """One source of a measure and what its licence means for this use."""

    index: int | None
    source: str
    version: str
    holder: str
    terms: str
    use: str
    status: str  # ok | permission | violation
    obligations: list[str] = field(default_factory=list)
    attribution: str | None = None
    permission: dict[str, Any] | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    warning: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data: the JSON document that ``--format json`` prints."""
        return {
            "source": self.source, "version": self.version, "holder": self.holder,
            "terms": self.terms, "use": self.use, "status": self.status,
            "obligations": list(self.obligations), "attribution": self.attribution,
            "permission": self.permission,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }


def _assess_use(use: SourceUse) -> LicenceRow:
    src = use.source
    lic = src.licence
    diags: list[Diagnostic] = []
    changes = use.changes()
    status = "ok"
    permission = None
    if lic.modification == "forbidden" and changes:
        n = len(src.items)
        if use.entry.permission is not None:
            status = "permission"
            perm = use.entry.permission
            permission = perm.model_dump(mode="json", exclude_defaults=True)
            ref = f", reference {perm.reference}" if perm.reference else ""
            diags.append(Diagnostic(
                "licence-permission", f"{src.id} {src.version} ({lic.holder}) forbids "
                f"modification; this measure {'; '.join(changes)} under the permission granted "
                f"by {perm.granted_by} on {perm.date}{ref}", CODES["licence-permission"].hint,
                use.location, "info"))
        else:
            status = "violation"
            diags.append(Diagnostic(
                "licence-modification", f"{src.id} {src.version} is licensed by {lic.holder} on "
                f"terms that forbid modification (\"modification: forbidden\"), but this measure "
                f"{'; '.join(changes)}",
                f"Use all {n} items of {src.id} unchanged and in their published order "
                "(`items: all`, no `text:`/`rescale:`, kept together in `order:`), or record "
                "the permission you were given on this compose entry: `permission: {granted_by: "
                "..., date: YYYY-MM-DD, reference: ...}`.", use.location))
    warning = None
    if lic.registration_required or lic.fees is not None:
        what = []
        if lic.registration_required:
            what.append(f"requires registration with {lic.holder}")
        if lic.fees is not None:
            what.append(f"fees: {(_text(lic.fees) or '').rstrip('.')}")
        if lic.commercial_use != "allowed":
            what.append("non-commercial terms apply" if lic.commercial_use == "forbidden"
                        else "commercial users need a paid licence")
        warning = f"{src.id} {src.version}: " + "; ".join(what)
        diags.append(Diagnostic("licence-registration", warning,
                                CODES["licence-registration"].hint, use.location, "warning"))
    if lic.commercial_use != "allowed":
        diags.append(Diagnostic(
            "licence-non-commercial", f"{src.id} {src.version}: "
            + ("non-commercial use only" if lic.commercial_use == "forbidden"
               else "commercial users need a paid licence"),
            CODES["licence-non-commercial"].hint, use.location, "info"))
    if lic.text_redistribution == "forbidden":
        diags.append(Diagnostic(
            "licence-text-overlay", f"{src.id}'s item text may not be redistributed; the built "
            "measure holds the text from your licensed overlay", CODES["licence-text-overlay"].hint,
            use.location, "info"))
    return LicenceRow(
        index=use.index, source=src.id, version=src.version, holder=lic.holder,
        terms=terms(lic), use=use.use_text(), status=status, obligations=obligations(lic),
        attribution=_text(lic.attribution), permission=permission, diagnostics=diags,
        warning=warning)


def assess(p: Plan) -> list[LicenceRow]:
    """Apply the licence rules to every source of a resolved composer (one row each)."""
    return [_assess_use(use) for use in p.uses]


def own_row(m: Measure, file: str) -> LicenceRow:
    lic = m.licence
    diags = []
    warning = None
    loc = Location(file, path="licence")
    if lic.registration_required or lic.fees is not None:
        warning = f"{m.id} {m.version}: " + "; ".join(
            x for x in (f"requires registration with {lic.holder}"
                        if lic.registration_required else "",
                        f"fees: {_text(lic.fees)}" if lic.fees is not None else "") if x)
        diags.append(Diagnostic("licence-registration", warning,
                                CODES["licence-registration"].hint, loc, "warning"))
    return LicenceRow(index=None, source=m.id, version=m.version, holder=lic.holder,
                      terms=terms(lic), use="this definition, as published", status="ok",
                      obligations=obligations(lic), attribution=_text(lic.attribution),
                      diagnostics=diags, warning=warning)


class LicenceReportResult(Result):
    """The licence obligations of a measure: one row per source.

    Attributes
    ----------
    measure, version : str
        The measure checked.
    rows : list of dict
        ``source``, ``version``, ``holder``, ``terms``, ``use``, ``status``
        (``ok``/``permission``/``violation``), ``obligations``, ``attribution``,
        ``permission``, ``diagnostics``.
    ok : bool
        No source's licence is broken.
    """

    measure: str
    version: str
    rows: list[dict[str, Any]]
    ok: bool

    @property
    def violations(self) -> list[dict[str, Any]]:
        """The rows whose use the source's licence does not allow."""
        return [r for r in self.rows if r["status"] == "violation"]

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        import pandas as pd

        return pd.DataFrame([{k: v for k, v in r.items() if k != "diagnostics"}
                             for r in self.rows])

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        head = ("source", "holder", "terms", "use", "status")
        table = [head] + [(f"{r['source']}@{r['version']}", r["holder"], r["terms"], r["use"],
                           r["status"]) for r in self.rows]
        widths = [min(max(len(row[i]) for row in table), 48) for i in range(4)]

        def cut(text: str, n: int) -> str:
            return text if len(text) <= n else text[: n - 1] + "…"

        lines = ["  ".join(cut(row[i], widths[i]).ljust(widths[i]) for i in range(4))
                 + "  " + row[4] for row in table]
        obligations_lines = []
        for r in self.rows:
            for o in r["obligations"]:
                obligations_lines.append(f"  {r['source']}: {o}")
        if obligations_lines:
            lines += ["", "Obligations:", *obligations_lines]
        attributions = [r["attribution"] for r in self.rows if r["attribution"]]
        if attributions:
            lines += ["", "Attribution lines (printed on every form):",
                      *(f"  {a}" for a in dict.fromkeys(attributions))]
        lines += ["", f"{self.measure} {self.version}: "
                  + ("licences respected" if self.ok else
                     f"{len(self.violations)} licence violation(s)")]
        return "\n".join(lines)


def locked_findings(measure: Measure, loc: Location) -> list[Diagnostic]:
    """Licence findings of a built measure, from the sources recorded in its ``lock:``.

    Registration and fees are warnings; non-commercial terms, licensed text and recorded
    permissions are reported as ``info``. A measure that is not built gets ``info`` findings
    for its own licence's registration and non-commercial terms.
    """
    out: list[Diagnostic] = []
    sources = measure.lock.sources if measure.lock is not None else []
    entries: list[tuple[str, Licence, Any, str]] = [
        (f"{s.id} {s.version}", s.licence, s, "warning") for s in sources
        if s.licence is not None]
    if not sources:
        entries = [(f"{measure.id} {measure.version}", measure.licence, None, "info")]
    for label, lic, src, sev in entries:
        if lic.registration_required or lic.fees is not None:
            what = [f"requires registration with {lic.holder}"] if lic.registration_required \
                else []
            if lic.fees is not None:
                what.append(f"fees: {(_text(lic.fees) or '').rstrip('.')}")
            out.append(Diagnostic("licence-registration", f"{label}: {'; '.join(what)}",
                                  CODES["licence-registration"].hint, loc, sev))  # type: ignore[arg-type]
        if lic.commercial_use != "allowed":
            out.append(Diagnostic(
                "licence-non-commercial", f"{label}: " + (
                    "non-commercial use only" if lic.commercial_use == "forbidden"
                    else "commercial users need a paid licence"),
                CODES["licence-non-commercial"].hint, loc, "info"))
        if src is not None and lic.text_redistribution == "forbidden":
            out.append(Diagnostic("licence-text-overlay", f"{label}: the item text comes from "
                                  "a licensed overlay", CODES["licence-text-overlay"].hint, loc,
                                  "info"))
        if src is not None and src.status == "permission" and src.permission is not None:
            perm = src.permission
            out.append(Diagnostic(
                "licence-permission", f"{label}: {src.use} under the permission granted by "
                f"{perm.granted_by} on {perm.date}", CODES["licence-permission"].hint, loc,
                "info"))
    return out
