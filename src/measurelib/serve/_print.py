"""Paper forms printed for one person: pre-filled with their id and timepoint, with a short
code and a QR code that open the keying screen of exactly that form.

A printed form is a ``PrintedForm`` (its code, person, measure, episode, timepoint). The QR
code (made with ``segno``, pure Python, as SVG) encodes the address of
``/paper/code/<CODE>/``; typing the code in **Key a printed form** goes to the same place.
There the member of staff gives the date written on the form and keys it twice, as any
paper form (``_paper``). Codes are looked up only among the people of the user's teams.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from measurelib.serve import _library as lib
from measurelib.serve._auth import PEOPLE_ROLES, audit, people_of, person_for, role_required
from measurelib.serve._paper import paper_form
from measurelib.serve._respond import form_policy
from measurelib.serve.models import PaperEntry, Person, PrintedForm


def _printed(request: HttpRequest, code: str) -> PrintedForm:
    return get_object_or_404(
        PrintedForm.objects.select_related("person", "person__team", "entry"),
        code=PrintedForm.normalise(code), person__in=people_of(request.user))


def keying_url(request: HttpRequest, printed: PrintedForm) -> str:
    """The absolute address the printed form's QR code encodes."""
    from django.conf import settings

    base = settings.MEASURELIB_SERVE.base_url.rstrip("/") or request.build_absolute_uri(
        "/").rstrip("/")
    return base + reverse("serve:paper_code", kwargs={"code": printed.code})


def qr_svg_data_uri(url: str) -> str:
    """A QR code of ``url`` as an SVG ``data:`` URL (error correction M, 4-module border)."""
    import segno

    return str(segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=4))


@role_required(*PEOPLE_ROLES)
@require_POST
def print_start(request: HttpRequest, respondent_id: str) -> HttpResponse:
    """Make a printed form (a new code) for a person, measure, episode and timepoint."""
    p = person_for(request, respondent_id)
    form = paper_form(p, request.POST)
    form.fields["completed_on"].required = False
    if not form.is_valid():
        return render(request, "serve/message.html", {
            "title": "The paper form could not be made",
            "text": "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())},
            status=400)
    data = form.cleaned_data
    printed = PrintedForm.objects.create(
        code=PrintedForm.new_code(), person=p, episode=data["episode"],
        measure_id=data["measure_id"], timepoint=data["timepoint"], created_by=request.user)
    audit(request, "paper-printed", person=p,
          detail=f"{printed.measure_id} {printed.timepoint} code {printed.code}")
    return redirect("serve:printed", code=printed.code, fmt=request.POST.get("fmt") == "html"
                    and "html" or "pdf")


@role_required(*PEOPLE_ROLES)
def printed(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """The printed form as PDF (to print) or HTML (to print from the browser)."""
    if fmt not in ("pdf", "html"):
        raise Http404
    pf = _printed(request, code)
    stamp = {"code": pf.display, "text": "Office use: to key this form, scan the code or "
             "type", "image": qr_svg_data_uri(keying_url(request, pf)),
             "alt": "QR code that opens the keying screen of this form"}
    values = {"respondent_id": pf.person.respondent_id,
              "timepoint": f"{pf.timepoint} (episode {pf.episode})"}
    try:
        data = lib.printed_form(pf.measure_id, fmt=fmt, values=values, stamp=stamp)
    except ImportError:
        return render(request, "serve/message.html", {
            "title": "PDF not available",
            "text": "PDF forms need WeasyPrint on the server (pip install "
                    "'measurelib[pdf]'); print the HTML form instead."}, status=501)
    audit(request, f"view-printed-{fmt}", person=pf.person, detail=pf.code)
    if isinstance(data, bytes):
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = (f'attachment; filename="{pf.person.respondent_id}-'
                                           f'{pf.measure_id}-{pf.timepoint}-{pf.code}.pdf"')
        return response
    response = HttpResponse(data, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = form_policy(data)
    return response


class _CodeForm(forms.Form):
    code = forms.CharField(label="Code printed on the form", max_length=32)


class _DateForm(forms.Form):
    completed_on = forms.DateField(label="Date written on the form (YYYY-MM-DD)",
                                   widget=forms.DateInput(format="%Y-%m-%d"))


@role_required(*PEOPLE_ROLES)
def paper_find(request: HttpRequest) -> HttpResponse:
    """Type the code printed on a form: go to its keying screen."""
    form = _CodeForm(request.GET or None)
    if form.is_valid():
        code = PrintedForm.normalise(form.cleaned_data["code"])
        if PrintedForm.objects.filter(code=code, person__in=people_of(request.user)).exists():
            return redirect("serve:paper_code", code=code)
        form.add_error("code", "No printed form of your teams has that code. Check it "
                               "against the form (letters and digits, e.g. ABCD-EF23).")
    return render(request, "serve/paper_find.html", {"form": form},
                  status=404 if form.is_bound else 200)


@role_required(*PEOPLE_ROLES)
@require_http_methods(["GET", "POST"])
def paper_code(request: HttpRequest, code: str) -> HttpResponse:
    """Where a printed form's code leads: the date on it, then its keying screen."""
    pf = _printed(request, code)
    if pf.entry is not None:
        if pf.entry.stored_at is not None:
            return render(request, "serve/message.html", {
                "title": "This form is keyed and stored",
                "text": f"The paper form {pf.display} ({pf.measure_id}, {pf.timepoint}) of "
                        f"{pf.person.respondent_id} was stored on "
                        f"{pf.entry.stored_at:%Y-%m-%d}."})
        return redirect("serve:paper_key", pk=pf.entry.pk)
    form = _DateForm(request.POST or None, initial={"completed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        entry = PaperEntry.objects.create(person=pf.person, episode=pf.episode,
                                          measure_id=pf.measure_id, timepoint=pf.timepoint,
                                          completed_on=form.cleaned_data["completed_on"])
        claimed = PrintedForm.objects.filter(pk=pf.pk, entry__isnull=True).update(entry=entry)
        if claimed != 1:  # keyed from another screen meanwhile: use that keying
            entry.delete()
            return redirect("serve:paper_code", code=pf.code)
        audit(request, "paper-started", person=pf.person,
              detail=f"{pf.measure_id} {pf.timepoint} from code {pf.code}")
        return redirect("serve:paper_key", pk=entry.pk)
    audit(request, "view-printed-code", person=pf.person, detail=pf.code)
    return render(request, "serve/paper_code.html", {"printed": pf, "form": form})


def printed_for(person: Person) -> Any:
    """A person's printed forms not yet stored, newest first."""
    return person.printed.filter(entry__stored_at__isnull=True)[:20]
