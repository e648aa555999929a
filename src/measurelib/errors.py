"""Diagnostics, the registry of their codes, and the exceptions and warnings of measurelib.

Exception and warning tree::

    Exception
    ├── MeasurelibError                 base of every error measurelib raises on purpose
    │   ├── DefinitionError             a measure/bank definition is invalid (``.errors``)
    │   ├── DataError                   response data cannot be used (``.errors``)
    │   └── LicenceError                an action would break a measure's licence (``.errors``)
    Warning
    └── MeasurelibWarning
        ├── ConvergenceWarning          an iterative estimate did not converge
        ├── HeywoodWarning              a variance estimate is zero/negative, or a loading ≥ 1
        ├── SmallSampleWarning          too few respondents to conclude
        ├── LicenceWarning              a licence obligation (registration, fees) applies
        └── FormWarning                 a form is not what was asked for, as it stands
            ├── VariantFallbackWarning  proxy/easy-read/telephone wording falls back to standard
            └── PlaceholderWarning      licensed text is missing; the form shows placeholders

Every finding is a :class:`Diagnostic`: a stable ``code`` registered in :data:`CODES`, a
``message`` saying what is wrong, a ``hint`` saying what to do, a :class:`Location` and a
``severity``.  ``docs/errors.md`` is generated from :data:`CODES`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]

__all__ = [
    "CODES",
    "ConvergenceWarning",
    "DataError",
    "DefinitionError",
    "Diagnostic",
    "ErrorCode",
    "FormWarning",
    "HeywoodWarning",
    "LicenceError",
    "LicenceWarning",
    "Location",
    "MeasurelibError",
    "MeasurelibWarning",
    "PlaceholderWarning",
    "SmallSampleWarning",
    "VariantFallbackWarning",
    "for_cli",
    "register",
]


@dataclass(frozen=True)
class ErrorCode:
    """One registered diagnostic code: its stable name, title and description."""

    code: str
    title: str
    description: str
    hint: str = ""
    area: str = "definition"


CODES: dict[str, ErrorCode] = {}


def register(code: str, title: str, description: str, hint: str = "", area: str = "definition") -> str:
    """Register a diagnostic code (idempotent) and return it."""
    existing = CODES.get(code)
    if existing is not None and existing.title != title:
        raise ValueError(f"diagnostic code {code!r} is already registered with another title")
    CODES[code] = ErrorCode(code, title, description, hint, area)
    return code


_PY_AND_CLI = re.compile(r"`[^`]*`(?: or `[^`]*`)?(?: / `[^`]*`)? \(CLI: (`[^`]*`)\)")


def for_cli(text: str) -> str:
    """A hint as the command line shows it: "`opt=x` (CLI: `--opt x`)" becomes "`--opt x`".

    Library hints name an option in both spellings; the command line shows only its own.
    """
    return _PY_AND_CLI.sub(r"\1", text)


@dataclass(frozen=True)
class Location:
    """Where a finding is: a file position and YAML path, or a data row and column."""

    file: str | None = None
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    path: str | None = None  # e.g. "items[3].scale"
    row: int | None = None  # data row, 1-based as shown in a spreadsheet (header = row 1)
    field: str | None = None  # data column name

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        head = ":".join(parts)
        extra = []
        if self.row is not None:
            extra.append(f"row {self.row}")
        if self.field is not None:  # a data column, or a command-line option as typed
            extra.append(self.field if self.field.startswith("-") else f"column {self.field!r}")
        if self.path and not extra:
            extra.append(self.path)
        if head and extra:
            return f"{head}: {', '.join(extra)}"
        return head or ", ".join(extra)

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data: the JSON document that ``--format json`` prints."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Diagnostic:
    """A finding about a definition or a dataset."""

    code: str
    message: str
    hint: str = ""
    location: Location = field(default_factory=Location)
    severity: Severity = "error"

    def __str__(self) -> str:
        where = str(self.location)
        text = f"{where + ': ' if where else ''}{self.severity}[{self.code}]: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data: the JSON document that ``--format json`` prints."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            "location": self.location.to_dict(),
        }

    def with_location(self, location: Location) -> Diagnostic:
        """The same diagnostic at another location."""
        return Diagnostic(self.code, self.message, self.hint, location, self.severity)


class MeasurelibError(Exception):
    """Base class of the errors measurelib raises for bad input; carries diagnostics."""

    def __init__(self, errors: list[Diagnostic] | Diagnostic | str, *, title: str | None = None):
        if isinstance(errors, str):
            errors = [Diagnostic("error", errors)]
        elif isinstance(errors, Diagnostic):
            errors = [errors]
        self.errors: list[Diagnostic] = list(errors)
        self.title = title
        super().__init__(self._text())

    def _text(self) -> str:
        lines = [self.title] if self.title else []
        lines.extend(str(d) for d in self.errors)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._text()

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data: the JSON document that ``--format json`` prints."""
        return {
            "valid": False,
            "title": self.title,
            "errors": [d.to_dict() for d in self.errors],
        }

    def to_json(self) -> str:
        """The result as a JSON string (``to_dict()``, indented)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


class DefinitionError(MeasurelibError):
    """A measure, bank or schedule definition is invalid; ``.errors`` lists every problem."""


class DataError(MeasurelibError):
    """Response data cannot be used as given; ``.errors`` names each row and column."""


class LicenceError(MeasurelibError):
    """An action would break the licence of a measure; ``.errors`` says which and how to comply."""


class MeasurelibWarning(UserWarning):
    """Base class of measurelib's warnings."""


