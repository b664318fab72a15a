"""Settings for lapor: one file, driven by the environment.

With nothing set (but ``DEBUG=1``, which ``make run`` and ``make test`` export) the portal runs
the embedded default: a SQLite file and Celery's filesystem broker under ``var/``, an in-process
cache and e-mail printed to the console. ``DATABASE_URL`` switches to PostgreSQL and ``REDIS_URL``
to Redis as Celery broker and cache.
"""

from __future__ import annotations

import datetime as dt
import logging.config
import os
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from lapor.lib import map_tiles
from lapor.lib.secretbox import derived_key

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

VAR_DIR = Path(env.str("LAPOR_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Only ever used with DEBUG on: local runs and the test suite.
    SECRET_KEY = "insecure-local-development-key-never-used-in-production"  # noqa: S105
# Keys that seal the secrets a message or an idempotent answer keeps until it is used
# (lapor.lib.secretbox): Fernet keys, comma-separated, the first one encrypting; by default one
# derived from SECRET_KEY.
LAPOR_MESSAGE_KEYS: tuple[str, ...] = tuple(
    key.strip() for key in env.str("LAPOR_MESSAGE_KEYS", default="").split(",") if key.strip()
) or (derived_key(SECRET_KEY),)

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_filters",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "routing",
    "complaints",
    "reports",
    "dashboard",
    "open311",
    "inbound",
    "messaging",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "lapor.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "lapor.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "dashboard.twofactor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into our lockout page.
    "axes.middleware.AxesMiddleware",
    # Its process_exception runs first: a database that cannot be reached is a 503.
    "lapor.middleware.DatabaseUnavailableMiddleware",
]

# The inbox indexes carry columns (INCLUDE) on PostgreSQL; SQLite ignores that part, as it may.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

ROOT_URLCONF = "lapor.urls"
WSGI_APPLICATION = "lapor.wsgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'lapor.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default has a web server, a worker and beat writing to one file: WAL lets
    # readers go on during a write, and IMMEDIATE transactions take the write lock up front
    # instead of failing with "database is locked" halfway through.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
elif env.bool("DATABASE_POOL", default=True):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The pool checks a connection before it lends it (one round trip): after PostgreSQL
    # restarts, a connection opened before is replaced instead of failing a request with 503.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN", default=1),
        "max_size": env.int("DATABASE_POOL_MAX", default=4),
        "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, broker --------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Every Redis client gives up quickly (seconds), so that a hung Redis never holds a request:
# what could not be published stays in the outbox for the relay.
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=2.0)
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=1.0)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="lapor"),
            "OPTIONS": {
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    # A message a worker took and never acknowledged (the worker died) goes back to the queue
    # after this long. Every task is idempotent, and no task is published with a countdown
    # longer than this (the outbox schedules its own retries), so a short timeout costs nothing.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=60),
    # A publish that cannot connect fails at once instead of retrying (the worker's own
    # connection keeps retrying: broker_connection_retry).
    "max_retries": 0,
    "interval_start": 0,
}
if not REDIS_URL:
    _queue_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
        # Its exchange table, under var/ too (by default a "control" folder wherever the
        # process was started).
        "control_folder": str(VAR_DIR / "celery" / "control"),
    }
    # The filesystem broker fails on a folder that does not exist yet.
    for _folder in (_queue_dir, VAR_DIR / "celery" / "processed", VAR_DIR / "celery" / "control"):
        _folder.mkdir(parents=True, exist_ok=True)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_IGNORE_RESULT = True
# E-mail tasks go to their own queue (lapor/celery.py), consumed by a worker of their own.
LAPOR_MAIL_QUEUE = env.str("LAPOR_MAIL_QUEUE", default="mail")
# Publishing gives up at the first failure (lapor.queue): the row stays in the outbox and beat's
# relay publishes it; after a failure a process does not try the broker again for a few seconds.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fix-up closes every database connection around every task, and in a prefork
# worker it closes psycopg's whole pool too: a new PostgreSQL session per task. Ours gives the
# connection back to the pool after each task instead (lapor/celery.py), and the fix-up's own
# closing happens only after this many tasks.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=10_000)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Jakarta"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")

