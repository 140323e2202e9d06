"""
Django's SQLite backend, starting each transaction with ``BEGIN IMMEDIATE`` as Django 5.1's ``transaction_mode`` does.

A deferred transaction that reads and then writes fails at once with "database is locked" when another writer holds
the file; an immediate one waits for the lock (the ``timeout`` option), as a row lock makes a MySQL writer wait. The
tests that run writers at once on threads and worker processes need that on every release's Django.
"""
from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    """The SQLite wrapper with immediate transactions."""

    def _start_transaction_under_autocommit(self):
        self.cursor().execute("BEGIN IMMEDIATE")
