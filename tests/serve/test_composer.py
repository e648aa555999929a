"""The guided composer through Django's test client, on SQLite and PostgreSQL: a lead
composes a measure from a bank, a catalog measure and an own question with a pictogram,
sees licence and lint findings and the previews, downloads and uploads YAML, publishes a
version (immutable, audit-logged) and a worker collects it with the existing tablet form.
Also: the role matrix, hostile uploads (size, bombs, tags, files) with located errors,
XSS in item text, and the draft surviving a restart of the process (it lives in the
database).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BANK = "wellbeing-bank@1.0.0"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)> Do you feel safe at home?'


def new_draft(c: Any, world: Any, measure_id: str | None = None) -> int:
    mid = measure_id or f"riverside-{world.tag}"
    r = c.post("/measures/compose/", {"measure_id": mid, "title": "Riverside check",
                                      "team": world.team_a.pk})
    assert r.status_code == 302, r.content.decode()[:2000]
    m = re.match(r"^/measures/compose/(\d+)/$", r["Location"])
    assert m is not None
    return int(m.group(1))


def page(c: Any, pk: int) -> str:
    r = c.get(f"/measures/compose/{pk}/")
    assert r.status_code == 200
    return str(r.content.decode())


def compose_basic(c: Any, pk: int) -> None:
    """Two bank questions and an own question with a pictogram (a buildable draft)."""
    r = c.post(f"/measures/compose/{pk}/", {"action": "pick",
                                             "pick": [f"{BANK}:feeling_today",
                                                      f"{BANK}:cope_ask_help"]})
    assert r.status_code == 302
    r = c.post(f"/measures/compose/{pk}/", {
        "action": "own", "text": XSS, "id": "safe_home", "scale": "wellbeing-bank:agree5",
        "graphic": "faces/4", "alt": "A smiling face"})
    assert r.status_code == 302, r.content.decode()[:3000]


def test_whole_flow_as_lead(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import AuditEvent, ComposerDraft, PublishedMeasure, Team

    c = client_for("lead")
    pk = new_draft(c, world)
    html = page(c, pk)
    # every shipped bank and shipped-text measure is offered with its licence status
    assert "Community wellbeing item bank" in html and "phq-9@1.0.0" in html
    assert "CC-BY-4.0; changes allowed" in html and "proprietary; no changes" in html
    compose_basic(c, pk)
    html = page(c, pk)
    assert "How are you feeling today?" in html
    assert XSS not in html and "&lt;script&gt;" in html
    assert "The measure builds: no errors." in html
    assert "wellbeing-bank 1.0.0" in html and "takes 2 of its 15 items" in html
    assert "lint-burden" in html  # the linter's findings are shown
    assert f'src="/measures/compose/{pk}/preview/web/"' in html and 'sandbox=""' in html

    # taking one PHQ-9 question breaks its licence: the same message as `measurelib build`
    r = c.post(f"/measures/compose/{pk}/", {"action": "pick", "pick": ["phq-9@1.0.0:interest"]})
    assert r.status_code == 302
    html = page(c, pk)
    assert "licence-modification" in html and "forbid modification" in html
    assert re.search(r"at line \d+, column \d+ <code>licence-modification", html)
    assert "violation" in html
    r = c.post(f"/measures/compose/{pk}/", {"action": "publish"})
    assert r.status_code == 400 and "Not published" in r.content.decode()
    assert not PublishedMeasure.objects.filter(measure_id=f"riverside-{world.tag}").exists()
    # ... and the whole of PHQ-9 is fine
    r = c.post(f"/measures/compose/{pk}/", {"action": "pick", "whole": ["phq-9@1.0.0"]})
    assert r.status_code == 302
    html = page(c, pk)
    assert "The measure builds: no errors." in html, html
    assert "all 10 items" in html or "takes all" in html

    # the previews: forms' real renderer, no script, sandboxed, framed by this site only
    web = c.get(f"/measures/compose/{pk}/preview/web/")
    assert web.status_code == 200
    body = web.content.decode()
    assert "Do you feel safe at home?" in body and XSS not in body and "<script>" not in body
    csp = web["Content-Security-Policy"]
    assert "script-src 'none'" in csp and "sandbox" in csp and "frame-ancestors 'self'" in csp
    assert web["X-Frame-Options"] == "SAMEORIGIN"
    paper = c.get(f"/measures/compose/{pk}/preview/paper/")
    assert paper.status_code == 200 and "Do you feel safe at home?" in paper.content.decode()
    assert "frame-src 'self'" in c.get(f"/measures/compose/{pk}/")["Content-Security-Policy"]

    # YAML download
    y = c.get(f"/measures/compose/{pk}/composer.yaml")
    assert y.status_code == 200 and "attachment" in y["Content-Disposition"]
    text = y.content.decode()
    assert "from: wellbeing-bank@1.0.0" in text and "graphic: faces/4" in text

    # publish: immutable, audit-logged, in the team's measures
    r = c.post(f"/measures/compose/{pk}/", {"action": "publish"})
    assert r.status_code == 302, r.content.decode()[-3000:]
    pub = PublishedMeasure.objects.get(measure_id=f"riverside-{world.tag}")
    assert pub.version == "1.0.0" and "lock:" in pub.built and len(pub.sha256) == 64
    assert f"riverside-{world.tag}" in Team.objects.get(pk=world.team_a.pk).measure_ids()
    event = AuditEvent.objects.filter(action="measure_publish", team=world.team_a.service).get()
    assert pub.sha256 in event.detail and event.username == world.users["lead"].username
    with pytest.raises(PermissionError):
        pub.save()
    with pytest.raises(PermissionError):
        pub.delete()
    # the same version again is refused, located at `version:`
    r = c.post(f"/measures/compose/{pk}/", {"action": "publish"})
    assert r.status_code == 400
    assert "service-version-published" in r.content.decode()
    assert re.search(r"at line 3, column 10 <code>service-version-published", r.content.decode())
    # the draft is still there (a new version can follow)
    assert ComposerDraft.objects.filter(pk=pk).exists()
    dl = c.get(f"/measures/published/{pub.pk}.yaml")
    assert dl.status_code == 200 and dl.content.decode() == pub.built


def test_draft_survives_a_restart(world: Any, client_for: Any) -> None:
    """The draft is in the database: a new process (new client, caches cleared) finds it."""
    from django.db import connections

    from measurelib.serve import _composer_lib

    c = client_for("lead")
    pk = new_draft(c, world)
    compose_basic(c, pk)
    connections.close_all()
    _composer_lib.sources.cache_clear()
    _composer_lib.shipped_scales.cache_clear()
    c2 = client_for("lead")
    html = page(c2, pk)
    assert "How are you feeling today?" in html and "Do you feel safe at home?" in html


@pytest.mark.parametrize("role", ["worker", "viewer", "other_worker", None])
def test_role_matrix(world: Any, client_for: Any, role: str | None) -> None:
    lead = client_for("lead")
    pk = new_draft(lead, world)
    c = client_for(role)
    urls = ["/measures/compose/", f"/measures/compose/{pk}/",
            f"/measures/compose/{pk}/composer.yaml", f"/measures/compose/{pk}/preview/web/",
            f"/measures/compose/{pk}/preview/paper/"]
    for url in urls:
        r = c.get(url)
        if role is None:
            assert r.status_code == 302 and "/login/" in r["Location"]
        else:
            assert r.status_code == 403, url
    for data in ({"action": "publish"}, {"action": "delete"},
                 {"action": "pick", "whole": [BANK]}):
        r = c.post(f"/measures/compose/{pk}/", data)
        assert r.status_code in (302, 403)
        if role is not None:
            assert r.status_code == 403
    from measurelib.serve.models import ComposerDraft, PublishedMeasure

    assert ComposerDraft.objects.filter(pk=pk).exists()
    assert not PublishedMeasure.objects.filter(measure_id=f"riverside-{world.tag}").exists()


def test_lead_of_another_team_gets_404(world: Any, client_for: Any) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from measurelib.serve.models import StaffProfile

    pk = new_draft(client_for("lead"), world)
    other = get_user_model().objects.create_user(username=f"lead-b-{world.tag}")
    StaffProfile.objects.create(user=other, role="lead").teams.set([world.team_b])
    c = Client()
    c.force_login(other, backend="django.contrib.auth.backends.ModelBackend")
    for url in (f"/measures/compose/{pk}/", f"/measures/compose/{pk}/composer.yaml",
                f"/measures/compose/{pk}/preview/web/"):
        assert c.get(url).status_code == 404
    assert c.post(f"/measures/compose/{pk}/", {"action": "delete"}).status_code == 404
    admin = client_for("administrator")
    assert admin.get(f"/measures/compose/{pk}/").status_code == 200


def upload(c: Any, pk: int, text: str | bytes, name: str = "m.yaml") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    raw = text.encode("utf-8") if isinstance(text, str) else text
    return c.post(f"/measures/compose/{pk}/", {
        "action": "upload", "file": SimpleUploadedFile(name, raw, "application/yaml")})


HOSTILE = {
    "syntax": ("format: 1\nid: x\nitems: [\n", "yaml-syntax", "line"),
    "python tag": ("format: 1\nid: !!python/object/apply:os.system ['id']\n", "yaml-syntax",
                   "line 2"),
    "billion laughs": ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e]\n"
                       "g: &g [*f, *f, *f, *f, *f, *f]\nh: [*g, *g, *g, *g, *g, *g]\n",
                       "limit-exceeded", "line"),
    "recursive alias": ("a: &a\n  b: *a\n", "yaml-syntax", "line"),
    "deep nesting": ("a: " + "[" * 5000 + "]" * 5000 + "\n", "limit-exceeded", "line"),
    "path source": ("format: 1\nid: x\nversion: 1.0.0\ntitle: X\ncompose:\n"
                    "  - from: ../../../etc/passwd\n    items: all\n",
                    "service-file-reference", "line 6, column 11"),
    "overlay file": ("format: 1\nid: x\ncompose:\n  - from: phq-9@1.0.0\n    items: all\n"
                     "    overlay: /etc/shadow\n", "service-file-reference", "line 6, column 5"),
    "picture file": ("format: 1\nid: x\nitems:\n  - {id: a, text: A, scale: s, "
                     "graphic: ../secret.png}\n", "service-file-reference", "line 4"),
    "table file": ("format: 1\nid: x\ntables:\n  t: {file: /etc/passwd}\n",
                   "service-file-reference", "line 4"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_upload_located_and_draft_kept(world: Any, client_for: Any, name: str) -> None:
    from measurelib.serve.models import ComposerDraft

    c = client_for("lead")
    pk = new_draft(c, world)
    before = ComposerDraft.objects.get(pk=pk).text
    text, code, where = HOSTILE[name]
    r = upload(c, pk, text)
    assert r.status_code == 400
    html = r.content.decode()
    assert "Not saved" in html and code in html, html[-4000:]
    assert f"at {where}" in html
    assert ComposerDraft.objects.get(pk=pk).text == before


def test_upload_size_and_encoding_refused(world: Any, client_for: Any) -> None:
    from measurelib.serve._composer_lib import MAX_UPLOAD_BYTES
    from measurelib.serve.models import ComposerDraft

    c = client_for("lead")
    pk = new_draft(c, world)
    before = ComposerDraft.objects.get(pk=pk).text
    r = upload(c, pk, b"# " + b"x" * MAX_UPLOAD_BYTES)
    assert r.status_code == 400 and "larger than 256 KB" in r.content.decode()
    r = upload(c, pk, b"format: 1\nid: \xff\xfe\n")
    assert r.status_code == 400 and "not UTF-8" in r.content.decode()
    assert ComposerDraft.objects.get(pk=pk).text == before


def test_upload_valid_yaml_then_model_errors_are_located(world: Any, client_for: Any) -> None:
    c = client_for("lead")
    pk = new_draft(c, world)
    mid = f"upload-{world.tag}"
    text = (f"format: 1\nid: {mid}\nversion: 1.0.0\ntitle: Uploaded\n"
            "licence: {holder: Us, text_redistribution: allowed, modification: allowed}\n"
            "items:\n  - {id: a, text: How are you?, scale: nope}\n")
    r = upload(c, pk, text)
    assert r.status_code == 302
    html = page(c, pk)
    assert "Compose " + mid in html
    assert re.search(r"at line 7, column \d+", html), html
    assert "nope" in html and "disabled" in html  # cannot publish


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 10), st.text(max_size=30),
                    st.sampled_from(["phq-9@1.0.0", "wellbeing-bank@1.0.0", "faces/1", "all",
                                     "../x.yaml", "1.0.0", "ordinal"]))
_KEYS = st.sampled_from(["format", "id", "version", "title", "items", "scales", "compose",
                         "from", "graphic", "text", "scale", "options", "scores", "overlay",
                         "tables", "file", "licence", "value", "label"])
_DOCS = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=5)), max_leaves=25)
FUZZ_EXAMPLES = 100


def test_fuzzed_yaml_never_crashes(world: Any, client_for: Any) -> None:
    """Random text and random YAML documents of the definition's words, saved in the YAML
    box, then every guided edit on top: always a page (saved, or 400 with located
    problems), never a server error, and the draft page still shows afterwards.
    """
    import yaml

    c = client_for("lead")
    pk = new_draft(c, world)
    seen = []

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.one_of(st.text(max_size=300),
                     _DOCS.map(lambda d: yaml.safe_dump(d, allow_unicode=True))))
    def run(text: str) -> None:
        r = c.post(f"/measures/compose/{pk}/", {"action": "yaml", "text": text})
        assert r.status_code in (302, 400)
        for edit in ({"action": "own", "text": "Q?", "options": "a\nb"},
                     {"action": "pick", "pick": [f"{BANK}:feeling_today"]},
                     {"action": "remove", "item": f"{BANK}:feeling_today"},
                     {"action": "score", "score_item": ["q"]}):
            assert c.post(f"/measures/compose/{pk}/", edit).status_code in (302, 400)
        assert c.get(f"/measures/compose/{pk}/").status_code == 200
        seen.append(r.status_code)

    run()
    assert len(seen) >= FUZZ_EXAMPLES // 2


def test_published_measure_collected_through_existing_form(world: Any, client_for: Any) -> None:
    from measurelib.serve import _library
    from measurelib.serve.models import Team

    lead = client_for("lead")
    mid = f"collected-{world.tag}"
    pk = new_draft(lead, world, mid)
    compose_basic(lead, pk)
    assert lead.post(f"/measures/compose/{pk}/", {"action": "publish"}).status_code == 302
    team = Team.objects.get(pk=world.team_a.pk)
    schedule = (f"measures: [phq-9, {mid}]\ntimepoints:\n"
                "  - {id: baseline, at: entry, tolerance: {days: 7}}\n")
    r = lead.post(f"/manage/teams/{team.pk}/", {
        "name": team.name, "service": team.service, "measures": team.measures,
        "schedule": schedule, "risk_text": team.risk_text})
    assert r.status_code == 302, r.content.decode()[-2000:]
    assert mid in dict(_library.collectable_measures())

    w = client_for("worker")
    rid = world.person_a.respondent_id
    r = w.post(f"/people/{rid}/collect/", {"measure_id": mid, "timepoint": "baseline",
                                            "episode": "1", "method": "tablet"})
    assert r.status_code == 302 and r["Location"] == "/tablet/", r.content.decode()[-2000:]
    form = w.get("/tablet/").content.decode()
    assert "Do you feel safe at home?" in form and XSS not in form
    r = w.post("/tablet/", {"feeling_today": "4", "cope_ask_help": "5", "safe_home": "2",
                            "measure_id": mid, "measure_version": "1.0.0"})
    assert r.status_code == 302 and r["Location"] == "/tablet/done/", r.content.decode()[-2000:]
    adm = _library.store().administrations(mid)
    mine = adm[adm["respondent_id"] == rid]
    assert len(mine) == 1
    assert str(mine.iloc[0]["measure_version"]) == "1.0.0"
    # paper and telephone use the same published definition
    w2 = client_for("worker")
    for path in (f"/people/{rid}/print/{mid}/", f"/people/{rid}/script/{mid}/"):
        r = w2.get(path)
        assert r.status_code == 200 and "feel safe at home?" in r.content.decode(), path
    r = lead.get("/reports/")
    assert r.status_code == 200 and mid in r.content.decode()


def test_new_draft_refuses_catalog_id_and_bad_ids(world: Any, client_for: Any) -> None:
    c = client_for("lead")
    for mid in ("phq-9", "Bad Id", "", "9abc"):
        r = c.post("/measures/compose/", {"measure_id": mid, "title": "T",
                                          "team": world.team_a.pk})
        assert r.status_code == 400
    r = c.post("/measures/compose/", {"measure_id": f"ok-{world.tag}", "title": "T",
                                      "team": world.team_b.pk})
    assert r.status_code == 400 and "Choose one of your teams" in r.content.decode()


def test_own_question_needs_options_and_alt(world: Any, client_for: Any) -> None:
    c = client_for("lead")
    pk = new_draft(c, world)
    r = c.post(f"/measures/compose/{pk}/", {"action": "own", "text": "Walk?", "options": "Yes"})
    assert r.status_code == 400 and "at least two answer options" in r.content.decode()
    r = c.post(f"/measures/compose/{pk}/", {"action": "own", "text": "Walk?",
                                             "options": "0 = No\n1 = Yes", "graphic": "faces/1"})
    assert r.status_code == 400 and "Describe the picture" in r.content.decode()
    r = c.post(f"/measures/compose/{pk}/", {"action": "own", "text": "Walk?",
                                             "options": "0 = No\n1 = Yes",
                                             "graphic": "/etc/passwd", "alt": "x"})
    assert r.status_code == 400 and "Choose one of the pictures offered" in r.content.decode()
    r = c.post(f"/measures/compose/{pk}/", {"action": "own", "text": "Do you walk?",
                                             "options": "0 = No\n1 = Yes"})
    assert r.status_code == 302
    assert "Do you walk?" in page(c, pk)
    r = c.post(f"/measures/compose/{pk}/", {"action": "remove", "item": "do_you_walk"})
    assert r.status_code == 302 and "Do you walk?" not in page(c, pk)


def test_large_upload_is_dropped_unstored(world: Any, client_for: Any) -> None:
    """A multi-megabyte upload is skipped as it arrives (never stored), and said so."""
    from measurelib.serve.models import ComposerDraft

    c = client_for("lead")
    pk = new_draft(c, world)
    before = ComposerDraft.objects.get(pk=pk).text
    r = upload(c, pk, b"format: 1\n" + b"# padding\n" * 400_000)
    assert r.status_code == 400 and "larger than 256 KB" in r.content.decode()
    r = c.post(f"/measures/compose/{pk}/", {"action": "yaml", "text": "a: b\n" * 60_000})
    assert r.status_code == 400 and "longer than 256 KB" in r.content.decode()
    assert ComposerDraft.objects.get(pk=pk).text == before


def test_csrf_required_on_every_composer_form(world: Any, client_for: Any) -> None:
    from measurelib.serve.models import ComposerDraft, PublishedMeasure

    pk = new_draft(client_for("lead"), world)
    compose_basic(client_for("lead"), pk)
    c = client_for("lead", enforce_csrf_checks=True)
    for data in ({"action": "publish"}, {"action": "delete"},
                 {"action": "yaml", "text": "format: 1\n"}):
        assert c.post(f"/measures/compose/{pk}/", data).status_code == 403
    assert c.post("/measures/compose/", {"measure_id": f"csrf-{world.tag}", "title": "T",
                                         "team": world.team_a.pk}).status_code == 403
    assert ComposerDraft.objects.filter(pk=pk).exists()
    assert not PublishedMeasure.objects.filter(measure_id=f"riverside-{world.tag}").exists()


def test_guided_score(world: Any, client_for: Any) -> None:
    """A score of the lead's choosing: built, linted, shown, and removable."""
    c = client_for("lead")
    pk = new_draft(c, world)
    compose_basic(c, pk)
    r = c.post(f"/measures/compose/{pk}/", {"action": "score", "title": "Coping",
                                             "method": "sum", "higher_is_better": "yes"})
    assert r.status_code == 400 and "Tick the questions" in r.content.decode()
    r = c.post(f"/measures/compose/{pk}/", {
        "action": "score", "title": "Coping", "method": "sum", "higher_is_better": "yes",
        "score_item": ["cope_ask_help", "safe_home"]})
    assert r.status_code == 302
    html = page(c, pk)
    assert "Coping (coping): sum of cope_ask_help, safe_home" in html
    assert "The measure builds: no errors." in html
    assert "lint-few-items" in html  # the linter's view of a two-question score
    text = c.get(f"/measures/compose/{pk}/composer.yaml").content.decode()
    assert "higher_is_better: true" in text
    r = c.post(f"/measures/compose/{pk}/", {"action": "score", "id": "safe_home",
                                             "score_item": ["safe_home"]})
    assert r.status_code == 400 and "already used" in r.content.decode()
    r = c.post(f"/measures/compose/{pk}/", {"action": "remove_score", "score": "coping"})
    assert r.status_code == 302 and "sum of cope_ask_help" not in page(c, pk)