# --- Auth -----------------------------------------------------------------------------------
# --- Staff login -----------------------------------------------------------------------------
# django-axes counts failed logins (in the database, so the count survives restarts and is the
# same for every process). After AXES_FAILURE_LIMIT wrong passwords for one account from one
# address, that pair waits AXES_COOLOFF_TIME: a delay for the guesser, while the owner at
# another address (and every other account behind the same address) logs in as before.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LAPOR_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("LAPOR_LOGIN_LOCKOUT_MINUTES", default=5))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "lapor.client.axes_client_ip"
AXES_USERNAME_CALLABLE = "lapor.client.axes_username"
AXES_LOCKOUT_CALLABLE = "dashboard.views.locked_out"
AXES_VERBOSE = False
# Two-step sign-in (dashboard/twofactor.py): required for the admin, coordinators and whoever
# may reveal a reporter; for OPD officers too with LAPOR_2FA_FOR_OFFICERS. LAPOR_2FA=0 turns it
# off everywhere: for the test suite's other tests, never for a deployment.
LAPOR_2FA = env.bool("LAPOR_2FA", default=True)
LAPOR_2FA_FOR_OFFICERS = env.bool("LAPOR_2FA_FOR_OFFICERS", default=False)
OTP_TOTP_ISSUER = "LAPOR"
LOGIN_URL = "dashboard:login"
LOGIN_REDIRECT_URL = "dashboard:inbox"
LOGOUT_REDIRECT_URL = "dashboard:login"
# Staff sessions end when the browser closes and after 8 hours at most.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = 8 * 3600

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Jakarta"
USE_TZ = True

# --- Static files and uploads ---------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    # Attachments are private: there is no MEDIA_URL, each file is served by a view that checks
    # who is asking.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}
# With DEBUG (local runs, tests) static files are served straight from the apps' folders;
# in production from STATIC_ROOT, filled by `collectstatic`.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
FILE_UPLOAD_TEMP_DIR = env.str("FILE_UPLOAD_TEMP_DIR", default=None)
# Five attachments of 10 MB each plus the form: anything far beyond is refused before parsing.
DATA_UPLOAD_MAX_NUMBER_FILES = 20

# --- E-mail ---------------------------------------------------------------------------------
# With DEBUG off the backend must be chosen: the console backend (the default under DEBUG) would
# write every private link into the worker's log, and an SMTP backend needs its EMAIL_HOST.
# The dummy backend (nothing sent) is an explicit choice for benchmarks.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="")
if not EMAIL_BACKEND and DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
if not DEBUG:
    if EMAIL_BACKEND in ("", "django.core.mail.backends.console.EmailBackend"):
        raise ImproperlyConfigured(
            "Set EMAIL_BACKEND (and EMAIL_HOST…) when DEBUG is off: private links must not "
            "go to the log."
        )
    if EMAIL_BACKEND.endswith("smtp.EmailBackend") and "EMAIL_HOST" not in os.environ:
        raise ImproperlyConfigured("Set EMAIL_HOST for the SMTP e-mail backend.")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# An SMTP exchange gives up well within the outbox lease, so a hung mail server never lets a
