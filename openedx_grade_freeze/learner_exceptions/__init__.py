"""
Learner exceptions: one learner's grades in one course may change for a window while the course stays frozen.

``workflow`` requests, approves, grants and closes them (who may, validated, audited, tracked); ``refreeze`` closes
expired ones and re-takes each learner's grade into the course's snapshot; ``summary`` says what a course has. The
veto reads the open ones through the freeze policy's cache (``policy.LearnerRules``). See ADR 0020.
"""