class ConvergenceWarning(MeasurelibWarning):
    """An iterative estimation did not converge; the result records it."""


class HeywoodWarning(MeasurelibWarning):
    """A Heywood case: a communality ≥ 1 or a negative/zero residual variance."""


class SmallSampleWarning(MeasurelibWarning):
    """The sample is too small for the statistic to support a conclusion."""


class LicenceWarning(MeasurelibWarning):
    """A licence obligation applies (registration, fees, non-commercial use)."""


class FormWarning(MeasurelibWarning):
    """A form (or the measure behind it) is not what was asked for, as it stands."""


class VariantFallbackWarning(FormWarning):
    """Items without the proxy / easy-read / telephone wording asked for use their standard
    wording; the message lists them.
    """


class PlaceholderWarning(FormWarning):
    """Licensed text (item text, option labels) is missing and the form shows placeholders."""


# --------------------------------------------------------------------------- registry
# Definition format (loader and model).
register("yaml-syntax", "YAML syntax error", "The file is not valid YAML.",
         "Check indentation and quoting at the position shown; text containing `: `, ` #`, "
         "or (inside `{...}`) `?`, `,` or `}` needs quotes.")
register("yaml-duplicate-key", "Duplicate key", "A mapping holds the same key twice; YAML "
         "parsers would silently keep the last one.", "Remove or rename one of the two keys.")
register("file-not-found", "File not found", "A path given does not exist or cannot be read.",
         "Check the path, or use a catalog id (see `measurelib catalog`).", area="usage")
register("not-a-mapping", "Document is not a mapping", "The top level of a definition must be "
         "a mapping of fields (format, id, version, ...).", "Start the file with `format: 1`.")
register("missing-field", "Required field missing", "A field the format requires is absent.",
         "Add the field; `docs/format.md` lists every field with an example.")
register("unknown-field", "Unknown field", "A field name the format does not know, often a typo.",
         "Rename it to the field suggested or remove it.")
register("wrong-type", "Wrong type", "A value has the wrong type (e.g. text where a number is "
         "expected).", "Change the value to the type named.")
register("invalid-value", "Invalid value", "A value is not one of those allowed or is out of "
         "range.", "Use a value the message allows (one of those named, or within the limits given).")
register("invalid-id", "Invalid identifier", "Ids are lowercase letters, digits, `_` and `-`.",
         "Rename it, e.g. `feeling_optimistic`.")
register("invalid-version", "Invalid version", "Versions follow semantic versioning: MAJOR.MINOR.PATCH.",
         "Write it as e.g. `1.0.0`.")
register("unsupported-format", "Unsupported format version", "The `format:` number is not one "
         "this version of measurelib reads.", "Use `format: 1`.")
register("unknown-scale", "Unknown scale", "An item refers to a scale id that is not declared.",
         "Declare the scale under `scales:` or fix the id.")
register("unknown-item", "Unknown item", "A score, alert or other rule names an item id that "
         "does not exist.", "Fix the id or add the item.")
