"""`python -m measurelib.serve` (the `measurelib serve` command) in a subprocess: the first
run makes the configuration with a secret key, creates both schemas and prints a one-time
link; on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

import pytest


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Any:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MEASURELIB_SERVE_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "measurelib.serve", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env=full_env)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "service.db")
    cluster = request.getfixturevalue("postgres")
    return str(cluster.create_database())


def test_first_run_creates_both_schemas_and_a_setup_link(tmp_path: Path, db_url: str) -> None:
    import sqlalchemy as sa

    import measurelib as ml

    r = _run("--init-only", "--config", "serve.toml", "--db", db_url, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "/setup/" in r.stdout and "http://127.0.0.1:8000/setup/" in r.stdout
    config = tmp_path / "serve.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    key = tomllib.loads(config.read_text())["secret_key"]
    assert len(key) >= 50
    url = db_url if "://" in db_url else "sqlite:///" + db_url
    engine = sa.create_engine(url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"administrations", "scoring_runs", "respondents", "alembic_version"} <= tables
    assert {"serve_person", "serve_collection", "serve_auditevent", "django_session",
            "auth_user", "axes_accessattempt", "otp_totp_totpdevice"} <= tables
    store = ml.Store(db_url)
    try:
        assert store.revision is not None
    finally:
        store.close()
    # a second run keeps the key and prints a new link (the old one stops working)
    again = _run("--init-only", "--config", "serve.toml", "--db", db_url, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert tomllib.loads(config.read_text())["secret_key"] == key
    link1 = r.stdout.split("/setup/")[1].split("/")[0]
    link2 = again.stdout.split("/setup/")[1].split("/")[0]
    assert link1 != link2


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    r = _run("--init-only", "--host", "0.0.0.0", cwd=tmp_path,
             env={"MEASURELIB_SERVE_DATABASE": str(tmp_path / "env.db"),
                  "MEASURELIB_SERVE_BASE_URL": "https://proms.example.org"})
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "measurelib-serve.toml").exists() and (tmp_path / "env.db").exists()
    assert "https://proms.example.org/setup/" in r.stdout


def test_bad_usage(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('secret_key = "x"\n')
    r = _run("--init-only", "--config", "bad.toml", cwd=tmp_path)
    assert r.returncode == 2 and "secret_key" in r.stderr and "Traceback" not in r.stderr
    (tmp_path / "odd.toml").write_text(f'secret_key = "{"k" * 50}"\ncolour = "blue"\n')
    r = _run("--init-only", "--config", "odd.toml", cwd=tmp_path)
    assert r.returncode == 2 and "colour" in r.stderr
    r = _run("--init-only", "--db", "mysql://u@h/db", cwd=tmp_path)
    assert r.returncode == 2 and "PostgreSQL" in r.stderr and "Traceback" not in r.stderr
    r = _run("--workers", "0", cwd=tmp_path)
    assert r.returncode == 2
