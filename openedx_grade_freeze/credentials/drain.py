"""
The periodic drain: every due delivery (pending, waiting or failed, not leased) sent on a few threads, each
delivery by one sender, a batch leased at once and its successes written together; a run of failures stops it.

See docs/decisions/0010-the-lms-never-waits-on-the-broker.rst.
"""
import logging
import threading
from collections import Counter

from django.conf import settings
from django.db import connections as db_connections
from django.db import transaction

from openedx_grade_freeze.credentials import breaker, leases, outbox, sending
from openedx_grade_freeze.models import DELIVERY_PAUSED, CredentialsDelivery

log = logging.getLogger(__name__)

# Failures in a row (across senders) after which the drain stops taking new deliveries.
FAILURES_BEFORE_STOP = 5
# Deliveries one sender leases at once: two queries for the batch instead of two per delivery.
CLAIM_BATCH = 20


def drain(limit=None):
    """Send due deliveries (pending, waiting or failed, not leased), oldest due first, and probe paused URLs.

    Deliveries go out on ``GRADE_FREEZE_CREDENTIALS_DRAIN_THREADS`` threads: each is one learner's grade in one run
    (or one run's date), leased by one sender, so a learner's grade is never sent twice at once. It stops after a
    run of failures, leaving the rest for the next run. Returns outcome counts.
    """
    now = leases.now()
    limit = limit or settings.GRADE_FREEZE_CREDENTIALS_DRAIN_BATCH_SIZE
    due = (
        CredentialsDelivery.objects.filter(status__in=leases.DUE_STATUSES)
        .filter(leases.due(now))
        .filter(leases.free(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    ids = list(due)
    probes = len(breaker.due_probes())
    if probes:
        # One paused delivery per due probe: its send tells whether the URL works again.
        paused = CredentialsDelivery.objects.filter(status=DELIVERY_PAUSED).filter(leases.free(now)).order_by("pk")
        ids.extend(paused.values_list("pk", flat=True)[:probes])
    threads = int(getattr(settings, "GRADE_FREEZE_CREDENTIALS_DRAIN_THREADS", 1) or 1)
    ids = list(dict.fromkeys(ids))  # a paused delivery may also be due
    batches = _Batches(ids)
    # Inside a transaction (a test, a caller's atomic block) other connections would not see its rows.
    if threads > 1 and len(ids) > 1 and not transaction.get_connection().in_atomic_block:
        _send_in_threads(batches, threads)
    else:
        batches.send_all()
    counts = Counter({outcome: count for outcome, count in batches.counts.items()
                      if outcome != sending.OUTCOME_BUSY or count})
    if counts:
        log.info("Credentials outbox drained: %s", dict(counts))
    return dict(counts)


class _FailureRun:
    """Counts failures in a row across senders; past the limit the drain stops taking new deliveries."""

    def __init__(self):
        self.lock = threading.Lock()
        self.in_a_row = 0
        self.stopped = False

    def add(self, outcome):
        with self.lock:
            failed = outcome in (sending.OUTCOME_RETRY, sending.OUTCOME_FAILED)
            self.in_a_row = self.in_a_row + 1 if failed else 0
            if self.in_a_row >= FAILURES_BEFORE_STOP and not self.stopped:
                # Credentials is probably down: stop rather than hold workers for a timeout per delivery.
                log.warning("Credentials outbox drain paused after %s failures in a row.", self.in_a_row)
                self.stopped = True
            return self.stopped


class _Batches:
    """Hands out the drain's delivery ids a batch at a time, to one or several senders."""

    def __init__(self, ids):
        self.ids = list(ids)
        self.lock = threading.Lock()
        self.counts = Counter()
        self.failures = _FailureRun()

    def next(self):
        with self.lock:
            if self.failures.stopped or not self.ids:
                return []
            batch, self.ids = self.ids[:CLAIM_BATCH], self.ids[CLAIM_BATCH:]
            return batch

    def send_all(self):
        """Claim and send batches until none is left or the drain stops (one sender)."""
        recorder = sending.Recorder(keep_successes=True)
        while True:
            batch = self.next()
            if not batch:
                return
            claims = leases.claim(batch)
            with self.lock:
                self.counts[sending.OUTCOME_BUSY] += len(batch) - len(claims)
            try:
                if not self._send_batch(claims, recorder):
                    return
            finally:
                recorder.write_kept()
                outbox.queue_again(recorder.take_requeues())

    def _send_batch(self, claims, recorder):
        """Send one leased batch; False when the drain stopped half-way (the rest is given back unsent)."""
        for index, claim in enumerate(claims):
            if self.failures.stopped:
                leases.release_unsent(claims[index:])
                return False
            outcome = sending.send(claim, recorder)
            with self.lock:
                self.counts[outcome] += 1
            self.failures.add(outcome)
        return True


def _send_in_threads(batches, threads):
    def sender():
        try:
            batches.send_all()
        finally:
            db_connections.close_all()  # this thread's own connections

    count = min(threads, -(-len(batches.ids) // CLAIM_BATCH))
    workers = [threading.Thread(target=sender, name=f"grade-freeze-drain-{n}") for n in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