register("unknown-score", "Unknown score", "A rule names a score id that does not exist.",
         "Fix the id or add the score rule.")
register("unknown-tag", "Unknown tag", "A score selects items by a tag that no item carries.",
         "Tag the items, or fix the tag name.")
register("unknown-table", "Unknown table", "A transform names a lookup table that is not "
         "declared under `tables:`.", "Declare the table or fix its name.")
register("table-file", "Table file problem", "A table under `tables:` names a CSV file that "
         "cannot be read, lacks a named column, or has a row that is not two numbers.",
         "Put the CSV beside the definition with a header row and one `key,value` row per entry.")
register("limit-exceeded", "Input too large", "An input is larger than a resource limit "
         "allows (file size, items, nesting depth, table rows, ...); the limits keep a bad or "
         "hostile file from exhausting the machine. `docs/limits.md` lists every limit.",
         "If the input is genuine, raise the limit named (`--limit NAME=N`, "
         "`MEASURELIB_LIMIT_<NAME>=N` or `ml.limits(NAME=N)`).")
register("file-outside-folder", "File outside the definition's folder", "A definition names a "
         "file (picture, table, overlay) outside its own folder, through `..`, an absolute path "
         "or a symbolic link, or a file that is not a regular file.",
         "Copy the file into the definition's folder, or allow its folder explicitly "
         "(`--allow-folder DIR`, MEASURELIB_ALLOW_FOLDERS or `ml.limits(allow_folders=[...])`).")
register("duplicate-id", "Duplicate id", "Two items, scales, scores or options share an id.",
         "Give each a unique id.")
register("duplicate-option-value", "Duplicate option value", "Two options of one scale have the "
         "same value, so a response could not be told apart.", "Give each option its own value.")
register("reverse-non-ordinal", "Reverse scoring on a non-ordinal scale", "Only ordinal, numeric "
         "and visual-analogue scales have an order to reverse.",
         "Remove `reverse: true` or use an ordinal scale.")
register("score-non-numeric-item", "Score uses a non-numeric item", "A free-text item cannot be "
         "summed or averaged.", "Remove the item from the score's `items`.")
register("score-no-items", "Score has no items", "The score selects no items.",
         "List items, use `all`, or a tag that items carry.")
register("band-overlap", "Bands overlap", "A score value falls into more than one band.",
         "Make each band's range start after the previous band ends.")
register("band-gap", "Bands leave a gap", "Some reachable score values fall into no band.",
         "Widen a band so that the ranges meet (for scores that can be fractional, use "
         "only `max:` bounds so consecutive bands meet exactly).")
register("band-range", "Bands do not cover the score range", "The lowest or highest reachable "
         "score falls outside every band.", "Extend the first/last band or leave its bound open.")
register("band-order", "Bands out of order", "Bands must be listed from the lowest score to the "
         "highest.", "Reorder the bands.")
register("table-missing-value", "Lookup table misses a reachable raw score", "A transform "
         "table has no entry for a raw score that can occur.", "Add the missing rows.")
register("invalid-irt", "Invalid IRT parameters", "An item's `irt` block is inconsistent: "
         "both or neither of `b` and `d`, thresholds out of order for the graded model, or a "
         "slope given for a model that fixes it.",
         "Give `a` and either increasing thresholds `b` or decreasing intercepts `d` "
         "(docs/irt.md, the irt block).")
register("irt-categories", "IRT thresholds do not match the options", "An item's `irt` block "
         "has a number of thresholds other than its number of scored options minus one.",
         "Give one threshold fewer than the item has options (categories are the scored "
         "values in increasing order).")
register("irt-empty-category", "Answer option never chosen", "An item's scored value was "
         "chosen by nobody in the calibration data, so its threshold cannot be estimated.",
         "Calibrate on more data, or merge the option with its neighbour first.", area="data")
register("export-irt-conversion", "IRT score exported as its conversion table", "An IRT "
         "(EAP) score cannot be computed by an expression language; the export carries the "
         "summed-score conversion table (EAP for summed scores) and looks the sum up in it, "
         "which needs every question answered.", "Score returned data with measurelib for EAP "
         "with skipped answers and standard errors.", area="export")
