"""
Final-grade snapshots: freeze runs in chunks, Credentials agreement, operator corrections and status.

See docs/decisions/0011-final-grade-snapshots-in-chunks.rst and 0012-credentials-agrees-with-the-snapshot.rst.
"""
