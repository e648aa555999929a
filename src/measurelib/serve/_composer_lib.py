"""The guided composer's calls into measurelib (public names only), apart from the views.

A draft is a composer definition (YAML): the guided pages edit it as data and write it back
(:func:`edit`), an upload replaces it. Every check is measurelib's own: the YAML reader with
positions and limits (``parse_document``), the model (``load_document``), the licence
table and rules (``licence_report``, ``compose.plan`` and ``compose.assess_licences``), the
build (``build``, exactly as ``measurelib build``), the linter (``lint``) and the form
renderer (``Measure.render``). The service adds one rule of its own (:func:`file_references`):
it reads no files, so a draft may name only catalog sources and shipped pictograms.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import measurelib as ml

__all__ = ["MAX_UPLOAD_BYTES", "Checked", "Source", "check", "edit", "entries",
           "file_references", "ids", "mapping",
           "latest_published", "new_text", "parse", "preview", "published_measure",
           "published_titles", "shipped_scales", "sources"]

#: the largest YAML file the composer accepts (bytes); larger uploads are refused unread
MAX_UPLOAD_BYTES = 256 * 1024

FILE_CODE = "service-file-reference"
PUBLISHED_CODE = "service-version-published"
CATALOG_CODE = "service-catalog-id"

_EMPTY = Path(tempfile.mkdtemp(prefix="mlcomposer"))  # files named in a draft resolve here
_SOURCE = re.compile(r"^[a-z][a-z0-9-]*(@[0-9][0-9A-Za-z.+-]*)?$")


def entries(data: Any, key: str) -> list[dict[str, Any]]:
    """The mappings in the list ``data[key]`` of a draft as written (anything else: none).

    A draft is read as the user wrote it, before the model checks its types, so every
    field may be of any type.
    """
    value = data.get(key) if isinstance(data, dict) else None
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def mapping(data: Any, key: str) -> dict[Any, Any]:
    """The mapping ``data[key]`` of a draft as written (anything else: empty)."""
    value = data.get(key) if isinstance(data, dict) else None
    return dict(value) if isinstance(value, dict) else {}


def ids(value: Any) -> list[str]:
    """An ``items:`` value as written: its ids if it is a list (``all`` and others: none)."""
    return [str(v) for v in value if isinstance(v, (str, int))] if isinstance(value, list) \
        else []


def parse(text: str, file: str = "composer.yaml") -> ml.definition.Document:
    """The draft's YAML parsed with positions (limits and hostile YAML refused, located).

    Raises
    ------
    DefinitionError
        A syntax problem, a tag, an alias bomb, a depth or size beyond the limits, or a
        file the service does not read (:func:`file_references`).
    """
    doc = ml.definition.parse_document(text, file, _EMPTY)
    problems = file_references(doc)
    if problems:
        raise ml.DefinitionError(problems)
    return doc


def _graphics(data: Any, path: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], Any]]:
    out: list[tuple[tuple[Any, ...], Any]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "graphic":
                out.append(((*path, key), value))
            else:
                out.extend(_graphics(value, (*path, key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out.extend(_graphics(value, (*path, i)))
    return out


def file_references(doc: ml.definition.Document) -> list[ml.Diagnostic]:
    """Every file a draft names (the service reads none), located."""
    data = doc.data
    if not isinstance(data, dict):
        return []
    hint = ml.errors.CODES[FILE_CODE].hint
    out: list[ml.Diagnostic] = []
    compose = data.get("compose")
    for i, entry in enumerate(compose if isinstance(compose, list) else []):
        if not isinstance(entry, dict):
            continue
        ref = entry.get("from")
        if isinstance(ref, str) and not _SOURCE.match(ref):
            out.append(ml.Diagnostic(FILE_CODE, f"compose source {ref[:80]!r} is a file, not a "
                                  "catalog id", hint, doc.location(("compose", i, "from"))))
        if "overlay" in entry:
            out.append(ml.Diagnostic(FILE_CODE, "an overlay file cannot be used in the service",
                                  hint, doc.location(("compose", i, "overlay"), key=True)))
    for name, spec in mapping(data, "tables").items():
        if isinstance(spec, dict) and "file" in spec:
            out.append(ml.Diagnostic(FILE_CODE, f"table {str(name)[:40]!r} names a file", hint,
                                  doc.location(("tables", name, "file"))))
    shipped = set(ml.forms.pictogram_names())
    for where, value in _graphics(data, ()):
        if isinstance(value, str) and value not in shipped:
            out.append(ml.Diagnostic(FILE_CODE, f"picture {str(value)[:80]!r} is not a shipped "
                                  f"pictogram ({', '.join(sorted(shipped)[:3])}, ...)", hint,
                                  doc.location(where)))
    return out


@dataclass
class Checked:
    """Everything measurelib says about a draft: located errors, the licence table, the
    linter's findings, the build's licence notices and the built measure (None if it does
    not build).
    """

    errors: list[ml.Diagnostic] = field(default_factory=list)
    licence: list[dict[str, Any]] = field(default_factory=list)
    licence_ok: bool = True
    findings: list[dict[str, Any]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    built: Any = None
    measure: Any = None

    @property
    def publishable(self) -> bool:
        """Whether the draft builds (nothing blocks a publish but the service's own checks)."""
        return self.built is not None and not self.errors


def check(text: str, file: str = "composer.yaml") -> Checked:
    """Parse, load, assess licences, build and lint a draft as ``measurelib build`` and
    ``measurelib lint`` would; every problem is collected, none raised.
    """
    out = Checked()
    try:
        doc = parse(text, file)
        measure = ml.definition.load_document(doc)
    except ml.DefinitionError as exc:
        out.errors = list(exc.errors)
        return out
    out.measure = measure
    if resolve_quietly(measure.id):
        out.errors.append(ml.Diagnostic(CATALOG_CODE, f"{measure.id!r} is the id of a catalog "
                                     "definition", ml.errors.CODES[CATALOG_CODE].hint,
                                     doc.location(("id",))))
    try:
        report = ml.compose.licence_report(measure)
        out.licence, out.licence_ok = list(report.rows), bool(report.ok)
    except ml.MeasurelibError as exc:
        out.errors.extend(exc.errors)
        return out
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ml.LicenceWarning)
        warnings.simplefilter("ignore", ml.FormWarning)
        try:
            out.built = ml.build(measure)
        except ml.MeasurelibError as exc:  # DefinitionError and LicenceError, located
            out.errors.extend(exc.errors)
    out.notices = [str(w.message) for w in caught if issubclass(w.category, ml.LicenceWarning)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.findings = list(ml.lint(measure).findings)
    except ml.MeasurelibError as exc:
        seen = {str(d) for d in out.errors}
        out.errors.extend(d for d in exc.errors if str(d) not in seen)
    return out


def resolve_quietly(measure_id: str) -> bool:
    """Whether ``measure_id`` names a catalog definition."""
    try:
        ml.definition.resolve(measure_id)
    except ml.MeasurelibError:
        return False
    return True


def preview(built: Any, kind: str) -> str:
    """The built measure's web form (``html``) or paper form (``print``), by forms' own
    renderer; the web form posts nowhere (the preview page allows no form to be sent).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.FormWarning)
        if kind == "web":
            return str(built.render("html", action="about:blank", method="post"))
        return str(built.render("print"))


def new_text(measure_id: str, title: str, holder: str) -> str:
    """The YAML of a new, empty draft: the organisation's own licence, untested."""
    data: dict[str, Any] = {
        "format": 1, "id": measure_id, "version": "1.0.0", "title": title,
        "validation": {"status": "untested"},
        "licence": {"holder": holder, "text_redistribution": "allowed",
                    "modification": "allowed"},
        "scales": {}, "items": [], "compose": [],
    }
    return ml.definition.dump_yaml(data)


# ------------------------------------------------------------------ what can be borrowed
@dataclass(frozen=True)
class Source:
    """A catalog measure or bank the composer can borrow from, with what its licence says
    about taking it whole and taking only some of its items (from the licence rules of
    ``measurelib build``, applied to a trial composer).
    """

    ref: str
    id: str
    version: str
    title: str
    kind: str
    terms: str
    obligations: tuple[str, ...]
    items: tuple[tuple[str, str], ...]
    whole: tuple[str, tuple[str, ...]]
    part: tuple[str, tuple[str, ...]]


def _trial(ref: str, items: Any, scores: bool) -> tuple[str, tuple[str, ...]]:
    """The licence status (and the messages) of a composer taking ``items`` of ``ref``."""
    entry: dict[str, Any] = {"from": ref, "items": items}
    if scores:
        entry["scores"] = True
    text = ml.definition.dump_yaml({"format": 1, "id": "trial", "version": "1.0.0", "title": "Trial",
                      "licence": {"holder": "x", "text_redistribution": "allowed",
                                  "modification": "allowed"},
                      "items": [], "compose": [entry]})
    try:
        rows = ml.compose.assess_licences(ml.compose.plan(ml.loads(text)))
    except ml.MeasurelibError as exc:
        return "unavailable", tuple(d.message for d in exc.errors)
    row = rows[0]
    return row.status, tuple(d.message for d in row.diagnostics if d.severity != "info")


@lru_cache(maxsize=1)
def sources() -> tuple[Source, ...]:
    """Every shipped bank and measure whose item text ships (the service holds no licensed
    text), banks first.
    """
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for entry in ml.catalog():
            if entry.kind not in ("bank", "measure") or not entry.text_included:
                continue
            m = ml.load(f"{entry.id}@{entry.version}")
            ref = f"{entry.id}@{entry.version}"
            items = tuple((it.id, m.text(it.text) or it.id) for it in m.items)
            whole = _trial(ref, "all", bool(m.scores) and entry.kind == "measure")
            part = _trial(ref, [items[0][0]], False) if len(items) > 1 else whole
            out.append(Source(ref, entry.id, entry.version, entry.title, entry.kind,
                              ml.compose.terms(m.licence), tuple(ml.compose.obligations(m.licence)), items,
                              whole, part))
    out.sort(key=lambda s: (s.kind != "bank", s.id))
    return tuple(out)


@lru_cache(maxsize=1)
def shipped_scales() -> tuple[tuple[str, str, dict[str, Any]], ...]:
    """The answer scales of the shipped banks: (key ``bank:scale``, label, definition)."""
    out = []
    for src in sources():
        if src.kind != "bank":
            continue
        m = ml.load(src.ref)
        for sid, scale in m.scales.items():
            if getattr(scale, "type", "") not in ("ordinal", "yesno"):
                continue
            labels = [m.text(o.label) or str(o.value) for o in getattr(scale, "options", [])]
            shown = f"{m.text(scale.title) or sid}: {' / '.join(labels)}"
            data = scale.model_dump(mode="json", exclude_defaults=True, by_alias=True)
            out.append((f"{src.id}:{sid}", shown, data))
    return tuple(out)


# ------------------------------------------------------------------ guided edits
def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40].strip("_") or "question"
    if not base[0].isalpha():
        base = "q_" + base
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def _options(text: str) -> list[dict[str, Any]]:
    """``value = label`` lines (or labels alone, valued 1, 2, ...) as scale options."""
    out: list[dict[str, Any]] = []
    for n, line in enumerate((ln.strip() for ln in text.splitlines() if ln.strip()), start=1):
        value: Any = n
        label = line
        m = re.match(r"^(-?\d+(?:\.\d+)?)\s*[=:]\s*(.+)$", line)
        if m:
            value = float(m.group(1)) if "." in m.group(1) else int(m.group(1))
            label = m.group(2).strip()
        out.append({"value": value, "label": label})
    return out


