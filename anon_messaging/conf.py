"""The app's settings, read from ``settings.ANON_MESSAGING`` over these defaults.

Per-site wording and response times live in the ``ReportingSettings`` Wagtail
setting instead; this module holds what a developer or operator decides.
"""

from django.conf import settings

DEFAULTS = {
    # Template every reporter page extends; a site may point it at its own base.
    "BASE_TEMPLATE": "anon_messaging/base.html",
    # argon2id cost for code hashes. RFC 9106 low-memory profile by default;
    # raising it later is safe: old hashes are upgraded at their next log-in.
    "ARGON2": {"time_cost": 3, "memory_cost": 65536, "parallelism": 4},
    # Reporter sessions end after this much inactivity (and when the browser closes).
    "SESSION_IDLE_SECONDS": 30 * 60,
    "MESSAGE_MAX_LENGTH": 5000,
    "ANSWER_MAX_LENGTH": 10000,
    # Fernet keys (urlsafe base64, 32 bytes), newest first. Empty: derived from
    # SECRET_KEY, which is fine for a demo and warned about by the system checks.
    "ENCRYPTION_KEYS": [],
    # Referrer-Policy of reporter pages. "no-referrer" needs the app's CsrfViewMiddleware
    # (see security.py); a system check says so when it is missing.
    "REFERRER_POLICY": "no-referrer",
    # Where to read the client address for throttling behind a proxy, e.g.
    # "HTTP_X_FORWARDED_FOR"; its last address is used (docs/deployment.md).
    "CLIENT_IP_HEADER": None,
    # Failed code log-ins (throttle.py explains the design). A site may override any key.
    "THROTTLE": {
        # Django cache alias holding the counters; shared by all workers in production.
        "cache_alias": "default",
        # Group IPv6 clients by this prefix length: one end-user network usually gets a /64.
        "ipv6_prefix_length": 64,
        # Failures allowed without any delay: enough for a few typos of a 16-character code.
        "free_failures": 5,
        # Cap of the exponential delay, in seconds.
        "max_delay": 60,
        # Failures after which a client is refused for lockout_seconds. Kept short: many
        # people may share one address, and a right code is never counted with wrong ones.
        "lockout_after": 20,
        "lockout_seconds": 300,
        # A counter is forgotten after this many seconds without failures.
        "window_seconds": 900,
        # Global slow-down: more than global_max_failures failures within global_window s...
        "global_max_failures": 200,
        "global_window": 60,
        # ...makes everyone wait this long between attempts (the most a clean client waits).
        "global_cooldown": 30,
        # At most this many codes that match no case are verified per global_window, from all
        # clients together: such a code cannot open a case, so a reporter's right code is
        # never refused by it, and it caps the hashing work an attack can cause. 0: no ceiling.
        "no_case_max_failures": 60,
    },
    # Sender of adviser alert emails; the subject is fixed so timing and content leak nothing.
    "FROM_EMAIL": None,
    # The group new cases are assigned to, so its members see them (docs/permissions.md).
    # None leaves new cases unassigned; then only users who may see every case see them.
    "INTAKE_TEAM": "Case advisers",
    # Adviser alerts: a django-q2 task every ALERT_SCAN_MINUTES sends one email per case
    # once the reporter has been quiet for ALERT_QUIET_MINUTES, so a burst gives one email.
    "ALERT_SCAN_MINUTES": 1,
    "ALERT_QUIET_MINUTES": 2,
    # django-q2 schedule for the overdue-response scan, in minutes.
    "REMINDER_SCAN_MINUTES": 15,
    # Seconds the scan may run before the cluster stops it; keep it below Q_CLUSTER's
    # "retry", or the broker hands the same scan to a second worker. 50, not 60: django-q2's
    # default retry is 60 seconds, and check anon_messaging.E402 wants the timeout below it,
    # so these defaults must pass that check on a site that leaves Q_CLUSTER's retry alone.
    "REMINDER_TASK_TIMEOUT": 50,
    # How long a site's working calendar stays cached. Changes made in the admin drop
    # it at once; this bounds staleness in processes that do not share the cache.
    "DEADLINES_CACHE_SECONDS": 300,
}


def get_setting(name):
    configured = getattr(settings, "ANON_MESSAGING", {})
    value = configured.get(name, DEFAULTS[name])
    if isinstance(DEFAULTS[name], dict) and isinstance(value, dict):
        return {**DEFAULTS[name], **value}
    return value
