"""``example_site/manage.py`` for the commands the test run starts itself: ``migrate`` and
``seed_demo`` for the run's database templates (tests/databases.py), and the served sites'
``runserver`` (tests/runserver.py).

The same commands as ``manage.py`` runs them, with the garbage collector set as in the
pytest processes once Django is set up (tests/collector.py): ``migrate`` takes about a
fifth less time, and on a fresh checkout every database test waits for it.
"""

import sys
from pathlib import Path

MANAGE_PY = Path(__file__).resolve().parents[1] / "example_site" / "manage.py"


def main(argv):
    # What running manage.py itself puts first on the path: the example site's directory.
    sys.path.insert(0, str(MANAGE_PY.parent))
    import django
    from django.core.management import execute_from_command_line

    from tests import collector

    django.setup()
    collector.settle()
    execute_from_command_line([str(MANAGE_PY), *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
