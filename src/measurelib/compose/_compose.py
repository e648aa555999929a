"""Composing measures from item banks: resolve ``compose:``, check licences, lock.

A *composer* is a measure definition with ``compose:`` entries. Each entry takes items
from a source: a catalog measure or bank (``from: swemwbs@1.0.0``) or a file
(``from: banks/my-bank.yaml``, relative to the composer). :func:`build` resolves every
entry into one flat measure:

* items are copied with their scales; each carries its provenance (``source:``: source id,
  version, original item id, whether its text or scale was changed);
* ``rename:`` and ``prefix:`` change item ids (not a modification: respondents never see ids);
* ``text:`` rewords and ``rescale:`` re-scales items (modifications);
* the form order is ``order:`` if given (item ids, or a compose entry's ``from`` / source id
  standing for all its items), else the composed items in compose order followed by the
  composer's own items;
* a source taken whole keeps its instructions (after the composer's, labelled with its
  name) and every borrowed item keeps its source's recall period;
* scores are the composer's own; ``scores: true`` also takes the source's scores (and alerts)
  when it is taken whole and unchanged, with ids prefixed by the source id
  (``phq-9_total``). A ``kind: battery`` takes every entry whole with its scores;
* licences are enforced (:mod:`measurelib.compose._licence`): a modification the licence forbids is a
  :class:`~measurelib.errors.LicenceError` unless a ``permission:`` is recorded; item text
  that may not be redistributed comes from the user's overlay file; registration and fees
  raise a :class:`~measurelib.errors.LicenceWarning` on every build; attribution lines of
  every source are collected into ``attributions:``;
* a ``lock:`` block records the version and content hash of every source and of the built
  measure. The hash is the SHA-256 of the canonical JSON form (sorted keys, no whitespace,
  defaults left out), so building the same inputs twice gives byte-identical output.

Overlay files (licensed text, and translations of borrowed text) have one of two shapes::

    measure: swemwbs@1.0.0          # one measure
    instructions: "..."             # optional: licensed instructions of a whole measure
    recall: {cy: "..."}             # optional: the recall period (a translation of it)
    scores: {metric: {cy: "..."}}   # optional: titles of the measure's scores
    items:
      optimistic: "..."             # or {en: ..., cy: ...}
      control:                      # or an item's text, option labels and variant wording
        text: {en: "...", cy: "..."}
        options: {1: "...", 2: "...", 3: "...", 4: "..."}   # this item's answer labels
        variants: {proxy: "..."}
    scales:
      freq5:                        # option labels of a scale, for every item that uses it
        options: {1: {cy: "..."}, 2: {cy: "..."}}

    measures:                       # several measures in one file
      swemwbs:
        items: {optimistic: "...", ...}

Every text is a string or a map ``{language: text}``. An overlay *adds* what is missing: text
the licence keeps out of the catalog, and languages a shipped text lacks. It never rewords
shipped text (a different string for a language the text already has is an error; reword
with ``text:`` on the compose entry, which the licence must allow). See :func:`apply_overlay`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from measurelib._version import __version__
from measurelib.compose._licence import assess as _assess_licences
from measurelib.definition import (
    ID_PATTERN,
    ComposeEntry,
    Measure,
    Origin,
    did_you_mean,
    error_path,
    format_path,
    load,
    load_document,
    parse_document,
    parse_path,
    read_text,
    resolve,
)
from measurelib.errors import (
    CODES,
    DefinitionError,
    Diagnostic,
    LicenceError,
    LicenceWarning,
    Location,
    VariantFallbackWarning,
)

__all__ = [
    "Overlay",
    "apply_overlay",
    "fallback_message",
    "merge_text",
    "overlays_from_mapping",
    "variant_fallbacks",
    "Plan",
    "SourceUse",
    "VersionMapResult",
    "build",
    "canonical_json",
    "content_hash",
    "derive",
    "load_overlays",
    "plan",
    "version_map",
]


# ----------------------------------------------------------------------------- hashing
def canonical_json(data: Any) -> str:
    """The canonical JSON text of plain data: sorted keys, no whitespace, UTF-8 as is."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def content_hash(measure: Measure | dict[str, Any]) -> str:
    """SHA-256 (hex) of a measure's canonical JSON form, without its ``lock:`` block.

    Defaults are left out (:meth:`Measure.to_dict`), so writing a default explicitly does not
    change the hash.
    """
    data = measure.to_dict() if isinstance(measure, Measure) else dict(measure)
    data.pop("lock", None)
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


# ----------------------------------------------------------------------------- overlays
@dataclass
class Overlay:
    """Licensed text for one measure (item text, option labels, variant wording, translations),
    read from a user's overlay file.
    """

    measure: str
    version: str | None
    items: dict[str, Any]  # item id -> Text
    instructions: Any
    file: str
    doc: Any = None
    options: dict[str, dict[float, Any]] = field(default_factory=dict)  # item -> value -> Text
    scales: dict[str, dict[float, Any]] = field(default_factory=dict)  # scale -> value -> Text
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)  # item -> variant -> Text
    recall: Any = None
    scores: dict[str, Any] = field(default_factory=dict)  # score id -> title Text

    @property
    def languages(self) -> set[str]:
        """Languages the overlay's texts are given in (plain strings count as none)."""
        out: set[str] = set()

        def add(t: Any) -> None:
            if isinstance(t, dict):
                out.update(t)

        for t in (*self.items.values(), self.instructions, self.recall):
            add(t)
        groups: list[dict[Any, Any]] = [*self.options.values(), *self.scales.values(),
                                        *self.variants.values()]
        for group in groups:
            for t in group.values():
                add(t)
        return out

    def location(self, *path: Any) -> Location:
        """The position in the overlay file of the value at ``path``."""
        if self.doc is None:
            return Location(self.file)
        found: Location = self.doc.location(tuple(path))
        return found


def _is_text(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, dict) and bool(value)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()))


def overlays_from_mapping(data: dict[str, Any], *, default_measure: str | None = None,
                          name: str = "overlay") -> dict[str, Overlay]:
    """Overlays given as a Python mapping, in any shape an overlay file may have."""
    import yaml

    try:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except yaml.YAMLError as exc:
        raise TypeError(f"`overlay` must hold only text, numbers, lists and mappings: {exc}"
                        ) from None
    return _overlays_from_text(text, name, default_measure)


def load_overlays(path: str | os.PathLike[str], *, default_measure: str | None = None
                  ) -> dict[str, Overlay]:
    """Read an overlay file: ``{measure id: Overlay}``.

    Parameters
    ----------
    path
        The overlay file (YAML).
    default_measure
        Measure the file is for when it names none (an overlay given on a compose entry may
        be a plain ``items:`` mapping, or even a bare ``item id: text`` mapping).

    Raises
    ------
    DefinitionError
        ``file-not-found`` or ``overlay-invalid``, with file, line and column.
    """
    shown = str(path)
    return _overlays_from_text(read_text(Path(path), shown), shown, default_measure)