# second worker take the same message while the first is still sending it.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="LAPOR <noreply@lapor.localhost>")
# The absolute address of the portal, for links in e-mails ("https://lapor.example.go.id").
LAPOR_BASE_URL = env.str("LAPOR_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Maps -----------------------------------------------------------------------------------
# The tile server the maps draw on (a Leaflet URL template: {z}/{x}/{y}, and {s} for a
# subdomain) and the attribution its licence requires, shown on every map (HTML: a link is
# allowed). The server's origin is added to the policy's img-src below (lapor.lib.map_tiles).
# OpenStreetMap's own server is for light use (operations.osmfoundation.org/policies/tiles/):
# a busy portal points this at its own tile server or a provider's.
LAPOR_MAP_TILE_URL = env.str(
    "LAPOR_MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)
LAPOR_MAP_ATTRIBUTION = env.str(
    "LAPOR_MAP_ATTRIBUTION",
    default='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)
try:
    _map_tile_origin = map_tiles.tile_origin(LAPOR_MAP_TILE_URL)
except ValueError as exc:
    raise ImproperlyConfigured(f"LAPOR_MAP_TILE_URL: {exc}") from None
_map_img_src = [_map_tile_origin] if _map_tile_origin else []

# --- Similar reports (complaints.similar) ---------------------------------------------------
# How many days back the form's suggestions look (and the staff's possible duplicates, either
# side of the report's date).
LAPOR_SIMILAR_DAYS = env.int("LAPOR_SIMILAR_DAYS", default=90)

# --- Security -------------------------------------------------------------------------------
_secure_cookies = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = _secure_cookies
CSRF_COOKIE_SECURE = _secure_cookies
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# The private link carries a secret in its path: never hand it to another site as a Referer.
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every page loads its scripts, styles, fonts and images from the portal itself: no inline
# script, no other site (tests/browser/test_csp_browser.py opens the pages and listens for
# violations). A file served to staff or a reporter keeps its own, stricter policy (sandbox).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *_map_img_src],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
CSRF_FAILURE_VIEW = "lapor.errors.csrf_failure"
# Behind a TLS-terminating proxy (nginx in docker-compose.yml): plain HTTP is redirected to
# HTTPS, and browsers are told to use HTTPS only (HSTS) for a year, this host's subdomains
# included, and may preload it; LAPOR_HSTS_* turn the parts off.
_behind_tls = env.bool("BEHIND_TLS_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _behind_tls else None
SECURE_SSL_REDIRECT = _behind_tls
SECURE_HSTS_SECONDS = env.int("LAPOR_HSTS_SECONDS", default=31_536_000) if _behind_tls else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("LAPOR_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("LAPOR_HSTS_PRELOAD", default=True)

# --- REST framework and OpenAPI -------------------------------------------------------------
# API tokens (django-rest-knox, "Authorization: Token …"): issued in the admin, shown once, kept
# as a SHA-512 digest, valid for LAPOR_API_TOKEN_DAYS unless the admin gives fewer.
LAPOR_API_TOKEN_DAYS = env.int("LAPOR_API_TOKEN_DAYS", default=90)
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(days=LAPOR_API_TOKEN_DAYS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "lapor.errors.api_exception_handler",
    # Public endpoints set their own (none); the staff API takes a token or the session.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["lapor.throttling.ApiRateThrottle"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LAPOR API",
    "DESCRIPTION": (
        "File a report about a public service and follow it. Reports are routed down the "
        "hierarchy national, province, regency/city, agency (OPD)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    # Without deep links: with them each operation's summary (a button) holds a link, a control
    # inside a control that a keyboard or a screen reader cannot use (axe-core: nested-interactive).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "lapor.schema.add_throttled_response",
    ],
    "ENUM_NAME_OVERRIDES": {
        "AgencyLevelEnum": "routing.models.Agency.Level",
        "DispositionKindEnum": "complaints.models.Disposition.Kind",
        "ComplaintKindEnum": "complaints.models.Complaint.Kind",
        "RegionLevelEnum": "routing.models.Region.Level",
    },
}

# --- Logging --------------------------------------------------------------------------------
# Request bodies and reporter details are never logged; see complaints.views for the
# sensitive_post_parameters markers that keep them out of error reports too.
# The private link's secret is cut out of every line, runserver's request log included.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_keys": {"()": "lapor.logging.RedactAccessKeys"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_keys"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_keys"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}
# Applied here instead of through Django's defaults, whose handlers would print unredacted.
LOGGING_CONFIG = None
logging.config.dictConfig(LOGGING)

# --- lapor ----------------------------------------------------------------------------------
LAPOR_MAX_ATTACHMENTS = env.int("LAPOR_MAX_ATTACHMENTS", default=5)
LAPOR_MAX_ATTACHMENT_BYTES = env.int("LAPOR_MAX_ATTACHMENT_MB", default=10) * 1024 * 1024
# Decoding an image takes about 4 bytes a pixel: 40 megapixels is a 160 MB bitmap at most.
LAPOR_MAX_IMAGE_PIXELS = env.int("LAPOR_MAX_IMAGE_PIXELS", default=40_000_000)
# What checking the files of one submission may cost, all together (lapor.lib.uploads): the
# pixels decoded (images and PDF pages), the pages of one PDF, and the CPU seconds and memory
# of the child process that rebuilds them.
LAPOR_MAX_UPLOAD_PIXELS = env.int("LAPOR_MAX_UPLOAD_PIXELS", default=100_000_000)
LAPOR_MAX_PDF_PAGES = env.int("LAPOR_MAX_PDF_PAGES", default=20)
LAPOR_UPLOAD_CPU_SECONDS = env.int("LAPOR_UPLOAD_CPU_SECONDS", default=10)
LAPOR_UPLOAD_MEMORY_MB = env.int("LAPOR_UPLOAD_MEMORY_MB", default=1024)
# Larger request bodies are refused before they are read (all attachments plus 1 MB of form).
LAPOR_MAX_REQUEST_BYTES = LAPOR_MAX_ATTACHMENTS * LAPOR_MAX_ATTACHMENT_BYTES + 1024 * 1024
# Files that passed their checks on a report form that came back with errors are held (cleaned,
# in MEDIA_ROOT/held/, never served) for this long, so that the citizen need not choose them
# again (complaints.held_uploads); beat deletes what is left after that.
LAPOR_HELD_UPLOAD_MINUTES = env.int("LAPOR_HELD_UPLOAD_MINUTES", default=60)
# Submissions per client address, "<count>/<s|m|h|d>"; form and API share the budget.
LAPOR_SUBMIT_RATE = env.str("LAPOR_SUBMIT_RATE", default="20/h")
# Reports looked up by tracking number per client address (web, API and Open311 together).
LAPOR_LOOKUP_RATE = env.str("LAPOR_LOOKUP_RATE", default="60/h")
# Supports (dukungan) per client address, over all reports.
LAPOR_SUPPORT_RATE = env.str("LAPOR_SUPPORT_RATE", default="60/h")
# Requests to e-mail a private link (a new one from the tracking page, or the receipt's), per
# client address and, separately, per report: each may send an e-mail and replace a link.
LAPOR_PRIVATE_LINK_RATE = env.str("LAPOR_PRIVATE_LINK_RATE", default="5/h")
# Reports by e-mail (``inbound``): the address the listener takes new reports for, and the
# listener's address and limits. Replies come to "<local>+r.<token>@<domain>", the per-report
# reply address of every e-mail the reporter gets (empty: no reply address, no e-mail door).
LAPOR_INBOUND_ADDRESS = env.str("LAPOR_INBOUND_ADDRESS", default="lapor@localhost")
LAPOR_SMTP_HOST = env.str("LAPOR_SMTP_HOST", default="127.0.0.1")
LAPOR_SMTP_PORT = env.int("LAPOR_SMTP_PORT", default=2525)
# "lmtp" for a mail server that delivers by LMTP (Postfix's lmtp transport), else "smtp".
LAPOR_SMTP_PROTOCOL = env.str("LAPOR_SMTP_PROTOCOL", default="smtp")
# A message larger than this is refused at the door (the SMTP SIZE extension says so first).
LAPOR_INBOUND_MAX_BYTES = env.int("LAPOR_INBOUND_MAX_BYTES", default=20 * 1024 * 1024)
# Messages one sender may send in a window; more are refused, counted and logged.
LAPOR_INBOUND_SENDER_RATE = env.str("LAPOR_INBOUND_SENDER_RATE", default="10/h")
# Reports by SMS and WhatsApp (``messaging``): each channel is off unless configured. SMS goes
# through Kannel: its smsbox delivers incoming messages to /kanal/sms/ with the shared secret
# (from these addresses only), and the portal sends through its sendsms interface.
LAPOR_KANNEL_SENDSMS_URL = env.str("LAPOR_KANNEL_SENDSMS_URL", default="")
LAPOR_KANNEL_USERNAME = env.str("LAPOR_KANNEL_USERNAME", default="")
LAPOR_KANNEL_PASSWORD = env.str("LAPOR_KANNEL_PASSWORD", default="")
# The number the portal's SMS come from (a short code such as 1708), when the SMSC allows it.
LAPOR_SMS_FROM = env.str("LAPOR_SMS_FROM", default="")
LAPOR_SMS_SECRET = env.str("LAPOR_SMS_SECRET", default="")
LAPOR_SMS_ALLOWED_IPS = env.list("LAPOR_SMS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
LAPOR_SMS_BACKEND = env.str(
    "LAPOR_SMS_BACKEND",
    default="messaging.kannel.KannelBackend" if LAPOR_KANNEL_SENDSMS_URL else "",
)
# An SMS the portal sends is cut to this many characters (three concatenated parts of GSM
# text), with a link to the rest.
LAPOR_SMS_MAX_LENGTH = env.int("LAPOR_SMS_MAX_LENGTH", default=459)
# The demo phone (/demo/ponsel/, demo.phone): a page that plays a citizen's phone, its SMS
# taken by the conversation engine and the replies written to var/demo-phone/ by
# demo.phone.DemoPhoneBackend. `make run` turns it on; off (404) everywhere else.
LAPOR_DEMO_PHONE = env.bool("LAPOR_DEMO_PHONE", default=False)
# WhatsApp through the WhatsApp Business Cloud API: the webhook's verify token, the app secret
# that signs every delivery, the access token and the Graph API's address for sending, the
# business phone number's id, and the approved template (one body parameter) sent when the
# citizen last wrote more than 24 hours ago.
LAPOR_WHATSAPP_VERIFY_TOKEN = env.str("LAPOR_WHATSAPP_VERIFY_TOKEN", default="")
LAPOR_WHATSAPP_APP_SECRET = env.str("LAPOR_WHATSAPP_APP_SECRET", default="")
LAPOR_WHATSAPP_TOKEN = env.str("LAPOR_WHATSAPP_TOKEN", default="")
LAPOR_WHATSAPP_GRAPH_URL = env.str(
    "LAPOR_WHATSAPP_GRAPH_URL", default="https://graph.facebook.com/v21.0"
)
LAPOR_WHATSAPP_PHONE_NUMBER_ID = env.str("LAPOR_WHATSAPP_PHONE_NUMBER_ID", default="")
LAPOR_WHATSAPP_TEMPLATE = env.str("LAPOR_WHATSAPP_TEMPLATE", default="lapor_kabar")
LAPOR_WHATSAPP_TEMPLATE_LANGUAGE = env.str("LAPOR_WHATSAPP_TEMPLATE_LANGUAGE", default="id")
LAPOR_WHATSAPP_BACKEND = env.str(
    "LAPOR_WHATSAPP_BACKEND",
    default="messaging.whatsapp.CloudApiBackend" if LAPOR_WHATSAPP_TOKEN else "",
)
# Messages one phone number may send in a window (more are dropped, counted and logged), and
# reports it may file.
LAPOR_PHONE_SENDER_RATE = env.str("LAPOR_PHONE_SENDER_RATE", default="30/h")
LAPOR_PHONE_REPORT_RATE = env.str("LAPOR_PHONE_REPORT_RATE", default="5/d")
# Receipts and updates one number may be sent (it did not ask for them by writing): a number
# typed into someone else's report on the web is not flooded.
LAPOR_PHONE_NOTICE_RATE = env.str("LAPOR_PHONE_NOTICE_RATE", default="20/d")
# A guided conversation not finished in this many minutes is forgotten, with what it held.
LAPOR_CONVERSATION_MINUTES = env.int("LAPOR_CONVERSATION_MINUTES", default=120)
# How many days back an officer may date a report brought to their office (never into a month
# whose recap is built).
LAPOR_STAFF_ENTRY_DAYS_BACK = env.int("LAPOR_STAFF_ENTRY_DAYS_BACK", default=14)
# Requests to /api/v1/ per signed-in user and, without one, per address (lapor.throttling).
LAPOR_API_USER_RATE = env.str("LAPOR_API_USER_RATE", default="600/m")
LAPOR_API_ADDRESS_RATE = env.str("LAPOR_API_ADDRESS_RATE", default="120/m")
# Quarterly evaluation: a regency/city that received fewer reports in the quarter is not ranked.
LAPOR_EVALUATION_MIN_REPORTS = env.int("LAPOR_EVALUATION_MIN_REPORTS", default=20)
# How many reverse proxies in front of the portal append to X-Forwarded-For (0: trust none).
LAPOR_TRUSTED_PROXY_COUNT = env.int("LAPOR_TRUSTED_PROXY_COUNT", default=0)
# The outbox (complaints.outbox): a row its request could not publish is published by beat's
# relay after the grace; one published but not taken by any worker for the republish time (a
# broker that lost it) is published again; a worker's claim on a row lasts the lease, after
# which another worker may take it (the first one died). A failed attempt is tried again after
# a backoff, and after the last attempt the row goes to the dead-letter list.
LAPOR_OUTBOX_GRACE_SECONDS = env.int("LAPOR_OUTBOX_GRACE_SECONDS", default=5)
LAPOR_OUTBOX_REPUBLISH_SECONDS = env.int("LAPOR_OUTBOX_REPUBLISH_SECONDS", default=120)
LAPOR_OUTBOX_LEASE_SECONDS = env.int("LAPOR_OUTBOX_LEASE_SECONDS", default=40)
LAPOR_OUTBOX_MAX_ATTEMPTS = env.int("LAPOR_OUTBOX_MAX_ATTEMPTS", default=8)
# An idempotent submission's first answer is given again for the same key for this long.
LAPOR_IDEMPOTENCY_HOURS = env.int("LAPOR_IDEMPOTENCY_HOURS", default=24)
# Open311 GeoReport v2: the one jurisdiction_id this server answers for (absent is fine too).
LAPOR_OPEN311_JURISDICTION = env.str("LAPOR_OPEN311_JURISDICTION", default="lapor")
