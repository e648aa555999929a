"""The tablet lock and cache headers; a bound on the requests a worker handles at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers

TABLET_KEY = "serve_tablet"
_TABLET_PATHS = ("/tablet/", "/static/")


class ServiceMiddleware:
    """While a tablet is handed over, the session can reach only the form and the lock
    screen; and no page of the service may be cached (they hold health data).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get(TABLET_KEY) is not None and not \
                request.path.startswith(_TABLET_PATHS):
            response: HttpResponse = redirect("serve:tablet_form")
        else:
            response = self.get_response(request)
        if not request.path.startswith("/static/"):
            add_never_cache_headers(response)
        return response


class BoundedConcurrency:
    """An ASGI wrapper: at most ``limit`` HTTP requests in the application at once; the
    others wait (in order of arrival) rather than being refused.
    """

    def __init__(self, app: Any, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"max_concurrent_requests must be 1 or more, got {limit}")
        self.app = app
        self.limit = limit
        self._slots: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Handle one ASGI connection."""
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            import asyncio

            self._slots = asyncio.Semaphore(self.limit)
        async with self._slots:
            await self.app(scope, receive, send)