def _taken_ids(data: dict[str, Any]) -> set[str]:
    taken = {str(it.get("id")) for it in entries(data, "items")}
    for entry in entries(data, "compose"):
        taken.update(ids(entry.get("items")))
    return taken


def edit(text: str, action: str, values: dict[str, Any]) -> str:
    """The draft's YAML after one guided edit.

    ``action`` is ``pick`` (``values["picks"]``: source ref → item ids or ``"all"``),
    ``own`` (a question: ``text``, ``id``, ``scale`` key or ``options`` lines, ``graphic``,
    ``alt``), ``remove`` (``values["item"]``: an own item id, or ``ref:item``), ``score``
    (``id``, ``title``, ``method`` sum or mean, ``higher_is_better`` yes/no/blank and
    ``score_items``, the question ids) or ``remove_score`` (``values["score"]``).

    Raises
    ------
    DefinitionError
        The draft's YAML cannot be read (fix it in the YAML box first).
    ValueError
        The edit itself makes no sense (say why, for the page).
    """
    doc = parse(text)
    data = doc.data
    if not isinstance(data, dict):
        raise ValueError("The draft is not a definition; replace its YAML first.")
    data = dict(data)
    if action == "pick":
        _pick(data, values["picks"])
    elif action == "own":
        _own(data, values)
    elif action == "remove":
        _remove(data, str(values["item"]))
    elif action == "score":
        _score(data, values)
    elif action == "remove_score":
        data["scores"] = [sc for sc in entries(data, "scores")
                          if sc.get("id") != values.get("score")]
    else:
        raise ValueError(f"unknown edit {action!r}")
    result = ml.definition.dump_yaml(data)
    parse(result)  # what the service would refuse in an upload it refuses here too
    return result