def _overlays_from_text(text: str, shown: str, default_measure: str | None  # noqa: C901 - one branch per kind of overlay text (items, options, variants, translations)
                        ) -> dict[str, Overlay]:
    doc = parse_document(text, shown)
    data = doc.data
    bad = Diagnostic("overlay-invalid", "the overlay is not a mapping", "Write it as `measure: "
                     "<id>` and `items: {item_id: text, ...}` (see docs/licences.md).",
                     Location(shown, 1, 1))
    if not isinstance(data, dict):
        raise DefinitionError([bad])
    blocks: list[tuple[str, Any, tuple[Any, ...]]] = []
    if "measures" in data:
        measures = data["measures"]
        if not isinstance(measures, dict):
            raise DefinitionError([bad.with_location(doc.location(("measures",)))])
        for mid, block in measures.items():
            blocks.append((str(mid), block, ("measures", mid)))
    elif "items" in data:
        mid = data.get("measure", default_measure)
        if mid is None:
            raise DefinitionError([Diagnostic(
                "overlay-invalid", "the overlay does not say which measure it is for",
                "Add `measure: <id>` at the top.", doc.location(()))])
        blocks.append((str(mid), data, ()))
    elif default_measure is not None:
        blocks.append((default_measure, {"items": data}, ()))
    else:
        raise DefinitionError([bad])
    out: dict[str, Overlay] = {}
    problems: list[Diagnostic] = []
    for ref, block, base in blocks:
        mid, _, version = ref.partition("@")
        if not isinstance(block, dict) or not isinstance(block.get("items"), dict):
            problems.append(Diagnostic("overlay-invalid", f"the overlay for {mid!r} has no "
                                       "`items:` mapping", "Write `items: {item_id: text, ...}`.",
                                       doc.location(base)))
            continue
        items_path = (*base, "items") if base or "items" in data else base
        items: dict[str, Any] = {}
        item_options: dict[str, dict[float, Any]] = {}
        item_variants: dict[str, dict[str, Any]] = {}
        for key, value in block["items"].items():
            if isinstance(value, dict) and value and set(value) <= _ITEM_KEYS:
                # the structured form: text, options and variants of one item
                where = (*items_path, key)
                if "text" in value:
                    if _is_text(value["text"]):
                        items[str(key)] = value["text"]
                    else:
                        problems.append(_not_text(f"the overlay text of item {key!r}",
                                                  doc.location((*where, "text"))))
                if "options" in value:
                    item_options[str(key)] = _labels(value["options"], f"item {key!r}",
                                                     doc, (*where, "options"), problems)
                if "variants" in value:
                    variants = value["variants"]
                    if not isinstance(variants, dict) or not set(variants) <= _VARIANTS or not \
                            all(_is_text(v) for v in variants.values()):
                        problems.append(Diagnostic(
                            "overlay-invalid", f"the overlay variants of item {key!r} are not "
                            f"a map of {', '.join(sorted(_VARIANTS))} to text",
                            "Write e.g. `variants: {proxy: ..., easy_read: ...}`.",
                            doc.location((*where, "variants"))))
                    else:
                        item_variants[str(key)] = {str(k): v for k, v in variants.items()}
                continue
            if not _is_text(value):
                problems.append(Diagnostic(
                    "overlay-invalid", f"the overlay text of item {key!r} is not text",
                    "Give the text as a string, or a map of language code to string (or "
                    "`{text: ..., options: {value: label}, variants: {proxy: ...}}`).",
                    doc.location((*items_path, key))))
                continue
            items[str(key)] = value
        scale_labels: dict[str, dict[float, Any]] = {}
        scales_block = block.get("scales")
        if scales_block is not None:
            if not isinstance(scales_block, dict):
                problems.append(Diagnostic(
                    "overlay-invalid", f"the overlay's scales for {mid!r} are not a mapping",
                    "Write `scales: {scale_id: {options: {value: label}}}`.",
                    doc.location((*base, "scales"))))
            else:
                for sid, sblock in scales_block.items():
                    where = (*base, "scales", sid)
                    if not isinstance(sblock, dict) or set(sblock) != {"options"}:
                        problems.append(Diagnostic(
                            "overlay-invalid", f"the overlay for scale {sid!r} has no "
                            "`options:` mapping", "Write `options: {value: label, ...}`.",
                            doc.location(where)))
                        continue
                    scale_labels[str(sid)] = _labels(sblock["options"], f"scale {sid!r}", doc,
                                                     (*where, "options"), problems)
        score_titles: dict[str, Any] = {}
        scores_block = block.get("scores")
        if scores_block is not None:
            if not isinstance(scores_block, dict):
                problems.append(Diagnostic(
                    "overlay-invalid", f"the overlay's scores for {mid!r} are not a mapping",
                    "Write `scores: {score_id: title}`.", doc.location((*base, "scores"))))
            else:
                for sid, title in scores_block.items():
                    if _is_text(title):
                        score_titles[str(sid)] = title
                    else:
                        problems.append(_not_text(f"the overlay's title of score {sid!r}",
                                                  doc.location((*base, "scores", sid))))
        recall = block.get("recall")
        if recall is not None and not _is_text(recall):
            problems.append(_not_text(f"the overlay's recall period for {mid!r}",
                                      doc.location((*base, "recall"))))
        instructions = block.get("instructions")
        if instructions is not None and not _is_text(instructions):
            problems.append(Diagnostic(
                "overlay-invalid", f"the overlay's instructions for {mid!r} are not text",
                "Give them as a string, or a map of language code to string.",
                doc.location((*base, "instructions"))))
        if block is data and "measure" in data and isinstance(data["measure"], str):
            version = version or str(data["measure"]).partition("@")[2]
        out[mid] = Overlay(mid, version or None, items, instructions, shown, doc,
                           options=item_options, scales=scale_labels, variants=item_variants,
                           recall=recall, scores=score_titles)
        out[mid].doc = _PathDoc(doc, items_path)
    if problems:
        raise DefinitionError(problems)
    return out


_ITEM_KEYS = {"text", "options", "variants"}
_VARIANTS = {"proxy", "easy_read", "telephone", "assisted"}


def _not_text(what: str, loc: Location) -> Diagnostic:
    return Diagnostic("overlay-invalid", f"{what} is not text", "Give the text as a string, or "
                      "a map of language code to string.", loc)


def _labels(value: Any, what: str, doc: Any, path: tuple[Any, ...],
            problems: list[Diagnostic]) -> dict[float, Any]:
    """``{option value: label}`` of an overlay (values as numbers)."""
    if not isinstance(value, dict):
        problems.append(Diagnostic(
            "overlay-invalid", f"the overlay's option labels of {what} are not a mapping",
            "Write `options: {1: label, 2: label, ...}` with the option values as keys.",
            doc.location(path)))
        return {}
    out: dict[float, Any] = {}
    for k, v in value.items():
        try:
            num = float(k)
        except (TypeError, ValueError):
            num = float("nan")
        if num != num or isinstance(k, bool):
            problems.append(Diagnostic(
                "overlay-invalid", f"the overlay's option {k!r} of {what} is not an option value",
                "Key option labels by the option's value (a number), e.g. `1: ...`.",
                doc.location((*path, k))))
        elif not _is_text(v):
            problems.append(_not_text(f"the overlay's label of option {k} of {what}",
                                      doc.location((*path, k))))
        else:
            out[num] = v
    return out


def merge_text(shipped: Any, added: Any, language: str) -> tuple[Any, list[str]]:
    """``shipped`` text with the languages ``added`` supplies; and the languages where
    ``added`` would reword shipped text (then the shipped wording is kept).

    A plain string counts as the measure's ``language``.
    """
    if added is None:
        return shipped, []
    if shipped is None:
        return added, []
    old = {language: shipped} if isinstance(shipped, str) else dict(shipped)
    new = {language: added} if isinstance(added, str) else dict(added)
    clashes = sorted(k for k, v in new.items() if k in old and old[k] != v)
    merged = {**new, **old}
    if set(merged) == {language} and isinstance(shipped, str):
        return shipped, clashes
    return merged, clashes


