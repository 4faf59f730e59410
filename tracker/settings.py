"""Settings, all from the environment (see README, "Configuration"). Defaults run the embedded service:
SQLite in var/, mail written to var/outbox/ as .eml files."""

import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from notices import vocab
from tracker import env

LANGUAGE_NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}  # each in its own language

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.string("TRACKER_VAR_DIR", str(BASE_DIR / "var")))
# The publishers' own files (schemas, rules, labels, API descriptions), read where a checkout keeps them.
_SHARED = BASE_DIR.parent / "shared"

DEBUG = env.boolean("DEBUG", False)
# SECRET_KEY from the environment; the embedded default keeps a random one in var/secret_key.
SECRET_KEY = env.string("SECRET_KEY") or env.local_secret(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env.strings("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env.strings("CSRF_TRUSTED_ORIGINS")
SITE_URL = env.string("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # /api/docs loads Swagger UI from ninja's own static files, never from a CDN: works offline
    "notices",
    "scheduler",
]

MIDDLEWARE = [
    "tracker.request_ids.RequestIdMiddleware",  # first: every later step and log line knows the request's id
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {"default": env.database(env.string("DATABASE_URL"), str(VAR_DIR / "tracker.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The lists' indexes carry the id for PostgreSQL (INCLUDE, notices/models.py); SQLite's indexes hold the
# row id anyway, so its warning that INCLUDE columns are ignored says nothing to act on.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGES = [(code, LANGUAGE_NAMES[code]) for code in vocab.LANGUAGES]
LANGUAGE_CODE = vocab.LANGUAGES[0]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["tracker.formats"]  # English dates as 13 Dec 2026, 15:00 (tracker/formats/en)
TIME_ZONE = vocab.HELSINKI.key
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# Mail: SMTP when EMAIL_HOST is set, otherwise .eml files in var/outbox a person can open.
EMAIL_HOST = env.string("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env.integer("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env.string("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env.string("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env.boolean("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env.integer("EMAIL_TIMEOUT", 15)
else:
    EMAIL_BACKEND = "tracker.mail.EmlBackend"  # one RFC 5322 .eml file per message
    EMAIL_FILE_PATH = env.string("EMAIL_FILE_PATH", str(VAR_DIR / "outbox"))
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "Hankintavahti <reminders@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("Operator", a) for a in env.strings("ADMINS")]

# Ingest from URLs: timeouts, retries, a size cap, and no private or loopback hosts unless allowed.
INGEST_MAX_BYTES = env.integer("INGEST_MAX_BYTES", 20 * 1024 * 1024)
INGEST_TIMEOUT = env.integer("INGEST_TIMEOUT", 20)
INGEST_RETRIES = env.integer("INGEST_RETRIES", 3)
INGEST_ALLOW_PRIVATE_HOSTS = env.boolean("INGEST_ALLOW_PRIVATE_HOSTS", False)
INGEST_USER_AGENT = env.string(
    "INGEST_USER_AGENT", "procurement-tracker/0.1 (+https://github.com/; notice tracker)"
)

# Production hardening (python manage.py check --deploy passes with DEBUG off and these on).
SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env.boolean("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.boolean("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env.boolean("SECURE_HSTS_PRELOAD", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.boolean("BEHIND_PROXY", False) else None
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tracker.request_ids.RequestIdFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", "INFO")},
}

# --- Deadline reminders (scheduler app; see scheduler/dispatch.py and scheduler/api.py) ---------------
SCHEDULER_BATCH_SIZE = env.integer("SCHEDULER_BATCH_SIZE", 100)  # rows claimed at once
SCHEDULER_MAX_ATTEMPTS = env.integer("SCHEDULER_MAX_ATTEMPTS", 8)  # SMTP attempts before "failed"
SCHEDULER_RETRY_BASE = env.integer("SCHEDULER_RETRY_BASE", 60)  # seconds; doubles per attempt
SCHEDULER_RETRY_MAX = env.integer("SCHEDULER_RETRY_MAX", 3600)
SCHEDULER_STUCK_AFTER = env.integer("SCHEDULER_STUCK_AFTER", 300)  # "sending" longer than this: recovered
SCHEDULER_SEND_MARGIN = env.integer("SCHEDULER_SEND_MARGIN", 10)  # never handed to SMTP later than this
SCHEDULER_RATE_PER_ADDRESS = env.integer("SCHEDULER_RATE_PER_ADDRESS", 5)  # confirmations per address/day
SCHEDULER_RATE_PER_IP = env.integer("SCHEDULER_RATE_PER_IP", 20)  # anonymous subscriptions per IP/hour
SCHEDULER_OUTAGE_BACKOFF = env.integer("SCHEDULER_OUTAGE_BACKOFF", 5)  # seconds a sender waits when SMTP is down..
SCHEDULER_OUTAGE_BACKOFF_MAX = env.integer("SCHEDULER_OUTAGE_BACKOFF_MAX", 60)  # ..doubling up to this
SCHEDULER_CONFIRM_MAX_AGE = env.integer("SCHEDULER_CONFIRM_MAX_AGE", 7 * 24 * 3600)  # confirmation link, seconds
SCHEDULER_SEND_CONFIRMATION_NOW = env.boolean("SCHEDULER_SEND_CONFIRMATION_NOW", True)  # false: the next tick
SCHEDULER_ATTACH_PDF = env.boolean("SCHEDULER_ATTACH_PDF", True)  # attach the notice's PDF summary to mails
SCHEDULER_JOB_HOOKS = env.strings("SCHEDULER_JOB_HOOKS")  # dotted paths of register(scheduler) functions

# --- Alerts: saved searches mailed as digests (scheduler/alerts.py, matching.py, alertmail.py) --------
ALERTS_MAX_AGE_DAYS = env.integer("ALERTS_MAX_AGE_DAYS", 14)  # notices published longer ago are not announced
ALERTS_DIGEST_MAX = env.integer("ALERTS_DIGEST_MAX", 20)  # notices listed in one digest, then "N more"
ALERTS_MATCH_TICK = env.integer("ALERTS_MATCH_TICK", 5)  # seconds between the matcher's looks at the queue
ALERTS_MATCH_BATCH = env.integer("ALERTS_MATCH_BATCH", 500)  # stored changes matched in one transaction
ALERTS_MATCH_LEASE = env.integer("ALERTS_MATCH_LEASE", 120)  # seconds a matcher holds a batch it claimed
# runscheduler's matcher waits until no change was queued for ALERTS_MATCH_QUIET seconds (notices being
# stored in bulk keep the cores and SQLite's one write lock), but a change never waits over MAX_WAIT.
ALERTS_MATCH_QUIET = env.integer("ALERTS_MATCH_QUIET", 2)
ALERTS_MATCH_MAX_WAIT = env.integer("ALERTS_MATCH_MAX_WAIT", 60)

# --- REST API (notices/api/, notices/search.py) ------------------------------------
API_COUNT_CAP = env.integer("API_COUNT_CAP", 1_000)  # list counts are exact up to this, then capped
# The eForms SDK's code labels (code_fi.xml, code_sv.xml, code_en.xml): CPV and NUTS names for the pages,
# PDFs, feeds and mails, loaded into the database by `manage.py load_code_labels`.
CODE_LABELS_DIR = env.string(
    "CODE_LABELS_DIR", str(BASE_DIR.parent / "shared" / "corpus" / "eforms-sdk-1.15.1" / "translations")
)
API_AUTH_FAILURES = env.integer("API_AUTH_FAILURES", 20)  # bad tokens per client address... (0: no limit)
API_AUTH_FAILURE_WINDOW = env.integer("API_AUTH_FAILURE_WINDOW", 600)  # ...in this many seconds, then 429

# --- Scheduled sources (notices/polling/: runscheduler and manage.py poll) -------------------------
TED_API_URL = env.string("TED_API_URL", "https://api.ted.europa.eu").rstrip("/")  # POST {}/v3/notices/search
TED_API_VERSION = env.string("TED_API_VERSION", "v3")  # the search path's version: /v3/notices/search
TED_SCOPE = env.string("TED_SCOPE", "ALL")  # ALL: every notice; ACTIVE (TED's default) only active ones
TED_API_SPEC = env.string(  # TED's OpenAPI description (YAML): checks a saved query's field names
    "TED_API_SPEC", str(_SHARED / "realapi" / "ted-api-v3.yaml")
)
if not re.fullmatch(r"v[0-9]+", TED_API_VERSION):
    raise ImproperlyConfigured(f"TED_API_VERSION must be v3, v4...; not {TED_API_VERSION!r}")
if TED_SCOPE not in ("ALL", "ACTIVE", "LATEST"):
    raise ImproperlyConfigured(f"TED_SCOPE must be ALL, ACTIVE or LATEST, not {TED_SCOPE!r}")
TED_NOTICE_XML_URL = env.string(  # a notice's XML when a search result carries no links.xml
    "TED_NOTICE_XML_URL", "https://ted.europa.eu/en/notice/{publication_number}/xml"
)
HILMA_API_URL = env.string("HILMA_API_URL", "https://api.hankintailmoitukset.fi").rstrip("/")
HILMA_API_KEY = env.string("HILMA_API_KEY")  # sent as Ocp-Apim-Subscription-Key
POLL_USER_AGENT = env.string("POLL_USER_AGENT", INGEST_USER_AGENT)
POLL_TICK = env.integer("POLL_TICK", 30)  # seconds between the scheduler's looks for due sources
POLL_LEASE = env.integer("POLL_LEASE", 900)  # seconds a poll holds its source (a crashed poller's runs out)
POLL_STALE_FACTOR = env.integer("POLL_STALE_FACTOR", 3)  # unhealthy after this many intervals without success
POLL_MAX_RETRY_WAIT = env.integer("POLL_MAX_RETRY_WAIT", 30)  # a longer Retry-After ends the poll instead
POLL_LOOKBACK_DAYS = env.integer("POLL_LOOKBACK_DAYS", 7)  # how far back a new TED/Hilma source starts
POLL_PAGE_SIZE = env.integer("POLL_PAGE_SIZE", 100)  # search results per request (TED allows 250)
POLL_MAX_PAGES = env.integer("POLL_MAX_PAGES", 100)  # search pages per poll
POLL_FOLLOW_LINKS = env.integer("POLL_FOLLOW_LINKS", 20)  # a buyer's list page: detail pages read per poll
POLL_SOURCES = env.boolean("POLL_SOURCES", True)  # false: runscheduler does not poll (manage.py poll still does)

# --- PDF summaries (notices/pdf/) -------------------------------------------------------------------
PDF_CACHE_DIR = env.string("PDF_CACHE_DIR", str(VAR_DIR / "cache" / "pdf"))  # rendered summaries, per host
PDF_CACHE_MAX_AGE_DAYS = env.integer("PDF_CACHE_MAX_AGE_DAYS", 7)  # older cached files are pruned
PDF_RENDER_TIMEOUT = env.integer("PDF_RENDER_TIMEOUT", 20)  # seconds; a render on the main thread is stopped

# --- eForms export, validation and TED submission (notices/export/) -----------------------------------
# The publishers' rules: the eForms SDK (schemas, Schematron, field labels) and Hilma's national SDK, read
# where they are, never copied; SchXslt2 turns the Schematron into XSLT that Saxon-HE (saxonche) runs.
EFORMS_SDK_DIR = env.string("EFORMS_SDK_DIR", str(_SHARED / "corpus" / "eforms-sdk-1.15.1"))
HILMA_SDK_DIR = env.string("HILMA_SDK_DIR", str(_SHARED / "corpus" / "hilma-sdk"))
SCHXSLT_TRANSPILER = env.string("SCHXSLT_TRANSPILER", str(_SHARED / "tools" / "schxslt2" / "transpile.xsl"))
# Transpiled rules (XSLT), one folder per hash of the rules and the transpiler: made once, ahead of need
# (manage.py warm_eforms_rules), by a long-lived process, never in a web request.
EFORMS_RULES_CACHE_DIR = env.string("EFORMS_RULES_CACHE_DIR", str(VAR_DIR / "cache" / "eforms-rules"))
# The rules are compiled (~1 GB, 8-20 s) in one long-lived process that answers the checks pages and the API
# ask for through the database (notices.export.checks): manage.py eforms_validator, which runscheduler
# starts beside itself unless this is false.
EFORMS_CHECKS_IN_SCHEDULER = env.boolean("EFORMS_CHECKS_IN_SCHEDULER", True)
EFORMS_CHECK_TICK = env.integer("EFORMS_CHECK_TICK", 1)  # seconds between the validator's looks for checks
EFORMS_CHECK_WAIT = env.integer("EFORMS_CHECK_WAIT", 20)  # seconds a page or API call waits for its answer
EFORMS_TED_REFRESH = env.integer("EFORMS_TED_REFRESH", 900)  # seconds between asking TED about submissions
TED_ESENDER_URL = env.string("TED_ESENDER_URL", "https://api.ted.europa.eu").rstrip("/")  # /v3/notices/submit
TED_ESENDER_TOKEN = env.string("TED_ESENDER_TOKEN")  # the API key, sent as "Authorization: Bearer ..."
TED_ESENDER_TIMEOUT = env.integer("TED_ESENDER_TIMEOUT", 60)  # seconds per request
TED_NOTICE_AUTHOR_EMAIL = env.string("TED_NOTICE_AUTHOR_EMAIL")  # metadata.noticeAuthorEmail; empty: buyer's
