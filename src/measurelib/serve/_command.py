"""``measurelib serve``: create or upgrade the database, then run the web service.

On first run the configuration file is made (with a new secret key), both schemas are
created — the measurelib Store's tables by its Alembic migrations, the service's own by
Django's — and, while there is no administrator, a one-time link to create one is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from typing import Any

__all__ = ["add_arguments", "init_database", "main", "run", "setup_link"]

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``measurelib serve``."""
    parser.add_argument("--db", metavar="URL",
                        help="database: a SQLite file (default measurelib.db beside the "
                             "config file) or postgresql+psycopg://user:password@host/db")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; behind a reverse "
                             "proxy keep the default)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes (default 1; use PostgreSQL for more than one)")
    parser.add_argument("--config", metavar="FILE",
                        help="configuration file (default measurelib-serve.toml in the "
                             "working folder; made on first run)")
    parser.add_argument("task", nargs="?", choices=("retention",),
                        help="retention: apply every team's retention period (forms of "
                             "episodes closed longer ago) and exit, instead of serving")
    parser.add_argument("--dry-run", action="store_true",
                        help="with retention: print what would be removed, change nothing")
    parser.add_argument("--init-only", action="store_true",
                        help="create or upgrade the database, print the set-up link if "
                             "there is no administrator yet, and exit")


def init_database(cfg: Any) -> str | None:
    """Create or upgrade both schemas; returns the Store's migration revision."""
    from django.core.management import call_command

    from measurelib.serve._library import create_store_schema

    revision = create_store_schema(cfg.store_url())
    call_command("migrate", interactive=False, verbosity=0)
    return revision


def setup_link(cfg: Any, base: str) -> str | None:
    """A new one-time link to create the first administrator (None when one exists)."""
    from django.utils import timezone

    from measurelib.serve.models import SetupToken, StaffProfile, new_token

    if StaffProfile.objects.filter(role="administrator").exists():
        return None
    SetupToken.objects.filter(used_at__isnull=True).delete()
    token, digest = new_token()
    SetupToken.objects.create(token_hash=digest, expires_at=timezone.now() + dt.timedelta(
        hours=int(cfg.setup_link_hours)))
    return f"{base.rstrip('/')}/setup/{token}/"


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit code (0 stopped cleanly, 2 bad usage)."""
    try:
        import django  # noqa: F401
        import uvicorn
    except ImportError as exc:
        print(f"measurelib serve: {exc.name} is missing: pip install 'measurelib[serve]'",
              file=sys.stderr)
        return 2
    from measurelib.serve._config import ENV_PREFIX, load_config
    from measurelib.serve._settings import configure

    if args.workers < 1 or not 0 < args.port < 65536:
        print("measurelib serve: --workers must be 1 or more and --port 1-65535",
              file=sys.stderr)
        return 2
    if args.db:
        os.environ[ENV_PREFIX + "DATABASE"] = args.db
    try:
        cfg = load_config(args.config)
    except (ValueError, OSError) as exc:
        print(f"measurelib serve: {exc}", file=sys.stderr)
        return 2
    os.environ[ENV_PREFIX + "CONFIG"] = str(cfg.path)
    if args.host not in ("0.0.0.0", "::") and args.host not in cfg.allowed_hosts:
        cfg.allowed_hosts.append(args.host)
        os.environ[ENV_PREFIX + "ALLOWED_HOSTS"] = ",".join(cfg.allowed_hosts)
    if args.workers > 1 and "://" not in cfg.database:
        print("measurelib serve: note: several workers on one SQLite file work, but a team "
              "should use PostgreSQL (--db postgresql+psycopg://...)", file=sys.stderr)
    try:
        configure(cfg)
        revision = init_database(cfg)
    except Exception as exc:  # noqa: BLE001 - a database that cannot be opened is bad usage
        print(f"measurelib serve: cannot prepare the database: "
              f"{str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}",
              file=sys.stderr)
        return 2
    if getattr(args, "task", None) == "retention":
        return _retention(bool(args.dry_run))
    shown = cfg.base_url or f"http://{args.host}:{args.port}"
    print(f"measurelib serve: config {cfg.path}; store schema {revision}", file=sys.stderr)
    link = setup_link(cfg, shown)
    if link is not None:
        print("No administrator yet. Open this link (once, within "
              f"{cfg.setup_link_hours} hours) to create one:\n  {link}", flush=True)
    if args.init_only:
        return 0
    from measurelib.serve._library import close_stores

    close_stores()
    from django.db import connections

    connections.close_all()
    print(f"measurelib serve: listening on http://{args.host}:{args.port} "
          f"({args.workers} worker(s)); Ctrl+C to stop", file=sys.stderr)
    uvicorn.run("measurelib.serve.asgi:application", host=args.host, port=args.port,
                workers=args.workers, access_log=False, proxy_headers=bool(cfg.behind_proxy),
                forwarded_allow_ips=",".join(cfg.trusted_proxies) if cfg.behind_proxy else None,
                lifespan="off", log_level="warning")
    return 0


def _retention(dry_run: bool) -> int:
    """``measurelib serve retention [--dry-run]``: counts per team, no ids."""
    from measurelib.serve._retention import run_retention

    done = run_retention(dry_run=dry_run)
    if not done:
        print("measurelib serve retention: no team has a retention period; nothing to do")
    for team in done:
        print(team.summary())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="measurelib serve",
                                     description="Run the measurelib web service.")
    add_arguments(parser)
    return run(parser.parse_args(argv))
