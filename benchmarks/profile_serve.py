"""Where one form's time goes in the web service: cProfile around the respondent's *Send*.

Runs the service in this process (Django's test client, no network) against a throw-away
PostgreSQL cluster (``--pg auto``, the default) or a SQLite file (``--pg none``), makes a
single-use link per form, opens each and posts the PHQ-9 — the path of
``benchmarks/bench_serve.py`` without the HTTP server. Prints the mean time per posted
form, the SQL statements per form (Django's and the Store's), and the functions with the
most cumulative time (``--top``). The first ``--warm`` forms are not profiled (imports,
the measure's first load).

Run:  python benchmarks/profile_serve.py [--forms 40] [--warm 5] [--pg auto|none|URL] [--get]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


class _NoProfile:
    def enable(self) -> None:
        pass

    def disable(self) -> None:
        pass


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--forms", type=int, default=40)
    ap.add_argument("--warm", type=int, default=5)
    ap.add_argument("--pg", default="auto", help="'auto', a PostgreSQL URL, or 'none'")
    ap.add_argument("--top", type=int, default=35)
    ap.add_argument("--only", default="", help="also list the functions whose path matches")
    ap.add_argument("--sql", action="store_true", help="print Django's SQL of the last form")
    ap.add_argument("--no-profile", action="store_true",
                    help="time only (no cProfile: its overhead left out)")
    ap.add_argument("--get", action="store_true",
                    help="profile showing the form (GET) instead of sending it")
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="mlserve-prof"))
    cluster = None
    if args.pg == "auto":
        from bench_store import _Cluster

        cluster = _Cluster()
        cluster.start()
        db = cluster.url("mlserve_prof")
    elif args.pg == "none":
        db = str(folder / "prof.db")
    else:
        db = args.pg
    try:
        return _run(args, db, folder)
    finally:
        if cluster is not None:
            cluster.stop()


def _run(args: argparse.Namespace, db: str, folder: Path) -> int:
    import sqlalchemy
    from bench_serve import ANSWERS, _prepare
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from measurelib.serve._command import init_database
    from measurelib.serve._config import load_config
    from measurelib.serve._settings import configure

    cfg = load_config(folder / "serve.toml", environ={})
    cfg.database = db
    cfg.allowed_hosts = ["testserver"]
    cfg.secure_cookies = False
    configure(cfg)
    setup_test_environment()
    init_database(cfg)
    links = _prepare(args.forms + args.warm)
    store_sql = [0]

    def count(*_a: object, **_k: object) -> None:
        store_sql[0] += 1

    sqlalchemy.event.listen(sqlalchemy.engine.Engine, "before_cursor_execute", count)
    prof: Any = cProfile.Profile() if not args.no_profile else _NoProfile()
    times, django_sql, sa_sql, opened = [], [], [], []
    for i, (_rid, token) in enumerate(links):
        c = Client()
        profiled = i >= args.warm
        t0 = time.perf_counter()
        assert c.get(f"/r/{token}").status_code == 302
        t1 = time.perf_counter()
        if profiled and args.get:
            prof.enable()
        assert c.get("/respond/").status_code == 200
        if profiled and args.get:
            prof.disable()
        if profiled:
            opened.append((t1 - t0, time.perf_counter() - t1))
        store_sql[0] = 0
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            if profiled and not args.get:
                prof.enable()
            r = c.post("/respond/", ANSWERS)
            if profiled and not args.get:
                prof.disable()
            elapsed = time.perf_counter() - t0
        assert r.status_code == 302 and r["Location"] == "/respond/thanks/", r.status_code
        if profiled and args.sql and i == len(links) - 1:
            for q in queries.captured_queries:
                print("SQL:", q["sql"][:160])
        if profiled:
            times.append(elapsed)
            django_sql.append(len(queries))
            sa_sql.append(store_sql[0])
    n = len(times)
    print(f"{n} forms posted ({'PostgreSQL' if '://' in db else 'SQLite'}): "
          f"{1000 * sum(times) / n:.1f} ms per form (median "
          f"{1000 * sorted(times)[n // 2]:.1f} ms); SQL per form: Django "
          f"{sum(django_sql) / n:.1f}, Store {sum(sa_sql) / n:.1f}; before it, opening the "
          f"link {1000 * sum(o[0] for o in opened) / n:.1f} ms and the form "
          f"{1000 * sum(o[1] for o in opened) / n:.1f} ms")
    if args.no_profile:
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        return 0
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).sort_stats("cumulative")
    stats.print_stats(args.top)
    if args.only:
        stats.print_stats(args.only, args.top)
    print(out.getvalue())
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
