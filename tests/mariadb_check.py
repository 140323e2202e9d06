"""
Exit 0 when MariaDB answers at the test database address, 1 (saying why) otherwise.
"""
import os
import sys

import MySQLdb


def main():
    try:
        connection = MySQLdb.connect(
            host=os.environ.get("GRADE_FREEZE_DB_HOST", "127.0.0.1"),
            port=int(os.environ.get("GRADE_FREEZE_DB_PORT", "3306")),
            user=os.environ.get("GRADE_FREEZE_DB_USER", "root"),
            password=os.environ.get("GRADE_FREEZE_DB_PASSWORD", ""),
            connect_timeout=5,
        )
    except MySQLdb.Error as error:
        print(f"MariaDB not reachable: {error}", file=sys.stderr)
        return 1
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
