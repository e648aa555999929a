"""Routes of the service."""

from __future__ import annotations

from django.contrib.auth.views import LogoutView
from django.urls import path

from measurelib.serve import _api, _cat, _paper, _respond, views

app_name = "serve"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.ServiceLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(next_page="serve:login"), name="logout"),
    path("otp/", views.otp_verify, name="otp_verify"),
    path("setup/<str:token>/", views.setup, name="setup"),
    path("static/serve.css", views.stylesheet, name="stylesheet"),
    path("people/", views.people, name="people"),
    path("people/new/", views.person_new, name="person_new"),
    path("people/<str:respondent_id>/", views.person, name="person"),
    path("people/<str:respondent_id>/edit/", views.person_edit, name="person_edit"),
    path("people/<str:respondent_id>/export/", views.person_export, name="person_export"),
    path("people/<str:respondent_id>/erase-contact/", views.person_erase_contact,
         name="person_erase_contact"),
    path("people/<str:respondent_id>/episodes/", views.episode_open, name="episode_open"),
    path("people/<str:respondent_id>/episodes/<str:number>/close/", views.episode_close,
         name="episode_close"),
    path("people/<str:respondent_id>/collect/", views.collect, name="collect"),
    path("people/<str:respondent_id>/paper/", _paper.paper_start, name="paper_start"),
    path("people/<str:respondent_id>/script/<str:measure_id>/", _paper.script, name="script"),
    path("people/<str:respondent_id>/print/<str:measure_id>/", _paper.printable,
         name="print"),
    path("people/<str:respondent_id>/feedback/<str:measure_id>/", views.feedback,
         name="feedback"),
    path("paper/<int:pk>/", _paper.paper_key, name="paper_key"),
    path("paper/<int:pk>/reconcile/", _paper.paper_reconcile, name="paper_reconcile"),
    path("links/<int:pk>/withdraw/", views.link_revoke, name="link_revoke"),
    path("alerts/<int:pk>/", views.alert, name="alert"),
    path("due/", views.due, name="due"),
    path("due/record/", views.due_record, name="due_record"),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:pk>/<str:measure_id>.<str:fmt>", views.scores_export,
         name="scores_export"),
    path("reports/<int:pk>/<str:measure_id>/impact.<str:fmt>", views.impact, name="impact"),
    path("account/", views.account, name="account"),
    path("account/second-factor/", views.totp_setup, name="totp_setup"),
    path("manage/staff/", views.manage_staff, name="manage_staff"),
    path("manage/staff/<int:pk>/", views.manage_staff_edit, name="manage_staff_edit"),
    path("manage/teams/", views.manage_teams, name="manage_teams"),
    path("manage/teams/<int:pk>/", views.manage_team_edit, name="manage_team_edit"),
    path("manage/audit/", views.audit_log, name="audit_log"),
    path("manage/api-clients/", views.manage_api_clients, name="manage_api_clients"),
    path("manage/api-clients/<int:pk>/withdraw/", views.api_client_revoke,
         name="api_client_revoke"),
    # the JSON API (bearer tokens)
    path("api/v1/openapi.json", _api.openapi, name="api_openapi"),
    path("api/v1/measures", _api.measures, name="api_measures"),
    path("api/v1/measures/<str:measure_id>/fhir", _api.questionnaire, name="api_fhir"),
    path("api/v1/responses", _api.responses, name="api_responses"),
    path("api/v1/people/<str:respondent_id>/scores", _api.scores, name="api_scores"),
    path("api/v1/fhir/Questionnaire/$next-question", _cat.next_question,
         name="api_next_question"),
    # respondents
    path("r/<str:token>", _respond.open_link, name="open_link"),
    path("respond/", _respond.respond, name="respond"),
    path("respond/thanks/", _respond.respond_thanks, name="respond_thanks"),
    path("tablet/", _respond.tablet_form, name="tablet_form"),
    path("tablet/done/", _respond.tablet_done, name="tablet_done"),
    path("tablet/unlock/", _respond.tablet_unlock, name="tablet_unlock"),
]
