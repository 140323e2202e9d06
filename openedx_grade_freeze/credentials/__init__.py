"""
Forwarding course grades and certificate available dates to Credentials through a durable, ordered outbox.

``ledger`` records grade changes, ``outbox`` sends them in order, ``client`` speaks Credentials' API, ``config``
reads the settings, ``replay`` re-sends, ``upstream_sender`` takes over edx-platform's own sender and
``certificate_dates`` follows end-date changes. See docs/decisions/0005-credentials-outbox-and-ordering.rst.
"""
