"""
A course's final-grade snapshot at a glance: which run, how far it got, and its learner counts.
"""
from dataclasses import dataclass

from openedx_grade_freeze.models import RUN_COMPLETE, ExtendedLearnerRefreeze, FreezeRun
from openedx_grade_freeze.snapshots import runs


@dataclass(frozen=True)
class SnapshotSummary:
    """The course's final-grade snapshot: ``label`` says which run and how far (``none`` before the freeze)."""

    label: str
    learners: int = 0
    frozen: int = 0
    no_grade: int = 0
    failed: int = 0
    resent: int = 0
    # Learners of the current snapshot whose own freeze date (a personalized due date) is still to come: their rows
    # are provisional, re-taken at that date.
    provisional: int = 0

    @classmethod
    def of(cls, course_key, frozen):
        """The snapshot of one course; ``frozen`` says whether the course is frozen now (else its snapshot is
        superseded)."""
        run = runs.open_run(course_key)
        if run is not None:
            counts = runs.count_run(run.pk)
            label = f"run {run.pk} {run.status} ({counts.chunks_done}/{counts.chunks} chunks)"
            return cls(label, counts.learners, counts.frozen, counts.no_grade, counts.failed, run.resent)
        run = runs.current_snapshot(course_key)
        if run is not None:
            label = f"complete (run {run.pk})"
            if not frozen:
                label += " - superseded: no longer past its freeze date"
            provisional = ExtendedLearnerRefreeze.objects.filter(run=run, refrozen_at__isnull=True).count()
            return cls(label, run.learners, run.frozen, run.no_grade, run.failed, run.resent, provisional)
        else:
            run = FreezeRun.objects.filter(course_key=course_key, status=RUN_COMPLETE).order_by("-completed_at").first()
            if run is None:
                return cls("none")
            label = f"{run.retired} (run {run.pk}); no current snapshot"
        return cls(label, run.learners, run.frozen, run.no_grade, run.failed, run.resent)
