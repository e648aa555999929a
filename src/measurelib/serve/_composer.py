"""The guided composer: a lead builds a bespoke measure in the browser and publishes it.

A draft (:class:`~measurelib.serve.models.ComposerDraft`) is a composer definition kept in
the database. The draft page picks questions from the shipped banks and catalog measures
(each source's licence status shown beside it), adds the service's own questions (a
shipped scale or its own options, a shipped pictogram), shows measurelib's located errors,
licence table and lint findings, previews the web and the paper form (rendered by
measurelib's form renderer into sandboxed frames that can run no script), downloads and
uploads the YAML, and publishes an immutable version that teams then collect like any
catalog measure. Every page works without JavaScript; every publish is in the audit log.
"""

from __future__ import annotations

import hashlib
from typing import Any

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

import measurelib as ml
from measurelib.serve import _composer_lib as cl
from measurelib.serve._auth import audit, role_required, teams_of
from measurelib.serve.models import ComposerDraft, PublishedMeasure, Team

LEAD_ROLES = ("administrator", "lead")
_ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-"


def _draft_for(request: HttpRequest, pk: int) -> ComposerDraft:
    """The draft, if it belongs to one of the user's teams (else 404, as for a missing one)."""
    try:
        return ComposerDraft.objects.select_related("team").get(
            pk=pk, team__in=teams_of(request.user))
    except ComposerDraft.DoesNotExist:
        raise Http404("no such draft") from None


def _valid_id(value: str) -> bool:
    return bool(value) and value[0].isalpha() and all(c in _ID_CHARS for c in value) \
        and len(value) <= 64


@role_required(*LEAD_ROLES)
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    """The drafts and published measures of the user's teams; start a new draft."""
    teams = list(teams_of(request.user))
    problems: list[str] = []
    if request.method == "POST":
        measure_id = request.POST.get("measure_id", "").strip()
        title = request.POST.get("title", "").strip()
        team = next((t for t in teams if str(t.pk) == request.POST.get("team")), None)
        if not _valid_id(measure_id):
            problems.append("The id must start with a letter and use only lowercase letters, "
                            "digits and - (at most 64).")
        elif cl.resolve_quietly(measure_id):
            problems.append(f"{measure_id} is the id of a catalog measure: choose another.")
        if not title or len(title) > 200:
            problems.append("Give the measure a title (at most 200 characters).")
        if team is None:
            problems.append("Choose one of your teams.")
        if not problems and team is not None:
            draft = ComposerDraft.objects.create(
                team=team, measure_id=measure_id, created_by=request.user,
                text=cl.new_text(measure_id, title, settings.MEASURELIB_SERVE.organisation))
            audit(request, "composer_new", team=team, detail=f"draft {draft.pk}: {measure_id}")
            return redirect("serve:composer_draft", pk=draft.pk)
    drafts = ComposerDraft.objects.filter(team__in=teams).select_related("team")
    published = PublishedMeasure.objects.filter(team__in=teams).select_related("team")
    return render(request, "serve/composer/index.html", {
        "drafts": drafts, "published": published, "teams": teams, "problems": problems,
        "values": request.POST if request.method == "POST" else {}},
        status=400 if problems else 200)


def _picks(post: Any) -> dict[str, Any]:
    picks: dict[str, Any] = {}
    for ref in post.getlist("whole"):
        picks[ref] = "all"
    for value in post.getlist("pick"):
        ref, _, item = value.rpartition(":")
        if ref and picks.get(ref) != "all":
            picks.setdefault(ref, []).append(item)
    return picks


def _upload_text(request: HttpRequest) -> tuple[str | None, list[str]]:
    """The uploaded file's text (None and a reason when refused)."""
    upload = request.FILES.get("file")
    if getattr(request, "composer_upload_too_big", False) or (
            upload is not None and (upload.size or 0) > cl.MAX_UPLOAD_BYTES):
        return None, [f"The file is larger than {cl.MAX_UPLOAD_BYTES // 1024} KB; a measure's "
                      "definition is far smaller. Upload the composer file, not data."]
    if upload is None:
        return None, ["Choose a YAML file to upload."]
    raw = upload.read(cl.MAX_UPLOAD_BYTES + 1)
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        return None, ["The file is not UTF-8 text: save it as UTF-8 and upload it again."]