def _pick(data: dict[str, Any], picks: dict[str, Any]) -> None:
    known = {s.ref: s for s in sources()}
    compose = [dict(e) for e in entries(data, "compose")]
    for ref, items in picks.items():
        src = known.get(ref)
        if src is None:
            raise ValueError(f"{ref} is not a source the service can borrow from")
        entry = next((e for e in compose if e.get("from") == ref), None)
        if entry is None:
            entry = {"from": ref, "items": []}
            compose.append(entry)
        if items == "all":
            entry["items"] = "all"
            if src.kind == "measure":
                entry["scores"] = True
        elif entry.get("items") != "all":
            order = [i for i, _ in src.items]
            chosen = set(ids(entry.get("items"))) | set(items)
            entry["items"] = [i for i in order if i in chosen]
    data["compose"] = compose


def _own(data: dict[str, Any], values: dict[str, Any]) -> None:
    text = str(values.get("text") or "").strip()
    if not text:
        raise ValueError("Write the question.")
    taken = _taken_ids(data)
    item_id = str(values.get("id") or "").strip() or _slug(text, taken)
    if item_id in taken:
        raise ValueError(f"There is already a question with the id {item_id!r}.")
    scales = mapping(data, "scales")
    key = str(values.get("scale") or "")
    if key:
        found = {k: d for k, _, d in shipped_scales()}.get(key)
        if found is None:
            raise ValueError("Choose one of the scales offered.")
        scale_id = key.split(":", 1)[1]
        if scale_id in scales and scales[scale_id] != found:
            scale_id = _slug(key, set(scales))
        scales[scale_id] = found
    else:
        options = _options(str(values.get("options") or ""))
        if len(options) < 2:
            raise ValueError("Choose a scale, or write at least two answer options, one a line.")
        scale_id = _slug(f"{item_id}_options", set(scales))
        scales[scale_id] = {"type": "ordinal", "options": options}
    item: dict[str, Any] = {"id": item_id, "text": text, "scale": scale_id}
    graphic = str(values.get("graphic") or "")
    if graphic:
        if graphic not in ml.forms.pictogram_names():
            raise ValueError("Choose one of the pictures offered.")
        alt = str(values.get("alt") or "").strip()
        if not alt:
            raise ValueError("Describe the picture for people who cannot see it.")
        item["graphic"], item["alt"] = graphic, alt
    data["scales"] = scales
    data["items"] = [*entries(data, "items"), item]


