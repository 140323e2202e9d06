"""
Settings of the host project: the plugin is found through its entry points, never listed by hand.

``GRADE_FREEZE_HOST_PROJECT`` picks the project type (``lms.djangoapp``, the default, or ``cms.djangoapp``);
``GRADE_FREEZE_TEST_DB`` picks the database (``sqlite``, the default, or ``mysql`` for MariaDB on 127.0.0.1:3306).
"""
import hashlib
import importlib.util
import json
import os

import django
from edx_django_utils.plugins import add_plugins, get_plugin_apps

PROJECT_TYPE = os.environ.get("GRADE_FREEZE_HOST_PROJECT", "lms.djangoapp")
if PROJECT_TYPE not in ("lms.djangoapp", "cms.djangoapp"):
    raise ValueError(f"GRADE_FREEZE_HOST_PROJECT must be lms.djangoapp or cms.djangoapp, not {PROJECT_TYPE!r}")
# As edx-platform's production settings do (from the SERVICE_VARIANT env var): which service this process is.
SERVICE_VARIANT = "cms" if PROJECT_TYPE == "cms.djangoapp" else "lms"

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
CHECKOUT_DIR = os.path.dirname(os.path.dirname(BASE_DIR))
# Per checkout, so two clones (or worktrees) can run their suites side by side: the SQLite files live in the
# checkout's own var/ folder and the MariaDB test database name carries a short hash of the checkout's path.
VAR_DIR = os.environ.get("GRADE_FREEZE_VAR_DIR", os.path.join(CHECKOUT_DIR, "var"))
os.makedirs(VAR_DIR, exist_ok=True)
CHECKOUT_ID = hashlib.sha1(CHECKOUT_DIR.encode()).hexdigest()[:8]

SECRET_KEY = "host-project-not-secret"
# As the LMS defines it; plugins such as event-routing-backends read it in their plugin_settings.
LMS_ROOT_URL = "http://localhost:18000"
# As lms/envs/common.py defines them; edx-when's URLs (a plugin app of the LMS) are built with the course id's.
COURSE_KEY_PATTERN = r"(?P<course_key_string>[^/+]+(/|\+)[^/+]+(/|\+)[^/?]+)"
COURSE_ID_PATTERN = COURSE_KEY_PATTERN.replace("course_key_string", "course_id")
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.host.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_DB = os.environ.get("GRADE_FREEZE_TEST_DB", "sqlite")
if _DB == "mysql":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": os.environ.get("GRADE_FREEZE_DB_NAME", "grade_freeze"),
            "USER": os.environ.get("GRADE_FREEZE_DB_USER", "root"),
            "PASSWORD": os.environ.get("GRADE_FREEZE_DB_PASSWORD", ""),
            "HOST": os.environ.get("GRADE_FREEZE_DB_HOST", "127.0.0.1"),
            "PORT": os.environ.get("GRADE_FREEZE_DB_PORT", "3306"),
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {
                "NAME": os.environ.get("GRADE_FREEZE_DB_TEST_NAME", f"test_grade_freeze_{CHECKOUT_ID}"),
                "CHARSET": "utf8mb4",
            },
        }
    }
elif _DB == "sqlite":
    DATABASES = {
        "default": {
            # Django 5.1+: its own backend with ``transaction_mode``; before (Teak's 4.2), the same through a
            # subclass (tests/host/sqlite_immediate).
            "ENGINE": "django.db.backends.sqlite3" if django.VERSION >= (5, 1) else "tests.host.sqlite_immediate",
            "NAME": os.environ.get("GRADE_FREEZE_SQLITE_PATH", os.path.join(VAR_DIR, "host.sqlite3")),
            # A file, not memory, for tests too, so threads and worker processes share it.
            "TEST": {"NAME": os.environ.get("GRADE_FREEZE_SQLITE_TEST_PATH", os.path.join(VAR_DIR, "test.sqlite3"))},
            # BEGIN IMMEDIATE (Django 5.1+): concurrent writers queue on the lock instead of failing, as row
            # locks make them do on MySQL.
            "OPTIONS": {"timeout": 30, **({"transaction_mode": "IMMEDIATE"} if django.VERSION >= (5, 1) else {})},
        }
    }
else:
    raise ValueError(f"GRADE_FREEZE_TEST_DB must be sqlite or mysql, not {_DB!r}")