register("irt-score", "IRT score not computable", "A `method: irt` score uses an item without "
         "an `irt` block, mixes traits, or asks for a transform or prorating, which IRT scores "
         "do not use.", "Calibrate the items (`measurelib calibrate`), score one trait per "
         "rule, and remove `transform`/`prorate`.")
register("irt-low-information", "Test information too low over the target", "The items of a "
         "calibrated measure give less test information than the target asks over part of the "
         "target range, so scores there have large standard errors.",
         "Add items that measure well in that range (`measurelib shortform --target`), or "
         "narrow the target.", area="lint")
register("max-missing-too-large", "max_missing too large", "`max_missing` is not smaller than "
         "the number of items in the score, so a score could be made of no answers.",
         "Lower `max_missing` below the item count.")
register("missing-translation", "Missing translation", "A text lacks a language the measure "
         "declares in `languages:`.", "Add the translation, or remove the language.")
register("undeclared-language", "Undeclared language", "A text has a language that the measure "
         "does not declare in `languages:`.", "Add the language to `languages:`.")
register("weights-mismatch", "Weights do not match items", "A weighted sum needs exactly one "
         "weight per item of the score.", "Give a weight for each item and only those.")
register("invalid-condition", "Invalid condition", "An alert or follow-up condition cannot be "
         "evaluated.", "See `docs/format.md#conditions`.")
register("invalid-range", "Invalid range", "A minimum is not below its maximum.",
         "Swap or correct the bounds.")
register("graphic-without-alt", "Graphic without alt text", "Every graphic needs a text "
         "alternative for people who cannot see it.", "Add `alt:` describing the picture.")
register("catalog-unknown", "Unknown catalog id", "No shipped measure or bank has this id.",
         "See `measurelib catalog` for the ids.", area="usage")
register("catalog-version", "Catalog version not available", "The catalog has the measure but "
         "not the version asked for.", "Ask for a version the catalog lists.", area="usage")
register("personalised-bounds", "Bad personalised item bounds", "`min_count`/`max_count` of a "
         "personalised item are inconsistent.", "Use 1 ≤ min_count ≤ max_count ≤ 10.")
register("schema-mismatch", "JSON Schema mismatch", "The definition does not validate against "
         "the published JSON Schema.", "Fix the field named.")
# Forms (render, parse_submission).
register("text-not-licensed", "Item text not licensed for redistribution", "The measure's "
         "licence forbids shipping its item text, so a form cannot be printed from the catalog "
         "alone.", "Register with the licence holder and supply the text in a licensed overlay "
         "(`overlay=` / `--overlay FILE`).", area="licence")
register("missing-item-text", "Item has no text", "An item has no question text and no "
         "overlay supplies it.", "Add `text:` to the item or supply it in an overlay.")
register("unknown-graphic", "Graphic not found", "A `graphic:` names neither a shipped "
         "pictogram nor an image file beside the definition.", "Use a shipped pictogram "
         "(`faces/1`, `frequency/3`, `amount/5`) or a path relative to the definition file.")
register("overlay-invalid", "Overlay cannot be used", "A text overlay is not a mapping of item "
         "id to text, or names items the measure does not have.", "Write the overlay as "
         "`items: {item_id: text, ...}` using the measure's item ids.", area="usage")
register("variant-fallback", "Variant wording falls back", "A proxy, easy-read or telephone "
         "form was asked for, but some items have no such wording under `variants:` and are "
         "shown as written for the person themselves.", "Add `variants: {proxy: ...}` (or "
         "`easy_read`, `telephone`) to each item listed, in the definition or a licensed "
         "overlay; a form for staff lists the items in a note.", area="definition")
register("text-placeholder", "Placeholder for licensed text", "Licensed text (item text or "
         "option labels) was not supplied, so the form shows a placeholder.", "Supply the "
         "text in a licensed overlay (`overlay=` / `--overlay FILE`); a PDF is made only with "
         "`placeholders=True` / `--placeholders`.", area="licence")
register("proxy-not-allowed", "Proxy answers not allowed", "The measure does not list `proxy` "
         "under `respondents:`, so a proxy form cannot be made.", "Render for `self`, or add "
         "`proxy` to `respondents:` if the measure was validated for proxy answers.")
