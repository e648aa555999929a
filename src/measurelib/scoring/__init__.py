"""Scoring: responses in, scores, bands and alerts out, with every row accounted for.

:func:`score` scores a DataFrame (rows in = rows scored + rows rejected);
:func:`score_file` scores a data file of any size in chunks; :func:`read_responses` is the
one reader of response files that every stage uses. pandas loads on first use.
"""

from __future__ import annotations

from measurelib._lazy import attach

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
__all__ = sorted(_LAZY)
__getattr__, __dir__ = attach(__name__, _LAZY)