# As an LMS's memcached or Redis, the cache holds what it is given: local memory's default of 300 entries would evict
# the refusal counts of a few hundred learners (which is what a cache eviction does: counts are lost, never the freeze).
CACHES = {"default": {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "grade-freeze-host",
    "OPTIONS": {"MAX_ENTRIES": 1000000},
}}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "eventtracking.django.apps.EventTrackingConfig",
    "rest_framework",
    "tests.host.apps.HostConfig",
    # edx-platform's course grades and enrollments as tables, so worker processes see them (tests/platform_store).
    "tests.platform_store.apps.PlatformStoreConfig",
]
# Apps the LMS always installs that some plugins (event-routing-backends) need, when they are installed here.
INSTALLED_APPS.extend(app for app in ("celery_utils",) if importlib.util.find_spec(app) is not None)
# As lms/envs/common.py does: every installed plugin app, found through its entry point.
INSTALLED_APPS.extend(get_plugin_apps(PROJECT_TYPE))
# edx-when (personalized due dates, with its real migrations) is in every LMS; it registers itself as a plugin app,
# and is listed here where an installed release of it would not.
if importlib.util.find_spec("edx_when") is not None and not any(app.startswith("edx_when") for app in INSTALLED_APPS):
    INSTALLED_APPS.append("edx_when")

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
STATIC_URL = "/static/"
# A fast hasher: the host project's users are test fixtures.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Event tracking as the LMS configures it: the routing backend hands each event to a logger backend that writes
# one JSON line per event to the "tracking" logger, which writes the tracking log file.
TRACKING_LOG_PATH = os.environ.get("GRADE_FREEZE_TRACKING_LOG", os.path.join(VAR_DIR, "tracking.log"))
EVENT_TRACKING_ENABLED = True
EVENT_TRACKING_BACKENDS = {
    "tracking_logs": {
        "ENGINE": "eventtracking.backends.routing.RoutingBackend",
        "OPTIONS": {
            "backends": {
                "logger": {
                    "ENGINE": "eventtracking.backends.logger.LoggerBackend",
                    "OPTIONS": {"name": "tracking", "max_event_size": 50000},
                }
            },
        },
    },
}
EVENT_TRACKING_PROCESSORS = []

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "raw": {"format": "%(message)s"},
        "standard": {"format": "%(asctime)s %(levelname)s %(process)d [%(name)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "standard", "level": "INFO"},
        "tracking": {"class": "logging.FileHandler", "filename": TRACKING_LOG_PATH, "formatter": "raw"},
    },
    "loggers": {
        "tracking": {"handlers": ["tracking"], "level": "INFO", "propagate": False},
        "openedx_grade_freeze": {"handlers": ["console"], "level": "INFO", "propagate": True},
    },
}

# Celery: tasks run eagerly unless a test starts a real worker (see tests/integration).
CELERY_BROKER_URL = os.environ.get("GRADE_FREEZE_CELERY_BROKER", "redis://127.0.0.1:6379/5")
CELERY_TASK_ALWAYS_EAGER = True

OPEN_EDX_FILTERS_CONFIG = {}

# JWT authentication as the LMS configures edx-drf-extensions: tokens the LMS signs (HS256 here, as the platform's
# stand-in issues them: GRADE_FREEZE_TEST_JWT_*), sent as "Authorization: JWT <token>".
JWT_AUTH = {
    "JWT_ISSUER": "http://lms.test/oauth2",
    "JWT_AUDIENCE": "lms-key",
    "JWT_SECRET_KEY": "grade-freeze-test-secret-0123456789abcdef",
    "JWT_ISSUERS": [
        {
            "ISSUER": "http://lms.test/oauth2",
            "AUDIENCE": "lms-key",
            "SECRET_KEY": "grade-freeze-test-secret-0123456789abcdef",
        }
    ],
    "JWT_ALGORITHM": "HS256",
    "JWT_VERIFY_EXPIRATION": True,
    "JWT_LEEWAY": 1,
    "JWT_DECODE_HANDLER": "edx_rest_framework_extensions.auth.jwt.decoder.jwt_decode_handler",
    "JWT_AUTH_HEADER_PREFIX": "JWT",
    "JWT_SUPPORTED_VERSION": "1.2.0",
    # The LMS always publishes its asymmetric keys; without any, edx-drf-extensions' first (asymmetric) check
    # loops over no key and lets every token through, whatever signed it. A public key whose private half nobody
    # holds keeps that check real, and HS256 tokens then go on to be verified with the secret above.
    "JWT_PUBLIC_SIGNING_JWK_SET": json.dumps({"keys": [{
        "kty": "RSA", "e": "AQAB", "kid": "grade-freeze-test-host", "key_ops": ["verify"],
        "n": "vZblEDPRO5PCmFlFpyEN_8bciz1oBYEEaYzN2neM8k80uo3fe_mFrahIg48G2JDEZlSdQyCNn6ayoTy7XrRtq0za5-IFRNPrDI9Ca"
             "ijXLew7AcsafDQZHNqYx4Ea_9mYFTR80se_AN6wcmt8Llbd3TVGvRWK6UYUIzFpogtZGA3xp3R2GBBIkyvWWOAZty2jHfYPG3c33s5y"
             "MGe6YOqyEMlxYLE6I80-CdGkIuQzGuG6rGFfTq9V2R3vX07r6Gb2qltvhkqNuRXCvC3Al1Mh2tlfBcxAuij0_bg2vDLYNjVA7g-JwNj"
             "F7LhmvurnabzC0SVVHlvMVGhnwwzjCq_1JQ",
    }]}),
}
# As the platform: a JWT's claims never change the LMS user (an "administrator" claim does not make anyone staff).
EDX_DRF_EXTENSIONS = {"JWT_PAYLOAD_USER_ATTRIBUTE_MAPPING": {}}

# Monitoring custom attributes go to a recording backend instead of an APM agent.
OPENEDX_TELEMETRY = ["tests.host.telemetry.RecordingBackend"]

# As the end of lms/envs/common.py does: each plugin adds its own settings.
add_plugins(__name__, PROJECT_TYPE, "common")

# event-routing-backends (when installed) turns xAPI on in its plugin_settings. Its statements name users and
# courses through edx-platform modules, which only the stand-ins provide here: tests that check statements turn it
# on with the stand-ins in place (tests/test_xapi_statements.py).
XAPI_EVENTS_ENABLED = False
