"""Django settings, made from a :class:`ServeConfig` (Django is configured in code, not by a
settings module, so one config file and the environment are the only inputs).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from measurelib.serve._config import ServeConfig, database_settings

__all__ = ["configure", "django_settings"]

# A strict policy: nothing may run as script, styles only from this site, pictures from this
# site or inline data: URIs (the measure's pictograms), forms post only here, no framing.
CSP_DIRECTIVES: dict[str, list[str]] = {
    "default-src": ["'none'"],
    "script-src": ["'none'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
}


BASE: dict[str, Any] = {
    "INSTALLED_APPS": [
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "axes",
        "django_otp",
        "django_otp.plugins.otp_totp",
        "csp",
        "measurelib.serve.apps.ServeAppConfig",
    ],
    "MIDDLEWARE": [
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django_otp.middleware.OTPMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "csp.middleware.CSPMiddleware",
        "measurelib.serve._middleware.ServiceMiddleware",
        "axes.middleware.AxesMiddleware",
    ],
    "TEMPLATES": [{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": [
            "django.template.context_processors.request",
            "django.contrib.auth.context_processors.auth",
            "django.contrib.messages.context_processors.messages",
            "measurelib.serve._auth.context",
        ]},
    }],
    "AUTH_PASSWORD_VALIDATORS": [
        {"NAME": "django.contrib.auth.password_validation."
                 "UserAttributeSimilarityValidator"},
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
         "OPTIONS": {"min_length": 12}},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    ],
    # request paths may carry single-use tokens: keep request warnings out of the logs
    "LOGGING": {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": "measurelib.serve._logging.RedactFilter"}},
        "handlers": {"console": {"class": "logging.StreamHandler",
                                 "filters": ["redact"]}},
        "loggers": {
            "django.request": {"handlers": ["console"], "level": "ERROR",
                               "propagate": False},
            "django.security": {"handlers": ["console"], "level": "WARNING",
                                "propagate": False},
            "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        },
    },
}


def _security(cfg: ServeConfig) -> dict[str, Any]:
    """Sessions, cookies, headers and the login lock-out."""
    secure = bool(cfg.secure_cookies)
    return {
        # sessions: in the database (so several workers share them), idle expiry
        "SESSION_ENGINE": "django.contrib.sessions.backends.db",
        "SESSION_COOKIE_AGE": int(cfg.session_minutes) * 60,
        "SESSION_SAVE_EVERY_REQUEST": True,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
        "SESSION_COOKIE_SECURE": secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "mlsession",
        "CSRF_COOKIE_SECURE": secure,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "CSRF_FAILURE_VIEW": "measurelib.serve.views.csrf_failure",
        # headers
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        # not "no-referrer": browsers then send `Origin: null` with form posts, which the
        # CSRF check rightly refuses; same-origin keeps referrers (and the paths of
        # single-use links) from ever leaving the site
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "SECURE_SSL_REDIRECT": bool(cfg.ssl_redirect),
        "SECURE_HSTS_SECONDS": int(cfg.hsts_seconds),
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https") if cfg.behind_proxy
        else None,
        "USE_X_FORWARDED_HOST": False,
        "X_FRAME_OPTIONS": "DENY",
        "CONTENT_SECURITY_POLICY": {"DIRECTIVES": CSP_DIRECTIVES},
        # login throttling: lock a username out after repeated failures
        "AXES_FAILURE_LIMIT": int(cfg.lockout_failures),
        "AXES_COOLOFF_TIME": timedelta(minutes=int(cfg.lockout_minutes)),
        "AXES_LOCKOUT_PARAMETERS": ["username"],
        "AXES_RESET_ON_SUCCESS": True,
        "AXES_LOCKOUT_CALLABLE": "measurelib.serve.views.locked_out",
        "AXES_VERBOSE": False,
        "AXES_ENABLE_ACCESS_FAILURE_LOG": True,
        # behind a proxy, uvicorn already puts the client's address in REMOTE_ADDR (from
        # X-Forwarded-For, trusted only from `trusted_proxies`)
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ["REMOTE_ADDR"],
    }


def django_settings(cfg: ServeConfig) -> dict[str, Any]:
    """The settings Django runs the service with."""
    return {
        **BASE,
        **_security(cfg),
        "DEBUG": False,
        "SECRET_KEY": cfg.secret_key,
        "ALLOWED_HOSTS": list(cfg.allowed_hosts),
        "CSRF_TRUSTED_ORIGINS": list(cfg.csrf_trusted_origins),
        "ROOT_URLCONF": "measurelib.serve._urlconf",
        "DATABASES": {"default": database_settings(cfg.store_url())},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "PASSWORD_HASHERS": ["measurelib.serve._hashers.Argon2idHasher"],
        "AUTHENTICATION_BACKENDS": ["axes.backends.AxesStandaloneBackend",
                                    "django.contrib.auth.backends.ModelBackend"],
        "LOGIN_URL": "serve:login",
        "LOGIN_REDIRECT_URL": "serve:dashboard",
        "OTP_TOTP_ISSUER": cfg.organisation,
        "USE_TZ": True,
        "TIME_ZONE": cfg.time_zone,
        "LANGUAGE_CODE": "en-gb",
        "USE_I18N": True,
        "DATA_UPLOAD_MAX_MEMORY_SIZE": 1024 * 1024,
        "EMAIL_HOST": cfg.email_host or "localhost",
        "EMAIL_PORT": int(cfg.email_port),
        "EMAIL_HOST_USER": cfg.email_user,
        "EMAIL_HOST_PASSWORD": cfg.email_password,
        "EMAIL_USE_TLS": bool(cfg.email_tls),
        "EMAIL_TIMEOUT": 10,
        "DEFAULT_FROM_EMAIL": cfg.email_from or "measurelib-serve@localhost",
        **_email_backend(cfg),
        "MEASURELIB_SERVE": cfg,
    }


def _email_backend(cfg: ServeConfig) -> dict[str, Any]:
    """Django's e-mail backend: SMTP (``email_host``), or ``console`` / ``file`` (messages
    written to ``outbox_path``) for trials and tests.
    """
    if cfg.email_backend == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if cfg.email_backend == "file":
        return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": cfg.outbox_path or "outbox"}
    return {}


def configure(cfg: ServeConfig) -> None:
    """Configure Django for this process (once) and load its apps."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(**django_settings(cfg))
    django.setup()
