"""
Finding edx-platform's modules: imported once per process, ``None`` where they are not importable.
"""
import importlib

from django.conf import settings

_MISSING = object()
_modules = {}


def import_platform_module(path):
    """Import an edx-platform module once per process; None when it is not importable here."""
    module = _modules.get(path, _MISSING)
    if module is _MISSING:
        try:
            module = importlib.import_module(path)
        except ImportError:
            module = None
        _modules[path] = module
    return module


def forget_imports():
    """Forget which edx-platform modules were found (for tests that put stand-ins on the path)."""
    _modules.clear()


def is_platform_available():
    """True when running inside edx-platform (its CourseOverview model is importable)."""
    return import_platform_module("openedx.core.djangoapps.content.course_overviews.models") is not None


def service_variant():
    """``"lms"``, ``"cms"`` or None: from ``ROOT_URLCONF`` as edx-platform sets it, else its ``SERVICE_VARIANT``."""
    root_urlconf = getattr(settings, "ROOT_URLCONF", None)
    if root_urlconf in ("lms.urls", "cms.urls"):
        return root_urlconf.split(".", 1)[0]
    variant = getattr(settings, "SERVICE_VARIANT", None)
    return variant if variant in ("lms", "cms") else None
