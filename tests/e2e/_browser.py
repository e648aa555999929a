"""Helpers for the browser tests: the system Chromium through Playwright, axe-core, a server.

Chromium is Debian's (``/usr/bin/chromium``, installed by scripts/setup-system.sh); Playwright
never downloads a browser here. axe-core's ``axe.min.js`` comes from the
``axe-playwright-python`` package (the ``browser`` extra), so nothing is fetched at test time.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def chromium_path() -> str | None:
    """The system Chromium, or None when it is not installed."""
    env = os.environ.get("MEASURELIB_CHROMIUM")
    if env and Path(env).exists():
        return env
    for name in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(name).exists():
            return name
    return shutil.which("chromium") or shutil.which("chromium-browser")


def axe_source() -> str:
    """axe-core's ``axe.min.js`` as bundled in the axe-playwright-python package."""
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or spec.origin is None:
        raise RuntimeError("axe-core is missing: pip install 'measurelib[browser]' "
                           "(axe-playwright-python bundles axe.min.js)")
    return (Path(spec.origin).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page: Any, source: str) -> list[dict[str, Any]]:
    """Run axe-core on the page with the WCAG 2.1 A/AA rules; return the violations."""
    page.add_script_tag(content=source)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, "
        "resultTypes: ['violations']})", WCAG_TAGS)
    return list(result["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [", ".join(map(str, n["target"])) for n in v["nodes"][:5]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} node(s): "
                     f"{'; '.join(targets)}")
    return "\n".join(lines)


class FormServer:
    """A local HTTP server on 127.0.0.1 that serves one page and records what is posted."""

    def __init__(self, html: str):
        self.html = html.encode("utf-8")
        self.posts: list[dict[str, list[str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                self._send(outer.html)

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode("utf-8")
                outer.posts.append(parse_qs(body, keep_blank_values=True))
                self._send(b"<!DOCTYPE html><html lang='en'><title>Thank you</title>"
                           b"<main><h1>Thank you</h1></main></html>")

            def _send(self, data: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    @contextmanager
    def running(self) -> Iterator[FormServer]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join(timeout=5)