def _score(data: dict[str, Any], values: dict[str, Any]) -> None:
    items = [str(i) for i in values.get("score_items") or []]
    if not items:
        raise ValueError("Tick the questions the score adds up.")
    title = str(values.get("title") or "").strip()
    scores = entries(data, "scores")
    taken = {str(sc.get("id")) for sc in scores} | _taken_ids(data)
    score_id = str(values.get("id") or "").strip() or _slug(title or "score", taken)
    if score_id in taken:
        raise ValueError(f"The id {score_id!r} is already used by a question or a score.")
    method = str(values.get("method") or "sum")
    if method not in ("sum", "mean"):
        raise ValueError("Choose sum or mean.")
    score: dict[str, Any] = {"id": score_id}
    if title:
        score["title"] = title
    score["items"] = items
    score["method"] = method
    better = values.get("higher_is_better")
    if better in ("yes", "no"):
        score["higher_is_better"] = better == "yes"
    data["scores"] = [*scores, score]


def _remove(data: dict[str, Any], key: str) -> None:
    items = entries(data, "items")
    kept = [it for it in items if it.get("id") != key]
    if len(kept) != len(items):
        data["items"] = kept
        return
    ref, _, item_id = key.rpartition(":")
    known = {s.ref: s for s in sources()}
    compose = []
    for entry in entries(data, "compose"):
        if entry.get("from") == ref and ref in known:
            listed = entry.get("items")
            taken = [i for i, _ in known[ref].items] if listed == "all" else ids(listed)
            entry = {**entry, "items": [i for i in taken if i != item_id]}
            entry.pop("scores", None) if listed == "all" else None
            if not entry["items"]:
                continue
        compose.append(entry)
    data["compose"] = compose


