"""
The hot path: a warm decision makes no query; changes are seen at once here and within a bounded delay elsewhere.
"""
from datetime import datetime, timedelta, timezone

from django.core.cache import cache
from django.test import TestCase, override_settings

from openedx_grade_freeze import api
from openedx_grade_freeze.policy import _VERSION_CACHE_KEY, _PolicyCache, policy_cache
from tests.events import publish

COURSE = "course-v1:CacheX+C1+2026"
NOW = datetime.now(timezone.utc)


class PolicyCacheTest(TestCase):
    """Warm checks cost no database query, and never miss a change."""

    def setUp(self):
        policy_cache.clear()
        publish(COURSE, NOW - timedelta(days=20), time=NOW - timedelta(days=20))

    def test_warm_decision_makes_no_query(self):
        assert api.are_grades_frozen(COURSE) is False  # cold: reads the schedule and every override layer
        with self.assertNumQueries(0):
            for _ in range(100):
                assert api.are_grades_frozen(COURSE) is False
            api.get_freeze_state(COURSE)

    def test_crossing_the_freeze_date_needs_no_event(self):
        state = api.get_freeze_state(COURSE)
        with self.assertNumQueries(0):
            assert api.get_freeze_state(COURSE, at=state.freeze_date + timedelta(seconds=1)).frozen is True
            assert api.get_freeze_state(COURSE, at=state.freeze_date).frozen is False

    def test_schedule_change_is_reflected_on_the_next_call(self):
        assert api.are_grades_frozen(COURSE) is False
        with self.captureOnCommitCallbacks(execute=True):
            publish(COURSE, NOW - timedelta(days=40), time=NOW)
        assert api.are_grades_frozen(COURSE) is True

    def test_override_change_is_reflected_on_the_next_call(self):
        assert api.are_grades_frozen(COURSE) is False
        with self.captureOnCommitCallbacks(execute=True):
            api.set_course_override(COURSE, offset_days=5, reason="short window")
        assert api.are_grades_frozen(COURSE) is True
        with self.captureOnCommitCallbacks(execute=True):
            api.set_org_override("CacheX", enabled=False, reason="org pilot")
        assert api.are_grades_frozen(COURSE) is False  # the course override sets an offset, and inherits "off"
        with self.captureOnCommitCallbacks(execute=True):
            api.set_course_override(COURSE, enabled=True, offset_days=5, reason="freeze this one anyway")
        assert api.are_grades_frozen(COURSE) is True

    def test_a_publish_with_unchanged_dates_keeps_every_process_warm(self):
        assert api.are_grades_frozen(COURSE) is False
        version = cache.get(_VERSION_CACHE_KEY)
        with self.captureOnCommitCallbacks(execute=True):
            publish(COURSE, NOW - timedelta(days=20), time=NOW)  # a content edit: Studio publishes the same schedule
        assert cache.get(_VERSION_CACHE_KEY) == version  # no other LMS process drops its cache
        with self.assertNumQueries(0):
            assert api.are_grades_frozen(COURSE) is False
        with self.captureOnCommitCallbacks(execute=True):
            publish(COURSE, NOW - timedelta(days=20), time=NOW + timedelta(minutes=1), pacing="self")
        assert cache.get(_VERSION_CACHE_KEY) != version  # a change of the schedule is announced


class CrossProcessVersionTest(TestCase):
    """Another process's cache notices a change through the shared version key within the configured delay."""

    def setUp(self):
        policy_cache.clear()
        publish(COURSE, NOW - timedelta(days=20), time=NOW - timedelta(days=20))

    @override_settings(GRADE_FREEZE_POLICY_CACHE_SECONDS=0)
    def test_other_process_sees_the_new_version(self):
        other_process = _PolicyCache()
        state = api.get_freeze_state(COURSE)
        _, generation = other_process.get(state.course_key)
        other_process.put(state.course_key, state, generation)
        assert other_process.get(state.course_key)[0] is state

        cache.set(_VERSION_CACHE_KEY, "changed-elsewhere", None)
        assert other_process.get(state.course_key)[0] is None

    @override_settings(GRADE_FREEZE_POLICY_CACHE_SECONDS=3600)
    def test_within_the_delay_the_shared_cache_is_not_read(self):
        other_process = _PolicyCache()
        state = api.get_freeze_state(COURSE)
        _, generation = other_process.get(state.course_key)  # the first check reads the version
        other_process.put(state.course_key, state, generation)
        cache.set(_VERSION_CACHE_KEY, "changed-elsewhere", None)
        assert other_process.get(state.course_key)[0] is state

    def test_a_state_loaded_before_a_change_is_not_cached(self):
        _, generation = policy_cache.get("any")
        stale = api.get_freeze_state(COURSE)
        policy_cache.clear()  # a change lands while the stale state was being loaded
        policy_cache.put(stale.course_key, stale, generation)
        assert policy_cache.get(stale.course_key)[0] is None


class MaxAgeTest(TestCase):
    """A Site Configuration edit announces nothing: entries are read again after the maximum age."""

    def setUp(self):
        policy_cache.clear()
        publish(COURSE, NOW - timedelta(days=20), time=NOW - timedelta(days=20))

    def test_entries_older_than_the_maximum_age_are_read_again(self):
        api.get_freeze_state(COURSE)
        with override_settings(GRADE_FREEZE_POLICY_MAX_AGE_SECONDS=3600), self.assertNumQueries(0):
            api.get_freeze_state(COURSE)
        with override_settings(GRADE_FREEZE_POLICY_MAX_AGE_SECONDS=-1):
            # schedule, course override, org override; the course's open learner exceptions and its learners'
            # personalized due dates (one query each)
            with self.assertNumQueries(5):
                api.get_freeze_state(COURSE)
