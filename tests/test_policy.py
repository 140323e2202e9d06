"""
The freeze policy: every configuration layer, table-driven, evaluated at a fixed moment.
"""
from datetime import datetime, timedelta, timezone

import ddt
import pytest
from django.test import TestCase, override_settings
from opaque_keys.edx.keys import CourseKey

from openedx_grade_freeze import api
from openedx_grade_freeze.exceptions import InvalidCourseKeyError, InvalidFreezeConfigurationError
from openedx_grade_freeze.policy import policy_cache
from tests.factories import CourseScheduleFactory

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
COURSE = "course-v1:PolicyX+P101+2026"
COURSE_KEY = CourseKey.from_string(COURSE)
DAYS = timedelta(days=1)


def days_ago(days):
    return NOW - days * DAYS


@ddt.ddt
class FreezePolicyTableTest(TestCase):
    """Each row: schedule, settings, site configuration, org and course overrides → frozen, freeze date, source."""

    def setUp(self):
        policy_cache.clear()
        self.addCleanup(policy_cache.clear)

    @ddt.unpack
    @ddt.data(
        # end 29 and 31 days ago under the default 30-day offset
        {"end": 29, "frozen": False, "freeze": 29 - 30, "source": "Django settings: course end + 30 days"},
        {"end": 31, "frozen": True, "freeze": 31 - 30, "source": "Django settings: course end + 30 days"},
        # exactly at the freeze date is not yet frozen ("strictly after")
        {"end": 30, "frozen": False, "freeze": 0},
        # no end date and no explicit date: never frozen
        {"end": None, "frozen": False, "freeze": None, "source": "no course end date and no explicit freeze date"},
        # explicit freeze dates win over end + offset, in the past and in the future
        {"end": 2, "course": {"freeze_date": 1}, "frozen": True, "freeze": 1,
         "source": "course override: explicit freeze date"},
        {"end": 400, "course": {"freeze_date": -10}, "frozen": False, "freeze": -10},
        {"end": None, "course": {"freeze_date": 1}, "frozen": True, "freeze": 1},
        # self-paced: same rule by default, exempt when a setting or the site says so
        {"end": 31, "pacing": "self", "frozen": True, "freeze": 1},
        {"end": 31, "pacing": "self", "settings": {"GRADE_FREEZE_EXEMPT_SELF_PACED": True}, "frozen": False,
         "source": "Django settings: self-paced runs are exempt"},
        {"end": 31, "pacing": "self", "site": {"EXEMPT_SELF_PACED": True}, "frozen": False,
         "source": "site configuration: self-paced runs are exempt"},
        {"end": 31, "pacing": "self", "settings": {"GRADE_FREEZE_EXEMPT_SELF_PACED": True},
         "course": {"enabled": True}, "frozen": True},
        {"end": 31, "pacing": "self", "settings": {"GRADE_FREEZE_EXEMPT_SELF_PACED": True},
         "course": {"freeze_date": 1}, "frozen": True},
        # offsets: each layer overrides the ones below it
        {"end": 31, "settings": {"GRADE_FREEZE_OFFSET_DAYS": 60}, "frozen": False, "freeze": 31 - 60},
        {"end": 31, "site": {"OFFSET_DAYS": 60}, "frozen": False, "source": "site configuration: course end + 60 days"},
        {"end": 31, "site": {"OFFSET_DAYS": 60}, "org": {"offset_days": 10}, "frozen": True, "freeze": 21,
         "source": "org override for PolicyX: course end + 10 days"},
        {"end": 31, "site": {"OFFSET_DAYS": 60}, "org": {"offset_days": 10}, "course": {"offset_days": 40},
         "frozen": False, "freeze": -9, "source": "course override: course end + 40 days"},
        {"end": 1, "course": {"offset_days": 0}, "frozen": True, "freeze": 1},
        # forcing the freeze on and off
        {"end": 31, "settings": {"GRADE_FREEZE_ENABLED": False}, "frozen": False,
         "source": "Django settings: freeze turned off"},
        {"end": 31, "settings": {"GRADE_FREEZE_ENABLED": False}, "site": {"ENABLED": True}, "frozen": True},
        {"end": 31, "site": {"ENABLED": False}, "frozen": False, "source": "site configuration: freeze turned off"},
        {"end": 31, "site": {"ENABLED": False}, "org": {"enabled": True}, "frozen": True},
        {"end": 31, "org": {"enabled": False}, "frozen": False,
         "source": "org override for PolicyX: freeze turned off"},
        {"end": 31, "org": {"enabled": False}, "course": {"enabled": True}, "frozen": True},
        {"end": 31, "org": {"enabled": True}, "course": {"enabled": False}, "frozen": False,
         "source": "course override: freeze turned off"},
        # an override that only sets an offset inherits "enabled" from below
        {"end": 31, "settings": {"GRADE_FREEZE_ENABLED": False}, "course": {"offset_days": 5}, "frozen": False},
    )
    def test_layers(self, end, frozen, freeze="unchecked", source=None, pacing="instructor", settings=None,
                    site=None, org=None, course=None):
        self._given(end, pacing, site, org, course)
        with override_settings(**(settings or {})):
            state = api.get_freeze_state(COURSE, at=NOW)

        assert state.frozen is frozen, state
        if freeze != "unchecked":
            assert state.freeze_date == (None if freeze is None else days_ago(freeze))
        if source is not None:
            assert state.source == source
        assert state.course_end == (None if end is None else days_ago(end))

    def _given(self, end, pacing, site, org, course):
        CourseScheduleFactory(
            course_key=COURSE_KEY, start=days_ago(500), end=None if end is None else days_ago(end), pacing=pacing
        )
        if site is not None:
            self._site_configuration(site)
        if org is not None:
            api.set_org_override("PolicyX", reason="table row", **org)
        if course is not None:
            values = dict(course)
            if "freeze_date" in values:
                values["freeze_date"] = days_ago(values["freeze_date"])
            api.set_course_override(COURSE, reason="table row", **values)

    def _site_configuration(self, values):
        """Use the edx-platform stand-in for site configuration, as the LMS would answer."""
        import sys

        from openedx_grade_freeze.platform import modules
        from tests.conftest import STANDINS_PATH, _purge_standin_modules

        sys.path.insert(0, STANDINS_PATH)
        modules.forget_imports()
        from openedx.core.djangoapps.site_configuration import helpers

        helpers.set_value_for_org("PolicyX", "GRADE_FREEZE", values)

        def cleanup():
            helpers.reset()
            sys.path.remove(STANDINS_PATH)
            _purge_standin_modules()
            modules.forget_imports()

        self.addCleanup(cleanup)