# ------------------------------------------------------------------ published versions
def latest_published(measure_id: str) -> tuple[str, str, str] | None:
    """The newest published version of ``measure_id``: (id, version, sha256), or None.

    The three together name one immutable definition in any database, so a cache keyed by
    them can never hand out another database's measure (a primary key could).
    """
    from measurelib.serve.models import PublishedMeasure

    row = PublishedMeasure.objects.filter(measure_id=measure_id).order_by(
        "-published_at", "-id").values_list("measure_id", "version", "sha256").first()
    return (str(row[0]), str(row[1]), str(row[2])) if row is not None else None


def published_measure(measure_id: str, version: str, sha256: str) -> ml.Measure:
    """A published version as a Measure (its built definition, read from the database)."""
    from measurelib.serve.models import PublishedMeasure

    row = PublishedMeasure.objects.get(measure_id=measure_id, version=version, sha256=sha256)
    return ml.loads(row.built, f"{row.measure_id}@{row.version}")


def published_titles() -> tuple[tuple[str, str], ...]:
    """(id, title) of every published measure, newest version's title."""
    from measurelib.serve.models import PublishedMeasure

    seen: dict[str, str] = {}
    for mid, title in PublishedMeasure.objects.order_by(
            "measure_id", "-published_at", "-id").values_list("measure_id", "title"):
        seen.setdefault(mid, title)
    return tuple(seen.items())


def location_text(d: ml.Diagnostic | dict[str, Any]) -> str:
    """``line:column`` (or the path) of a diagnostic, for the page."""
    loc = d.location if isinstance(d, ml.Diagnostic) else ml.Location(**{
        k: v for k, v in (d.get("location") or {}).items()
        if k in ("file", "line", "column", "path")})
    if loc.line is not None:
        return f"line {loc.line}, column {loc.column or 1}"
    return loc.path or ""
