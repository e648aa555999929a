"""Logins, failed logins and logouts go to the audit log (never the password tried); a
published measure version saved or deleted makes this process look up the newest again.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from measurelib.serve._auth import audit
from measurelib.serve._library import forget_latest
from measurelib.serve.models import PublishedMeasure

post_save.connect(forget_latest, sender=PublishedMeasure, dispatch_uid="ml-forget-latest-save")
post_delete.connect(forget_latest, sender=PublishedMeasure,
                    dispatch_uid="ml-forget-latest-delete")


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit(request, "login", username=user.get_username())


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit(request, "logout", username=user.get_username() if user is not None else "")


@receiver(user_login_failed)
def _failed(sender: Any, credentials: dict[str, Any], request: Any = None,
            **kwargs: Any) -> None:
    audit(request, "login-failed", username=str(credentials.get("username", ""))[:150])
