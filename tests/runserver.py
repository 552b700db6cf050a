"""``manage.py`` for the served sites (tests/served_site.py), with runserver's listen queue
``LISTEN_QUEUE`` connections long instead of Django's 10.

With 10, a flood's simultaneous connections beyond the queue were dropped by the kernel
and came back a second later (a retransmitted handshake), or were reset. Everything else
is ``manage.py``'s own; only Django is imported here, as in a served site.
"""

import sys
from pathlib import Path

from django.core.servers.basehttp import WSGIServer

MANAGE_PY = Path(__file__).resolve().parents[1] / "example_site" / "manage.py"
# Connections waiting to be accepted: more than the flood tests open at once.
LISTEN_QUEUE = 128


def main(argv):
    WSGIServer.request_queue_size = LISTEN_QUEUE
    # What running manage.py itself puts first on the path: the example site's directory.
    sys.path.insert(0, str(MANAGE_PY.parent))
    from django.core.management import execute_from_command_line

    execute_from_command_line([str(MANAGE_PY), *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
