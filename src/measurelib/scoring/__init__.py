"""Scoring: responses in, scores, bands and alerts out, with every row accounted for.

:func:`score` scores a DataFrame (rows in = rows scored + rows rejected);
:func:`score_file` scores a data file of any size in chunks; :func:`read_responses` is the
one reader of response files that every stage uses. pandas loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from measurelib._lazy import attach

if TYPE_CHECKING:  # the names as type checkers and editors see them
    from measurelib.scoring._io import (
        READ_SUFFIXES,
        WRITE_SUFFIXES,
        FileUsageError,
        ResponseWriter,
        ScoreFileResult,
        ScoreStats,
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
        apply_map,
        item_value_map,
        output_columns,
        score,
        score_partitions,
        score_spark,
        score_validated,
        scored_item_values,
    )
    from measurelib.scoring._validate import (
        BLANKS,
        ColumnSpec,
        ValidatedResponses,
        column_specs,
        validate_responses,
    )

_LAZY = {
    "BLANKS": "_validate",
    "ColumnSpec": "_validate",
    "ValidatedResponses": "_validate",
    "column_specs": "_validate",
    "validate_responses": "_validate",
    "ScoreAccount": "_score",
    "ScoreResult": "_score",
    "output_columns": "_score",
    "score": "_score",
    "score_partitions": "_score",
    "score_spark": "_score",
    "scored_item_values": "_score",
    "item_value_map": "_score",
    "apply_map": "_score",
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
    "ColumnSpec",
    "FileUsageError",
    "READ_SUFFIXES",
    "ResponseWriter",
    "ScoreAccount",
    "ScoreFileResult",
    "ScoreResult",
    "ScoreStats",
    "ValidatedResponses",
    "WRITE_SUFFIXES",
    "apply_map",
    "column_specs",
    "detect_separator",
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
__getattr__, __dir__ = attach(__name__, _LAZY)
