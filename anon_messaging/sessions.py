"""A session engine whose reporter sessions leave no row behind for long.

Django keeps a session's row until ``SESSION_COOKIE_AGE`` (two weeks by default),
even for a session that ends when the browser closes. A reporter's session row maps a
session to a case, so here a session that holds a case expires after
``ANON_MESSAGING["SESSION_IDLE_SECONDS"]`` of inactivity instead (each request moves
it on), and the scheduled ``clearsessions`` removes it soon after. The cookie still
ends with the browser session. Use it with ``SESSION_ENGINE = "anon_messaging.sessions"``.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

from .conf import get_setting

# What a reporter's session holds: the case's id and when it was last used. Never the code.
SESSION_CASE_KEY = "anon_messaging.case"
SESSION_SEEN_KEY = "anon_messaging.seen"


class SessionStore(DatabaseSessionStore):
    def get_session_cookie_age(self):
        age = super().get_session_cookie_age()
        if self.get(SESSION_CASE_KEY) is not None:
            return min(age, get_setting("SESSION_IDLE_SECONDS"))
        return age
