"""Logins, failed logins and logouts go to the audit log (never the password tried)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from measurelib.serve._auth import audit


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
