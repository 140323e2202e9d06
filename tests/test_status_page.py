"""
The course freeze status page: who sees it, what it says before and after the freeze, and how it reads in a browser.
"""
import os
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.test import Client
from opaque_keys.edx.keys import CourseKey

from openedx_grade_freeze import api, blocked, tasks
from openedx_grade_freeze.filters import GradePersistenceRequested
from openedx_grade_freeze.models import BlockedGradeUpdates, CredentialsDelivery, LearnerException
from tests.events import publish
from tests.factories import UserFactory
from tests.platform_store.models import StoredCourseGrade
from tests.snapshot_support import enroll, on_commit, store_grades

NOW = datetime.now(timezone.utc)
COURSE = "course-v1:StatusX+Demo+2026"
_CHECKOUT = Path(__file__).resolve().parent.parent
# The screenshot in the docs is refreshed only on request (GRADE_FREEZE_UPDATE_DOCS_SCREENSHOT=1), so an ordinary test
# run leaves the work tree clean; otherwise it goes to the checkout's var/ folder for a look.
SCREENSHOT = (
    _CHECKOUT / "docs" / "_static" / "status_page.png"
    if os.environ.get("GRADE_FREEZE_UPDATE_DOCS_SCREENSHOT") == "1"
    else _CHECKOUT / "var" / "status_page.png"
)


def page_url(course_id=COURSE):
    return f"/api/grade_freeze/status/{course_id}/"


def publish_course(ended_days_ago):
    """Studio publishes the course (now) with an end date that many days ago."""
    end = NOW - timedelta(days=ended_days_ago)
    publish(COURSE, end, time=datetime.now(timezone.utc), start=NOW - timedelta(days=120))


def course_staff(platform_standins, username="teacher"):
    from common.djangoapps.student.roles import CourseStaffRole  # pylint: disable=import-outside-toplevel

    user = UserFactory(username=username)
    CourseStaffRole(CourseKey.from_string(COURSE)).add_users(user)
    return user


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_who_sees_the_page(platform_standins):
    publish_course(ended_days_ago=20)
    assert Client().get(page_url()).status_code == 302  # to the login page
    refused = logged_in(UserFactory(username="learner")).get(page_url())
    assert refused.status_code == 403 and "course's staff and instructors" in refused.content.decode()
    assert logged_in(course_staff(platform_standins)).get(page_url()).status_code == 200
    staff = logged_in(UserFactory(username="ops", is_staff=True))
    assert staff.get(page_url()).status_code == 200
    assert staff.get(page_url("course-v1:StatusX+Nowhere+2026")).status_code == 404
    assert staff.get(page_url("not-a-course")).status_code == 404


@pytest.mark.django_db
def test_before_and_after_the_freeze(platform_standins, settings):
    settings.GRADE_FREEZE_EXCEPTION_HELP_URL = "https://support.example.com/grade-freeze"
    publish_course(ended_days_ago=20)
    client = logged_in(course_staff(platform_standins))

    before = client.get(page_url()).content.decode()
    assert 'data-state="open"' in before and "Grades can still change" in before and "(in 10 days)" in before
    assert "No grade change has been refused" in before
    assert 'href="https://support.example.com/grade-freeze"' in before

    publish_course(ended_days_ago=45)
    key = CourseKey.from_string(COURSE)
    BlockedGradeUpdates.objects.create(course_key=key, source="grades.tasks", total=12, last_reported=NOW)
    CredentialsDelivery.objects.create(kind="grade", course_key=key, user_id=5, status="failed")
    after = client.get(page_url()).content.decode()

    freeze_date = api.get_freeze_state(COURSE).freeze_date
    assert 'data-state="frozen"' in after and "Grades are frozen" in after
    assert f"Since {freeze_date:%-d %B %Y, %H:%M} UTC" in after
    assert "refused 12 grade changes" in after and "0 waiting to be sent, 1 failed" in after
    assert "Final grades kept at the freeze" in after and "Being prepared" in after
    assert "Django settings: course end + 30 days" in after


@pytest.mark.django_db
def test_a_broken_configuration_is_explained(break_site_configuration):
    publish_course(ended_days_ago=20)
    break_site_configuration("StatusX")
    page = logged_in(UserFactory(username="ops", is_staff=True)).get(page_url()).content.decode()
    assert 'data-state="error"' in page and "site configuration of StatusX unreadable" in page
    assert "grades can change" in page and "(platform-rule)" in page


# -- in a real browser -------------------------------------------------------------------------------------------

