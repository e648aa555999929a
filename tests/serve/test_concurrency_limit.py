"""A worker handles a bounded number of requests at once (each holds a database
connection); the others wait their turn instead of failing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest


def test_requests_wait_for_a_slot() -> None:
    from measurelib.serve._middleware import BoundedConcurrency

    inside = 0
    most = 0
    done: list[int] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await asyncio.sleep(0.01)
        inside -= 1
        done.append(scope["n"])

    bounded = BoundedConcurrency(app, 3)

    async def main() -> None:
        await asyncio.gather(*(bounded({"type": "http", "n": i}, None, None)
                               for i in range(40)))
        await bounded({"type": "lifespan", "n": -1}, None, None)  # not counted

    asyncio.run(main())
    assert most == 3
    assert sorted(done) == list(range(-1, 40))
    with pytest.raises(ValueError, match="max_concurrent_requests"):
        BoundedConcurrency(app, 0)


def test_postgresql_connections_are_not_kept_per_thread() -> None:
    from measurelib.serve._config import database_settings

    db = database_settings("postgresql+psycopg://u:p@localhost:5432/proms")
    assert db["CONN_MAX_AGE"] == 0


def test_the_application_is_bounded(cfg: Any) -> None:
    assert int(cfg.max_concurrent_requests) == 16