def _replace(draft: ComposerDraft, text: str) -> list[Any]:
    """Save ``text`` as the draft's YAML if it can be read as a definition's YAML; else the
    located problems (the draft is left as it was).
    """
    try:
        doc = cl.parse(text, "upload.yaml")
    except ml.DefinitionError as exc:
        return list(exc.errors)
    if not isinstance(doc.data, dict):
        return [ml.Diagnostic("not-a-mapping", "the file is not a mapping of fields",
                              "Start the file with `format: 1` and the other fields.",
                              ml.Location("upload.yaml", 1, 1))]
    draft.text = text
    draft.measure_id = str(doc.data.get("id") or draft.measure_id)[:64]  # shown, escaped
    draft.updated_at = timezone.now()
    draft.save()
    return []


def _version_key(version: str) -> tuple[int, ...]:
    parts = version.split("+")[0].split("-")[0].split(".")
    return tuple(int(p) if p.isdigit() else 0 for p in parts[:3])


def _publish(request: HttpRequest, draft: ComposerDraft) -> list[Any]:
    """Publish the draft (built exactly as ``measurelib build``); the problems otherwise."""
    checked = cl.check(draft.text)
    if not checked.publishable:
        return checked.errors or [ml.Diagnostic(
            "invalid-value", "the draft does not build", "See the checks above.",
            ml.Location("composer.yaml"))]
    built = checked.built
    doc = cl.parse(draft.text)
    earlier = PublishedMeasure.objects.filter(measure_id=built.id)
    where = doc.location(("version",))
    hint = ml.errors.CODES[cl.PUBLISHED_CODE].hint
    if earlier.exclude(team=draft.team).exists():
        return [ml.Diagnostic(cl.PUBLISHED_CODE, f"{built.id} is published by another team",
                              "Choose another id for this measure.", doc.location(("id",)))]
    if earlier.filter(version=built.version).exists():
        return [ml.Diagnostic(cl.PUBLISHED_CODE, f"{built.id} {built.version} is already "
                              "published", hint, where)]
    newest = max((_version_key(v) for v in earlier.values_list("version", flat=True)),
                 default=None)
    if newest is not None and _version_key(built.version) <= newest:
        return [ml.Diagnostic(cl.PUBLISHED_CODE, f"version {built.version} is not newer than "
                              f"the published {'.'.join(map(str, newest))}", hint, where)]
    text = built.to_yaml()
    sha = built.lock.sha256 if built.lock is not None else \
        hashlib.sha256(text.encode("utf-8")).hexdigest()
    try:
        with transaction.atomic():
            PublishedMeasure.objects.create(
                team=draft.team, measure_id=built.id, version=built.version,
                title=str(built.text(built.title) or built.id)[:300], composer=draft.text,
                built=text, sha256=sha, published_by=request.user)
            team = Team.objects.select_for_update().get(pk=draft.team.pk)
            if built.id not in team.measure_ids():
                team.measures = "\n".join([*team.measure_ids(), built.id])
                team.save(update_fields=["measures"])
            audit(request, "measure_publish", team=team,
                  detail=f"{built.id} {built.version} sha256 {sha} from draft {draft.pk}; "
                         f"sources: {', '.join(r['source'] + ' ' + r['status'] for r in checked.licence)}")
    except IntegrityError:
        return [ml.Diagnostic(cl.PUBLISHED_CODE, f"{built.id} {built.version} is already "
                              "published", hint, where)]
    return []


_GUIDED = ("pick", "own", "remove", "score", "remove_score")