def apply_overlay(measure: Measure, overlay: Overlay) -> tuple[Measure, list[Diagnostic]]:  # noqa: C901 - one branch per kind of text a measure holds
    """``measure`` with the overlay's texts merged in (see :func:`merge_text`), and problems.

    Item text, item variants, option labels (of a scale, or of one item: the item then gets
    a copy of its scale, ``<scale>__<item>``), the recall period and the instructions. The
    result is not re-validated: a plain measure given a translation keeps its declared
    languages (a form can show them); a build validates the measure it assembles.
    """
    problems: list[Diagnostic] = []
    lang = measure.language
    ids = {it.id for it in measure.items}

    def clash(what: str, langs: list[str], loc: Location) -> None:
        problems.append(Diagnostic(
            "overlay-invalid", f"the overlay rewords the shipped {what} of {measure.id} "
            f"(language {', '.join(langs)})", "An overlay adds missing text and translations; "
            "leave the shipped wording out of it, or reword with `text:` on a compose entry "
            "(if the licence allows changes).", loc))

    for key in [*overlay.items, *overlay.options, *overlay.variants]:
        if key not in ids:
            problems.append(Diagnostic(
                "overlay-invalid", f"the overlay names item {key!r}, which {measure.id} does "
                "not have", f"Item ids of {measure.id}: {', '.join(sorted(ids))}.",
                overlay.location("items", key)))
    for key in overlay.scales:
        if key not in measure.scales:
            problems.append(Diagnostic(
                "overlay-invalid", f"the overlay names scale {key!r}, which {measure.id} does "
                "not have", f"Scale ids of {measure.id}: {', '.join(sorted(measure.scales))}.",
                overlay.location("scales", key)))

    def relabel(scale: Any, labels: dict[float, Any], what: str, loc: Location) -> Any:
        opts = getattr(scale, "options", None)
        if opts is None:
            problems.append(Diagnostic(
                "overlay-invalid", f"the overlay gives option labels for {what}, whose scale "
                "has no options", "Give option labels only for ordinal and yes/no scales.", loc))
            return scale
        values = {float(o.value) for o in opts}
        for v in labels:
            if v not in values:
                problems.append(Diagnostic(
                    "overlay-invalid", f"the overlay labels option {v:g} of {what}, which has "
                    "no such option", f"Its option values: {', '.join(f'{x:g}' for x in sorted(values))}.",
                    loc))
        new_opts = []
        for o in opts:
            label, clashes = merge_text(o.label, labels.get(float(o.value)), lang)
            if clashes:
                clash(f"label of option {float(o.value):g} of {what}", clashes, loc)
            new_opts.append(o.model_copy(update={"label": label}))
        return scale.model_copy(update={"options": new_opts})

    scales = dict(measure.scales)
    for sid, labels in overlay.scales.items():
        if sid in scales:
            scales[sid] = relabel(scales[sid], labels, f"scale {sid!r}",
                                  overlay.location("scales", sid))
    items = []
    for it in measure.items:
        update: dict[str, Any] = {}
        if it.id in overlay.items:
            text, clashes = merge_text(it.text, overlay.items[it.id], lang)
            if clashes:
                clash(f"text of item {it.id!r}", clashes, overlay.location("items", it.id))
            update["text"] = text
        if it.id in overlay.variants:
            variants = dict(it.variants)
            for key, value in overlay.variants[it.id].items():
                merged, clashes = merge_text(variants.get(key), value, lang)  # type: ignore[call-overload]
                if clashes:
                    clash(f"{key} wording of item {it.id!r}", clashes,
                          overlay.location("items", it.id))
                variants[key] = merged  # type: ignore[index]
            update["variants"] = variants
        if it.id in overlay.options and it.scale in scales:
            new_id = f"{it.scale}__{it.id}"
            scales[new_id] = relabel(scales[it.scale], overlay.options[it.id],
                                     f"item {it.id!r}", overlay.location("items", it.id))
            update["scale"] = new_id
        items.append(it.model_copy(update=update) if update else it)
    rules = []
    for rule in measure.scores:
        if rule.id in overlay.scores:
            title, clashes = merge_text(rule.title, overlay.scores[rule.id], lang)
            if clashes:
                clash(f"title of score {rule.id!r}", clashes, overlay.location("scores", rule.id))
            rule = rule.model_copy(update={"title": title})
        rules.append(rule)
    for key in overlay.scores:
        if key not in {r.id for r in measure.scores}:
            problems.append(Diagnostic(
                "overlay-invalid", f"the overlay names score {key!r}, which {measure.id} does "
                "not have", f"Score ids of {measure.id}: "
                f"{', '.join(r.id for r in measure.scores)}.", overlay.location("scores", key)))
    update_m: dict[str, Any] = {"items": items, "scales": scales, "scores": rules}
    if overlay.instructions is not None:
        text, clashes = merge_text(measure.instructions, overlay.instructions, lang)
        if clashes:
            clash("instructions", clashes, overlay.location("instructions"))
        update_m["instructions"] = text
    if overlay.recall is not None and measure.recall is not None:
        text, clashes = merge_text(measure.recall.text, overlay.recall, lang)
        if clashes:
            clash("recall period", clashes, overlay.location("recall"))
        update_m["recall"] = measure.recall.model_copy(update={"text": text})
    out = measure.model_copy(update=update_m)
    out._origin = measure._origin
    return out, problems


def variant_fallbacks(measure: Measure) -> dict[str, list[str]]:
    """Items without a wording variant that the measure offers: ``{variant: [item ids]}``.

    A measure offers ``proxy`` when ``respondents`` lists it, and ``easy_read`` when any
    item has that variant; a form of that kind shows the other items as written for the
    person themselves. (A telephone script reads the standard wording where an item has no
    telephone wording: that is what the script is for, so it is not listed.)
    """
    out: dict[str, list[str]] = {}
    offered = ["proxy"] if "proxy" in measure.respondents else []
    offered += [v for v in ("easy_read",) if any(v in it.variants for it in measure.items)]
    for v in offered:
        missing = [it.id for it in measure.items if v not in it.variants]
        if missing:
            out[v] = missing
    return out


def fallback_message(measure_id: str, variant: str, item_ids: list[str]) -> str:
    """The warning text naming the items that fall back to standard wording for ``variant``."""
    shown = ", ".join(item_ids[:12]) + (f" and {len(item_ids) - 12} more"
                                        if len(item_ids) > 12 else "")
    return (f"{measure_id}: {len(item_ids)} item(s) have no {variant.replace('_', '-')} wording "
            f"and fall back to the standard wording on {variant.replace('_', '-')} forms: "
            f"{shown}. Add `variants: {{{variant}: ...}}` to them (in the definition or a "
            "licensed overlay).")


class _PathDoc:
    """A document view whose paths are relative to an overlay block's ``items:``."""

    def __init__(self, doc: Any, items_path: tuple[Any, ...]):
        self.doc = doc
        self.items_path = items_path

    def location(self, path: tuple[Any, ...]) -> Location:
        full = (*self.items_path, *path[1:]) if path and path[0] == "items" else path
        found: Location = self.doc.location(full)
        return found


# ----------------------------------------------------------------------------- plan
@dataclass
class SourceUse:
    """One compose entry, resolved: the source and what the composer does with it."""

    index: int
    entry: ComposeEntry
    source: Measure
    display: str
    path: str | None
    sha256: str
    taken: list[str]
    new_ids: dict[str, str]
    location: Location
    catalog: bool = False
    reworded: list[str] = field(default_factory=list)
    rescaled: list[str] = field(default_factory=list)
    reordered: str | None = None
    take_scores: bool = False

    @property
    def subset(self) -> bool:
        """True when the composer takes some, not all, of the source's items."""
        return len(self.taken) < len(self.source.items)

    @property
    def whole(self) -> bool:
        """True when the composer takes the whole source unchanged."""
        return not (self.subset or self.reworded or self.rescaled or self.reordered)

    def changes(self) -> list[str]:
        """What the composer changes, in words (empty when taken whole and unchanged)."""
        n = len(self.source.items)
        out: list[str] = []
        if self.subset:
            out.append(f"takes {len(self.taken)} of its {n} items ({', '.join(self.taken)})")
        if self.reworded:
            out.append(f"rewords {', '.join(self.reworded)}")
        if self.rescaled:
            out.append(f"re-scales {', '.join(self.rescaled)}")
        if self.reordered:
            out.append(self.reordered)
        return out

    def use_text(self) -> str:
        """A short description of what the composer does with the source."""
        changes = self.changes()
        n = len(self.source.items)
        if not changes:
            return f"all {n} items unchanged" + (" with its scores" if self.take_scores else "")
        return "; ".join(changes)