def _chromium():
    """Debian's Chromium, driven by Debian's chromedriver, headless, with a throw-away profile."""
    from selenium import webdriver  # pylint: disable=import-outside-toplevel
    from selenium.webdriver.chrome.service import Service  # pylint: disable=import-outside-toplevel

    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver, "Install Debian's chromium and chromium-driver (.ci/system-packages does)."
    profile = tempfile.mkdtemp(prefix="grade-freeze-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
        "--force-device-scale-factor=1", "--hide-scrollbars", "--window-size=1024,900",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path=driver), options=options), profile


@pytest.fixture
def browser():
    driver, profile = _chromium()
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _contrast(driver, selector):
    """The WCAG contrast ratio of an element's text colour against the background it is drawn on (computed)."""
    return driver.execute_script(r"""
        let element = document.querySelector(arguments[0]);
        const color = getComputedStyle(element).color;
        let background = getComputedStyle(element).backgroundColor;
        while (/rgba\(.*, 0\)$/.test(background) && element.parentElement) {
            element = element.parentElement;
            background = getComputedStyle(element).backgroundColor;
        }
        const style = {color: color, backgroundColor: background};
        const rgb = value => value.match(/[0-9.]+/g).slice(0, 3).map(Number);
        const luminance = ([r, g, b]) => {
            const channel = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
            return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
        };
        const [a, b] = [luminance(rgb(style.color)), luminance(rgb(style.backgroundColor))];
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    """, selector)


