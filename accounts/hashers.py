"""The password hasher: Argon2id at OWASP's minimum cost, measured on the portal's machines.

Django's own Argon2 defaults (t=2, 100 MiB, p=8) cost about a quarter of a CPU-second and
100 MiB per login: a few logins per second per core, and 100 MiB of memory for each one
in flight. OWASP's password storage cheat sheet lists equivalent minimums for Argon2id
(m=47104 KiB/t=1, m=19456/t=2, m=12288/t=3, m=9216/t=4, m=7168/t=5, all p=1); the portal
takes m=12 MiB, t=3, p=1 (see docs/decisions.md and docs/benchmarks.md for the figures).

The algorithm's name stays "argon2", so hashes made with other parameters still verify,
and `must_update` (inherited: it compares the parameters stored in the hash) makes
Django hash the password again with these at the next successful login.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 3
    memory_cost = 12 * 1024  # KiB
    parallelism = 1