@dataclass
class Plan:
    """A composer with every source resolved, before licences and overlays are applied."""

    measure: Measure
    doc: Any
    file: str
    base_dir: Path
    uses: list[SourceUse]
    order: list[str]
    origins: dict[str, tuple[str, int]]  # built item id -> ("own", i) | ("compose", i)
    deferred: list[Diagnostic] = field(default_factory=list)  # raised after licence checks

    def location(self, *path: Any) -> Location:
        """The position in the composer's file of the value at ``path``."""
        if self.doc is None:
            return Location(self.file, path=_fmt_path(path) or None)
        found: Location = self.doc.location(tuple(path))
        return found


def _fmt_path(path: tuple[Any, ...]) -> str:

    return format_path(path)


def _read(source: Any) -> tuple[Measure, Any, str, Path]:
    """Load a composer: (measure, document or None, display name, folder)."""
    if isinstance(source, Measure):
        origin = source.origin
        if origin is None:
            return source, None, source.id, Path.cwd()
        return source, origin.document, origin.display, origin.base
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError("build(): `source` must be a path, a catalog id or a Measure, not "
                        f"{type(source).__name__}")
    path = Path(source)
    shown = str(source)
    if not path.exists():
        path = resolve(shown)
        shown = _display(path)
    doc = parse_document(read_text(path, shown), shown, path.parent)
    folder = path.resolve().parent
    measure = load_document(doc).with_origin(Origin(path.resolve(), shown, doc, folder))
    return measure, doc, shown, folder


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _looks_like_path(ref: str) -> bool:
    return any(c in ref for c in "/\\") or ref.endswith((".yaml", ".yml"))


def _resolve_source(ref: str, base_dir: Path, loc: Location) -> tuple[Path, bool]:

    candidate = (base_dir / ref) if not Path(ref).is_absolute() else Path(ref)
    if candidate.is_file():
        return candidate.resolve(), False
    if _looks_like_path(ref):
        raise DefinitionError([Diagnostic(
            "compose-unknown-source", f"compose source {ref!r}: no such file (looked in "
            f"{_display(base_dir)})", "Give a path relative to this file, or a catalog id such "
            "as `swemwbs@1.0.0`.", loc)])
    try:
        return resolve(ref).resolve(), True
    except DefinitionError as err:
        d = err.errors[0]
        code = "compose-unknown-source" if d.code == "catalog-unknown" else d.code
        raise DefinitionError([Diagnostic(code, f"compose source {ref!r}: " + d.message,
                                          d.hint, loc)]) from None


def _slug(measure_id: str) -> str:
    return measure_id if measure_id[0].isalpha() else f"m{measure_id}"


def plan(source: Any, *, overlay: Any = None, _stack: tuple[str, ...] = ()) -> Plan:  # noqa: C901 - resolves every compose entry kind in one place, so errors keep their order
    """Resolve a composer's sources and form order, without applying licences or overlays.

    Raises
    ------
    DefinitionError
        Every problem found (unknown source or version, item not in the source, id
        collisions, cyclic composition, bad ``order:``), with file, line and column.
    """
    measure, doc, shown, base_dir = _read(source)
    key = str((base_dir / Path(shown).name).resolve()) if doc is not None else measure.id
    if key in _stack:
        raise DefinitionError([Diagnostic("compose-cycle", "cyclic composition: "
                                          + " → ".join([*(_display(Path(s)) for s in _stack),
                                                        shown]),
                                          CODES["compose-cycle"].hint, Location(shown, 1, 1))])
    stack = (*_stack, key)

    def loc(*path: Any) -> Location:
        if doc is None:
            return Location(shown, path=_fmt_path(path) or None)
        found: Location = doc.location(tuple(path))
        return found

    problems: list[Diagnostic] = []
    uses: list[SourceUse] = []
    taken_ids: dict[str, str] = {it.id: f"own item {it.id!r}" for it in measure.items}
    origins: dict[str, tuple[str, int]] = {it.id: ("own", i) for i, it in enumerate(measure.items)}
    battery = measure.kind == "battery"
    for i, entry in enumerate(measure.compose):
        from_loc = loc("compose", i, "from")
        try:
            path, in_catalog = _resolve_source(entry.from_, base_dir, from_loc)
        except DefinitionError as err:
            problems.extend(err.errors)
            continue
        try:
            src_measure = _load_source(path, overlay, stack)
        except DefinitionError as err:
            cyc = [d for d in err.errors if d.code == "compose-cycle"]
            if cyc:
                problems.append(Diagnostic("compose-cycle", cyc[0].message, cyc[0].hint,
                                           from_loc))
            else:
                problems.extend(err.errors)
            continue
        src_ids = [it.id for it in src_measure.items]
        if entry.items == "all":
            taken = list(src_ids)
        elif not entry.items:
            problems.append(Diagnostic(
                "compose-unknown-item", f"the entry takes no items of {src_measure.id}",
                "List the items to take, or write `items: all`.", loc("compose", i, "items")))
            continue
        else:
            taken = []
            for j, item_id in enumerate(entry.items):
                if item_id not in src_ids:
                    problems.append(Diagnostic(
                        "compose-unknown-item", f"{src_measure.id} has no item {item_id!r}",
                        _items_hint(item_id, src_ids, src_measure.id),
                        loc("compose", i, "items", j)))
                elif item_id in taken:
                    problems.append(Diagnostic(
                        "compose-id-collision", f"item {item_id!r} of {src_measure.id} is "
                        "listed twice", "List each item once.", loc("compose", i, "items", j)))
                else:
                    taken.append(item_id)
        for what, mapping in (("rename", entry.rename), ("text", entry.text),
                              ("rescale", entry.rescale)):
            for old in mapping:
                if old not in taken:
                    where = "is not taken by this entry" if old in src_ids else \
                        f"is not an item of {src_measure.id}"
                    problems.append(Diagnostic(
                        "compose-unknown-item", f"`{what}:` names {old!r}, which {where}",
                        _items_hint(old, taken, src_measure.id), loc("compose", i, what, old)))
        for old, scale_id in entry.rescale.items():
            if scale_id not in measure.scales:
                problems.append(Diagnostic(
                    "unknown-scale", f"`rescale:` maps {old!r} to scale {scale_id!r}, which "
                    "this measure does not declare", "Declare the scale under `scales:`.",
                    loc("compose", i, "rescale", old)))
        new_ids: dict[str, str] = {}
        clashes: list[tuple[str, str]] = []
        for old in taken:
            new = entry.rename.get(old, f"{entry.prefix or ''}{old}")
            new_ids[old] = new
            if old in entry.rename and not re.match(ID_PATTERN, new):
                problems.append(Diagnostic(
                    "invalid-id", f"`rename:` gives {old!r} the id {new!r}, which is not a valid "
                    "item id", "Use lowercase letters, digits and `_`, starting with a letter, "
                    "e.g. `feeling_today`.", loc("compose", i, "rename", old)))
            elif new in taken_ids:
                if old in entry.rename:
                    problems.append(Diagnostic(
                        "compose-id-collision", f"`rename:` gives {old!r} the id {new!r}, which "
                        f"is already used by {taken_ids[new]}", "Choose another new id.",
                        loc("compose", i, "rename", old)))
                else:
                    clashes.append((old, new))
            else:
                taken_ids[new] = f"item {old!r} of {src_measure.id}"
                origins[new] = ("compose", i)
        if clashes:
            first_old, first_new = clashes[0]
            shown = ", ".join(repr(n) for _, n in clashes[:8]) + (
                f" and {len(clashes) - 8} more" if len(clashes) > 8 else "")
            problems.append(Diagnostic(
                "compose-id-collision", f"item id(s) {shown} (from {src_measure.id}) are already "
                f"used by {taken_ids[first_new]}" + (" and others" if len(clashes) > 1 else ""),
                f"Rename them (`rename: {{{first_old}: "
                f"{_slug(src_measure.id).replace('-', '_')}_{first_old}}}`), or give the entry "
                f"a `prefix:` such as `prefix: {_slug(src_measure.id).replace('-', '_')}_`.",
                from_loc))
        if len(set(new_ids.values())) != len(new_ids):  # pragma: no cover - caught above
            pass
        take_scores = entry.scores or battery
        use = SourceUse(
            index=i, entry=entry, source=src_measure,
            display=entry.from_, path=None if in_catalog else _rel(path, base_dir),
            sha256=content_hash(src_measure), taken=taken, new_ids=new_ids,
            location=from_loc, catalog=in_catalog,
            reworded=[k for k in taken if k in entry.text],
            rescaled=[k for k in taken if k in entry.rescale],
            take_scores=take_scores,
        )
        if taken != [x for x in src_ids if x in taken]:
            use.reordered = "lists its items in a different order"
        uses.append(use)
    if problems:
        raise DefinitionError(problems)

    order = _order(measure, uses, loc, problems)
    if problems:
        raise DefinitionError(problems)
    for use in uses:
        if use.reordered:
            continue
        positions = [order.index(use.new_ids[t]) for t in use.taken]
        if positions != sorted(positions):
            use.reordered = "puts its items in a different order"
        elif positions and positions[-1] - positions[0] + 1 != len(positions):
            use.reordered = "places other items between its items"
    deferred: list[Diagnostic] = []
    for use in uses:
        if use.take_scores and not use.whole:
            what = "a battery takes whole measures" if battery else "`scores: true`"
            deferred.append(Diagnostic(
                "compose-scores-partial", f"{what}, but this entry {'; '.join(use.changes())} of "
                f"{use.source.id}, so its scores would not hold",
                CODES["compose-scores-partial"].hint, use.location))
            use.take_scores = False
    return Plan(measure, doc, shown, base_dir, uses, order, origins, deferred)


