"""
Two first writes of the same override at once (two staff members, two API calls): both succeed, the later one as a
change of the earlier one, and each is audited and tracked. Real threads on real connections, SQLite and MariaDB.
"""
import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, connections
from django.db.models.signals import pre_save
from django.test import Client

from openedx_grade_freeze import api
from openedx_grade_freeze.models import CourseFreezeOverride, FreezeConfigChange, OrgFreezeOverride
from openedx_grade_freeze.tracking import CONFIG_CHANGED
from tests.conftest import events_named
from tests.events import publish
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime.now(timezone.utc)
COURSE = "course-v1:RaceX+Override+2026"
ORG = "RaceX"
# A bound for the wait that lines the two writers up; never reached unless a writer is stuck.
LINE_UP_SECONDS = 60


def staff_with(permission, username):
    user = UserFactory(username=username, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename=permission))
    return user


class InsertLineUp:
    """Holds each writer at its first insert of ``model`` until the other one got there too.

    Both have then looked for the override and found none: the race the database must settle. On SQLite the
    second writer cannot get there (``BEGIN IMMEDIATE`` makes it wait for the first one's commit), so the writers
    are only started together.
    """

    def __init__(self, model, writers=2):
        self.model = model
        self.barrier = threading.Barrier(writers, timeout=LINE_UP_SECONDS)
        self.local = threading.local()
        self.lined_up = connection.vendor != "sqlite"

    def __enter__(self):
        if self.lined_up:
            pre_save.connect(self.wait, sender=self.model, weak=False)
        return self

    def __exit__(self, *exc_info):
        pre_save.disconnect(self.wait, sender=self.model)

    def wait(self, sender, instance, **kwargs):  # pylint: disable=unused-argument
        if instance.pk is None and not getattr(self.local, "waited", False):
            self.local.waited = True
            self.barrier.wait()


def at_once(*calls):
    """Run each call in its own thread (its own database connection), started together; their results or errors."""
    start = threading.Barrier(len(calls), timeout=LINE_UP_SECONDS)
    results = [None] * len(calls)

    def run(index, call):
        try:
            start.wait()
            results[index] = call()
        except Exception as error:  # pylint: disable=broad-except
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_api_calls_creating_a_course_override_at_once_both_succeed(tracking_events):
    publish(COURSE, NOW - timedelta(days=40), time=NOW - timedelta(days=40), start=NOW - timedelta(days=200))
    first = staff_with("change_coursefreezeoverride", "ops-first")
    second = staff_with("change_coursefreezeoverride", "ops-second")
    path = f"/api/grade_freeze/v1/courses/{COURSE}/override"

    def put(user, offset):
        client = Client()
        client.force_login(user)
        body = {"offset_days": offset, "reason": f"appeals, by {user.username}"}
        return client.put(path, json.dumps(body), content_type="application/json")

    with InsertLineUp(CourseFreezeOverride):
        responses = at_once(lambda: put(first, 60), lambda: put(second, 90))

    assert [getattr(response, "status_code", response) for response in responses] == [200, 200]
    override = CourseFreezeOverride.objects.get()
    changes = list(FreezeConfigChange.objects.order_by("pk"))
    assert [change.action for change in changes] == ["created", "changed"]
    assert {change.changed_by.username for change in changes} == {"ops-first", "ops-second"}
    assert changes[1].before["offset_days"] == changes[0].after["offset_days"]  # the later write replaced the first
    assert override.offset_days == changes[1].after["offset_days"]
    assert sorted(event["action"] for event in events_named(tracking_events, CONFIG_CHANGED)) == ["changed", "created"]


def test_two_staff_members_creating_an_org_override_at_once_both_succeed(tracking_events):
    first = UserFactory(username="ops-a", is_staff=True)
    second = UserFactory(username="ops-b", is_staff=True)

    with InsertLineUp(OrgFreezeOverride):
        results = at_once(
            lambda: api.set_org_override(ORG, offset_days=10, reason="org policy", user=first),
            lambda: api.set_org_override(ORG, enabled=False, reason="org pilot", user=second),
        )

    assert all(isinstance(result, OrgFreezeOverride) for result in results), results
    changes = list(FreezeConfigChange.objects.order_by("pk"))
    assert [(change.scope, change.action) for change in changes] == [("org", "created"), ("org", "changed")]
    assert OrgFreezeOverride.objects.get().reason == changes[1].reason
    assert len(events_named(tracking_events, CONFIG_CHANGED)) == 2
