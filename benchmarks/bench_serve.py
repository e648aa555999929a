"""Load on the web service: respondents sending forms through single-use links, at once.

``measurelib serve --workers N`` runs on loopback against a throw-away PostgreSQL cluster
(``--pg auto``, the default), a given PostgreSQL URL, or a SQLite file (``--pg none``).
The benchmark makes one person and one single-use link per form to be sent, then runs
``--respondents`` threads for ``--seconds``: each opens a link, reads the form's CSRF
token and posts the PHQ-9. Afterwards it counts what the Store holds.

Reported: forms sent, acknowledged (the thank-you page was reached), failed, stored;
**lost** (acknowledged but not in the Store — must be 0), **duplicated** (stored more than
once — must be 0), stored without acknowledgement (a worker killed mid-request), and the
50th/95th percentile of the time from posting to the thank-you page. ``--kill-after S``
sends SIGKILL to one worker process S seconds into the run.

Run:  python benchmarks/bench_serve.py [--respondents 20] [--seconds 10] [--workers 2]
      (the issue's load test: --respondents 200 --seconds 60 --workers 2)
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import queue
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
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


def _respondent(base: str, work: queue.Queue[tuple[str, str]], deadline: float,
                results: list[tuple[str, str, float]]) -> None:
    while time.monotonic() < deadline:
        try:
            rid, token = work.get_nowait()
        except queue.Empty:
            return
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        try:
            page = opener.open(f"{base}/r/{token}", timeout=60).read().decode()
            csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            if csrf is None:
                results.append((rid, "no form", 0.0))
                continue
            body = urllib.parse.urlencode({**ANSWERS, "csrfmiddlewaretoken": csrf.group(1)})
            request = urllib.request.Request(f"{base}/respond/", data=body.encode(),
                                             headers={"Origin": base, "Referer": base + "/"})
            t0 = time.perf_counter()
            with opener.open(request, timeout=60) as response:
                final = response.geturl()
            elapsed = time.perf_counter() - t0
            results.append((rid, "ok" if final.endswith("/respond/thanks/") else "other",
                            elapsed))
        except (urllib.error.URLError, OSError, ConnectionError) as exc:
            code = getattr(exc, "code", None)
            results.append((rid, f"error {code or type(exc).__name__}", 0.0))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--respondents", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pg", default="auto", help="'auto', a PostgreSQL URL, or 'none' (SQLite)")
    ap.add_argument("--links", type=int, default=0, help="links to make (default: enough)")
    ap.add_argument("--kill-after", type=float, default=None,
                    help="SIGKILL one worker this many seconds into the run")
    args = ap.parse_args()
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
        n_links = args.links or max(200, int(args.respondents * args.seconds * 15))
        links = _prepare(n_links)
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
        work: queue.Queue[tuple[str, str]] = queue.Queue()
        for item in links:
            work.put(item)
        results: list[tuple[str, str, float]] = []
        deadline = time.monotonic() + args.seconds
        threads = [threading.Thread(target=_respondent, args=(base, work, deadline, results))
                   for _ in range(args.respondents)]
        started = time.monotonic()
        for t in threads:
            t.start()
        if args.kill_after is not None:
            time.sleep(args.kill_after)
            children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True,
                                      text=True).stdout.split()
            if children:
                os.kill(int(children[0]), signal.SIGKILL)
                print(f"killed worker {children[0]} after {args.kill_after:g} s", flush=True)
        for t in threads:
            t.join()
        wall = time.monotonic() - started
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
    for kind, n in sorted(errors.items()):
        print(f"  server errors         {n} x {kind}")
    if cluster is not None:
        cluster.stop()
    return 1 if lost or duplicated else 0


if __name__ == "__main__":
    sys.exit(main())
