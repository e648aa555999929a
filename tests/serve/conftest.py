"""Test set-up of the web service: Django configured once, on SQLite and on PostgreSQL.

Django is configured for the whole test session (settings are process-wide). The
``backend`` fixture (session scope, one parameter per database) points Django's connection
and the service's Store at a fresh SQLite file or a fresh database on the throw-away
PostgreSQL cluster that ``tests/store/conftest.py`` starts, and creates both schemas there.
Tests make their own teams, staff and people with unique names (``world``), so they share
one database per backend.
"""

from __future__ import annotations

import importlib.util
import itertools
import secrets
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("_store_conftest", HERE.parent / "store" /
                                               "conftest.py")
assert _spec is not None and _spec.loader is not None
_store_conftest = importlib.util.module_from_spec(_spec)
sys.modules["_store_conftest"] = _store_conftest
_spec.loader.exec_module(_store_conftest)
postgres = _store_conftest.postgres  # the session's PostgreSQL cluster fixture

sys.path.insert(0, str(HERE))
from _support import PASSWORD  # noqa: E402

_TMP = Path(tempfile.mkdtemp(prefix="mlserve"))
_counter = itertools.count()


def _configure() -> Any:
    from measurelib.serve._config import load_config
    from measurelib.serve._settings import configure

    cfg = load_config(_TMP / "serve.toml", environ={})
    cfg.database = str(_TMP / "initial.db")
    cfg.allowed_hosts = ["testserver", "127.0.0.1", "localhost"]
    cfg.organisation = "Test charity"
    configure(cfg)
    from django.test.utils import setup_test_environment

    setup_test_environment()
    return cfg


CFG = _configure()


def use_database(url: str) -> None:
    """Point Django's default connection and the Store at ``url``; create both schemas."""
    from django.conf import settings
    from django.db import connections

    from measurelib.serve import _library
    from measurelib.serve._command import init_database
    from measurelib.serve._config import database_settings

    connections.close_all()
    _library.close_stores()
    CFG.database = url
    settings.DATABASES["default"] = database_settings(CFG.store_url())
    connections._settings = None
    connections.__dict__.pop("settings", None)
    from asgiref.local import Local

    connections._connections = Local(connections.thread_critical)
    init_database(CFG)


@pytest.fixture(scope="session",
                params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """The database the service runs on: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        url = str(_TMP / f"serve{next(_counter)}.db")
    else:
        cluster = request.getfixturevalue("postgres")
        url = cluster.create_database()
    use_database(url)
    yield request.param
    from django.db import connections

    from measurelib.serve import _library

    connections.close_all()
    _library.close_stores()


@pytest.fixture
def cfg() -> Any:
    """The service's configuration in the tests."""
    return CFG


@dataclass
class World:
    """Two teams and a member of staff of every role; a person in each team."""

    tag: str
    team_a: Any
    team_b: Any
    users: dict[str, Any]
    person_a: Any
    person_b: Any
    extra: dict[str, Any] = field(default_factory=dict)


SCHEDULE = """\
measures: [phq-9]
timepoints:
  - {id: baseline, at: entry, tolerance: {days: 7}}
  - {id: review, every: {weeks: 6}, tolerance: {weeks: 1}}
  - {id: exit, at: exit, tolerance: {days: 14}}
"""


def make_user(username: str, role: str, teams: list[Any]) -> Any:
    from django.contrib.auth import get_user_model

    from measurelib.serve.models import StaffProfile

    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    profile = StaffProfile.objects.create(user=user, role=role)
    profile.teams.set(teams)
    return user


@pytest.fixture
def world(backend: str) -> World:
    from measurelib.serve import _library
    from measurelib.serve.models import Episode, Person, Team

    tag = secrets.token_hex(3)
    team_a = Team.objects.create(name=f"Team A {tag}", service=f"team-a-{tag}",
                                 measures="phq-9\ngad-7", schedule=SCHEDULE,
                                 risk_text="Call the duty worker on 0100 000 000.")
    team_b = Team.objects.create(name=f"Team B {tag}", service=f"team-b-{tag}",
                                 measures="phq-9", schedule=SCHEDULE)
    _library.check_schedule(team_a.service, SCHEDULE)
    users = {
        "administrator": make_user(f"admin-{tag}", "administrator", []),
        "lead": make_user(f"lead-{tag}", "lead", [team_a]),
        "worker": make_user(f"worker-{tag}", "worker", [team_a]),
        "viewer": make_user(f"viewer-{tag}", "viewer", [team_a]),
        "other_worker": make_user(f"other-{tag}", "worker", [team_b]),
    }
    person_a = Person.objects.create(team=team_a, respondent_id=Person.new_id(),
                                     key_worker=users["worker"])
    person_b = Person.objects.create(team=team_b, respondent_id=Person.new_id(),
                                     key_worker=users["other_worker"])
    for p in (person_a, person_b):
        Episode.objects.create(person=p, number="1")
    return World(tag, team_a, team_b, users, person_a, person_b)


@pytest.fixture
def client_for(world: World) -> Any:
    """A test client logged in as the member of staff with that role."""
    from django.test import Client

    def make(role: str | None, **kwargs: Any) -> Client:
        c = Client(**kwargs)
        if role is not None:
            c.force_login(world.users[role],
                          backend="django.contrib.auth.backends.ModelBackend")
        return c

    return make