def _post(request: HttpRequest, draft: ComposerDraft) -> tuple[HttpResponse | None,
                                                               dict[str, Any]]:
    """Carry out one action of the draft page: a redirect, or what to show with a 400."""
    action = request.POST.get("action", "")
    if action in _GUIDED:
        values: dict[str, Any] = {**request.POST.dict(), "picks": _picks(request.POST),
                                  "score_items": request.POST.getlist("score_item")}
        if action == "pick" and not values["picks"]:
            return None, {"edit_problem": "Tick the questions to add first.", "section": "pick"}
        try:
            draft.text = cl.edit(draft.text, action, values)
        except ml.DefinitionError as exc:
            return None, {"errors_upload": list(exc.errors), "section": "yaml"}
        except ValueError as exc:
            return None, {"edit_problem": str(exc), "section": action, "own": values}
        draft.updated_at = timezone.now()
        draft.save()
        return redirect(reverse("serve:composer_draft", args=[draft.pk]) + "#questions"), {}
    if action in ("yaml", "upload"):
        text, refused = (request.POST.get("text", ""), []) if action == "yaml" \
            else _upload_text(request)
        if text is not None and len(text.encode("utf-8")) > cl.MAX_UPLOAD_BYTES:
            text, refused = None, [f"The text is longer than {cl.MAX_UPLOAD_BYTES // 1024} KB; "
                                   "a measure's definition is far smaller."]
        if text is None:
            return None, {"upload_refused": refused, "section": "yaml"}
        problems = _replace(draft, text)
        if problems:
            audit(request, "composer_upload", team=draft.team,
                  detail=f"draft {draft.pk}: refused, {len(problems)} problem(s)")
            return None, {"errors_upload": problems, "yaml_text": text, "section": "yaml"}
        if action == "upload":
            audit(request, "composer_upload", team=draft.team, detail=f"draft {draft.pk}")
        return redirect(reverse("serve:composer_draft", args=[draft.pk]) + "#findings"), {}
    if action == "publish":
        problems = _publish(request, draft)
        if problems:
            return None, {"errors_publish": problems, "section": "publish"}
        messages.success(request, "Published. The measure is now in your team's measures: "
                                  "add it to the team's schedule to make it fall due.")
        return redirect("serve:composer_index"), {}
    if action == "delete":
        audit(request, "composer_delete", team=draft.team,
              detail=f"draft {draft.pk}: {draft.measure_id}")
        draft.delete()
        messages.success(request, "The draft was deleted.")
        return redirect("serve:composer_index"), {}
    return None, {"edit_problem": "Unknown action.", "section": ""}


class CappedUpload(FileUploadHandler):
    """Skips an uploaded file as soon as it passes :data:`MAX_UPLOAD_BYTES` (the rest is read
    and dropped, never stored) and marks the request, so the page can say why.
    """

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        """Pass the chunk on, or skip the file once it is too large."""
        if start + len(raw_data) > cl.MAX_UPLOAD_BYTES:
            self.request.composer_upload_too_big = True
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        """Leave the file to the next handler (memory)."""
        return None


@csrf_exempt
def draft(request: HttpRequest, pk: int) -> HttpResponse:
    """The composer page of one draft (every action posts here and comes back).

    Uploads pass :class:`CappedUpload` first, which must be in place before anything reads
    the posted data, so the CSRF check runs inside (``csrf_protect``), not before.
    """
    request.upload_handlers.insert(0, CappedUpload(request))
    return _draft(request, pk)


@role_required(*LEAD_ROLES)
@require_http_methods(["GET", "POST"])
@csrf_protect
@csp_update({"frame-src": ["'self'"]})  # type: ignore[arg-type]
def _draft(request: HttpRequest, pk: int) -> HttpResponse:
    d = _draft_for(request, pk)
    extra: dict[str, Any] = {}
    if request.method == "POST":
        response, extra = _post(request, d)
        if response is not None:
            return response
    checked = cl.check(d.text)
    in_draft = _in_draft(checked, d.text)
    measure_id = checked.measure.id if checked.measure is not None else d.measure_id
    versions = list(PublishedMeasure.objects.filter(measure_id=measure_id))
    context = {
        "versions": versions,
        "already": checked.measure is not None and any(
            v.version == checked.measure.version for v in versions),
        "draft": d, "checked": checked, "sources": cl.sources(), "in_draft": in_draft,
        "scales": [(k, label) for k, label, _ in cl.shipped_scales()],
        "pictograms": _pictograms(), "yaml_text": d.text,
        "errors": [_shown(e) for e in checked.errors],
        "findings": [_shown(f) for f in checked.findings],
        "now": timezone.now(), **extra,
    }
    for key in ("errors_upload", "errors_publish"):
        if key in context:
            context[key] = [_shown(e) for e in context[key]]
    return render(request, "serve/composer/draft.html", context,
                  status=400 if extra else 200)


