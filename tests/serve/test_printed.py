"""Printed paper forms, on SQLite and PostgreSQL: the PDF is pre-filled with the person's id
and timepoint and carries a short code and a QR code; the PDF is read back (pdftotext) and
its QR code decoded (zbarimg) to the keying address; keying by the short code (typed in any
case, with or without the dash) opens that form's keying screen, only within the user's
teams."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_flows import PHQ9  # noqa: E402

needs_pdf = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which(
    "pdftoppm") is None, reason="needs poppler-utils (scripts/setup-system.sh)")
needs_zbar = pytest.mark.skipif(shutil.which("zbarimg") is None,
                                reason="needs zbar-tools (scripts/setup-system.sh)")


def _print(c: Any, rid: str, timepoint: str = "review", fmt: str = "pdf") -> Any:
    return c.post(f"/people/{rid}/printed/", {"measure_id": "phq-9", "timepoint": timepoint,
                                              "episode": "1", "fmt": fmt})


@needs_pdf
@needs_zbar
def test_printed_pdf_reads_back_and_its_qr_code_opens_keying(
        world: Any, client_for: Any, tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    from measurelib.serve.models import AuditEvent, PrintedForm

    rid = world.person_a.respondent_id
    c = client_for("worker")
    r = _print(c, rid)
    assert r.status_code == 302
    printed = PrintedForm.objects.get(person=world.person_a)
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", printed.code)
    assert r["Location"] == f"/paper/printed/{printed.code}.pdf"
    pdf = c.get(r["Location"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert rid in text and "review (episode 1)" in text
    assert printed.display in text and "Patient Health Questionnaire" in text
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)
    decoded = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page-1.png")],
                             capture_output=True, text=True).stdout.strip()
    target = f"http://testserver/paper/code/{printed.code}/"
    assert decoded == target
    assert AuditEvent.objects.filter(person=rid, action="view-printed-pdf").exists()
    # the QR code's address: the date on the form, then the keying screen
    page = c.get(target.removeprefix("http://testserver"))
    assert page.status_code == 200 and rid in page.content.decode()
    assert re.search(r'name="completed_on" value="\d{4}-\d{2}-\d{2}"', page.content.decode())
    r = c.post(target.removeprefix("http://testserver"), {"completed_on": "2026-11-20"})
    assert r.status_code == 302 and r["Location"].startswith("/paper/")
    printed.refresh_from_db()
    assert printed.entry is not None and printed.entry.timepoint == "review"
    assert r["Location"] == f"/paper/{printed.entry.pk}/"
    assert "First keying" in c.get(r["Location"]).content.decode()
    # scanning again continues that keying; keyed twice it is stored once
    assert c.get(target.removeprefix("http://testserver"))["Location"] == r["Location"]
    keyed = {"measure_id": "phq-9", **{item: "1" for item in PHQ9}, "difficulty": "0"}
    c.post(r["Location"], keyed)
    c.post(r["Location"], keyed)
    printed.entry.refresh_from_db()
    assert printed.entry.stored_at is not None
    done = c.get(target.removeprefix("http://testserver")).content.decode()
    assert "keyed and stored" in done
    from test_flows import stored

    rows = stored(rid)
    assert list(rows["timepoint"]) == ["review"] and list(rows["mode"]) == ["paper"]


def test_keying_by_short_code(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import PrintedForm

    c = client_for("worker")
    _print(c, world.person_a.respondent_id, fmt="html")
    printed = PrintedForm.objects.get(person=world.person_a)
    assert "Key a printed form" in c.get("/").content.decode()
    typed = f"  {printed.code[:4].lower()}-{printed.code[4:]} "
    r = c.get("/paper/code/", {"code": typed})
    assert r.status_code == 302 and r["Location"] == f"/paper/code/{printed.code}/"
    wrong = c.get("/paper/code/", {"code": "ZZZZ-ZZZZ"})
    assert wrong.status_code == 404 and "No printed form of your teams" in \
        wrong.content.decode()
    # a worker of another team cannot find it, nor open it by its address
    other = client_for("other_worker")
    assert other.get("/paper/code/", {"code": printed.code}).status_code == 404
    assert other.get(f"/paper/code/{printed.code}/").status_code == 404
    assert other.get(f"/paper/printed/{printed.code}.pdf").status_code == 404


def test_printed_html_is_prefilled(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import PrintedForm

    rid = world.person_a.respondent_id
    c = client_for("worker")
    r = _print(c, rid, "exit", fmt="html")
    printed = PrintedForm.objects.get(person=world.person_a)
    page = c.get(r["Location"])
    assert page.status_code == 200 and "script-src 'none'" in page["Content-Security-Policy"]
    html = page.content.decode()
    assert f'<span class="admin-box">{rid}</span>' in html
    assert '<span class="admin-box">exit (episode 1)</span>' in html
    assert f"<strong>{printed.display}</strong>" in html
    assert 'src="data:image/svg+xml' in html
    # the person's page lists it, with a way to key it
    assert f"/paper/code/{printed.code}/" in c.get(f"/people/{rid}/").content.decode()
    # subject access: the printed forms are in everything held about the person
    import json

    held = json.loads(client_for("administrator").get(f"/people/{rid}/export/").content)
    assert [f["code"] for f in held["printed_forms"]] == [printed.code]


def test_bad_print_requests(world: Any, client_for: Any) -> None:
    c = client_for("worker")
    rid = world.person_a.respondent_id
    r = c.post(f"/people/{rid}/printed/", {"measure_id": "k10", "timepoint": "review",
                                           "episode": "1"})
    assert r.status_code == 400 and "measure_id" in r.content.decode()
    r = c.post(f"/people/{rid}/printed/", {"measure_id": "phq-9", "timepoint": "Bad Name!",
                                           "episode": "1"})
    assert r.status_code == 400
    assert c.get("/paper/printed/ABCDEFGH.exe").status_code == 404