def _rel(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:  # pragma: no cover
        return path.as_posix()


def _items_hint(name: str, choices: list[str], source_id: str) -> str:

    suggestion = did_you_mean(name, choices)
    shown = ", ".join(choices[:30]) + (" ..." if len(choices) > 30 else "")
    head = suggestion.capitalize() + " " if suggestion else ""
    return f"{head}Items of {source_id}: {shown}."


def _load_source(path: Path, overlay: Any, stack: tuple[str, ...]) -> Measure:

    key = str(path)
    if key in stack:
        chain = " → ".join(_display(Path(s)) for s in (*stack, key))
        raise DefinitionError([Diagnostic("compose-cycle", f"cyclic composition: {chain}",
                                          CODES["compose-cycle"].hint, Location(_display(path)))])
    shown = _display(path)
    doc = parse_document(read_text(path, shown), shown, path.parent)
    measure: Measure = load_document(doc)
    if measure.compose:
        with warnings.catch_warnings():
            # the source's own licence warnings are raised again for the outer build
            warnings.simplefilter("ignore", LicenceWarning)
            measure = build(path, overlay=overlay, _stack=stack)
    return measure


def _order(measure: Measure, uses: list[SourceUse], loc: Any,
           problems: list[Diagnostic]) -> list[str]:
    own = [it.id for it in measure.items]
    if measure.order is None:
        return [use.new_ids[t] for use in uses for t in use.taken] + own
    groups: dict[str, SourceUse] = {}
    for use in uses:
        groups.setdefault(use.entry.from_, use)
        groups.setdefault(use.source.id, use)
    all_ids = set(own) | {use.new_ids[t] for use in uses for t in use.taken}
    out: list[str] = []
    seen: dict[str, int] = {}
    for j, name in enumerate(measure.order):
        if name in all_ids:
            ids = [name]
        elif name in groups:
            use = groups[name]
            ids = [use.new_ids[t] for t in use.taken]
        else:

            suggestion = did_you_mean(name, [*all_ids, *groups])
            problems.append(Diagnostic(
                "compose-order", f"`order:` names {name!r}, which is neither an item nor a "
                "compose entry", (suggestion.capitalize() + " " if suggestion else "")
                + "Use item ids, or a compose entry's `from` for all its items.",
                loc("order", j)))
            continue
        for item_id in ids:
            if item_id in seen:
                problems.append(Diagnostic(
                    "compose-order", f"`order:` places item {item_id!r} twice (entries "
                    f"{seen[item_id] + 1} and {j + 1})", "List each item once.", loc("order", j)))
            else:
                seen[item_id] = j
                out.append(item_id)
    missing = [x for x in [*(use.new_ids[t] for use in uses for t in use.taken), *own]
               if x not in seen]
    if missing and not problems:
        problems.append(Diagnostic(
            "compose-order", f"`order:` leaves out {len(missing)} item(s): {', '.join(missing)}",
            "Add them to `order:` (a compose entry's `from` stands for all its items).",
            loc("order")))
    return out


# ----------------------------------------------------------------------------- build
def build(source: Any, *, overlay: Any = None, _stack: tuple[str, ...] = ()) -> Measure:
    """Build a composed measure into a flat, locked :class:`~measurelib.definition._model.Measure`.

    Parameters
    ----------
    source
        Path of the composer (YAML), a catalog id, or a loaded Measure (relative ``from:``
        paths are then resolved against the current folder).
    overlay
        Licensed item text for sources whose licence forbids redistributing it: the path of
        an overlay file, a list of paths, or a mapping ``{measure id: {item id: text}}``.
        An overlay named on a compose entry (``overlay:``) is used for that entry.

    Returns
    -------
    Measure
        The built measure: no ``compose:``, items in form order with their provenance,
        ``attributions:`` of every source and a ``lock:`` block.

    Raises
    ------
    DefinitionError
        Unknown source or version, item not in the source, id collisions, cyclic
        composition, bad ``order:``, missing overlay text, or an invalid result.
    LicenceError
        A source's licence forbids what the composer does, and no permission is recorded.

    Warns
    -----
    LicenceWarning
        For every source that requires registration or fees, on every build.

    Examples
    --------
    >>> import measurelib as ml
    >>> built = ml.build("instruments/examples/charity-wellbeing.yaml",
    ...                  overlay="instruments/examples/swemwbs-overlay.example.yaml")
    ... # doctest: +SKIP
    """
    p = plan(source, overlay=overlay, _stack=_stack)
    report = _assess_licences(p)
    violations = [d for row in report for d in row.diagnostics if d.severity == "error"]
    if violations:
        raise LicenceError(violations, title=f"{p.measure.id}: the build would break "
                           "the licence of a source")
    if p.deferred:
        raise DefinitionError(p.deferred)
    for row in report:
        if row.warning:
            warnings.warn(LicenceWarning(row.warning), stacklevel=2)
    overlays = global_overlays(overlay)
    built = assemble(p, report, overlays)
    for variant, ids in variant_fallbacks(built).items():
        warnings.warn(VariantFallbackWarning(fallback_message(built.id, variant, ids)),
                      stacklevel=2)
    composer = p.measure.origin
    return built.with_origin(Origin(composer.path if composer else None, p.file, None,
                                    p.base_dir))


def global_overlays(overlay: Any) -> dict[str, Overlay]:
    """The overlays given for the whole build: a path, a list of paths or a mapping."""
    if overlay is None:
        return {}
    if isinstance(overlay, (str, os.PathLike)):
        return load_overlays(overlay)
    if isinstance(overlay, dict):
        out: dict[str, Overlay] = {}
        blocks: dict[str, Any] = {}
        for mid, items in overlay.items():
            if isinstance(items, Overlay):
                out[str(mid)] = items
            elif isinstance(items, dict):
                blocks[str(mid)] = items if "items" in items else {"items": items}
            else:
                raise TypeError("build(): `overlay` mapping values must be {item id: text}, "
                                f"not {type(items).__name__} (for {mid!r})")
        if blocks:
            out.update(overlays_from_mapping({"measures": blocks}))
        return out
    if isinstance(overlay, (list, tuple)):
        merged: dict[str, Overlay] = {}
        for one in overlay:
            merged.update(global_overlays(one))
        return merged
    raise TypeError("build(): `overlay` must be a path, a list of paths or a mapping "
                    f"{{measure id: {{item id: text}}}}, not {type(overlay).__name__}")


def assemble(p: Plan, report: list[Any], overlays: dict[str, Overlay], *,  # noqa: C901 - one pass over the plan keeps item order, overlays and the lock consistent
              lenient: bool = False) -> Measure:
    """Flatten a plan; ``lenient`` (the linter) leaves text missing when an overlay is."""
    m = p.measure
    problems: list[Diagnostic] = []
    collect: list[Diagnostic] = [] if lenient else problems
    base = m.to_dict()
    for k in ("compose", "order", "lock", "items", "scales", "tables", "scores", "alerts",
              "attributions"):
        base.pop(k, None)
    scales: dict[str, Any] = {k: v.model_dump(mode="json", by_alias=True, exclude_defaults=True)
                              | {"type": v.type} for k, v in m.scales.items()}
    tables: dict[str, Any] = {k: dict(v) for k, v in m.tables.items()}
    items: dict[str, dict[str, Any]] = {}
    for it in m.items:
        items[it.id] = it.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    scores: list[dict[str, Any]] = [s.model_dump(mode="json", by_alias=True,
                                                 exclude_defaults=True) for s in m.scores]
    alerts: list[dict[str, Any]] = [a.model_dump(mode="json", by_alias=True,
                                                 exclude_defaults=True) for a in m.alerts]
    attributions: list[Any] = []
    instruction_parts: list[tuple[str, Any]] = []
    used_codes = {it.code or it.id for it in m.items}

    def add_attr(text: Any) -> None:
        if text is not None and text not in attributions:
            attributions.append(text)

    for use in p.uses:
        src = use.source
        slug = _slug(src.id)
        scale_map: dict[str, str] = {}
        overlay = _overlay_for(use, p, overlays, collect)
        if overlay is not None:
            src, overlay_problems = apply_overlay(src, overlay)
            problems.extend(overlay_problems)

        def import_scale(sid: str, src: Measure = src, slug: str = slug,
                         scale_map: dict[str, str] = scale_map) -> str:
            if sid in scale_map:
                return scale_map[sid]
            dumped = src.scales[sid].model_dump(mode="json", by_alias=True,
                                                exclude_defaults=True) | {"type":
                                                                          src.scales[sid].type}
            new, n = sid, 1
            while new in scales and scales[new] != dumped:
                n += 1
                new = f"{slug.replace('-', '_')}_{sid}" if n == 2 else \
                    f"{slug.replace('-', '_')}_{sid}_{n}"
            scales[new] = dumped
            scale_map[sid] = new
            return new

        if use.whole:
            # a whole measure keeps its instructions, after the composer's own
            instr = src.instructions
            if instr is not None:
                label = src.text(src.short_title) or src.text(src.title) or src.id
                instruction_parts.append((label, instr))
        for old in use.taken:
            it = src.item(old)
            data = it.model_dump(mode="json", by_alias=True, exclude_defaults=True)
            data["id"] = use.new_ids[old]
            text_changed = old in use.entry.text
            scale_changed = old in use.entry.rescale
            if text_changed:
                data["text"] = use.entry.text[old]
            elif it.text is None and overlay is not None:
                # the overlay (applied above) has no text for it
                collect.append(Diagnostic(
                    "overlay-missing-item", f"the overlay for {src.id} ({overlay.file}) has "
                    f"no text for item {old!r}", f"Add `{old}: <text>` under `items:` in "
                    f"{overlay.file}.", overlay.location("items")))
            data["scale"] = use.entry.rescale[old] if scale_changed else import_scale(it.scale)
            for fu in data.get("follow_up", []):
                fu["scale"] = import_scale(fu["scale"])
            code = data.get("code")
            if code is not None and code in used_codes:
                # two sources print the same data-entry code (Q1 ...): make it unique
                data["code"] = f"{src.id.upper().replace('-', '')}_{code}"
            used_codes.add(data.get("code") or data["id"])
            if it.recall is None and src.recall is not None and src.recall != m.recall:
                # keep the source's recall period with its items (not a change of wording)
                data["recall"] = src.recall.model_dump(mode="json", exclude_defaults=True)
            data["source"] = {"measure": src.id, "item": old, "version": src.version}
            if text_changed:
                data["source"]["text_changed"] = True
            if scale_changed:
                data["source"]["scale_changed"] = True
            items[data["id"]] = data
        if use.take_scores:
            prefix = f"{slug}_"
            for name, table in src.tables.items():
                tables[f"{prefix}{name}"] = dict(table)
            ids = use.new_ids
            for rule in src.scores:
                d = rule.model_dump(mode="json", by_alias=True, exclude_defaults=True)
                d["id"] = f"{prefix}{rule.id}"
                d["items"] = [ids[x] for x in src.score_items(rule)]
                if rule.weights:
                    d["weights"] = {ids[k]: v for k, v in rule.weights.items()}
                if rule.value_set is not None:
                    vs = d["value_set"]
                    if "decrements" in vs:
                        vs["decrements"] = {ids[k]: v for k, v in vs["decrements"].items()}
                    if vs.get("table"):
                        vs["table"] = f"{prefix}{vs['table']}"
                if rule.transform is not None and isinstance(rule.transform.table, str):
                    d["transform"]["table"] = f"{prefix}{rule.transform.table}"
                if rule.title is None:
                    d["title"] = f"{src.text(src.short_title) or src.id}: {rule.id}"
                scores.append(d)
            for alert in src.alerts:
                d = alert.model_dump(mode="json", by_alias=True, exclude_defaults=True)
                d["id"] = f"{prefix}{alert.id}"
                if alert.when.item is not None:
                    d["when"]["item"] = ids[alert.when.item]
                if alert.when.score is not None:
                    d["when"]["score"] = f"{prefix}{alert.when.score}"
                alerts.append(d)
        add_attr(src.licence.attribution)
        for a in src.attributions:
            add_attr(a)
    if problems:
        raise DefinitionError(problems)

    built: dict[str, Any] = dict(base)
    if instruction_parts:
        built["instructions"] = _join_instructions(m, instruction_parts)
    built["scales"] = scales
    if tables:
        built["tables"] = tables
    built["items"] = [items[i] for i in p.order]
    if scores:
        built["scores"] = scores
    if alerts:
        built["alerts"] = alerts
    if attributions:
        built["attributions"] = attributions
    calibrated = _calibrated_source(p)
    if calibrated is not None and "calibration" not in built:
        built["calibration"] = calibrated
    measure = _validate_built(built, p)
    sources = []
    seen: set[tuple[str, str, str | None]] = set()
    rows = {row.index: row for row in report if row.index is not None}
    for use in p.uses:
        key = (use.source.id, use.source.version, use.path)
        row = rows.get(use.index)
        if key in seen:
            continue
        seen.add(key)
        sources.append({
            "id": use.source.id, "version": use.source.version, "sha256": use.sha256,
            **({"path": use.path} if use.path else {}),
            "title": use.source.title,
            "items": list(use.taken),
            "use": use.use_text() + _calibration_note(use),
            "licence": use.source.licence.model_dump(mode="json", by_alias=True,
                                                     exclude_defaults=True),
            **({"status": "permission"} if row is not None and row.status == "permission"
               else {}),
            **({"permission": use.entry.permission.model_dump(mode="json",
                                                              exclude_defaults=True)}
               if use.entry.permission is not None and row is not None
               and row.status == "permission" else {}),
            **({"obligations": list(row.obligations)} if row is not None and row.obligations
               else {}),
            **({"selection": use.entry.selection.model_dump(mode="json",
                                                            exclude_defaults=True)}
               if use.entry.selection is not None else {}),
        })

    final = measure.to_dict()
    final["lock"] = {"sources": sources, "sha256": content_hash(final),
                     "measurelib": __version__}
    return _validate_built(final, p)


def _calibration_note(use: Any) -> str:
    """The lock's note on a calibrated bank: the subset stays on the bank's metric."""
    src = use.source
    n_cal = sum(1 for it in src.items if it.irt is not None)
    taken = sum(1 for old in use.taken if src.item(old).irt is not None)
    if src.calibration is None or not taken:
        return ""
    mt = src.calibration.metric
    return (f"; {taken} of {n_cal} calibrated items, scored on the bank's metric "
            f"({mt.name} = {mt.mean:g} + {mt.sd:g}θ) with the bank's IRT parameters")


def _calibrated_source(p: Plan) -> dict[str, Any] | None:
    """The calibration a built measure keeps: that of the one calibrated bank its
    calibrated items come from (a subset of a bank stays on the bank's metric).
    """
    banks = {(u.source.id, u.source.version): u.source for u in p.uses
             if u.source.calibration is not None
             and any(u.source.item(old).irt is not None for old in u.taken)}
    if len(banks) != 1:
        return None  # none, or several banks on different metrics: the composer decides
    (key, src), = banks.items()
    cal = src.calibration.model_dump(mode="json", by_alias=True,  # type: ignore[union-attr]
                                     exclude_defaults=True)
    cal["subset_of"] = f"{key[0]}@{key[1]}"
    chosen = [u.entry.selection for u in p.uses if u.entry.selection is not None
              and u.entry.selection.target is not None]
    if len(chosen) == 1:  # a short form is checked over the range it was chosen for
        cal["target"] = chosen[0].target.model_dump(  # type: ignore[union-attr]
            mode="json", exclude_defaults=True)
    return cal


def _join_instructions(m: Measure, parts: list[tuple[str, Any]]) -> Any:
    """The composer's instructions followed by each whole source's, labelled by its name."""
    texts: list[tuple[str | None, Any]] = []
    if m.instructions is not None:
        texts.append((None, m.instructions))
    texts.extend(parts)
    if all(isinstance(t, str) for _, t in texts):
        return "\n\n".join(f"{label}: {t}" if label else t for label, t in texts)
    langs = m.all_languages
    out: dict[str, str] = {}
    for lang in langs:
        pieces = []
        for label, t in texts:
            got = t if isinstance(t, str) else (t.get(lang) or t.get(m.language)
                                                or next(iter(t.values())))
            pieces.append(f"{label}: {got}" if label else got)
        out[lang] = "\n\n".join(pieces)
    return out


def _overlay_for(use: SourceUse, p: Plan, overlays: dict[str, Overlay],
                 problems: list[Diagnostic]) -> Overlay | None:
    src = use.source
    needs = [t for t in use.taken if src.item(t).text is None and t not in use.entry.text]
    if use.entry.overlay is not None:
        path = p.base_dir / use.entry.overlay
        if not path.is_file():
            problems.append(Diagnostic(
                "overlay-missing", f"the overlay file {use.entry.overlay!r} for {src.id} does "
                "not exist", f"Create it with the licensed text of {src.id} (see "
                "docs/licences.md), or fix the path (relative to this file).",
                p.location("compose", use.index, "overlay")))
            return None
        try:
            found = load_overlays(path, default_measure=src.id)
        except DefinitionError as err:
            problems.extend(err.errors)
            return None
        if src.id not in found:
            problems.append(Diagnostic(
                "overlay-missing", f"the overlay file {use.entry.overlay!r} has no text for "
                f"{src.id} (it is for {', '.join(sorted(found))})",
                f"Use the overlay for {src.id}.", p.location("compose", use.index, "overlay")))
            return None
        return _check_version(found[src.id], src, problems)
    if src.id in overlays:
        return _check_version(overlays[src.id], src, problems)
    if needs and src.licence.text_redistribution == "forbidden":
        problems.append(Diagnostic(
            "overlay-missing", f"{src.id}'s licence ({src.licence.holder}) forbids shipping its "
            f"item text, so the build needs your licensed copy of items {', '.join(needs)}",
            f"Register with the holder, then write the text in an overlay file (`measure: "
            f"{src.id}` and `items: {{{needs[0]}: ...}}`) and name it with `overlay: FILE` on "
            "this compose entry or `--overlay FILE`; see docs/licences.md.", use.location))
    return None


def _check_version(overlay: Overlay, src: Measure, problems: list[Diagnostic]) -> Overlay | None:
    if overlay.version is not None and overlay.version != src.version:
        problems.append(Diagnostic(
            "overlay-invalid", f"the overlay {overlay.file} is for {src.id} {overlay.version}, "
            f"but the build uses {src.id} {src.version}", "Use the overlay for this version "
            "(the wording may differ between versions), or take the version it is for.",
            overlay.location("measure")))
        return None
    return overlay


def _validate_built(data: dict[str, Any], p: Plan) -> Measure:
    from pydantic import ValidationError

    try:
        return Measure.model_validate(data)
    except DefinitionError as err:
        diags = err.errors
    except ValidationError as exc:

        diags = [Diagnostic("invalid-value", f"{format_path(where)}: {e['msg']}",
                            CODES["invalid-value"].hint, Location(path=format_path(where)))
                 for e in exc.errors(include_url=False)
                 for where in [error_path(data, tuple(e["loc"]))]]
    out = []
    n_own_scores = len(p.measure.scores)
    n_own_alerts = len(p.measure.alerts)
    for d in diags:
        path = parse_path(d.location.path) if d.location.path else ()
        loc: Location
        msg = d.message
        if len(path) >= 2 and path[0] == "items" and isinstance(path[1], int):
            item_id = data["items"][path[1]]["id"]
            kind, idx = p.origins.get(item_id, ("own", -1))
            if kind == "own" and idx >= 0:
                loc = p.location("items", idx, *path[2:])
            else:
                loc = p.location("compose", idx)
                msg += f" (built item {item_id!r})"
        elif len(path) >= 2 and path[0] in ("scores", "alerts") and isinstance(path[1], int):
            own_n = n_own_scores if path[0] == "scores" else n_own_alerts
            if path[1] < own_n:
                loc = p.location(*path)
            else:
                loc = p.location("compose")
                msg += f" (in the {path[0][:-1]} taken from a source)"
        else:
            loc = p.location(*path) if path else Location(p.file)
        out.append(Diagnostic(d.code, msg, d.hint, loc, d.severity))
    raise DefinitionError(out)


# ----------------------------------------------------------------------------- derive
def derive(target: Any, source: Any) -> Measure:
    """Score ``target`` from data collected with ``source``, when the holder allows it.

    Every item of ``target`` must come (by its ``source:`` provenance) from an item of
    ``source`` with the same response values and keying, e.g. SWEMWBS from the seven WEMWBS
    items it shares. The result is ``target`` with its item ids replaced by the source's, so
    ``derive("swemwbs", "wemwbs").score(wemwbs_data)`` gives SWEMWBS scores.

    Allowed when both have the same licence holder (the holder published the derived
    measure) or ``target``'s licence allows modification.

    Raises
    ------
    DefinitionError
        ``compose-derive``: an item has no counterpart, or its scale differs, or the holder
        does not allow it.
    """
    tgt = target if isinstance(target, Measure) else load(target)
    src = source if isinstance(source, Measure) else load(source)
    problems: list[Diagnostic] = []
    if tgt.licence.holder != src.licence.holder and tgt.licence.modification != "allowed":
        problems.append(Diagnostic(
            "compose-derive", f"{tgt.id} and {src.id} have different holders and {tgt.id}'s "
            "licence forbids modification, so it cannot be scored from another measure's items",
            "Ask the holder of " + tgt.id + " for permission.", Location(tgt.id)))
    mapping: dict[str, str] = {}
    for i, it in enumerate(tgt.items):
        prov = it.source
        if prov is None or prov.measure != src.id:
            problems.append(Diagnostic(
                "compose-derive", f"item {it.id!r} of {tgt.id} does not come from {src.id}",
                f"Only measures whose every item has `source: {{measure: {src.id}, ...}}` can "
                "be derived.", Location(tgt.id, path=f"items[{i}].source")))
            continue
        try:
            src_item = src.item(prov.item)
        except KeyError:
            problems.append(Diagnostic(
                "compose-derive", f"{src.id} has no item {prov.item!r} (the source of "
                f"{tgt.id}'s {it.id!r})", _items_hint(prov.item, [x.id for x in src.items],
                                                       src.id),
                Location(tgt.id, path=f"items[{i}].source.item")))
            continue
        if tgt.scale_of(it.id).values() != src.scale_of(src_item.id).values() or \
                it.reverse != src_item.reverse:
            problems.append(Diagnostic(
                "compose-derive", f"item {it.id!r} of {tgt.id} and {src_item.id!r} of {src.id} "
                "differ in their response values or keying", "They must be scored alike.",
                Location(tgt.id, path=f"items[{i}]")))
            continue
        mapping[it.id] = src_item.id
    if problems:
        raise DefinitionError(problems)
    data = tgt.to_dict()
    for it in data["items"]:
        old = it["id"]
        it["id"] = mapping[old]
        src_item = src.item(mapping[old])
        if "text" not in it and src_item.text is not None:
            it["text"] = src_item.text
    for rule in data.get("scores", []):
        if isinstance(rule.get("items"), list):
            rule["items"] = [mapping[x] for x in rule["items"]]
        if isinstance(rule.get("weights"), dict):
            rule["weights"] = {mapping[k]: v for k, v in rule["weights"].items()}
    for alert in data.get("alerts", []):
        if alert["when"].get("item"):
            alert["when"]["item"] = mapping[alert["when"]["item"]]
    data.pop("lock", None)
    return Measure.model_validate(data)


# ----------------------------------------------------------------------------- versions
from measurelib._results import Result  # noqa: E402  (light module: pydantic only)


class VersionMapResult(Result):
    """How the items and scores of two versions of a measure correspond.

    Attributes
    ----------
    items : list of dict
        One row per item: ``old``, ``new`` (ids or None), ``match`` (``same``, ``renamed``,
        ``text_changed``, ``scale_changed``, ``removed``, ``added``).
    scores : list of dict
        One row per score of the new version: ``score``, ``comparable`` and ``reason``.
    comparable : bool
        Every score of the new version can be compared with the old one.
    """

    old_id: str
    old_version: str
    new_id: str
    new_version: str
    items: list[dict[str, Any]]
    scores: list[dict[str, Any]]
    comparable: bool

    def to_frame(self) -> Any:
        """The result as a tidy pandas DataFrame (one row per item, score or variant)."""
        import pandas as pd

        return pd.DataFrame(self.items)

    def summary(self) -> str:
        """A short plain-text summary of the result."""
        lines = [f"{self.old_id} {self.old_version} → {self.new_id} {self.new_version}"]
        for row in self.items:
            lines.append(f"  {row['old'] or '-':<24} → {row['new'] or '-':<24} {row['match']}")
        for row in self.scores:
            verdict = "comparable" if row["comparable"] else "NOT comparable"
            lines.append(f"  score {row['score']}: {verdict} ({row['reason']})")
        lines.append("verdict: " + ("scores are comparable" if self.comparable
                                    else "some scores are not comparable"))
        return "\n".join(lines)


def _norm(text: Any) -> str:
    import re

    if isinstance(text, dict):
        text = " | ".join(f"{k}:{v}" for k, v in sorted(text.items()))
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s|:]", "", str(text or "").lower())).strip()


