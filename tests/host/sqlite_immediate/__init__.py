"""SQLite with ``BEGIN IMMEDIATE`` on Django before 5.1, which has no ``transaction_mode`` option (Teak: 4.2)."""
