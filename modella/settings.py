"""Modella settings: one file, driven by environment variables (see README "Configuration").

Every variable has a default that needs no setup (SQLite and the ORM broker inside
MODELLA_DATA_DIR). Bad values fail loudly at start-up rather than being guessed at.
"""

import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VERSION = "0.2.0"


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def envint(name: str, default: int, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


# --- Paths -------------------------------------------------------------------------------------
DATA_DIR = Path(envstr("MODELLA_DATA_DIR", str(BASE_DIR / "data"))).resolve()
MODELS_DIR = Path(envstr("MODELLA_MODELS_DIR", str(DATA_DIR / "models"))).resolve()
# Refuse file names Windows reserves (CON, NUL, COM1, ...): the models folder may be shared with Windows.
WINDOWS_SAFE_NAMES = envbool("MODELLA_WINDOWS_SAFE_NAMES", True)

# --- Core ----------------------------------------------------------------------------------------
DEBUG = envbool("MODELLA_DEBUG", True)
SECRET_KEY = envstr("MODELLA_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("MODELLA_SECRET_KEY must be set when MODELLA_DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-set-MODELLA_SECRET_KEY-in-production"
ALLOWED_HOSTS = [h.strip() for h in envstr("MODELLA_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in envstr("MODELLA_CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]

INSTALLED_APPS = [
    "modella",
    "catalog",
    "downloads",
    "storage",
    "lists",
    "links",
    "webhooks",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "django_htmx",
    "template_partials",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "modella.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "modella.security.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "modella.middleware.FirstRunMiddleware",
    "modella.middleware.UserLanguageMiddleware",
]

ROOT_URLCONF = "modella.urls"
WSGI_APPLICATION = "modella.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
                "modella.context_processors.site",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------------
# SQLite is shared by the web process, the Django-Q2 workers and the ORM broker. WAL lets readers
# work beside the one writer, IMMEDIATE transactions take the write lock up front (no deadlock
# upgrade from a read lock), and the timeout makes a busy writer wait instead of failing at once
# with "database is locked".
DATABASE_URL = envstr("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "modella.sqlite3",
            # A file, not :memory:, so that Django-Q2 worker processes forked by tests share it;
            # one per test run, so that two runs at once do not share it.
            "TEST": {"NAME": str(DATA_DIR / f"test-modella-{os.getpid()}.sqlite3")},
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
            },
        }
    }

# --- Cache ---------------------------------------------------------------------------------------
REDIS_URL = envstr("MODELLA_REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "modella"}}

# --- Background work (Django-Q2) -----------------------------------------------------------------
MAX_CONCURRENT_DOWNLOADS = envint("MODELLA_MAX_CONCURRENT_DOWNLOADS", 2, minimum=1)
# A download task may run for hours. Django-Q2's `retry` is the broker's visibility timeout: a task
# not acknowledged within `retry` seconds is handed to another worker while the first still runs.
# So `retry` must exceed `timeout` (the hard per-task ceiling), or one long download would be run
# twice. Modella does not rely on this alone: each job also holds its own lease on the DownloadJob
# row (downloads.queue), so a redelivered task finds the live lease and exits. A task that hits the
# ceiling is not lost either: its lease lapses and the recovery schedule resumes it from its offset.
# `max_attempts` stops a failing task from being redelivered forever; application-level retries
# with backoff happen inside the task. `catch_up=False`: schedules skip missed slots after downtime
# instead of replaying them in a burst.
Q_TASK_TIMEOUT = envint("MODELLA_TASK_TIMEOUT", 6 * 3600, minimum=60)
Q_CLUSTER = {
    "name": "modella",
    "workers": envint("MODELLA_WORKERS", MAX_CONCURRENT_DOWNLOADS + 1, minimum=1),
    "timeout": Q_TASK_TIMEOUT,
    "retry": Q_TASK_TIMEOUT + 600,
    "max_attempts": 2,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 200,
    "queue_limit": 4,
    "recycle": 200,
    "label": "Django Q",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 1.0  # fewer empty SELECTs against SQLite than the 0.2 s default

# --- Hubs ----------------------------------------------------------------------------------------
HF_ENDPOINT = envstr("MODELLA_HF_ENDPOINT", "https://huggingface.co").rstrip("/")
CIVITAI_ENDPOINT = envstr("MODELLA_CIVITAI_ENDPOINT", "https://civitai.com").rstrip("/")
HF_TOKEN = envstr("MODELLA_HF_TOKEN")
CIVITAI_TOKEN = envstr("MODELLA_CIVITAI_TOKEN")
# Hosts a download may be redirected to, besides the configured endpoints' own hosts.
DOWNLOAD_HOSTS = [
    h.strip()
    for h in envstr(
        "MODELLA_DOWNLOAD_HOSTS",
        "*.hf.co,*.huggingface.co,*.civitai.com,*.civitai.red,*.r2.cloudflarestorage.com",
    ).split(",")
    if h.strip()
]
HUB_TIMEOUT = envint("MODELLA_HUB_TIMEOUT", 20, minimum=1)
# The circuit breaker per hub (modella.health): after this many failures in a row the hub counts as
# down and is left alone for HUB_RETRY_SECONDS (doubling while it stays down, at most 30 minutes).
HUB_FAILURE_THRESHOLD = envint("MODELLA_HUB_FAILURE_THRESHOLD", 3, minimum=1)
HUB_RETRY_SECONDS = envint("MODELLA_HUB_RETRY_SECONDS", 180, minimum=1)

# --- Downloads -----------------------------------------------------------------------------------
STORAGE_RESERVE_BYTES = envint("MODELLA_STORAGE_RESERVE_BYTES", 1024**3, minimum=0)
STALL_SECONDS = envint("MODELLA_STALL_SECONDS", 30, minimum=1)
DOWNLOAD_CONNECTIONS = envint("MODELLA_DOWNLOAD_CONNECTIONS", 4, minimum=1)
PARALLEL_THRESHOLD_BYTES = envint("MODELLA_PARALLEL_THRESHOLD_BYTES", 256 * 1024**2, minimum=1)
HISTORY_DAYS = envint("MODELLA_HISTORY_DAYS", 90, minimum=1)
SNAPSHOT_MINUTES = envint("MODELLA_SNAPSHOT_MINUTES", 60, minimum=1)

# --- Will it fit (catalog.fit, modella.hardware) --------------------------------------------------
# Unset: detected (/proc/meminfo, nvidia-smi). Set: used instead (e.g. a container's memory limit);
# MODELLA_GPU_BYTES=0 means "no GPU".
RAM_BYTES = envint("MODELLA_RAM_BYTES", None, minimum=1)
GPU_BYTES = envint("MODELLA_GPU_BYTES", None, minimum=0)
FIT_CONTEXT = envint("MODELLA_FIT_CONTEXT", 4096, minimum=1)
# Read the GGUF header of a repository not downloaded yet (a Range request on its first bytes, in the
# background after a fetch), so every GGUF variant gets a fit estimate before any download.
FIT_REMOTE_HEADERS = envbool("MODELLA_FIT_REMOTE_HEADERS", True)
# Uploads from the browser or the API (storage.uploads): the largest file accepted, and the chunk
# size the browser sends (each chunk is streamed to disk, never held in memory).
UPLOAD_MAX_BYTES = envint("MODELLA_UPLOAD_MAX_BYTES", 512 * 1024**3, minimum=1)
UPLOAD_CHUNK_BYTES = envint("MODELLA_UPLOAD_CHUNK_BYTES", 8 * 1024**2, minimum=64 * 1024)

# --- Auth ----------------------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_MAX_FAILURES = envint("MODELLA_LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_LOCKOUT_SECONDS = envint("MODELLA_LOGIN_LOCKOUT_SECONDS", 15 * 60, minimum=60)
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- API -----------------------------------------------------------------------------------------
# Writes (POST/PATCH/PUT/DELETE) per user, e.g. "600/minute"; empty turns throttling off.
API_WRITE_RATE = envstr("MODELLA_API_WRITE_RATE", "600/minute")
if API_WRITE_RATE and not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", API_WRITE_RATE):
    raise ImproperlyConfigured(f"MODELLA_API_WRITE_RATE must look like 600/minute, got {API_WRITE_RATE!r}")
REST_FRAMEWORK = {
    # Token first: an anonymous client gets 401 with `WWW-Authenticate: Token` rather than 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["modella.drf.WriteRateThrottle"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "modella.drf.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "modella.drf.exception_handler",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Modella API",
    "DESCRIPTION": "Find, download and manage AI model files from Hugging Face and Civitai.",
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from the installed sidecar package: Modella must work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema and the docs need a signed-in user, like every other endpoint.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "modella.drf.postprocess_schema"],
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Internationalisation ------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("de", _("German")),
    ("ru", _("Russian")),
    ("zh-hans", _("Simplified Chinese")),
    ("ja", _("Japanese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# --- Static files --------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(envstr("MODELLA_STATIC_ROOT", str(DATA_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security (production values when DEBUG is off) ----------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = envbool("MODELLA_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = envbool("MODELLA_SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = envbool("MODELLA_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("MODELLA_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging -------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("MODELLA_LOG_LEVEL", "INFO")},
    "loggers": {
        # urllib3 logs full request URLs at DEBUG; a Civitai ?token= must never reach a log.
        "urllib3": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
    },
}

DATA_DIR.mkdir(parents=True, exist_ok=True)
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request when it is missing
