"""``manage.py`` for the served sites (tests/served_site.py), with runserver's listen queue
``LISTEN_QUEUE`` connections long instead of Django's 10.

With 10, a flood's simultaneous connections beyond the queue were dropped by the kernel
and came back a second later (a retransmitted handshake), or were reset. Everything else
is tests/manage.py's: ``manage.py``'s own command, with the collector set as in the tests.
"""

import sys

from django.core.servers.basehttp import WSGIServer

from tests import manage

# Connections waiting to be accepted: more than the flood tests open at once.
LISTEN_QUEUE = 128


def main(argv):
    WSGIServer.request_queue_size = LISTEN_QUEUE
    manage.main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
