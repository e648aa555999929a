"""Password hashing: Argon2id with parameters pinned here, not left to library defaults."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher

__all__ = ["Argon2idHasher"]


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's recommended minimum: 19 MiB of memory, 2 iterations, 1 lane.

    (OWASP Password Storage Cheat Sheet.) Django's own defaults (100 MiB, 8 lanes) are
    heavier; these keep a login affordable on a small server running several workers while
    meeting the recommendation. Hashes made with other parameters are upgraded on the next
    successful login (Django's ``must_update``).
    """

    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19456  # KiB
    parallelism = 1
