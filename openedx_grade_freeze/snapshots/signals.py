"""
What final-grade snapshots announce, as Django signals: other features (the Credentials integration) listen.

Receivers are connected through the plugin's ``signals_config`` (``apps.py``), never by import.
"""
from django.dispatch import Signal

# A freeze run completed and is the course's current snapshot. Sent after commit, with ``run_id`` and
# ``course_key``; a receiver's error is logged, not raised. Sent again by the periodic snapshot task while the run's
# ``agreed_at`` stays empty long after it completed (what listened did not finish).
SNAPSHOT_COMPLETED = Signal()

# One learner's frozen grade was re-taken by an operator. Sent inside the change's transaction, with
# ``frozen_grade`` (the saved ``FrozenGrade``) and ``at`` (when); a receiver's error rolls the change back. A
# receiver answers True when it re-sent the grade somewhere.
LEARNER_REFROZEN = Signal()
