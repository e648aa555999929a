"""The root URL configuration: the service's routes under the ``serve`` namespace."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [path("", include("measurelib.serve.urls", namespace="serve"))]