def test_unhashable_graphic_is_a_located_error_not_a_crash(world: Any, client_for: Any) -> None:
    """Found by the fuzzer: `graphic:` given a list crashed the file check."""
    c = client_for("lead")
    pk = new_draft(c, world)
    r = c.post(f"/measures/compose/{pk}/", {"action": "yaml", "text": (
        "format: 1\nid: x-y\nversion: 1.0.0\ntitle: T\nlicence: {holder: U}\n"
        "items:\n  - {id: a, text: A, scale: s, graphic: [faces/1]}\n")})
    assert r.status_code == 302
    html = page(c, pk)
    assert re.search(r"at line 7, column \d+ <code>wrong-type", html), html[-3000:]


def test_new_version_is_published_beside_the_old(world: Any, client_for: Any) -> None:
    """Raising `version:` publishes a new version; the old stays unchanged; collection uses
    the newest; an older number is refused, located at `version:`.
    """
    from measurelib.serve import _library
    from measurelib.serve.models import PublishedMeasure

    c = client_for("lead")
    mid = f"versioned-{world.tag}"
    pk = new_draft(c, world, mid)
    compose_basic(c, pk)
    assert c.post(f"/measures/compose/{pk}/", {"action": "publish"}).status_code == 302
    html = page(c, pk)
    assert "This version is published" in html and "disabled" in html
    first = PublishedMeasure.objects.get(measure_id=mid)
    text = c.get(f"/measures/compose/{pk}/composer.yaml").content.decode()
    for version, status in (("1.1.0", 302), ("1.0.5", 400)):
        bumped = text.replace("version: 1.0.0", f"version: {version}")
        assert c.post(f"/measures/compose/{pk}/", {"action": "yaml", "text": bumped}
                      ).status_code == 302
        r = c.post(f"/measures/compose/{pk}/", {"action": "publish"})
        assert r.status_code == status, r.content.decode()[-3000:]
        if status == 400:
            assert "is not newer than the published 1.1.0" in r.content.decode()
            assert re.search(r"at line 3, column 10 <code>service-version-published",
                             r.content.decode())
    versions = sorted(PublishedMeasure.objects.filter(measure_id=mid)
                      .values_list("version", flat=True))
    assert versions == ["1.0.0", "1.1.0"]
    assert PublishedMeasure.objects.get(pk=first.pk).built == first.built
    assert _library.load_measure(mid).version == "1.1.0"


