"""
The Credentials agreement reads a snapshot page by page (docs/decisions/0030): the learners whose grade Credentials
does not hold are re-sent, on a page's first or last row, across gaps in the user ids, on a last page of one learner,
and nobody else; an agreement stopped between two pages and run again re-sends the rest, and nothing twice.
"""
from datetime import datetime, timedelta, timezone

import pytest
from opaque_keys.edx.keys import CourseKey

from openedx_grade_freeze.credentials import ledger
from openedx_grade_freeze.credentials import snapshot_agreement as agreement
from openedx_grade_freeze.models import FreezeRun
from openedx_grade_freeze.snapshots import runs
from tests.credentials_server import GRADES_PATH
from tests.forwarding import forwarding_to_fake, posted
from tests.snapshot_support import enroll, make_users, on_commit, past_freeze_date, store_grades

COURSE = "course-v1:Org+Pages+2026"
OTHER_COURSE = "course-v1:Org+PagesOther+2026"
CLIENT_ID, CLIENT_SECRET = "grade-freeze-pages", "grade-freeze-pages-secret"
PAGE = 3
DIFFERING = (2, 3, 6)
UTC = timezone.utc

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(name="credentials")
def fixture_credentials(settings, monkeypatch):
    """Forwarding on, to the fake Credentials service, sends queued eagerly."""
    with forwarding_to_fake(COURSE, CLIENT_ID, CLIENT_SECRET, settings, monkeypatch) as server:
        server.add_course_run(OTHER_COURSE)
        yield server


def send_before_freeze(user, percent, schedule, course_id=COURSE):
    """A grade forwarded to Credentials while the course was open (the day before its end)."""
    change = ledger.GradeChange(
        user_id=user.pk, course_key=CourseKey.from_string(course_id), percent_grade=percent, letter_grade="",
        passed_timestamp=None, last_modified=schedule.end - timedelta(days=1),
    )
    with on_commit():
        assert ledger.record_grade_change(change) == ledger.RECORDED


def held(server, user):
    return float(server.get_grade(user.username, COURSE)["percent_grade"])


def seven_learners_on_three_pages():
    """Seven learners among eleven users (gaps in the ids): pages of three hold learners 0-2, 3-5 and 6. Credentials
    holds their snapshot grade but for learners 2 (a page's last), 3 (the next page's first) and 6 (alone on the
    last page). All eleven users are in another frozen course, whose frozen grades share their user ids."""
    schedule = past_freeze_date(COURSE)
    users = make_users([f"learner{index}" for index in range(11)])
    learners = [users[index] for index in (0, 2, 3, 5, 6, 8, 10)]
    enroll(COURSE, [user.pk for user in learners])
    store_grades(COURSE, {user.pk: (snapshot_grade(index), "", False) for index, user in enumerate(learners)})
    for index, user in enumerate(learners):
        send_before_freeze(user, 0.1 if index in DIFFERING else snapshot_grade(index), schedule)
    past_freeze_date(OTHER_COURSE)
    enroll(OTHER_COURSE, [user.pk for user in users])
    store_grades(OTHER_COURSE, {user.pk: (0.9, "", True) for user in users})
    call_freeze(OTHER_COURSE)
    return learners


def snapshot_grade(index):
    return round(0.5 + index / 100, 2)


def posted_since(credentials, before):
    """The usernames of the grades posted after the first ``before`` posts, sorted."""
    return sorted(posted(credentials, "username")[before:])


def call_freeze(course_id):
    """Freeze a course as the command does (its tasks, and the agreement at its end, run at once); returns the run."""
    with on_commit():
        run_id = runs.freeze_course(course_id).run_id
    return FreezeRun.objects.get(pk=run_id)


def test_each_learner_credentials_does_not_hold_is_re_sent_at_every_page_boundary(lms, credentials, monkeypatch):
    monkeypatch.setattr(agreement, "PAGE_SIZE", PAGE)
    learners = seven_learners_on_three_pages()
    before = len(credentials.requests_to(GRADES_PATH))

    run = call_freeze(COURSE)

    assert posted_since(credentials, before) == sorted(learners[index].username for index in DIFFERING)
    assert [held(credentials, user) for user in learners] == [snapshot_grade(index) for index in range(7)]
    run.refresh_from_db()
    assert (run.learners, run.resent, run.agreed_at is not None) == (7, 3, True)


def test_an_agreement_stopped_between_pages_re_sends_the_rest_when_run_again(lms, credentials, monkeypatch, settings):
    monkeypatch.setattr(agreement, "PAGE_SIZE", PAGE)
    learners = seven_learners_on_three_pages()
    before = len(credentials.requests_to(GRADES_PATH))
    send_page = agreement.send_frozen_grades

    def stopped_on_the_second_page(frozen_grades, now=None):
        if any(frozen.user_id != learners[2].pk for frozen in frozen_grades):
            raise SystemError("the worker was stopped")
        return send_page(frozen_grades, now)

    monkeypatch.setattr(agreement, "send_frozen_grades", stopped_on_the_second_page)
    run = call_freeze(COURSE)

    assert posted_since(credentials, before) == [learners[2].username]
    run.refresh_from_db()
    assert (run.resent, run.agreed_at) == (1, None)

    # The periodic task finds the agreement that never finished and queues it again.
    monkeypatch.setattr(agreement, "send_frozen_grades", send_page)
    later = datetime.now(UTC) + timedelta(seconds=settings.GRADE_FREEZE_SNAPSHOT_STALE_SECONDS + 1)
    with on_commit():
        runs.freeze_due_courses(now=later)

    assert posted_since(credentials, before) == sorted(learners[index].username for index in DIFFERING)
    assert [held(credentials, user) for user in learners] == [snapshot_grade(index) for index in range(7)]
    run.refresh_from_db()
    assert (run.resent, run.agreed_at is not None) == (3, True)
