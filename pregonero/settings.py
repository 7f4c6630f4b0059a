"""Settings for Pregonero, read from the environment.

Every setting that differs between installations comes from an environment
variable; the defaults give a working single-office installation on SQLite.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("PREGONERO_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "si", "sí", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


def _secret_key() -> str:
    """Return SECRET_KEY from the environment, or one generated once into var/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("PREGONERO_TESTING", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "pregonero.core",
    "pregonero.accounts",
    "pregonero.audit",
    "pregonero.intake",
    "pregonero.planning",
    "pregonero.content",
    "pregonero.publishing",
    "pregonero.analytics",
    "pregonero.inbox",
    "pregonero.mailbox",
    "pregonero.checks",
    "pregonero.api",
    "pregonero.core.admin_apps.PregoneroAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks_db",
    "ninja",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "pregonero.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "pregonero.accounts.middleware.RequireMFAMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pregonero.urls"
WSGI_APPLICATION = "pregonero.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pregonero.core.context_processors.pregonero",
            ],
        },
    }
]

# Database: SQLite (WAL, immediate transactions) by default; DATABASE_URL for PostgreSQL.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "pregonero.sqlite3")),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side binding lets PostgreSQL reuse plans of the app's repeated queries
    # (measured: page times down by about a third). PgBouncer needs 1.21+ for it.
    DATABASES["default"].setdefault("OPTIONS", {})
    if env_bool("PREGONERO_PG_SERVER_SIDE_BINDING", True):
        DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so a transaction that reads and
        # then writes (the audit chain, compare-and-swap claims) never fails midway.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_PATH") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = (
    ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if TESTING
    else [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ]
)
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:my_work"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: username or e-mail login, no open sign-up, TOTP for approvers/admins.
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_ADAPTER = "pregonero.accounts.adapters.AccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Pregonero"
MFA_ADAPTER = "allauth.mfa.adapter.DefaultMFAAdapter"
# Roles whose members must have a second factor before they can do anything.
PREGONERO_MFA_REQUIRED_ROLES = ["jefe", "admin"]
PREGONERO_MFA_ENFORCED = env_bool("PREGONERO_MFA_ENFORCED", True)

# django-axes: lock an account + IP after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 8)
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = not TESTING or env_bool("AXES_ENABLED_IN_TESTS", False)
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"

LANGUAGE_CODE = "es-co"
LANGUAGES = [("es-co", _("Español (Colombia)")), ("es", _("Español"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Bogota"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING or DEBUG
            else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served directly: downloads go through permission checks

# Uploads: limits per kind, in bytes (configurable).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
PREGONERO_UPLOAD_LIMITS = {
    "image": env_int("PREGONERO_MAX_IMAGE_MB", 15) * 1024 * 1024,
    "video": env_int("PREGONERO_MAX_VIDEO_MB", 1024) * 1024 * 1024,
    "audio": env_int("PREGONERO_MAX_AUDIO_MB", 100) * 1024 * 1024,
    "document": env_int("PREGONERO_MAX_DOCUMENT_MB", 25) * 1024 * 1024,
    "email": env_int("PREGONERO_MAX_EMAIL_MB", 35) * 1024 * 1024,
    "captions": 2 * 1024 * 1024,
}
PREGONERO_MAX_IMAGE_PIXELS = env_int("PREGONERO_MAX_IMAGE_PIXELS", 60_000_000)

# E-mail (Django's MAILERS): SMTP from the environment; the console when no host is set.
_EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if _EMAIL_HOST:
    _MAILER: dict[str, object] = {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": _EMAIL_HOST,
            "port": env_int("EMAIL_PORT", 25),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS", False),
            "use_ssl": env_bool("EMAIL_USE_SSL", False),
            "timeout": env_int("EMAIL_TIMEOUT", 20),
        },
    }
else:
    _MAILER = {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
MAILERS = {"default": _MAILER}
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Pregonero <pregonero@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background work: django.tasks with jobs in the same database.
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "PREGONERO_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"
        ),
    }
}
PREGONERO_WORKER_HEARTBEAT_SECONDS = env_int("PREGONERO_WORKER_HEARTBEAT_SECONDS", 120)
PREGONERO_SCHEDULER_INTERVAL = env_int("PREGONERO_SCHEDULER_INTERVAL", 5)
PREGONERO_NOTIFY_MAX_ATTEMPTS = env_int("PREGONERO_NOTIFY_MAX_ATTEMPTS", 6)

# Security.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", SITE_URL.startswith("https"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_HTTPS_PROXY") else None
)
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
    },
}

# Pregonero's own knobs.
PREGONERO_URGENT_REVIEW_HOURS = env_int("PREGONERO_URGENT_REVIEW_HOURS", 4)
PREGONERO_DEFAULT_ORG = os.environ.get("PREGONERO_DEFAULT_ORG", "cvp")