register("form-wrong-measure", "Form is for another measure", "A submitted form's hidden "
         "measure id or version does not match the measure it is parsed with.",
         "Parse the submission with the measure (and version) that rendered the form.",
         area="data")
register("answer-required", "Required answer missing", "A submitted form leaves a question "
         "unanswered that the measure marks `required: true` (checked when the submission "
         "is parsed with `check_required=True`, as a web service does for forms people fill "
         "in themselves).", "Answer the question; `measurelib.forms.submission_messages()` "
         "says so to the respondent in the form's language.", area="data")
# Composition (build), licences and batteries.
register("compose-unknown-source", "Unknown compose source", "A `compose:` entry's `from:` is "
         "neither a file (relative to the definition) nor a catalog id and version.",
         "Use `<catalog id>@<version>` (see `measurelib catalog`) or a path relative to this "
         "file.", area="compose")
register("compose-unknown-item", "Item not in the source", "A `compose:` entry names an item "
         "that the source measure or bank does not have.", "Use the source's item ids (see "
         "the hint for the list) or `items: all`.", area="compose")
register("compose-id-collision", "Item id collision", "Two items of the built measure would "
         "have the same id.", "Rename one with `rename: {old: new}` or give the entry a "
         "`prefix:`.", area="compose")
register("compose-cycle", "Cyclic composition", "A measure composes (directly or through "
         "others) from itself.", "Remove the `compose:` entry that closes the cycle.",
         area="compose")
register("compose-order", "Bad form order", "`order:` names something that is neither an item "
         "nor a compose entry, names it twice, or leaves items out.", "List every item once "
         "(a compose entry's `from` stands for all its items).", area="compose")
register("compose-scores-partial", "Scores taken from a changed source", "`scores: true` "
         "takes the source's score rules, which only hold when every item is taken unchanged.",
         "Take `items: all` unchanged, or set `scores: false` and declare your own scores.",
         area="compose")
register("compose-derive", "Derived scoring not possible", "A measure cannot be scored from "
         "another's items: an item is missing or its scale differs, or the holder does not "
         "allow it.", "Check the items' `source:` provenance and scales.", area="compose")
register("overlay-missing", "Licensed text overlay missing", "A source's licence forbids "
         "shipping its item text, so the build needs the text from your licensed copy.",
         "Register with the holder, then give the text in an overlay file: `overlay: FILE` on "
         "the compose entry or `--overlay FILE` (see docs/licences.md).", area="licence")
register("overlay-missing-item", "Overlay lacks an item", "The overlay file has no text for an "
         "item the build needs.", "Add the item's text under `items:` in the overlay.",
         area="licence")
register("licence-modification", "Licence forbids this change", "The source's licence forbids "
         "modification, and this measure takes a subset of its items, rewords, reorders or "
         "re-scales them.", "Use all items unchanged and in order, or record the permission "
         "you were given under `permission:`.", area="licence")
register("licence-permission", "Change made under a recorded permission", "The licence forbids "
         "the change, but a permission from the holder is recorded; it is reported with the "
         "measure.", "Keep the permission letter; check that its scope covers this use.",
         area="licence")
register("licence-registration", "Registration or fees", "A source's licence requires "
         "registration with the holder, or fees for some users.", "Register (and pay, if "
         "you must) before using the measure.", area="licence")
register("licence-non-commercial", "Non-commercial terms", "A source may be used only "
         "non-commercially, or commercial users need a paid licence.", "Check that your "
         "organisation's use is non-commercial, or obtain a commercial licence.", area="licence")
register("licence-text-overlay", "Item text from your licensed copy", "The source's licence "
         "forbids redistributing its item text; the built measure holds text from your overlay.",
         "Do not publish the built file or forms made from it beyond what your licence allows.",
         area="licence")
# Linter.
register("lint-reading-age", "Text above the target reading age", "The Flesch-Kincaid reading "
         "age (grade + 5) of a text is above the target (default 11 years).", "Use shorter "
         "sentences and everyday words.", area="lint")
register("lint-double-barrelled", "Double-barrelled item", "The item asks two things at once "
         "(`and`/`or` joining two questions), so an answer cannot be interpreted.",
         "Split it into two items, or ask about one thing.", area="lint")
register("lint-double-negative", "Double negative", "The item uses two negations, which many "
         "respondents misread.", "Reword it positively.", area="lint")
