"""
Running test code on several threads at the same moment, each with its own database connection.
"""
import threading

from django.db import connection


def run_together(workers, target):
    """Run ``target(index)`` in ``workers`` threads released at the same moment; returns what each raised."""
    barrier = threading.Barrier(workers)
    errors = []

    def body(index):
        try:
            barrier.wait()
            target(index)
        except Exception as error:  # pylint: disable=broad-except  # pragma: no cover - reported by the caller
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(index,)) for index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