class FreezeStateValueTest(TestCase):
    """The public value and its inputs."""

    def test_state_is_immutable_and_accepts_keys_or_strings(self):
        CourseScheduleFactory(course_key=COURSE_KEY, end=days_ago(31))
        state = api.get_freeze_state(COURSE_KEY, at=NOW)
        assert state == api.get_freeze_state(COURSE, at=NOW)
        assert (state.enabled, state.offset_days, state.course_key) == (True, 30, COURSE_KEY)
        with pytest.raises(AttributeError):
            state.frozen = False

    def test_invalid_course_key_is_a_clear_error(self):
        with pytest.raises(InvalidCourseKeyError, match="not-a-course"):
            api.get_freeze_state("not-a-course")
        with pytest.raises(InvalidCourseKeyError):
            api.are_grades_frozen(None)

    def test_unknown_course_is_not_frozen(self):
        state = api.get_freeze_state("course-v1:Nobody+N1+2020", at=NOW)
        assert not state.frozen
        assert state.source == "course schedule not known"

    def test_are_grades_frozen_uses_the_clock(self):
        CourseScheduleFactory(course_key=COURSE_KEY, end=datetime.now(timezone.utc) - 31 * DAYS)
        assert api.are_grades_frozen(COURSE) is True


@ddt.ddt
class OverrideValidationTest(TestCase):
    """Bad values are refused with a message that names the problem."""

    def setUp(self):
        CourseScheduleFactory(course_key=COURSE_KEY, start=days_ago(100), end=days_ago(10))

    @ddt.data(
        ({"offset_days": -1}, "offset_days", "0 days or more"),
        ({"offset_days": 1.5}, "offset_days", "whole number"),
        # end + offset must stay a date: a typo'd huge offset would make every freeze check fail
        ({"offset_days": 5_000_000}, "offset_days", "36500 days or fewer"),
        ({"freeze_date": days_ago(101)}, "freeze_date", "before the course start"),
        ({"enabled": "yes"}, "enabled", "inherit"),
        ({"reason": " "}, "reason", "Say why"),
    )
    @ddt.unpack
    def test_bad_course_override_values(self, values, field, message):
        values = {"reason": "appeal", **values}
        with pytest.raises(InvalidFreezeConfigurationError) as error:
            api.set_course_override(COURSE, **values)
        assert message in " ".join(error.value.message_dict[field])

    def test_unknown_course_is_refused(self):
        with pytest.raises(InvalidFreezeConfigurationError) as error:
            api.set_course_override("course-v1:Nobody+N1+2020", offset_days=3, reason="x")
        assert "Unknown course" in error.value.message_dict["course_key"][0]

    def test_invalid_course_key_is_refused(self):
        with pytest.raises(InvalidFreezeConfigurationError) as error:
            api.set_course_override("nope", offset_days=3, reason="x")
        assert "nope" in error.value.message_dict["course_key"][0]

    def test_bad_org_override(self):
        with pytest.raises(InvalidFreezeConfigurationError) as error:
            api.set_org_override(" PolicyX", offset_days=-3, reason="x")
        assert set(error.value.message_dict) == {"org", "offset_days"}

    def test_corrupt_site_configuration_is_an_error_not_a_guess(self):
        from openedx_grade_freeze.policy import resolve

        schedule = CourseScheduleFactory.build(course_key=COURSE_KEY, end=days_ago(31))
        with pytest.raises(ValueError, match="ENABLED"):
            resolve(COURSE_KEY, schedule, None, None, {"ENABLED": "no"}, at=NOW)
        with pytest.raises(ValueError, match="offset"):
            resolve(COURSE_KEY, schedule, None, None, {"OFFSET_DAYS": -4}, at=NOW)
        with pytest.raises(ValueError, match="offset"):
            resolve(COURSE_KEY, schedule, None, None, {"OFFSET_DAYS": 5_000_000}, at=NOW)

    def test_bad_org_offset_is_refused(self):
        with pytest.raises(InvalidFreezeConfigurationError) as error:
            api.set_org_override("PolicyX", offset_days=5_000_000, reason="x")
        assert "36500 days or fewer" in error.value.message_dict["offset_days"][0]