# Social networks (issue 3).
# Tokens are encrypted at rest with Fernet keys. PREGONERO_TOKEN_KEYS holds one or
# more comma-separated keys: the first encrypts, all decrypt (rotation: put the new
# key first, run `pregonero channels rotate-keys`, then drop the old one).
def _token_keys() -> list[str]:
    if keys := env_list("PREGONERO_TOKEN_KEYS"):
        return keys
    path = VAR_DIR / "token_keys"
    if path.exists():
        return [k for k in path.read_text().split() if k]
    from cryptography.fernet import Fernet

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    path.write_text(key + "\n")
    path.chmod(0o600)
    return [key]


PREGONERO_TOKEN_KEYS = _token_keys()
# Training mode: every network is the local practice server at this URL.
PREGONERO_SANDBOX_URL = os.environ.get("PREGONERO_SANDBOX_URL", "").rstrip("/")
PREGONERO_TRAINING = bool(PREGONERO_SANDBOX_URL) or env_bool(
    "PREGONERO_TRAINING", False
)
# Per network: the app's OAuth client and, when needed, other endpoints or an API
# version, from PREGONERO_<NETWORK>_CLIENT_ID, _CLIENT_SECRET, _API_VERSION.
PREGONERO_NETWORKS = {
    slug: {
        "client_id": os.environ.get(f"PREGONERO_{slug.upper()}_CLIENT_ID", ""),
        "client_secret": os.environ.get(f"PREGONERO_{slug.upper()}_CLIENT_SECRET", ""),
        "api_version": os.environ.get(f"PREGONERO_{slug.upper()}_API_VERSION", ""),
    }
    for slug in ("facebook", "instagram", "x", "youtube", "linkedin", "tiktok")
}
# Meta webhooks (/webhooks/meta/): the token Meta sends when subscribing, and
# the app secret that signs each delivery (by default the Facebook app's).
PREGONERO_META_VERIFY_TOKEN = os.environ.get("PREGONERO_META_VERIFY_TOKEN", "")
PREGONERO_META_APP_SECRET = os.environ.get(
    "PREGONERO_META_APP_SECRET", PREGONERO_NETWORKS["facebook"]["client_secret"]
)
# The networks' comments, mentions and messages are read this often per channel.
PREGONERO_INBOX_POLL_MINUTES = env_int("PREGONERO_INBOX_POLL_MINUTES", 1)
# A channel that received something new in the last ACTIVE_MINUTES is read every
# ACTIVE_POLL_SECONDS (a crisis is in the Bandeja within seconds).
PREGONERO_INBOX_ACTIVE_POLL_SECONDS = env_int("PREGONERO_INBOX_ACTIVE_POLL_SECONDS", 3)
PREGONERO_INBOX_ACTIVE_MINUTES = env_int("PREGONERO_INBOX_ACTIVE_MINUTES", 15)
PREGONERO_HTTP_TIMEOUT = float(os.environ.get("PREGONERO_HTTP_TIMEOUT", "30"))
PREGONERO_HTTP_CONNECT_TIMEOUT = float(
    os.environ.get("PREGONERO_HTTP_CONNECT_TIMEOUT", "5")
)
# E-mail the channel's custodians this many days before a token expires.
PREGONERO_TOKEN_ALERT_DAYS = env_int("PREGONERO_TOKEN_ALERT_DAYS", 7)
# Refresh an access token when it has less than this left.
PREGONERO_TOKEN_REFRESH_MARGIN_SECONDS = env_int(
    "PREGONERO_TOKEN_REFRESH_MARGIN_SECONDS", 600
)
# A worker that has not beaten for this long is dead: its publication in flight
# becomes "sin confirmar" and is reconciled.
PREGONERO_WORKER_BEAT_SECONDS = float(
    os.environ.get("PREGONERO_WORKER_BEAT_SECONDS", "2")
)
PREGONERO_WORKER_DEAD_SECONDS = float(
    os.environ.get("PREGONERO_WORKER_DEAD_SECONDS", "15")
)
# A claim older than this is lost even if its worker still beats (a stuck thread).
PREGONERO_PUBLISH_CLAIM_LIMIT_SECONDS = env_int(
    "PREGONERO_PUBLISH_CLAIM_LIMIT_SECONDS", 6 * 3600
)
# Wait this long after an unknown outcome before reading the account's posts.
PREGONERO_RECONCILE_AFTER_SECONDS = float(
    os.environ.get("PREGONERO_RECONCILE_AFTER_SECONDS", "20")
)
# Publications are handed to the workers this many seconds before they are due.
PREGONERO_DISPATCH_LEAD_SECONDS = float(
    os.environ.get("PREGONERO_DISPATCH_LEAD_SECONDS", "2")
)
# Back-pressure: at most this many publications handed out and not yet taken by
# a worker. A backlog (after an outage) waits in the table, not in the queue,
# where it would slow every worker's fetch and be handed out twice.
PREGONERO_DISPATCH_MAX_QUEUED = int(
    os.environ.get("PREGONERO_DISPATCH_MAX_QUEUED", "400")
)
PREGONERO_MAX_PUBLISH_ATTEMPTS = env_int("PREGONERO_MAX_PUBLISH_ATTEMPTS", 6)
# Signed media links the networks fetch from (Instagram, Facebook file_url).
PREGONERO_MEDIA_LINK_SECONDS = env_int("PREGONERO_MEDIA_LINK_SECONDS", 6 * 3600)