register("lint-recall-conflict", "Recall period conflict", "An item's wording names a recall "
         "period that differs from the instructions or the measure's recall.", "Use one recall "
         "period, or give the item its own `recall:`.", area="lint")
register("lint-mixed-direction", "Mixed item direction without reverse keying", "A score adds "
         "items worded in opposite directions without marking the minority `reverse: true`.",
         "Mark negatively worded items `reverse: true` (or reword them).", area="lint")
register("lint-anchor-label", "Unlabelled anchor", "The lowest or highest option of a scale has "
         "no label, so respondents cannot tell which end is which.", "Label both ends.",
         area="lint")
register("lint-graphic-alt", "Graphic without alt text", "A graphic has no text alternative for "
         "people who cannot see it.", "Add `alt:` describing the picture.", area="lint")
register("lint-near-duplicate", "Near-duplicate items", "Two items have almost the same "
         "wording.", "Remove one or make the difference clear.", area="lint")
register("lint-few-items", "Score with fewer than 3 items", "Internal consistency (alpha, "
         "omega) cannot be assessed for a score of fewer than 3 items.", "Add items, or report "
         "the items one by one.", area="lint")
register("lint-burden", "Respondent burden", "Estimated completion time: words read at 200 "
         "words a minute plus 5 seconds per closed answer and 60 seconds per free-text answer "
         "(docs/lint.md gives the basis).", "Shorten the measure if the estimate is "
         "above your limit.", area="lint")
register("lint-no-text", "Item text not available", "An item has no text in the definition "
         "(its licence forbids shipping it), so its wording cannot be checked.", "Lint the "
         "built measure with the licensed overlay to check the wording.", area="lint")
register("lint-unpinned-source", "Unpinned compose source", "A catalog source is named without "
         "a version, so a later catalog could change the measure.", "Write `from: id@version`.",
         area="lint")
# Response data (scoring, validate_responses).
register("invalid-answer", "Value is not a valid answer", "A response cell holds a number that "
         "is not one of the item's answers: off the scale, or a fraction on a whole-number "
         "scale.", "Correct the value from the paper form, leave it blank if unanswered, or "
         "choose `on_invalid='reject'` or `'missing'` (CLI: `--on-invalid reject|missing`).", area="data")
register("not-a-number", "Text where a number is expected", "A response cell holds text that "
         "is neither a number nor a blank (blank, NA, N/A, #N/A, -, . are read as missing).",
         "Enter the number of the answer (not its label), or leave the cell blank.", area="data")
register("missing-column", "Response column missing", "The data has no column for an item a "
         "score or alert needs; columns are found by item id or by the item's code.",
         "Rename the column, or map it with `columns=` / `--column HEADING=ITEM`.", area="data")
register("unknown-column", "Unknown column in the column map", "The column map names a "
         "heading the data does not have, or sends it to something that is not an item.",
         "Fix the heading or the item id; the message suggests the closest names.", area="data")
register("ambiguous-column", "Ambiguous column", "Two data columns match the same item (e.g. "
         "both its id and its code), or a heading appears twice.",
         "Remove one, or map the one to use explicitly.", area="data")
register("data-file-type", "File is not what its name says", "The content of a data file "
         "is not of the type its extension names (an Excel workbook renamed .csv, a Parquet "
         "file named .xlsx).", "Rename the file to the extension of its content, or save it "
         "again as CSV UTF-8 from the program that made it.", area="usage")
register("data-not-utf8", "Data file is not UTF-8", "A text data file holds bytes that are "
         "not UTF-8 (often a CSV saved by Excel as 'CSV' rather than 'CSV UTF-8').",
         "Save the file as CSV UTF-8 (Excel: File > Save As > CSV UTF-8).", area="usage")
register("data-unreadable", "Data file cannot be read", "The file could not be parsed as CSV, "
         "Excel or Parquet.", "Open it in the program that made it and save it again.",
         area="usage")
register("output-path", "Output cannot be written there", "An output file is a folder, lies "
         "in a folder that does not exist, is the file being read, or is also given as another "
         "output of the same run (nothing is read or written).", "Give a new file name in a "
         "folder that exists, different from the input and the other outputs.", area="usage")
