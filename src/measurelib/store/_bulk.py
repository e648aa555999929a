"""Set-wise inserts: executemany on SQLite, COPY on PostgreSQL. No per-row ORM objects."""

from __future__ import annotations

import io
from typing import Any


def _records(df: Any) -> list[tuple[Any, ...]]:
    """Rows as tuples of plain Python values, missing values as None."""
    import pandas as pd

    obj = df.astype(object)
    obj = obj.where(pd.notna(obj), None)
    return list(obj.itertuples(index=False, name=None))


def bulk_insert(conn: Any, table: Any, df: Any) -> None:
    """Insert every row of ``df`` (columns named as in ``table``) in the current transaction."""
    if not len(df):
        return
    cols = list(df.columns)
    if conn.dialect.name == "postgresql":
        _copy(conn, table.name, df)
        return
    sql = (f'INSERT INTO {table.name} ({", ".join(cols)}) '
           f'VALUES ({", ".join("?" for _ in cols)})')
    conn.exec_driver_sql(sql, _records(df))


def _copy(conn: Any, name: str, df: Any) -> None:
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s):
            out[col] = s.map({True: "t", False: "f"})
        elif pd.api.types.is_float_dtype(s):
            out[col] = s.map(repr).where(s.notna(), None)
    buf = io.StringIO()
    out.to_csv(buf, index=False, header=False, na_rep="")
    cols = ", ".join(f'"{c}"' for c in out.columns)
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {name} ({cols}) FROM STDIN (FORMAT csv)") as cp:
        cp.write(buf.getvalue())


def insert_ignore(conn: Any, table: Any, df: Any, key: list[str]) -> None:
    """Insert rows whose ``key`` is not in ``table`` yet (ON CONFLICT DO NOTHING)."""
    if not len(df):
        return
    cols = list(df.columns)
    quoted = ", ".join(cols)
    if conn.dialect.name == "postgresql":
        marks = ", ".join("%s" for _ in cols)
    else:
        marks = ", ".join("?" for _ in cols)
    sql = (f"INSERT INTO {table.name} ({quoted}) VALUES ({marks}) "
           f"ON CONFLICT ({', '.join(key)}) DO NOTHING")
    conn.exec_driver_sql(sql, _records(df))
