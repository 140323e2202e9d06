"""
Forwarding course grades and certificate available dates to Credentials through a durable, ordered outbox.

``ledger`` records grade changes; ``outbox`` is the one way in (``submit``: a subject changed, send it) and sends one
delivery; ``sending`` posts a leased delivery and records the answer, ``leases`` hands deliveries to one sender at a
time, ``retry_policy`` says when to try again, ``drain`` sends what is due on a few threads; ``client`` speaks
Credentials' API and ``config`` reads the settings. ``replay`` re-sends, ``upstream_sender`` takes over
edx-platform's own sender, and ``certificate_dates`` and ``snapshot_agreement`` follow what the schedules and the
snapshots announce. See docs/decisions/0005-credentials-outbox-and-ordering.rst.
"""