register("data-too-many-fields", "Row with too many fields", "A row of a CSV file has more "
         "fields than the heading row (often an unquoted separator inside a cell).",
         "Remove the extra separators, or put the cell in double quotes.", area="data")
register("invalid-respondent-id", "Respondent id not allowed", "A respondent id is too long or "
         "holds control characters (line breaks, tabs) that would corrupt files and reports, "
         "or invisible ones (zero-width spaces, direction marks) that make two ids look alike.",
         "Use short pseudonymous ids of letters, digits and - _ . / : (at most 64 characters).",
         area="data")
register("text-hidden-character", "Invisible character in a text", "A text of the definition "
         "holds a zero-width space, word joiner, byte-order mark or direction override: invisible "
         "in an editor, it changes how the text shows (a right-to-left override reverses what "
         "follows) or how a screen reader reads it.", "Delete the character (retyping the text "
         "removes it); direction marks and the joiners a script needs are not flagged.")
register("hidden-character", "Text holds a hidden character", "A label (episode, timepoint, "
         "site, service, worker, an equity field) holds a control character (line break, tab) "
         "or an invisible one (zero-width space, direction mark): it would show otherwise than "
         "it is, or count apart from the same label typed plainly.", "Retype the cell (or delete "
         "the hidden character); copying from web pages or messages often brings them in.",
         area="data")
register("value-too-long", "Text longer than the store keeps", "An episode, timepoint, site, "
         "service, worker or equity field is longer than its column in the outcomes store "
         "(64 or 128 characters; 32 or 64 for equity fields).",
         "Shorten it to the number of characters named, e.g. a site's code instead of its full "
         "name.", area="data")
register("column-replaced", "Data column replaced by a score", "The data already had a column "
         "with the name of a computed column (e.g. from an earlier scoring); it was replaced.",
         "Rename the data's column to keep both.", area="data")
# Outcomes store (imports, double entry, schedules).
register("store-missing-respondent", "No respondent id", "An administration to be followed up "
         "over time needs the person's pseudonymous id.", "Fill in `respondent_id` (never a "
         "name or NHS number), or import experience measures with `--anonymous`.", area="store")
register("store-invalid-date", "Bad or missing date", "The date of an administration is "
         "missing or not a date.", "Write dates as YYYY-MM-DD (or DD/MM/YYYY).", area="store")
register("store-missing-timepoint", "No timepoint", "Each administration needs a timepoint "
         "label such as baseline, review or exit.", "Fill in `timepoint`.", area="store")
register("store-duplicate-row", "Same form twice in one file", "Two rows have the same "
         "respondent, episode, timepoint and date.", "Remove the repeated row, or correct "
         "its date or timepoint.", area="store")
register("store-double-entry", "Double entry disagrees", "Two independent keyings of the same "
         "paper forms differ in a cell.", "Check the paper form and correct the file that is "
         "wrong, then import again with --verify.", area="store")
register("store-form-conflict", "A different form at the same occasion", "The store already "
         "holds a form of this measure for this person, episode, timepoint and date, with other "
         "answers; a timepoint is one measurement occasion, so the new form was not stored.",
         "Check which form is right. Record a second occasion under its own timepoint (or its "
         "own date); to replace the stored form, erase it first.", area="store")
register("store-not-found", "No such store", "A command that reads the outcomes store was "
         "given a store that does not exist (a mistyped `--db` would otherwise open a new, "
         "empty store).", "Check `--db` (file path or URL); `measurelib import` creates a "
         "store.", area="store")
register("store-url-invalid", "Malformed store URL", "The store URL cannot be understood.",
         "Give a file path (SQLite) or a URL such as "
         "postgresql+psycopg://user@host/db.", area="store")
register("schedule-invalid", "Invalid schedule", "A service schedule file does not follow the "
         "schedule format.", "See docs/outcomes.md#schedules.", area="store")

# Assessment.
register("assess-too-few-items", "Too few items to assess", "The data hold fewer than two "
         "scorable items of the measure.", "Check that the data's columns are the measure's "
         "items (or map them with --column).", area="data")
register("measure-not-built", "Measure not built", "The measure takes items from banks or other "
         "measures (`compose:`) and has not been built, so its scores cannot be computed yet.",
         "Run `measurelib build FILE -o built.yaml` (or `ml.build(path)`) and score the built "
         "measure.", area="data")

