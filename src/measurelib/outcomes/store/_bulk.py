"""Set-wise inserts: executemany on SQLite, COPY on PostgreSQL. No per-row ORM objects."""

from __future__ import annotations

import io
from typing import Any


def _records(df: Any) -> list[tuple[Any, ...]]:
    """Rows as tuples of plain Python values, missing values as None."""
    columns = []
    for col in df.columns:
        s = df[col]
        missing = s.isna().to_numpy()
        if missing.any():
            s = s.astype(object).where(~missing, None)
        columns.append(s.tolist())  # plain Python values, converted in C
    return list(zip(*columns))


def bulk_insert(conn: Any, table: Any, df: Any) -> None:
    """Insert every row of ``df`` (columns named as in ``table``) in the current transaction."""
    if not len(df):
        return
    import pandas as pd
    from sqlalchemy import Integer

    cols = list(df.columns)
    df = df.copy()
    for col in cols:
        if isinstance(table.c[col].type, Integer) and not pd.api.types.is_integer_dtype(df[col]):
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("Int64")
    if conn.dialect.name == "postgresql":
        _copy(conn, table.name, df)
        return
    sql = (f'INSERT INTO {table.name} ({", ".join(cols)}) '
           f'VALUES ({", ".join("?" for _ in cols)})')
    conn.exec_driver_sql(sql, _records(df))


def bulk_insert_ignore(conn: Any, table: Any, df: Any, key: list[str]) -> None:
    """SQLite: executemany ``INSERT ... ON CONFLICT (key) DO NOTHING`` in the frame's order."""
    if not len(df):
        return
    cols = list(df.columns)
    sql = (f'INSERT INTO {table.name} ({", ".join(cols)}) '
           f'VALUES ({", ".join("?" for _ in cols)}) ON CONFLICT ({", ".join(key)}) DO NOTHING')
    conn.exec_driver_sql(sql, _records(df))


def _copy(conn: Any, name: str, df: Any) -> None:
    import pandas as pd

    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        s = df[col]
        first = s.dropna().iloc[0] if s.notna().any() else None
        if isinstance(first, bytes):  # bytea in COPY's text form
            text = s.map(lambda b: "\\x" + b.hex() if isinstance(b, bytes) else None)
        elif pd.api.types.is_bool_dtype(s):
            text = s.map({True: "t", False: "f"})
        elif pd.api.types.is_float_dtype(s):
            text = s.map(repr)
        elif pd.api.types.is_integer_dtype(s):
            text = s.astype("string")
        else:
            text = s
        out[col] = text.astype(object).where(s.notna(), None)
    buf = io.StringIO()
    out.to_csv(buf, index=False, header=False, na_rep="\\N")
    cols = ", ".join(f'"{c}"' for c in out.columns)
    raw = conn.connection.driver_connection
    sql = f"COPY {name} ({cols}) FROM STDIN (FORMAT csv, NULL '\\N')"
    with raw.cursor() as cur, cur.copy(sql) as cp:
        cp.write(buf.getvalue())


def insert_ignore(conn: Any, table: Any, df: Any, key: list[str]) -> None:
    """Insert rows whose ``key`` is not in ``table`` yet (ON CONFLICT DO NOTHING)."""
    if not len(df):
        return
    # one order for every writer: concurrent transactions then lock keys in the same order
    # and wait for each other instead of deadlocking
    df = df.sort_values(key, kind="stable")
    cols = list(df.columns)
    quoted = ", ".join(cols)
    if conn.dialect.name == "postgresql":
        # COPY into a temporary table, then one INSERT ... SELECT: no row-by-row round trips
        stage = f"_stage_{table.name}"
        conn.exec_driver_sql(f"CREATE TEMP TABLE {stage} (LIKE {table.name}) ON COMMIT DROP")
        _copy(conn, stage, df)
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({quoted}) SELECT {quoted} FROM {stage} "
                             f"ORDER BY {', '.join(key)} ON CONFLICT ({', '.join(key)}) DO NOTHING")
        conn.exec_driver_sql(f"DROP TABLE {stage}")
        return
    marks = ", ".join("?" for _ in cols)
    sql = (f"INSERT INTO {table.name} ({quoted}) VALUES ({marks}) "
           f"ON CONFLICT ({', '.join(key)}) DO NOTHING")
    conn.exec_driver_sql(sql, _records(df))


