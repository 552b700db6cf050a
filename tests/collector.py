"""The garbage collector's settings for the test run's Python processes: the pytest
processes (tests/conftest.py) and the ``manage.py`` commands they start (tests/manage.py).

Django and Wagtail make and drop objects by the thousand (querysets, requests, templates;
in ``migrate``, a class for every model at every migration), nearly all freed by their
reference counts. With Python's default thresholds the collector ran every 700 of them
and walked everything imported each time it reached the older generations: about a
twentieth of the tests' CPU time, a fifth of a module's with its full collections, and a
fifth of ``migrate``'s, for almost nothing found.
"""

import gc

# Container allocations between the collector's youngest-generation runs (Python's default
# is 700), then how many of those before each older generation's.
GC_THRESHOLDS = (20_000, 20, 20)


def settle():
    """Call once what the process will keep for good (Django, Wagtail, the test modules) is
    imported: it is moved out of the collector's reach, so later collections no longer walk
    it, and the collector runs less often (``GC_THRESHOLDS``)."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
