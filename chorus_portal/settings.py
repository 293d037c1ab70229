"""Settings of the Chorus Pro account portal.

Everything that differs between a developer's machine and production is read
from the environment (see README, "Production settings"). With nothing set, the
portal runs on SQLite, the database cache and in-process tasks, so a fresh
checkout needs no service at all.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY if DEBUG else None)
if not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be a random value of at least 50 characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# HTTPS is assumed everywhere but on a developer's machine.
HTTPS = env_bool("HTTPS", not DEBUG)

INSTALLED_APPS = [
    "chorus_portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "allauth",
    "allauth.account",
    "dsfr",
    "django_tasks",
    "django_tasks_db",
    "activity",
    "accounts",
    "mfa",
    "affiliations",
    "authorizations",
    "notifications",
    "login_address",
    "chorus_portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "chorus_portal.middleware.SessionTouchMiddleware",
    "chorus_portal.middleware.SessionLifetimeMiddleware",
    "chorus_portal.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "chorus_portal.middleware.SessionGenerationMiddleware",
    "accounts.middleware.SessionIndexMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "chorus_portal.middleware.SecondFactorRequiredMiddleware",
    "chorus_portal.middleware.UserLanguageMiddleware",
    "chorus_portal.errors.MethodNotAllowedPageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "chorus_portal.middleware.NoStoreMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "chorus_portal.urls"
WSGI_APPLICATION = "chorus_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chorus_portal.context_processors.portal",
            ],
        },
    },
]

# --- Data ------------------------------------------------------------------
# Persistent connections (10 minutes by default), checked before each request reuses
# them: a connection costs more than many of the portal's pages.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for each other instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "chorus_portal.redis_cache.PortalRedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
        }
    }

# Pieces of pages that depend only on what their key says (e.g. My account's windows
# for given values and language), kept in each process's memory.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "portal-fragments",
    "TIMEOUT": 24 * 60 * 60,
    "OPTIONS": {"MAX_ENTRIES": 5000},
}

# Whole signed-in pages (My account, My affiliations, the Users area), per person and
# session, kept compressed in each process's memory until something they show changes
# (chorus_portal.page_cache).
PAGE_CACHE = env_bool("PAGE_CACHE", True)
PAGE_CACHE_TIMEOUT = 5 * 60
CACHES["pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "portal-pages",
    "TIMEOUT": PAGE_CACHE_TIMEOUT,
    "OPTIONS": {"MAX_ENTRIES": 2000},
}

# Sessions live in the database so that every web node shares them and a user's
# sessions can be listed and ended. With Redis they are read from the cache and
# written through to the database. `manage.py clearsessions`, run daily (README),
# removes the expired rows.
# Django's stores with fewer statements per write (chorus_portal.session_stores).
SESSION_ENGINE = (
    "chorus_portal.session_stores.cached_db" if REDIS_URL else "chorus_portal.session_stores.db"
)
SESSION_COOKIE_AGE = 60 * 60  # idle timeout: one hour, renewed while the session is used
# Renewed by SessionTouchMiddleware at most once a minute, not by a write per request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_TOUCH_INTERVAL = 60
SESSION_ABSOLUTE_LIFETIME = 12 * 60 * 60  # no session outlives twelve hours
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "chorus_portal.errors.csrf_failure"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_SECURE = True

# --- Tasks (mails) -----------------------------------------------------------
TASK_BACKEND = env_str("TASK_BACKEND", "immediate")
if TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
elif TASK_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
else:
    raise ImproperlyConfigured("TASK_BACKEND must be 'immediate' or 'database'.")

# --- Mail --------------------------------------------------------------------
# Every mail is a row (chorus_portal.OutgoingMail) queued in the transaction of
# the change that causes it and sent by the `deliver_mails` task; a failed
# attempt is retried with a doubling delay, and given up (visible in the admin)
# after MAIL_GIVE_UP_AFTER.
MAIL_RETRY_FIRST_DELAY = 15  # seconds
MAIL_RETRY_MAX_DELAY = 30 * 60
MAIL_GIVE_UP_AFTER = 2 * 24 * 60 * 60
MAIL_BATCH_SIZE = 100  # mails per delivery task when many are queued at once
MAIL_STALE_AFTER = 60 * 60  # a delivery task running this long lost its worker
# Absolute links in mails (the Users area, My account) start with this.
_named_hosts = [h for h in ALLOWED_HOSTS if h != "*" and not h.startswith(".")]
PORTAL_BASE_URL = env_str(
    "PORTAL_BASE_URL",
    "http://127.0.0.1:8000" if DEBUG else f"https://{(_named_hosts or ['localhost'])[0]}",
).rstrip("/")
if not PORTAL_BASE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("PORTAL_BASE_URL must start with https:// or http://.")
# Managers hear of new requests in one mail gathered for MANAGER_DIGEST_DELAY
# after the first one, and never more often than every MANAGER_DIGEST_INTERVAL.
MANAGER_DIGEST_DELAY = 5 * 60
MANAGER_DIGEST_INTERVAL = 15 * 60
WEEKLY_SUMMARY_BATCH_SIZE = 1000

DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Chorus Pro <ne-pas-repondre@chorus-pro.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Shown on the legal pages: the data protection officer and the support (placeholders
# until the operator sets the real addresses).
DPO_EMAIL = env_str("DPO_EMAIL", "dpd@aife.chorus-pro.local")
SUPPORT_EMAIL = env_str("SUPPORT_EMAIL", "support@chorus-pro.local")
EMAIL_URL = env_str("EMAIL_URL", "")
OUTBOX_DIR = Path(env_str("OUTBOX_DIR", str(BASE_DIR / "var" / "outbox")))
# The development outbox page (/dev/outbox/) exists only when this is on.
DEV_OUTBOX = env_bool("DEV_OUTBOX", DEBUG)
if EMAIL_URL:
    from urllib.parse import unquote, urlsplit

    _mail = urlsplit(EMAIL_URL)
    if _mail.scheme not in {"smtp", "smtps", "submission"}:
        raise ImproperlyConfigured("EMAIL_URL must be smtp://, smtps:// or submission://.")
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname or "localhost"
    EMAIL_PORT = _mail.port or {"smtp": 25, "smtps": 465, "submission": 587}[_mail.scheme]
    EMAIL_HOST_USER = unquote(_mail.username or "")
    EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
    EMAIL_USE_SSL = _mail.scheme == "smtps"
    EMAIL_USE_TLS = _mail.scheme == "submission"
    EMAIL_TIMEOUT = 10
elif DEV_OUTBOX:
    EMAIL_BACKEND = "chorus_portal.mail.OutboxBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Authentication ------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# allauth's backend alone: it is Django's ModelBackend (permissions) plus the login by
# address and the "inactive account" page. With both, a wrong password was checked twice.
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
# Argon2id at OWASP's minimum (accounts.hashers); hashes made with other parameters are
# upgraded at the next login.
PASSWORD_HASHERS = [
    "accounts.hashers.PortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "accounts.validators.PortalPasswordPolicy"},
    {
        "NAME": "accounts.validators.ContextWordsValidator",
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "accounts.adapter.PortalAccountAdapter"
ACCOUNT_FORMS = {
    "login": "accounts.auth_forms.PortalLoginForm",
    "signup": "accounts.auth_forms.PortalSignupForm",
    "reset_password": "accounts.auth_forms.PortalResetPasswordForm",
}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "accounts.tokens.PortalTokenGenerator"
# The site's name in every mail (allauth's `current_site.name`, see the adapter).
PORTAL_NAME = "Chorus Pro"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Chorus Pro] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    # Lost password: 3 mails an hour and 10 a day per address, 20 an hour per IP.
    # Beyond them the page answers as if the mail had gone (see PasswordResetView).
    "reset_password": "20/h/ip,3/h/key,10/d/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    # Change of login address: each request mails a link to the address typed.
    "change_login_address": "3/h/user,10/d/user",
    "reauthenticate": "10/m/ip",
}
# Number of reverse proxies in front of the portal; X-Forwarded-For entries
# beyond them are ignored, so a client cannot reset its own rate limits.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

# Second factor (e-mail code).
MFA_EMAIL_CODE_VALIDITY = 10 * 60
MFA_EMAIL_RESEND_COOLDOWN = 30
MFA_THROTTLE_FACTOR = 1  # seconds; delays of 1, 2, 4, 8 ... after failures
MFA_THROTTLE_MAX_DELAY = 60  # seconds: the delay stops doubling there
MFA_MAX_FAILURES = 10  # every 10 consecutive failures lock the factor for a while
MFA_LOCK_SECONDS = 15 * 60  # the first lock; each next one in a row lasts twice as long
MFA_LOCK_MAX_SECONDS = 24 * 60 * 60
MFA_HARD_CAP = 100  # then locked until a completed password reset (or staff)
MFA_EMAIL_CODES_KEPT = 10  # login attempts of one user that keep a live code

# Password step: consecutive failures per account (the address normalised,
# keyed on the user when the address exists), beyond allauth's rate limits.
LOGIN_FREE_FAILURES = 5  # then each attempt waits 1, 2, 4 ... seconds more
LOGIN_MAX_DELAY = 5 * 60
LOGIN_MAX_FAILURES = 100  # then locked until a completed password reset
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Authenticator app (TOTP): "Chorus Pro" as issuer, SHA1, 6 digits, 30 s, one
# step either side. Drift is not followed, so the window stays ±1 step of the
# server's clock.
MFA_TOTP_ISSUER = "Chorus Pro"
MFA_TOTP_TOLERANCE = 1
OTP_TOTP_ISSUER = MFA_TOTP_ISSUER
OTP_TOTP_SYNC = False
OTP_TOTP_THROTTLE_FACTOR = MFA_THROTTLE_FACTOR

# Security keys (WebAuthn). The relying party and its origins are fixed here,
# never taken from the request's Host header. By default: the first allowed
# host, over HTTPS (localhost over HTTP in development).
_default_rp_id = next(
    (
        h.lstrip(".")
        for h in ALLOWED_HOSTS
        if h != "*" and not h.startswith("[") and not h.replace(".", "").isdigit()
    ),
    "",
)
OTP_WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID", _default_rp_id or "localhost")
OTP_WEBAUTHN_RP_NAME = env_str("WEBAUTHN_RP_NAME", "Chorus Pro")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    "WEBAUTHN_ORIGINS",
    ["http://localhost:8000"]
    if OTP_WEBAUTHN_RP_ID == "localhost"
    else [f"https://{OTP_WEBAUTHN_RP_ID}"],
)
# Keys are a second factor only: no login without the password first.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_TIMEOUT_SECONDS = 120

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static files ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Request bodies. The only file the portal takes is the profile photo (5 MB): the photo page
# refuses a larger body unread and stops a larger file as it arrives (accounts.photos), and
# whatever it lets through (5 MB + 64 KB of multipart framing) is held in memory, never
# spooled to a temporary file. The largest text form (a structure with its services in the
# admin, within DATA_UPLOAD_MAX_NUMBER_FIELDS) stays well under 1 MB.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024 + 64 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
DSFR_USE_INTEGRITY_CHECKSUMS = True

# --- Security headers -------------------------------------------------------------
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.security.DisallowedHost": {"level": "ERROR"},
        "django_tasks": {"level": "WARNING"},
    },
}
