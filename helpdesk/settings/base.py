"""Settings shared by every environment. Everything is read through django-environ."""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file beside manage.py is read when present (never required).
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Each environment module sets SECRET_KEY: local/test have a development default,
# production refuses to start without one.
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",  # the built-in widget templates, for FORM_RENDERER below
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "customers",
    "complaints",
    "followups",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
# Widgets render through TEMPLATES, so our own widget templates live in templates/ too.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "helpdesk.wsgi.application"

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
                "notifications.context_processors.unread",
            ],
        },
    },
]

# Embedded default: SQLite beside manage.py. DATABASE_URL=postgres://… for PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "complaints:list"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: the UI follows the browser (Accept-Language) with a switcher.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True  # stored in UTC, shown in TIME_ZONE
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The procedure's clock (complaints/deadlines.py). R-C5: a reply no later than 24 h after
# receipt; per-tier windows may be shorter (e.g. "A=4,B=12"), never longer.
HELPDESK_REPLY_WINDOW_HOURS = min(env.float("HELPDESK_REPLY_WINDOW_HOURS", default=24), 24)
HELPDESK_REPLY_WINDOW_HOURS_BY_TIER = {
    tier: min(float(hours), 24.0) for tier, hours in env.dict("HELPDESK_REPLY_WINDOW_HOURS_BY_TIER", default={}).items()
}
HELPDESK_PROGRESS_REPORT_HOURS = env.float("HELPDESK_PROGRESS_REPORT_HOURS", default=24)  # R-T2
HELPDESK_AUTO_CLOSE_DAYS = env.float("HELPDESK_AUTO_CLOSE_DAYS", default=7)  # R-T4
# Count deadlines in working time (hours and holidays edited in the admin); default: calendar time.
HELPDESK_WORKING_CALENDAR = env.bool("HELPDESK_WORKING_CALENDAR", default=False)
HELPDESK_LIST_PAGE_SIZE = env.int("HELPDESK_LIST_PAGE_SIZE", default=25)
# Customer archive documents (R-CU2, R-CU5): stored outside any public folder, served only by
# the permission-checked download view. Size limit in bytes; allowed types by extension (the
# content is checked too).
HELPDESK_PRIVATE_MEDIA_ROOT = env.str("HELPDESK_PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private"))
HELPDESK_UPLOAD_MAX_BYTES = env.int("HELPDESK_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
HELPDESK_UPLOAD_EXTENSIONS = env.list(
    "HELPDESK_UPLOAD_EXTENSIONS", default=["pdf", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx", "txt", "csv"]
)
# Tier visit schedules (R-CU3, R-T5): how far ahead plan_visits plans.
HELPDESK_VISIT_PLAN_DAYS = env.int("HELPDESK_VISIT_PLAN_DAYS", default=90)

# Celery: JSON only, bounded tasks, named queue. With no CELERY_BROKER_URL the broker is
# kombu's filesystem transport (no server needed: `make run` starts an embedded worker+beat);
# CELERY_BROKER_URL=redis://… for production, where more workers can be added anywhere.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_QUEUE_DIR = Path(env.str("CELERY_QUEUE_DIR", default=str(BASE_DIR / ".celery")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("queue", "processed", "control"):
        (CELERY_QUEUE_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "processed_folder": str(CELERY_QUEUE_DIR / "processed"),
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_DEFAULT_QUEUE = env.str("HELPDESK_CELERY_QUEUE", default="helpdesk")
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must fail fast when the broker is down (the caller's work is already saved and
# the periodic redelivery picks the message up later), not hang a web request.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2)
CELERY_TASK_PUBLISH_RETRY = False

# The beat schedule ships in code (versioned with the rules it runs; no extra database
# tables or admin needed). Every rule is idempotent, so running it often is safe.
HELPDESK_SWEEP_SECONDS = env.int("HELPDESK_SWEEP_SECONDS", default=300)
CELERY_BEAT_SCHEDULE = {
    name: {"task": task, "schedule": float(HELPDESK_SWEEP_SECONDS)}
    for name, task in [
        ("reply-deadlines", "complaints.tasks.enforce_reply_deadlines"),  # R-T1
        ("progress-reports", "complaints.tasks.flag_missing_progress_reports"),  # R-T2
        ("completion-dates", "complaints.tasks.flag_missed_completion_dates"),  # R-T3
        ("auto-close", "complaints.tasks.auto_close_after_declined_callback"),  # R-T4
        ("pending-notification-emails", "notifications.tasks.deliver_pending_emails"),
    ]
}
# R-T5: the tier visit schedule, planned ahead and missed visits flagged, every morning.
CELERY_BEAT_SCHEDULE |= {
    "plan-visits": {"task": "followups.tasks.plan_visits", "schedule": crontab(hour=5, minute=10)},
    "flag-missed-visits": {"task": "followups.tasks.flag_missed_visits", "schedule": crontab(hour=0, minute=20)},
}
# R-C11: on the 1st at 07:00 local time, e-mail the previous month's summary (XLSX) to the
# managers — only when HELPDESK_MONTHLY_SUMMARY_EMAIL is on (the task checks).
CELERY_BEAT_SCHEDULE["monthly-summary"] = {
    "task": "complaints.reports.tasks.send_monthly_summary",
    "schedule": crontab(day_of_month=1, hour=7, minute=0),
}
HELPDESK_MONTHLY_SUMMARY_EMAIL = env.bool("HELPDESK_MONTHLY_SUMMARY_EMAIL", default=False)

# REST API (/api/v1/): session auth for the browser, tokens for integrations (managed by
# managers in the admin), token clients rate-limited; one exception handler.
REST_FRAMEWORK = {
    # Token first: a request without credentials gets 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "helpdesk.pagination.ApiPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["helpdesk.drf.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env.str("HELPDESK_API_TOKEN_RATE", default="1000/hour")},
    "EXCEPTION_HANDLER": "helpdesk.drf.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": "Complaints, their lifecycle actions and event log, customers, departments and categories.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # served from static files, no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"ComplaintStatusEnum": "complaints.choices.Status"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "helpdesk.drf.document_error_responses",
    ],
}
# Caches (throttle counters): local memory by default; CACHE_URL=redis://… to share them.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="helpdesk@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}
