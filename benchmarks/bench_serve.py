"""Load on the web service: respondents sending forms through single-use links, at once.

``measurelib serve --workers N`` runs on loopback (127.0.0.1) against a throw-away
PostgreSQL cluster on a Unix socket (``--pg auto``, the default), a given PostgreSQL URL,
or a SQLite file (``--pg none``). The benchmark makes one person and one single-use link
per form to be sent, then locust (``pip install 'measurelib[bench]'``) runs
``--respondents`` simulated users for ``--seconds``: each opens a link, reads the form's
CSRF token and posts the PHQ-9, then takes the next link (``benchmarks/locust_serve.py``).
Afterwards it counts what the Store holds. The run is bounded: locust stops after
``--seconds`` (users finish their request within 30 s), and the whole locust process is
killed if it has not ended 120 s later.

Reported: forms sent, acknowledged (the thank-you page was reached), failed, stored;
**lost** (acknowledged but not in the Store — must be 0), **duplicated** (stored more than
once — must be 0), stored without acknowledgement (a worker killed mid-request), and the
50th/95th percentile of the time from posting to the thank-you page. ``--kill-after S``
sends SIGKILL to one worker process S seconds into the run. Exit status 1 when anything
acknowledged was lost or anything was duplicated.

Run:  python benchmarks/bench_serve.py [--respondents 20] [--seconds 10] [--workers 2]
      (the issue's load test: --respondents 200 --seconds 60 --workers 2 --kill-after 30)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ANSWERS = {"measure_id": "phq-9", "interest": "1", "down": "2", "sleep": "1", "tired": "0",
           "appetite": "1", "failure": "0", "concentration": "1", "psychomotor": "0",
           "self_harm": "0", "difficulty": "1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(n_links: int) -> list[tuple[str, str]]:
    """One team, one worker, and one person with a link per form; returns (person, token)."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from measurelib.serve.models import Collection, Episode, Person, StaffProfile, Team, new_token

    team = Team.objects.create(name="Load", service="load", measures="phq-9")
    user = get_user_model().objects.create_user(username="load-worker", password=None)
    StaffProfile.objects.create(user=user, role="worker").teams.set([team])
    people = Person.objects.bulk_create(
        Person(team=team, respondent_id=f"L-{i:06d}", key_worker=user) for i in range(n_links))
    Episode.objects.bulk_create(Episode(person=p, number="1") for p in people)
    expires = timezone.now() + dt.timedelta(days=1)
    out, rows = [], []
    for p in people:
        token, digest = new_token()
        rows.append(Collection(kind="link", person=p, measure_id="phq-9", timepoint="baseline",
                               token_hash=digest, created_by=user, expires_at=expires))
        out.append((p.respondent_id, token))
    Collection.objects.bulk_create(rows)
    return out


def _first_stored(db: str, deadline: float) -> bool:
    """Wait until the Store holds a form (True), or until ``deadline`` (False)."""
    import measurelib as ml

    store = ml.Store(db, upgrade=False)
    try:
        while time.monotonic() < deadline:
            if store.counts()["administrations"]:
                return True
            time.sleep(0.2)
        return False
    finally:
        store.close()


def _drive(base: str, links: list[tuple[str, str]], args: argparse.Namespace,
           folder: Path, server: subprocess.Popen[str],
           db: str) -> tuple[list[tuple[str, str, float]], float]:
    """Run locust headless against ``base``; returns (rid, status, seconds) per form sent."""
    import json

    links_file, results_file = folder / "links.txt", folder / "results.jsonl"
    links_file.write_text("".join(f"{rid} {token}\n" for rid, token in links),
                          encoding="utf-8")
    env = {**os.environ, "MLSERVE_LINKS": str(links_file),
           "MLSERVE_RESULTS": str(results_file)}
    cmd = [sys.executable, "-m", "locust", "-f", str(HERE / "locust_serve.py"), "--headless",
           "--users", str(args.respondents), "--spawn-rate", str(args.respondents),
           "--run-time", f"{args.seconds:g}s", "--stop-timeout", "30", "--host", base,
           "--only-summary", "--loglevel", "ERROR", "--exit-code-on-error", "0"]
    started = time.monotonic()
    driver = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    if args.kill_after is not None:
        # mid-submission: the given seconds after the first form reached the Store
        first = _first_stored(db, deadline=time.monotonic() + args.seconds)
        time.sleep(args.kill_after)
        children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True,
                                  text=True).stdout.split()
        if children and driver.poll() is None:
            os.kill(int(children[0]), signal.SIGKILL)
            print(f"killed worker {children[0]} {args.kill_after:g} s after the first form "
                  f"was stored ({time.monotonic() - started:.1f} s into the run"
                  f"{'' if first else '; none stored by then'})", flush=True)
    try:
        out, _ = driver.communicate(timeout=args.seconds + 150)
    except subprocess.TimeoutExpired:
        driver.kill()
        out, _ = driver.communicate()
        print("locust did not stop in time: killed", flush=True)
    wall = time.monotonic() - started
    if args.verbose:
        print(out)
    results = []
    if results_file.exists():
        for line in results_file.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            results.append((rec["rid"], rec["status"], float(rec["seconds"])))
    return results, wall


