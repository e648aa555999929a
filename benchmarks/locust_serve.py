"""The respondents of ``bench_serve.py`` for locust: each opens a single-use link, reads the
form's CSRF token and posts the PHQ-9, again and again, one new link each time.

Not run on its own: ``bench_serve.py`` starts it (``python -m locust -f ... --headless``)
with ``MLSERVE_LINKS`` (a file of ``respondent token`` lines) and ``MLSERVE_RESULTS`` (where
each user's outcomes are written, one JSON line per form: respondent, status, seconds from
posting to the thank-you page).
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

from locust import HttpUser, constant, events, task
from locust.exception import StopUser

ANSWERS = {"measure_id": "phq-9", "interest": "1", "down": "2", "sleep": "1", "tired": "0",
           "appetite": "1", "failure": "0", "concentration": "1", "psychomotor": "0",
           "self_harm": "0", "difficulty": "1"}
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

with open(os.environ["MLSERVE_LINKS"], encoding="utf-8") as _fh:
    LINKS = [tuple(line.split()) for line in _fh if line.strip()]
LINKS.reverse()  # pop() from the end: the first line first
RESULTS: list[dict[str, Any]] = []


@events.quitting.add_listener
def _write(environment: Any, **_kw: Any) -> None:
    with open(os.environ["MLSERVE_RESULTS"], "w", encoding="utf-8") as fh:
        for rec in RESULTS:
            fh.write(json.dumps(rec) + "\n")


class Respondent(HttpUser):
    """One person after another answering their link on their phone."""

    wait_time = constant(0)

    @task
    def answer(self) -> None:
        """Open a link and send the form."""
        if not LINKS:
            raise StopUser()
        rid, token = LINKS.pop()
        self.client.cookies.clear()
        try:
            page = self.client.get(f"/r/{token}", name="GET /r/[token]", timeout=60)
            found = _CSRF.search(page.text or "")
            if page.status_code != 200 or found is None:
                RESULTS.append({"rid": rid, "status": f"no form {page.status_code}",
                                "seconds": 0.0})
                return
            t0 = time.perf_counter()
            with self.client.post("/respond/", data={**ANSWERS,
                                                     "csrfmiddlewaretoken": found.group(1)},
                                  headers={"Origin": self.host, "Referer": self.host + "/"},
                                  name="POST /respond/ → thank-you", timeout=60,
                                  catch_response=True) as response:
                elapsed = time.perf_counter() - t0
                ok = (response.status_code == 200
                      and str(response.url or "").endswith("/respond/thanks/"))
                if ok:
                    response.success()
                else:
                    response.failure(f"ended at {response.status_code} {response.url}")
            RESULTS.append({"rid": rid, "status": "ok" if ok else
                            f"error {response.status_code}", "seconds": elapsed})
        except Exception as exc:  # noqa: BLE001 - a reset connection (killed worker) counts
            RESULTS.append({"rid": rid, "status": f"error {type(exc).__name__}",
                            "seconds": 0.0})