def _shown(d: Any) -> dict[str, Any]:
    """A diagnostic (object or dict) as the page shows it: where, severity, code, text, hint."""
    data = d.to_dict() if hasattr(d, "to_dict") else dict(d)
    return {"where": cl.location_text(d), "severity": data.get("severity", "error"),
            "code": data.get("code", ""), "message": data.get("message", ""),
            "hint": data.get("hint", "")}


def _in_draft(checked: cl.Checked, text: str) -> dict[str, Any]:
    """The questions of the draft: the service's own and those picked from each source."""
    own: list[dict[str, Any]] = []
    picked: list[dict[str, Any]] = []
    try:
        data = cl.parse(text).data
    except ml.DefinitionError:
        return {"own": own, "picked": picked, "readable": False}  # pragma: no cover
    if not isinstance(data, dict):
        return {"own": own, "picked": picked, "readable": False}
    for it in cl.entries(data, "items"):
        own.append({"id": str(it.get("id")), "text": str(it.get("text") or ""),
                    "graphic": it.get("graphic")})
    known = {s.ref: s for s in cl.sources()}
    for entry in cl.entries(data, "compose"):
        ref = str(entry.get("from"))
        src = known.get(ref)
        texts = dict(src.items) if src else {}
        ids = list(texts) if entry.get("items") == "all" else cl.ids(entry.get("items"))
        picked.append({"ref": ref, "title": src.title if src else ref,
                       "whole": entry.get("items") == "all",
                       "items": [{"id": i, "text": texts.get(i, i), "key": f"{ref}:{i}"}
                                 for i in ids]})
    scores = [{"id": str(sc.get("id")), "title": str(sc.get("title") or ""),
               "method": str(sc.get("method") or "sum"),
               "items": cl.ids(sc.get("items")) or [str(sc.get("items"))]}
              for sc in cl.entries(data, "scores")]
    return {"own": own, "picked": picked, "scores": scores, "readable": True,
            "questions": [*((i["id"], i["text"]) for g in picked for i in g["items"]),
                          *((o["id"], o["text"]) for o in own)]}


def _pictograms() -> list[tuple[str, str]]:
    out = []
    for name in ml.forms.pictogram_names():
        path = ml.forms.resolve_graphic(name, None)
        uri = ml.forms.graphic_data_uri(path) if path is not None else None
        if uri:
            out.append((name, uri))
    return out


@role_required(*LEAD_ROLES)
@require_GET
def download(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft's YAML, as a file (for those who prefer to edit files)."""
    d = _draft_for(request, pk)
    response = HttpResponse(d.text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{d.measure_id}.yaml"'
    return response


@role_required(*LEAD_ROLES)
@require_GET
def published_yaml(request: HttpRequest, pk: int) -> HttpResponse:
    """A published version's built definition, as a file."""
    try:
        row = PublishedMeasure.objects.get(pk=pk, team__in=teams_of(request.user))
    except PublishedMeasure.DoesNotExist:
        raise Http404("no such measure") from None
    response = HttpResponse(row.built, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = \
        f'attachment; filename="{row.measure_id}-{row.version}.built.yaml"'
    return response


def preview_policy(page: str) -> str:
    """The preview's Content-Security-Policy: the respondent form's (no script; its own
    styles by hash), framed only by this site's pages, and sandboxed (no forms, no script,
    an opaque origin).
    """
    from measurelib.serve._respond import form_policy

    return form_policy(page).replace("frame-ancestors 'none'", "frame-ancestors 'self'") \
        .replace("form-action 'self'", "form-action 'none'") + "; sandbox"


@role_required(*LEAD_ROLES)
@require_GET
@xframe_options_sameorigin
def preview(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The draft's web form (``web``) or paper form (``paper``), as respondents would see
    it, for the sandboxed frames of the draft page.
    """
    if kind not in ("web", "paper"):
        raise Http404("no such preview")
    d = _draft_for(request, pk)
    checked = cl.check(d.text)
    if checked.built is None:
        page = render(request, "serve/composer/no_preview.html", {"draft": d}).content \
            .decode("utf-8")
    else:
        page = cl.preview(checked.built, kind)
    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = preview_policy(page)
    return response
