"""The Django application of the service."""

from __future__ import annotations

from django.apps import AppConfig


class ServeAppConfig(AppConfig):
    """The service as a Django application (label ``serve``)."""

    name = "measurelib.serve"
    label = "serve"
    verbose_name = "measurelib service"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Connect the audit log to Django's login signals."""
        from measurelib.serve import _signals  # noqa: F401  (audit of logins)
