"""The production settings, plus a bare view to measure the stack against.

allauth's rate limits are off: a load generator signs in from one address far more
often than the per-IP limits allow (they are measured by the two-node test instead).
"""

from chorus_portal.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
ACCOUNT_RATE_LIMITS = False
