"""
Queueing a send without waiting on the broker: the grade write hands the publish to one background thread through a
bounded queue and returns at once. A publish that fails, hangs or finds the queue full loses nothing: the delivery
row is already committed and due, and the periodic drain sends it.

See docs/decisions/0010-the-lms-never-waits-on-the-broker.rst.
"""
import logging
import os
import queue
import threading

log = logging.getLogger(__name__)

# Publishes waiting for the thread; past this the newest are dropped (the drain sends them).
MAX_WAITING = 1000


class _Publisher:
    """One daemon thread per process running queued publishes in order."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pid = None
        self.jobs = None
        self.thread = None
        self.dropped = 0

    def submit(self, job, what):
        """Queue ``job`` (a callable); False when the queue is full and the job was dropped."""
        jobs = self._running()
        try:
            jobs.put_nowait((job, what))
        except queue.Full:
            self.dropped += 1
            log.warning("The broker is not keeping up (%s publishes waiting); %s is left to the periodic drain.",
                        MAX_WAITING, what)
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
        while True:
            job, what = jobs.get()
            try:
                job()
            except Exception:  # pylint: disable=broad-except
                log.warning("Could not queue %s; the periodic drain will send it.", what, exc_info=True)
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


def hand_off(job, what):
    """Run ``job`` (a publish to the broker) on the background thread; never blocks, never raises."""
    try:
        return publisher.submit(job, what)
    except Exception:  # pylint: disable=broad-except
        log.warning("Could not hand %s to the broker thread; the periodic drain will send it.", what, exc_info=True)
        return False