# Export and import of definitions (FHIR, XLSForm, REDCap, JSON Schema).
register("export-text-withheld", "Licensed text left out of an export", "The measure's licence "
         "forbids redistributing its wording, so the export holds a placeholder for each item "
         "(or, with an overlay, the user's licensed text, which must stay private).",
         "Pass your licensed overlay (overlay=... or --overlay FILE) and keep the file private.",
         area="export")
register("export-score-not-expressible", "Score not carried by the target", "The target format "
         "cannot compute this score (a lookup table, a value set, a recoded continuous scale); "
         "the exported file says so in the score's description or note.",
         "Score the returned data with measurelib (`measurelib score`).", area="export")
register("export-field-renamed", "Field renamed for the target", "The target's naming rules "
         "(REDCap: lowercase, at most 26 characters, unique; Stata: 32 characters) needed a "
         "new name; the mapping is reported.", "Use the reported map (ExportResult.field_map) "
         "to match data back; measurelib's REDCap import does it for you.", area="export")
register("export-translations-dropped", "Translations left out", "The target holds one "
         "language per file (REDCap data dictionaries).", "Export once per language "
         "(lang=...), or use the target's own translation tools.", area="export")
register("export-media-missing", "Picture not found", "A picture named by the measure was not "
         "found, so the exported form names a file that must be uploaded by hand.",
         "Check the `graphic:` path, relative to the definition file.", area="export")
register("import-not-carried", "Not carried over by the import", "Part of the source file "
         "(licence terms, score calculations, branching, pictures) has no place in the "
         "imported definition and must be added by hand.", "Edit the YAML as the message "
         "says, then run `measurelib validate`.", area="definition")
register("import-invalid", "File cannot be imported", "The file is not of the format given "
         "(FHIR Questionnaire, XLSForm, REDCap data dictionary) or does not make a valid "
         "measure.", "Export the file again from its system, or fix the field named.",
         area="definition")
register("schedule-unknown-measure", "Schedule names an unknown measure", "A schedule lists a "
         "measure id that is neither a catalog measure nor stored in the store, so nobody could "
         "ever complete it.", "Correct the id (a did-you-mean is given), or import the "
         "measure's forms first.", area="definition")
register("timepoint-unknown", "Unknown timepoint", "A form's timepoint is not one of the "
         "declared timepoints (the service's schedule, else the measure's `timepoints:`).",
         "Correct the label (a did-you-mean is given), or declare the timepoint.", area="data")
register("date-in-future", "Date in the future", "A form is dated after today, which is "
         "almost always a keying error (and would make the due list wrong).",
         "Correct the date (YYYY-MM-DD or DD/MM/YYYY).", area="data")
register("report-logo", "Logo cannot be used", "The organisation's logo given to a report is "
         "outside the allowed folder, too large, or not a PNG or JPEG image.",
         "Give a PNG or JPEG file of at most 512 KB inside the current folder.", area="data")
register("no-baseline", "No baseline scores", "The store or table holds no baseline "
         "administrations of the measure (for the filters given), so no change can be computed.",
         "Import the forms first, or check the measure, service and timepoint labels.",
         area="data")

# the service's guided composer (measurelib serve)
register(
    "service-file-reference", "The service reads no files",
    "A definition uploaded to or composed in the service names a file: a compose source "
    "given as a path, an overlay, a table file or a picture that is not a shipped pictogram. "
    "The service holds no files beside a definition, so it refuses them.",
    "Borrow from catalog measures and banks by id and version (`from: wellbeing-bank@1.0.0`), "
    "use the shipped pictograms (`faces/1`...), and build measures that need files or "
    "licensed text with `measurelib build` on your own computer.", area="service")
register(
    "service-version-published", "Version already published",
    "A measure of that id and version is already published in the service; a published "
    "version never changes, or answers already stored would no longer match it.",
    "Raise `version:` (e.g. 1.0.0 to 1.1.0 for new questions, 2.0.0 when scores change) "
    "and publish again.", area="service")
register(
    "service-catalog-id", "Id of a catalog measure",
    "The measure's id is the id of a measure or bank that ships with measurelib, so the "
    "two could not be told apart in the store.",
    "Choose another id for your own measure (e.g. prefix it with your organisation's name).",
    area="service")
