"""The ASGI application for uvicorn workers: configured from the config file named by
``MEASURELIB_SERVE_CONFIG`` (and the environment), as ``measurelib serve`` sets it.
"""

from __future__ import annotations

from measurelib.serve._config import load_config
from measurelib.serve._settings import configure

configure(load_config(create=False))

from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