@pytest.mark.django_db(transaction=True)
def test_the_page_in_chromium(live_server, browser, lms, settings):
    from selenium.common.exceptions import StaleElementReferenceException  # pylint: disable=import-outside-toplevel
    from selenium.webdriver.common.by import By  # pylint: disable=import-outside-toplevel
    from selenium.webdriver.common.keys import Keys  # pylint: disable=import-outside-toplevel
    from selenium.webdriver.support.expected_conditions import staleness_of  # pylint: disable=import-outside-toplevel
    from selenium.webdriver.support.wait import WebDriverWait  # pylint: disable=import-outside-toplevel

    settings.GRADE_FREEZE_EXCEPTION_HELP_URL = "https://support.example.com/grade-freeze"
    publish_course(ended_days_ago=20)
    client = logged_in(course_staff(lms))
    browser.get(f"{live_server.url}/admin/login/")
    browser.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value, "path": "/"})

    # Before the freeze: what a course team member sees.
    browser.get(live_server.url + page_url())
    state = browser.find_element(By.CSS_SELECTOR, "[role=status]")
    assert state.get_attribute("data-state") == "open"
    assert "Grades can still change" in state.text and "in 10 days" in state.text
    assert _contrast(browser, "[role=status] p") >= 4.5
    timeline = browser.find_element(By.CSS_SELECTOR, "svg[role=img]")
    described_by = timeline.get_attribute("aria-labelledby").split()
    assert [browser.find_element(By.ID, name).get_attribute("textContent") for name in described_by][0] == \
        "Course timeline"
    assert {group.get_attribute("data-point") for group in timeline.find_elements(By.CSS_SELECTOR, "g")} == {
        "start", "end", "freeze", "today"
    }
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"

    # The request form for a learner exception is reachable from the keyboard, and its fields are labelled.
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "exception-user"
    for field in ("exception-user", "exception-until", "exception-reason"):
        assert browser.find_element(By.CSS_SELECTOR, f"label[for={field}]").text
    assert browser.find_element(By.CSS_SELECTOR, 'a[href="https://support.example.com/grade-freeze"]')

    # After the freeze (Studio published an earlier end date), with refused updates and a failed delivery.
    publish_course(ended_days_ago=45)
    key = CourseKey.from_string(COURSE)
    BlockedGradeUpdates.objects.create(course_key=key, source="grades.tasks", total=12, last_reported=NOW)
    BlockedGradeUpdates.objects.create(course_key=key, source="gradebook_bulk_update", total=3, last_reported=NOW)
    CredentialsDelivery.objects.create(kind="grade", course_key=key, user_id=5, status="failed")
    browser.get(live_server.url + page_url())
    assert "Being prepared" in browser.find_element(By.ID, "snapshot-heading").find_element(By.XPATH, "..").text
    # The periodic task takes the final-grade snapshot: 3 learners with a grade, 1 enrolled without.
    enroll(COURSE, [21, 22, 23, 24])
    store_grades(COURSE, {21: (0.92, "A", True), 22: (0.75, "B", True), 23: (0.31, "", False)})
    with on_commit():
        tasks.freeze_due_courses_task.delay()
    browser.get(live_server.url + page_url())
    snapshot = browser.find_element(By.ID, "snapshot-heading").find_element(By.XPATH, "..").text
    assert "Snapshot: complete (run " in snapshot and "3 learners frozen with their grade, 1" in snapshot
    state = browser.find_element(By.CSS_SELECTOR, "[role=status]")
    assert state.get_attribute("data-state") == "frozen" and "Grades are frozen" in state.text
    assert _contrast(browser, "[role=status] p") >= 4.5
    rows = browser.find_elements(By.CSS_SELECTOR, "#refused-updates tbody tr")
    assert [row.text.split()[:2] for row in rows] == [["gradebook_bulk_update", "3"], ["grades.tasks", "12"]]

    # Learners whose changes were refused since (two of them rescored, one overridden in the Gradebook).
    for username, source, times in (
        ("ada", "PersistentSubsectionGrade.update_or_create_grade", 4),
        ("grace", "PersistentSubsectionGrade.update_or_create_grade", 2),
        ("alan", "rest_api.v1.gradebook_views.bulk_update", 1),
    ):
        learner = UserFactory(username=username)
        for _ in range(times):
            with pytest.raises(GradePersistenceRequested.PreventGradePersistence):
                GradePersistenceRequested.run_filter(COURSE, user_id=learner.pk, source=source)
    blocked.flush_blocked_counts()
    browser.get(live_server.url + page_url())
    learners = browser.find_elements(By.CSS_SELECTOR, "#refused-learners tbody tr")
    assert [row.text.split()[:3] for row in learners] == [
        ["alan", "rest_api.v1.gradebook_views.bulk_update", "1"],
        ["grace", "PersistentSubsectionGrade.update_or_create_grade", "2"],
        ["ada", "PersistentSubsectionGrade.update_or_create_grade", "4"],
    ]
    link = browser.find_element(By.LINK_TEXT, "the CSV file")
    assert link.get_attribute("href") == f"{live_server.url}/api/grade_freeze/status/{COURSE}/refused.csv"

    # The course team asks for an exception for one learner, in the form.
    ada = UserFactory(username="ada")
    enroll(COURSE, [ada.pk])
    browser.find_element(By.ID, "exception-user").send_keys("ada")
    browser.find_element(By.ID, "exception-reason").send_keys("Appeal upheld, ticket 12")
    before = browser.find_element(By.ID, "learner-exceptions")
    browser.find_element(By.CSS_SELECTOR, "#learner-exceptions form button[type=submit]").click()
    # The form posts and the page loads again: wait for the new page (however busy the machine), not a fixed time.
    WebDriverWait(browser, 120).until(staleness_of(before))
    section = WebDriverWait(browser, 120, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda page: page.find_element(By.ID, "learner-exceptions")
    )
    exception = LearnerException.objects.get(user_id=ada.pk)
    assert f"Exception {exception.pk} requested" in section.text
    assert "ada until " in section.text and f"(exception {exception.pk})" in section.text

    # Another person approves it; an earlier exception of another learner ended and was re-frozen by itself.
    bea = UserFactory(username="bea")
    enroll(COURSE, [bea.pk])
    store_grades(COURSE, {bea.pk: (0.45, "", False)})
    api.approve_learner_exception(exception.pk, user=UserFactory(username="registrar", is_staff=True))
    (earlier,) = api.grant_learner_exceptions(COURSE, [bea], reason="Late proctoring review",
                                              until=NOW + timedelta(days=2))
    StoredCourseGrade.objects.filter(user_id=bea.pk).update(percent_grade=0.62, letter_grade="C",
                                                            passed_timestamp=NOW)
    LearnerException.objects.filter(pk=earlier.id).update(closes_at=NOW - timedelta(hours=1))
    with on_commit():
        tasks.close_learner_exceptions_task.delay()
    browser.get(live_server.url + page_url())
    section = browser.find_element(By.ID, "learner-exceptions").text
    assert "In force now" in section and "ada (user" in section and "registrar" in section
    assert "1 closed exception: 1 learner whose grade changed, 1 newly passed, 0 no longer passed." in section
    assert "bea (user" in section and "0.45 -" in section and "0.62 C (passed)" in section

    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1024, height + 120)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(os.fspath(SCREENSHOT))

    # On a phone: nothing wider than the screen.
    browser.set_window_size(390, 844)
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
