"""Scoring: responses in, scores, bands and alerts out, with every row accounted for.

:func:`score` scores a DataFrame (rows in = rows scored + rows rejected);
:func:`score_file` scores a data file of any size in chunks; :func:`read_responses` is the
one reader of response files that every stage uses. pandas loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from measurelib._lazy import attach

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from measurelib.scoring._guard import WorkbookScan, check_workbook
    from measurelib.scoring._io import (
        READ_SUFFIXES,
        WRITE_SUFFIXES,
        FileUsageError,
        ResponseWriter,
        ScoreFileResult,
        ScoreStats,
        check_data_file,
        detect_separator,
        iter_response_chunks,
        read_responses,
        score_file,
        spreadsheet_safe,
        suppress_counts,
    )
    from measurelib.scoring._score import (
        ScoreAccount,
        ScoreResult,
        output_columns,
        score,
        score_partitions,
        score_spark,
        score_validated,
    )
    from measurelib.scoring._validate import (
        BLANKS,
        MAX_RESPONDENT_ID,
        ColumnSpec,
        ValidationResult,
        column_specs,
        hidden_characters,
        invalid_respondent_ids,
        validate_responses,
    )
    from measurelib.scoring._values import apply_map, item_value_map, scored_item_values

_LAZY = {
    "BLANKS": "_validate",
    "MAX_RESPONDENT_ID": "_validate",
    "hidden_characters": "_validate",
    "invalid_respondent_ids": "_validate",
    "check_data_file": "_io",
    "check_workbook": "_guard",
    "WorkbookScan": "_guard",
    "ColumnSpec": "_validate",
    "ValidationResult": "_validate",
    "column_specs": "_validate",
    "validate_responses": "_validate",
    "ScoreAccount": "_score",
    "ScoreResult": "_score",
    "output_columns": "_score",
    "score": "_score",
    "score_partitions": "_score",
    "score_spark": "_score",
    "scored_item_values": "_values",
    "item_value_map": "_values",
    "apply_map": "_values",
    "score_validated": "_score",
    "READ_SUFFIXES": "_io",
    "WRITE_SUFFIXES": "_io",
    "FileUsageError": "_io",
    "ResponseWriter": "_io",
    "ScoreFileResult": "_io",
    "ScoreStats": "_io",
    "detect_separator": "_io",
    "iter_response_chunks": "_io",
    "read_responses": "_io",
    "score_file": "_io",
    "spreadsheet_safe": "_io",
    "suppress_counts": "_io",
}
__all__ = [
    "BLANKS",
    "MAX_RESPONDENT_ID",
    "ColumnSpec",
    "FileUsageError",
    "READ_SUFFIXES",
    "ResponseWriter",
    "ScoreAccount",
    "ScoreFileResult",
    "ScoreResult",
    "ScoreStats",
    "ValidationResult",
    "WRITE_SUFFIXES",
    "WorkbookScan",
    "apply_map",
    "check_data_file",
    "check_workbook",
    "column_specs",
    "detect_separator",
    "hidden_characters",
    "invalid_respondent_ids",
    "item_value_map",
    "iter_response_chunks",
    "output_columns",
    "read_responses",
    "score",
    "score_file",
    "score_partitions",
    "score_spark",
    "score_validated",
    "scored_item_values",
    "spreadsheet_safe",
    "suppress_counts",
    "validate_responses",
]
#: names of earlier releases: old -> (new, removed in)
_DEPRECATED = {"ValidatedResponses": ("ValidationResult", "0.3.0")}
__getattr__, __dir__ = attach(__name__, _LAZY, _DEPRECATED)
