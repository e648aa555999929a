"""The ASGI application for uvicorn workers: configured from the config file named by
``MEASURELIB_SERVE_CONFIG`` (and the environment), as ``measurelib serve`` sets it.

Each worker handles at most ``max_concurrent_requests`` requests at once; more wait their
turn in the worker's event loop (they are not refused). Every request being handled holds
a database connection, so this keeps a burst of respondents within what the database
accepts (PostgreSQL's default is 100 connections) instead of failing some of them.
"""

from __future__ import annotations

from measurelib.serve._config import load_config
from measurelib.serve._settings import configure

_CFG = load_config(create=False)
configure(_CFG)

from django.core.asgi import get_asgi_application  # noqa: E402

from measurelib.serve._middleware import BoundedConcurrency  # noqa: E402

application = BoundedConcurrency(get_asgi_application(),
                                 int(_CFG.max_concurrent_requests))
