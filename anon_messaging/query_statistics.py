"""The statistics a database's query planner reads, kept fresh by a scheduled task.

PostgreSQL gathers its own (autovacuum's ANALYZE). SQLite gathers none until ANALYZE
runs, and Django never runs it. Without statistics SQLite reads an adviser's case list
(their own and their team's cases, in the queue's order) through the two assignment
indexes and sorts every visible case: at 100,000 cases the page took twice as long as
at 100. With them it walks the list's own order index (``am_case_queue``) and stops when
the page is full, at any number of cases.
"""

from django.db import DEFAULT_DB_ALIAS, connections


def refresh(using=DEFAULT_DB_ALIAS):
    """Gather the planner's statistics where the database does not do so itself.

    Returns whether it ran: on SQLite, ``ANALYZE`` (a full read of every index, a
    fraction of a second at 100,000 cases, then one short write); elsewhere nothing.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return True