VARIANTS = {
    "bank subset": f"  - from: {BANK}\n    items: [feeling_today, cope_ask_help]\n",
    "phq-9 whole": "  - from: phq-9@1.0.0\n    items: all\n    scores: true\n",
    "phq-9 subset": "  - from: phq-9@1.0.0\n    items: [interest, down]\n",
    "phq-9 subset, permission": ("  - from: phq-9@1.0.0\n    items: [interest, down]\n"
                                 "    permission: {granted_by: Pfizer, date: 2026-03-01, "
                                 "reference: letter of 1 March}\n"),
    "gad-7 reworded": ("  - from: gad-7@1.0.0\n    items: all\n"
                       "    text: {nervous: Feeling on edge}\n"),
    "unknown item": "  - from: ons4@1.0.0\n    items: [no_such_item]\n",
}

REFUSED = {"phq-9 subset", "gad-7 reworded", "unknown item"}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_licence_rules_exactly_as_measurelib_build(world: Any, client_for: Any,
                                                   name: str) -> None:
    """The composer publishes exactly what `ml.build` builds, and refuses with build's own
    messages what it refuses."""
    import warnings

    import measurelib as ml
    from measurelib.serve.models import PublishedMeasure

    mid = f"rules-{world.tag}"
    text = (f"format: 1\nid: {mid}\nversion: 1.0.0\ntitle: Rules\n"
            "licence: {holder: Us, text_redistribution: allowed, modification: allowed}\n"
            "items: []\ncompose:\n" + VARIANTS[name])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ml.build(ml.loads(text, "upload.yaml"))
            expected: list[str] = []
        except ml.MeasurelibError as exc:
            expected = [d.message for d in exc.errors]
    assert bool(expected) == (name in REFUSED), (name, expected)
    c = client_for("lead")
    pk = new_draft(c, world, mid)
    assert upload(c, pk, text).status_code == 302
    r = c.post(f"/measures/compose/{pk}/", {"action": "publish"})
    published = PublishedMeasure.objects.filter(measure_id=mid).exists()
    assert published == (not expected), (name, expected, r.content.decode()[-2000:])
    if expected:
        import html as _html

        body = _html.unescape(r.content.decode())
        for message in expected:
            assert message in body, (name, message)
    if name == "phq-9 subset, permission":
        assert PublishedMeasure.objects.get(measure_id=mid).built.count("granted_by") == 1
