"""The assessment report of an organisation's own measure in the service, on SQLite and
PostgreSQL: below the minimum it says how many responses are needed and why (no report);
with enough, the library's report in the browser and as PDF (read back with pdftotext and
pdfinfo) headed by the organisation; only the team's own forms; kept per measure version
and data; one computation at a time; roles and audit."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bespoke import publish, store_forms  # noqa: E402

needs_pdf = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which(
    "pdfinfo") is None, reason="poppler-utils (pdftotext, pdfinfo) not installed")


def _url(world: Any, mid: str, fmt: str = "html") -> str:
    return f"/reports/{world.team_a.pk}/{mid}/assessment.{fmt}"


def test_below_the_minimum_says_how_many_are_needed_and_why(world: Any,
                                                            client_for: Any) -> None:
    from measurelib.serve.models import AssessmentReport, AuditEvent

    mid = publish(world)
    lead = client_for("lead")
    page = lead.get(_url(world, mid)).content.decode()
    assert "No forms of this version have been collected in this team yet" in page
    store_forms(world, mid, 12)
    for fmt in ("html", "pdf"):  # never a half-computed report, in either format
        r = lead.get(_url(world, mid, fmt))
        assert r.status_code == 200 and r["Content-Type"].startswith("text/html")
        page = r.content.decode()
        assert "Not enough responses yet" in page
        assert "at least 25 are needed" in page  # 5 questions x 5
        assert "COSMIN" in page and "Mokkink" in page
        assert "Cronbach" not in page
    assert not AssessmentReport.objects.filter(measure_id=mid).exists()
    assert AuditEvent.objects.filter(action="view-assessment",
                                     detail__contains="not enough").exists()
    # the reports page links the assessment of the team's own measure only
    reports = lead.get("/reports/").content.decode()
    assert _url(world, mid) in reports and _url(world, "phq-9") not in reports


def test_report_in_the_browser_kept_for_its_data(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import AssessmentReport, AuditEvent

    mid = publish(world)
    store_forms(world, mid, 60)
    lead = client_for("lead")
    r = lead.get(_url(world, mid))
    assert r.status_code == 200
    page = r.content.decode()
    assert "Assessment of Our wellbeing check" in page
    assert "Test charity" in page  # the organisation, as on the other reports
    assert "60 respondents, 5 items" in page
    assert "Content-Security-Policy" in r.headers
    kept = AssessmentReport.objects.get(measure_id=mid)
    assert kept.n == 60 and kept.pdf is None
    assert lead.get(_url(world, mid)).content.decode() == page  # kept, not computed again
    assert AssessmentReport.objects.filter(measure_id=mid).count() == 1
    store_forms(world, mid, 1, seed=9)  # new data: a new report replaces the old one
    assert "61 respondents" in lead.get(_url(world, mid)).content.decode()
    assert list(AssessmentReport.objects.filter(measure_id=mid).values_list("n", flat=True)) \
        == [61]
    assert AuditEvent.objects.filter(action="view-assessment", team=world.team_a.service,
                                     detail=f"{mid} 1.0.0 html: 61 respondent(s)").exists()
    # no person's id in the kept report
    from measurelib.serve.models import Person

    for rid in Person.objects.filter(team=world.team_a).values_list("respondent_id",
                                                                    flat=True):
        assert rid not in kept.html


@needs_pdf
def test_report_as_pdf(world: Any, client_for: Any, tmp_path: Path) -> None:
    mid = publish(world)
    store_forms(world, mid, 40)
    r = client_for("administrator").get(_url(world, mid, "pdf"))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].endswith(f'{mid}-1.0.0-assessment.pdf"')
    path = tmp_path / "a.pdf"
    path.write_bytes(r.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Test charity" in text and "Assessment of Our wellbeing check" in text
    assert "40 respondents" in text and "Cronbach" in text
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    assert int(next(line.split()[-1] for line in info.splitlines()
                    if line.startswith("Pages:"))) >= 2


def test_only_the_teams_forms_and_only_own_measures(world: Any, client_for: Any) -> None:
    mid = publish(world)
    store_forms(world, mid, 40, service=world.team_b.service)  # another team's forms
    page = client_for("lead").get(_url(world, mid)).content.decode()
    assert "Not enough responses yet" in page
    # catalog measures have no assessment page; nor does an unknown version
    assert client_for("lead").get(_url(world, "phq-9")).status_code == 404
    assert client_for("lead").get(_url(world, mid) + "?version=9.0.0").status_code == 404
    assert client_for("lead").get(_url(world, mid, "docx")).status_code == 404
    # roles: workers and viewers 403; team B's pk with team A's measure 404 for A's lead
    for role in ("worker", "viewer", "other_worker"):
        assert client_for(role).get(_url(world, mid)).status_code == 403
    assert client_for("lead").get(
        f"/reports/{world.team_b.pk}/{mid}/assessment.html").status_code == 404


def test_one_computation_at_a_time(world: Any, client_for: Any, monkeypatch: Any) -> None:
    from measurelib.serve import _assessment

    mid = publish(world)
    store_forms(world, mid, 30)
    monkeypatch.setattr(_assessment, "WAIT_SECONDS", 0.2)
    assert _assessment._SLOT.acquire(timeout=5)
    try:  # another request is computing: told to come back, not kept waiting
        r = client_for("lead").get(_url(world, mid))
        assert r.status_code == 503 and r["Retry-After"] == "30"
        assert "being prepared" in r.content.decode()
    finally:
        _assessment._SLOT.release()
    assert client_for("lead").get(_url(world, mid)).status_code == 200


def test_sample_cap(world: Any, client_for: Any, monkeypatch: Any) -> None:
    from measurelib.serve import _assessment
    from measurelib.serve.models import AssessmentReport

    mid = publish(world)
    store_forms(world, mid, 45)
    monkeypatch.setattr(_assessment, "MAX_RESPONSES", 30)
    page = client_for("lead").get(_url(world, mid)).content.decode()
    assert "30 respondents, 5 items" in page
    assert AssessmentReport.objects.get(measure_id=mid).n == 30