def _warm_up(base: str, links: list[tuple[str, str]]) -> None:
    """Open a few forms (never sent) so that each worker has loaded the measure."""
    for _rid, token in links:
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"{base}/r/{token}", timeout=120).read()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--respondents", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pg", default="auto", help="'auto', a PostgreSQL URL, or 'none' (SQLite)")
    ap.add_argument("--links", type=int, default=0, help="links to make (default: enough)")
    ap.add_argument("--kill-after", type=float, default=None,
                    help="SIGKILL one worker this many seconds into the run")
    ap.add_argument("--verbose", action="store_true", help="print locust's own summary")
    args = ap.parse_args()
    import importlib.util

    # found, not imported: importing locust patches this process (gevent); it runs apart
    if importlib.util.find_spec("locust") is None:
        print("bench_serve needs locust: pip install 'measurelib[bench]'", file=sys.stderr)
        return 2
    print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="mlserve-bench"))
    cluster = None
    if args.pg == "auto":
        sys.path.insert(0, str(HERE))
        from bench_store import _Cluster

        cluster = _Cluster()
        cluster.start()
        db = cluster.url("mlserve_bench")
    elif args.pg == "none":
        db = str(folder / "bench.db")
    else:
        db = args.pg
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEASURELIB_SERVE_")}
    env.update({"MEASURELIB_SERVE_DATABASE": db, "MEASURELIB_SERVE_SECURE_COOKIES": "false",
                "MEASURELIB_SERVE_LOCKOUT_FAILURES": "1000",
                "MEASURELIB_SERVE_CONFIG": str(folder / "serve.toml")})
    cmd = [sys.executable, "-m", "measurelib.serve", "--port", str(port), "--workers",
           str(args.workers)]
    server = None
    try:
        subprocess.run([*cmd, "--init-only"], env=env, check=True, capture_output=True)
        os.environ.update({k: v for k, v in env.items() if k.startswith("MEASURELIB_SERVE_")})
        from measurelib.serve._config import load_config
        from measurelib.serve._settings import configure

        configure(load_config())
        n_links = args.links or max(200, int(args.seconds * 60))
        links = _prepare(n_links + 4 * args.workers)
        warm, links = links[:4 * args.workers], links[4 * args.workers:]
        from django.db import connections

        connections.close_all()
        server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/login/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        _warm_up(base, warm)
        results, wall = _drive(base, links, args, folder, server, db)
    finally:
        errors: dict[str, int] = {}
        if server is not None:
            server.terminate()
            try:
                _out, err = server.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                _out, err = server.communicate()
            for line in (err or "").splitlines():
                if line.startswith("Internal Server Error"):
                    kind = line.split("[", 1)[-1].split(";")[0]
                    errors[kind] = errors.get(kind, 0) + 1
    import measurelib as ml

    store = ml.Store(db, upgrade=False)
    try:
        adm = store.administrations("phq-9")
    finally:
        store.close()
    counts = adm["respondent_id"].value_counts()
    stored = set(counts.index)
    acked = {rid for rid, status, _ in results if status == "ok"}
    lost = acked - stored
    duplicated = int((counts > 1).sum())
    latencies = sorted(t for _, status, t in results if status == "ok")
    failures: dict[str, int] = {}
    for _, status, _ in results:
        if status != "ok":
            failures[status] = failures.get(status, 0) + 1
    p50 = statistics.median(latencies) if latencies else float("nan")
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    backend = "PostgreSQL" if "://" in db else "SQLite"
    print(f"measurelib serve, {args.workers} worker(s), {backend}, {args.respondents} "
          f"respondents for {wall:.1f} s")
    print(f"  forms sent            {len(results)}")
    print(f"  acknowledged          {len(acked)}  ({len(acked) / wall:.1f}/s)")
    print(f"  failed                {sum(failures.values())}  {failures or ''}")
    print(f"  stored                {len(adm)}")
    print(f"  lost (acked, absent)  {len(lost)}")
    print(f"  duplicated            {duplicated}")
    print(f"  stored, not acked     {len(stored - acked)}")
    print(f"  post → thank-you      p50 {1000 * p50:.0f} ms, p95 {1000 * p95:.0f} ms")
    print(f"  load average after    {os.getloadavg()[0]:.1f} (2 CPU cores shared)")
    for kind, n in sorted(errors.items()):
        print(f"  server errors         {n} x {kind}")
    if cluster is not None:
        cluster.stop()
    return 1 if lost or duplicated else 0


if __name__ == "__main__":
    sys.exit(main())
