"""
Queueing a task without waiting on the broker: the caller hands the publish to one background thread through a
bounded queue and returns at once. A publish that fails, hangs or finds the queue full loses nothing: what the task
would do is already committed in the database (a due delivery, a pending freeze chunk), and a periodic task does it.
The publishes that waited while one failed are skipped, so an outage costs the thread one failed publish, not one
per queued task.

See docs/decisions/0010-the-lms-never-waits-on-the-broker.rst.
"""
import logging
import os
import queue
import threading
import time

log = logging.getLogger(__name__)

# Publishes waiting for the thread; past this the newest are dropped (the drain sends them).
MAX_WAITING = 1000

# Who does a lost publish's work: named in the warnings.
DRAIN = "the periodic drain"


class _Publisher:
    """One daemon thread per process running queued publishes in order."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pid = None
        self.jobs = None
        self.thread = None
        self.dropped = 0

    def submit(self, job, what, left_to=DRAIN):
        """Queue ``job`` (a callable); False when the queue is full and the job was dropped."""
        jobs = self._running()
        try:
            jobs.put_nowait((job, what, left_to, time.monotonic()))
        except queue.Full:
            self.dropped += 1
            log.warning("The broker is not keeping up (%s publishes waiting); %s is left to %s.",
                        MAX_WAITING, what, left_to)
            return False
        return True

    def _running(self):
        with self.lock:
            # A forked child (celery prefork, gunicorn) inherits no running thread: start its own.
            if self.pid != os.getpid() or self.thread is None or not self.thread.is_alive():
                self.pid = os.getpid()
                self.jobs = queue.Queue(maxsize=MAX_WAITING)
                self.thread = threading.Thread(
                    target=self._run, args=(self.jobs,), name="grade-freeze-broker-handoff", daemon=True,
                )
                self.thread.start()
            return self.jobs

    @staticmethod
    def _run(jobs):
        failed_at = None
        while True:
            job, what, left_to, submitted = jobs.get()
            try:
                if failed_at is not None and submitted < failed_at:
                    # It waited while a publish failed: the broker was unreachable then, and a publish to it costs
                    # seconds, so skip it (its work is in the database) rather than fail every queued one in turn.
                    log.info("Not queueing %s, which waited while the broker failed; it is left to %s.",
                             what, left_to)
                    continue
                job()
            except Exception:  # pylint: disable=broad-except
                log.warning("Could not queue %s; it is left to %s.", what, left_to, exc_info=True)
                failed_at = time.monotonic()
            finally:
                jobs.task_done()

    def wait_idle(self, timeout):
        """Wait until every queued publish ran (for tests and shutdown); False on timeout."""
        jobs = self.jobs
        if jobs is None:
            return True
        done = threading.Event()

        def join():
            jobs.join()
            done.set()

        threading.Thread(target=join, daemon=True).start()
        return done.wait(timeout)


publisher = _Publisher()


def hand_off(job, what, left_to=DRAIN):
    """Run ``job`` (a publish to the broker) on the background thread; never blocks, never raises."""
    try:
        return publisher.submit(job, what, left_to)
    except Exception:  # pylint: disable=broad-except
        log.warning("Could not hand %s to the broker thread; it is left to %s.", what, left_to, exc_info=True)
        return False


def publish(task, calls, what, left_to=DRAIN):
    """Publish ``task`` once for each ``(args, countdown)`` of ``calls``, in order, without waiting on the broker.

    With celery running tasks eagerly there is no broker: they run here and now (a failure is logged). Otherwise
    one hand-off publishes them all; a publish that fails stops it, and ``left_to`` does the rest.
    """
    # Resolved here: in another thread celery's current app would be its unconfigured fallback.
    if hasattr(task, "_get_current_object"):
        task = task._get_current_object()  # pylint: disable=protected-access
    calls = [(tuple(args), countdown) for args, countdown in calls]

    def job():
        for args, countdown in calls:
            task.apply_async(args, countdown=countdown, retry=False)

    try:
        eager = task.app.conf.task_always_eager
    except Exception:  # pylint: disable=broad-except
        eager = False
    if not eager:
        return hand_off(job, what, left_to)
    for args, countdown in calls:
        try:
            task.apply_async(args, countdown=countdown, retry=False)
        except Exception:  # pylint: disable=broad-except
            log.warning("%s failed to run; it is left to %s.", what, left_to, exc_info=True)
    return True