def stage(conn: Any, table: Any, df: Any, name: str, extra: dict[str, str] | None = None) -> str:
    """Copy ``df`` into a temporary table shaped like ``table`` (plus ``extra`` columns).

    Writers then move rows from the stage with one ``INSERT ... SELECT ... ON CONFLICT DO
    NOTHING``, so that keys are given by the database and concurrent writers of the same
    natural key resolve to one row. Returns the stage's name; drop it with :func:`unstage`.
    """
    from sqlalchemy import Integer, Table

    unstage(conn, name)
    own = [c for c in df.columns if c in table.c]
    cols = ", ".join(own)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS "
                             f"SELECT {cols} FROM {table.name} WITH NO DATA")
    else:
        conn.exec_driver_sql(f"CREATE TEMP TABLE {name} AS SELECT {cols} FROM {table.name} "
                             "WHERE 0")
    for col, sqltype in (extra or {}).items():
        conn.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN {col} {sqltype}")
    from sqlalchemy import Column, MetaData

    shadow = Table(name, MetaData(), *[Column(c, table.c[c].type) for c in own],
                   *[Column(c, Integer) for c in (extra or {})])
    bulk_insert(conn, shadow, df)
    return name


def unstage(conn: Any, name: str) -> None:
    """Drop a stage made by :func:`stage` (if it exists)."""
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")


def pylist(values: Any) -> list[Any]:
    """A column as plain Python values (``None`` for missing), converted in C."""
    return list(values.to_numpy(dtype=object, na_value=None).tolist())


def copy_rows(conn: Any, name: str, columns: list[str], rows: Any) -> None:
    """PostgreSQL ``COPY name (columns) FROM STDIN`` of Python tuples.

    psycopg adapts each value (``bytes`` to ``bytea``, ``None`` to NULL): no text escaping
    of our own.
    """
    cols = ", ".join(f'"{c}"' for c in columns)
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {name} ({cols}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)


def insert_rows(conn: Any, name: str, columns: list[str], rows: Any) -> int:
    """Insert Python tuples into table ``name`` in the current transaction; returns the count.

    SQLite: one ``executemany``; PostgreSQL: ``COPY``.
    """
    if conn.dialect.name == "postgresql":
        rows = list(rows)
        copy_rows(conn, name, columns, rows)
        return len(rows)
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.executemany(f'INSERT INTO {name} ({", ".join(columns)}) '
                        f'VALUES ({", ".join("?" for _ in columns)})', rows)
        return int(cur.rowcount)
    finally:
        cur.close()


def insert_rows_ignore(conn: Any, name: str, columns: list[str], rows: list[Any],
                       key: list[str], pg_types: list[str]) -> None:
    """Insert the tuples whose ``key`` is not in table ``name`` yet (ON CONFLICT DO NOTHING).

    Rows go in sorted by key, so that concurrent writers lock keys in one order and wait
    for each other instead of deadlocking. PostgreSQL: one ``INSERT ... SELECT FROM
    unnest(...)`` of one array per column (``pg_types``: the columns' types).
    """
    if not rows:
        return
    positions = [columns.index(k) for k in key]
    rows = sorted(rows, key=lambda r: tuple("" if r[i] is None else r[i] for i in positions))
    quoted = ", ".join(columns)
    conflict = ", ".join(key)
    if conn.dialect.name == "postgresql":
        arrays = ", ".join(f"%s::{t}[]" for t in pg_types)
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            cur.execute(f"INSERT INTO {name} ({quoted}) SELECT * FROM unnest({arrays}) "
                        f"ON CONFLICT ({conflict}) DO NOTHING",
                        [list(col) for col in zip(*rows)])
        return
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.executemany(f"INSERT INTO {name} ({quoted}) VALUES "
                        f"({', '.join('?' for _ in columns)}) ON CONFLICT ({conflict}) DO NOTHING",
                        rows)
    finally:
        cur.close()
