"""The service's configuration: one TOML file, overridden by environment variables.

The file is made on first run with a fresh secret key (readable by its owner only); it is
never part of the source tree. Every key can be set by an environment variable named
``MEASURELIB_SERVE_<KEY>`` in capitals (e.g. ``MEASURELIB_SERVE_DATABASE``), which wins
over the file; the command-line options win over both.

::

    # measurelib-serve.toml
    secret_key = "..."                 # made on first run; keep it secret
    database = "measurelib.db"         # or postgresql+psycopg://user:password@host/db
    allowed_hosts = ["proms.example.org"]
    secure_cookies = true              # cookies only over HTTPS (set false only for a
                                       # loopback trial without TLS)
    behind_proxy = false               # trust X-Forwarded-Proto/-For from the proxy
    trusted_proxies = ["127.0.0.1"]    # ... when it connects from these addresses
    link_days = 14                     # how long a single-use link stays valid
    session_minutes = 30               # idle time before staff are logged out
    email_host = "smtp.example.org"    # optional: e-mail the responsible worker when an
    email_from = "proms@example.org"   # alert is raised (no answers are ever e-mailed)
                                       # and to send links to people
    email_backend = ""                 # "" (SMTP with email_host), "console" or "file"
    sms_backend = ""                   # text messages for links: "" (none), "console",
                                       # "file", or "package.module.Class" (a plug-in)
    outbox_path = ""                   # the folder of the "file" backends
    send_limit_person_day = 3          # links sent to one person in 24 hours, at most
    send_limit_user_hour = 30          # links one member of staff sends in an hour
    max_concurrent_requests = 16       # requests each worker handles at once; more wait
                                       # (each holds a database connection)
    organisation = "Riverside Mind"    # named on every report and message
    logo = "logo.png"                  # optional: a PNG or JPEG in this file's folder,
                                       # shown on the impact reports (HTML and PDF)
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


__all__ = ["ServeConfig", "database_settings", "load_config"]

DEFAULT_CONFIG = "measurelib-serve.toml"
ENV_PREFIX = "MEASURELIB_SERVE_"


@dataclass
class ServeConfig:
    """Settings of one installation (see the module docstring for the file)."""

    secret_key: str = ""
    database: str = "measurelib.db"
    allowed_hosts: list[str] = field(default_factory=lambda: ["127.0.0.1", "localhost"])
    csrf_trusted_origins: list[str] = field(default_factory=list)
    secure_cookies: bool = True
    behind_proxy: bool = False
    trusted_proxies: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    ssl_redirect: bool = False
    hsts_seconds: int = 0
    link_days: int = 14
    setup_link_hours: int = 24
    session_minutes: int = 30
    lockout_failures: int = 5
    lockout_minutes: int = 15
    min_cell: int = 5
    organisation: str = "measurelib service"
    logo: str = ""
    time_zone: str = "Europe/London"
    base_url: str = ""
    email_host: str = ""
    email_port: int = 587
    email_user: str = ""
    email_password: str = ""
    email_tls: bool = True
    email_from: str = ""
    email_backend: str = ""
    sms_backend: str = ""
    outbox_path: str = ""
    send_limit_person_day: int = 3
    send_limit_user_hour: int = 30
    max_concurrent_requests: int = 16
    path: Path | None = None

    def store_url(self) -> str:
        """The database as a URL the measurelib Store accepts."""
        text = self.database
        if "://" in text or text == ":memory:":
            return text
        base = self.path.parent if self.path is not None else Path.cwd()
        return str((base / Path(text).expanduser()).resolve())


def _coerce(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        if raw.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if raw.strip().lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{ENV_PREFIX}{name.upper()} must be true or false; got {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{ENV_PREFIX}{name.upper()} must be a whole number; got "
                             f"{raw!r}") from None
    if isinstance(default, list):
        return [p.strip() for p in raw.split(",") if p.strip()]
    return raw


def _write_new(path: Path, secret_key: str) -> None:
    text = ("# measurelib serve: configuration of this installation.\n"
            "# Keep this file private (it holds the secret key); never commit it.\n"
            f'secret_key = "{secret_key}"\n'
            'database = "measurelib.db"\n')
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def load_config(path: str | os.PathLike[str] | None = None,
                environ: dict[str, str] | None = None, *, create: bool = True) -> ServeConfig:
    """Read the configuration file (made, with a new secret key, when missing) and the
    environment; returns a :class:`ServeConfig`.
    """
    env = dict(os.environ if environ is None else environ)
    given = path or env.get(ENV_PREFIX + "CONFIG") or DEFAULT_CONFIG
    cfg_path = Path(given).expanduser().resolve()
    if not cfg_path.exists():
        if not create:
            raise FileNotFoundError(f"{cfg_path}: no such configuration file")
        _write_new(cfg_path, secrets.token_urlsafe(50))
    try:
        data = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{cfg_path}: {exc}; fix the TOML syntax") from None
    cfg = ServeConfig(path=cfg_path)
    known = {f.name: f for f in fields(ServeConfig) if f.name != "path"}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ValueError(f"{cfg_path}: unknown setting(s) {', '.join(unknown)}; allowed: "
                         f"{', '.join(sorted(known))}")
    for key, value in data.items():
        default = getattr(cfg, key)
        if isinstance(default, bool) != isinstance(value, bool) or (
                isinstance(default, list) and not isinstance(value, list)):
            raise ValueError(f"{cfg_path}: {key} must be {type(default).__name__}; got "
                             f"{value!r}")
        setattr(cfg, key, value)
    for key in known:
        raw = env.get(ENV_PREFIX + key.upper())
        if raw is not None:
            setattr(cfg, key, _coerce(key, raw, getattr(cfg, key)))
    if not cfg.secret_key or len(cfg.secret_key) < 32:
        raise ValueError(f"{cfg_path}: secret_key is missing or shorter than 32 characters; "
                         "delete the line and run again to make a new one")
    return cfg


def database_settings(url: str) -> dict[str, Any]:
    """Django's DATABASES entry for a Store URL (SQLite file or PostgreSQL)."""
    if "://" not in url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url,
                "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE",
                            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"}}
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if not u.database or u.database == ":memory:":
            raise ValueError("measurelib serve needs a database file or server, not an "
                             "in-memory SQLite database")
        return database_settings(u.database)
    if u.get_backend_name() != "postgresql":
        raise ValueError(f"--db: only SQLite files and PostgreSQL URLs are supported; got a "
                         f"{u.get_backend_name()} URL")
    query = dict(u.query)
    host = query.pop("host", None) or u.host or ""
    port = query.pop("port", None) or (str(u.port) if u.port else "")
    options = {k: (v if isinstance(v, str) else v[0]) for k, v in query.items()}
    return {"ENGINE": "django.db.backends.postgresql", "NAME": u.database or "",
            "USER": u.username or "", "PASSWORD": u.password or "",
            "HOST": host if isinstance(host, str) else host[0],
            "PORT": port if isinstance(port, str) else port[0],
            # 0: under ASGI each request runs in its own thread, so a connection kept for
            # reuse would never be reused and would stay open until its thread is collected
            # (hundreds of idle connections under load: PostgreSQL refuses new ones)
            "OPTIONS": options, "CONN_MAX_AGE": 0}
