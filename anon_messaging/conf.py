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
    # argon2 operations one process runs at once (each holds memory_cost KiB); a request
    # that finds them all busy for ARGON2_BUSY_WAIT_SECONDS gets a "try again" page.
    "ARGON2_MAX_CONCURRENT": 2,
    "ARGON2_BUSY_WAIT_SECONDS": 2,
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
        # Caps on argon2 verifications within a sliding verification_window (seconds),
        # each reserved atomically before verifying (throttle.py): per client address, per
        # targeted case, and for every code that matches no case, from all clients together
        # (such a code cannot open a case, so this ceiling keeps no reporter out). 0: no cap.
        "verification_window": 60,
        "address_max_verifications": 20,
        "case_max_verifications": 10,
        "no_case_max_verifications": 60,
        # Reports that get a messaging code (each costs an argon2 hash and an alert), per
        # client address and from everyone together, within code_issue_window seconds.
        "code_issue_window": 3600,
        "address_max_code_issues": 10,
        "max_code_issues": 200,
    },
    # Sender of adviser alert emails; the subject is fixed so timing and content leak nothing.
    "FROM_EMAIL": None,
    # Channels notices to advisers go out on (notifications.BaseNotificationBackend).
    "NOTIFICATION_BACKENDS": ["anon_messaging.notifications.EmailBackend"],
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
    # "retry", or the broker hands the same scan to a second worker.
    "REMINDER_TASK_TIMEOUT": 60,
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