def _scale_sig(m: Measure, item_id: str) -> Any:
    scale = m.scale_of(item_id)
    d = scale.model_dump(mode="json", exclude_defaults=True)
    d.pop("title", None)
    return canonical_json(d), m.item(item_id).reverse


def version_map(old: Any, new: Any) -> VersionMapResult:
    """Match the items of an old and a new version of a measure; say which scores compare.

    Items match by provenance (same source measure and item), then by id, then by identical
    wording. A score is comparable when both versions have it with the same rule, and its
    items correspond one to one with unchanged wording, scale and keying.

    Parameters
    ----------
    old, new
        Measures, paths or catalog ids; composers are built first.
    """
    def get(x: Any) -> Measure:
        return x if isinstance(x, Measure) else _plain_or_built(x)

    a, b = get(old), get(new)

    def key(it: Any) -> tuple[str, str] | None:
        return (it.source.measure, it.source.item) if it.source is not None else None

    rows: list[dict[str, Any]] = []
    pairs: dict[str, str] = {}  # new id -> old id
    used_old: set[str] = set()
    old_by_key = {key(it): it.id for it in a.items if key(it) is not None}
    old_by_text = {_norm(it.text): it.id for it in a.items if it.text is not None}
    old_ids = {it.id for it in a.items}
    for it in b.items:
        match = None
        k = key(it)
        if k is not None and k in old_by_key and old_by_key[k] not in used_old:
            match = old_by_key[k]
        elif it.id in old_ids and it.id not in used_old:
            match = it.id
        elif it.text is not None and _norm(it.text) in old_by_text \
                and old_by_text[_norm(it.text)] not in used_old:
            match = old_by_text[_norm(it.text)]
        if match is not None:
            used_old.add(match)
            pairs[it.id] = match
    for it in b.items:
        if it.id in pairs:
            o = a.item(pairs[it.id])
            if _norm(o.text) != _norm(it.text):
                verdict = "text_changed"
            elif _scale_sig(a, o.id) != _scale_sig(b, it.id):
                verdict = "scale_changed"
            elif o.id != it.id:
                verdict = "renamed"
            else:
                verdict = "same"
            rows.append({"old": o.id, "new": it.id, "match": verdict})
        else:
            rows.append({"old": None, "new": it.id, "match": "added"})
    for it in a.items:
        if it.id not in used_old:
            rows.append({"old": it.id, "new": None, "match": "removed"})
    unchanged = {r["new"]: r["old"] for r in rows if r["match"] in ("same", "renamed")}
    score_rows = []
    for rule in b.scores:
        try:
            o_rule = a.score_rule(rule.id)
        except KeyError:
            score_rows.append({"score": rule.id, "comparable": False,
                               "reason": "the old version has no such score"})
            continue
        new_items = b.score_items(rule)
        old_items = a.score_items(o_rule)
        changed = [x for x in new_items if x not in unchanged]
        mapped = sorted(unchanged[x] for x in new_items if x in unchanged)
        if changed:
            reason = f"items changed or added: {', '.join(changed)}"
        elif mapped != sorted(old_items):
            reason = "the old score uses other items"
        elif _rule_sig(o_rule) != _rule_sig(rule) or (
                a.tables if o_rule.transform else {}) != (b.tables if rule.transform else {}):
            reason = "the scoring rule changed"
        else:
            score_rows.append({"score": rule.id, "comparable": True,
                               "reason": f"same {len(new_items)} items, same rule"})
            continue
        score_rows.append({"score": rule.id, "comparable": False, "reason": reason})
    return VersionMapResult(
        old_id=a.id, old_version=a.version, new_id=b.id, new_version=b.version, items=rows,
        scores=score_rows, comparable=all(r["comparable"] for r in score_rows))


def _rule_sig(rule: Any) -> str:
    d = rule.model_dump(mode="json", exclude_defaults=True)
    for k in ("items", "title", "references", "codes", "bands", "reliable_change",
              "clinical_cutoff", "decimals", "id"):
        d.pop(k, None)
    return canonical_json(d)


def _plain_or_built(source: Any, overlay: Any = None) -> Measure:
    """Load ``source``; build it first when it composes from others."""
    measure, _doc, _shown, _base = _read(source)
    if not measure.compose:
        return measure
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LicenceWarning)
        return build(source, overlay=overlay)
