"""The app's settings, read from ``settings.ANON_MESSAGING`` over these defaults.

Per-site wording and response times live in the ``ReportingSettings`` Wagtail
setting instead; this module holds what a developer or operator decides.

``RULES`` says what each setting's value must be, and ``validate()`` lists what is
wrong with a site's ``ANON_MESSAGING``: an unknown key (a typo would otherwise be
ignored silently and the default used), a value of the wrong type, or a number
that would break the app. ``checks.check_settings_valid`` reports these at start-up, in
the site's language: each message is translated when ``validate()`` runs, with setting
names and values in placeholders, out of the text translators translate.
"""

import difflib
from dataclasses import dataclass

from django.conf import settings
from django.core.checks.security.base import REFERRER_POLICY_VALUES
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext, ngettext, pgettext_lazy

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
    # Messages a conversation page shows at once, the latest first loaded; earlier ones are
    # a link away, so a long conversation costs what a short one does.
    "CONVERSATION_PAGE_SIZE": 50,
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
        # Failures allowed without any delay: enough for a few typos of a code.
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
    # "retry", or the broker hands the same scan to a second worker. 50, not 60: django-q2's
    # default retry is 60 seconds, and check anon_messaging.E402 wants the timeout below it,
    # so these defaults must pass that check on a site that leaves Q_CLUSTER's retry alone.
    "REMINDER_TASK_TIMEOUT": 50,
    # Evidence attachments (docs/attachments.md). The storage: an alias of settings.STORAGES;
    # without that entry, a FileSystemStorage in a private directory beside MEDIA_ROOT.
    "ATTACHMENT_STORAGE": "anon_messaging_attachments",
    # Ceilings on what editors may allow per site (ReportingSettings): files per form or
    # message, and megabytes per file.
    "ATTACHMENT_MAX_FILES": 10,
    "ATTACHMENT_MAX_FILE_MB": 20,
    # Images that would decode to more pixels (all frames together) are refused: a small
    # file can claim gigabytes of memory (a decompression bomb). 50 MP is 200 MB decoded.
    "ATTACHMENT_MAX_PIXELS": 50_000_000,
    # A stored file without its database row this long after it was written is an orphan
    # a crash left (files are written before the row); the hourly sweep deletes it.
    "ATTACHMENT_ORPHAN_SECONDS": 3600,
    # How long a site's working calendar stays cached. Changes made in the admin drop
    # it at once; this bounds staleness in processes that do not share the cache.
    "DEADLINES_CACHE_SECONDS": 300,
    # How long a public statistics page keeps its (suppressed) figures before counting again.
    "STATISTICS_CACHE_SECONDS": 900,
    # Words and phrases that, in a question's label, ask who the reporter is: an anonymous
    # form's question holding one is flagged in the editor and refused at publish unless
    # confirmed (form_rules.py). One list per language code; the lists of every language the
    # site has (WAGTAIL_CONTENT_LANGUAGES, else LANGUAGE_CODE) are used, "en-gb" falling back
    # to "en". A site's dict replaces the lists of the languages it names and keeps the rest.
    "IDENTITY_WORDS": {
        "en": [
            "name",
            "surname",
            "forename",
            "email",
            "e-mail",
            "phone",
            "telephone",
            "mobile",
            "student number",
            "student id",
            "staff number",
            "staff id",
            "employee number",
            "employee id",
            "payroll number",
            "matriculation number",
            "id number",
            "address",
            "postcode",
            "date of birth",
            "birthday",
            "initials",
            "username",
            "user name",
            "national insurance",
            # Questions that place or date the person rather than naming them.
            "where do you live",
            "where you live",
            "how old are you",
            "your age",
        ],
        "cy": [
            "enw",
            "cyfenw",
            "e-bost",
            "ebost",
            "ffôn",
            "rhif myfyriwr",
            "rhif staff",
            "cyfeiriad",
            "cod post",
        ],
        "de": [
            "name",
            "vorname",
            "nachname",
            "e-mail",
            "email",
            "telefon",
            "telefonnummer",
            "handy",
            "handynummer",
            "matrikelnummer",
            "personalnummer",
            "mitarbeiternummer",
            "adresse",
            "anschrift",
            "postleitzahl",
            "geburtsdatum",
        ],
        "es": [
            "nombre",
            "apellido",
            "apellidos",
            "correo",
            "email",
            "e-mail",
            "teléfono",
            "móvil",
            "celular",
            "número de estudiante",
            "número de empleado",
            "dirección",
            "código postal",
            "fecha de nacimiento",
        ],
        "fr": [
            "nom",
            "prénom",
            "courriel",
            "e-mail",
            "email",
            "téléphone",
            "portable",
            "numéro d'étudiant",
            "numéro étudiant",
            "matricule",
            "adresse",
            "code postal",
            "date de naissance",
        ],
        "it": [
            "nome",
            "cognome",
            "email",
            "e-mail",
            "telefono",
            "cellulare",
            "matricola",
            "indirizzo",
            "codice fiscale",
            "data di nascita",
        ],
        "nl": [
            "naam",
            "voornaam",
            "achternaam",
            "e-mail",
            "email",
            "telefoon",
            "telefoonnummer",
            "mobiel",
            "studentnummer",
            "personeelsnummer",
            "adres",
            "postcode",
            "geboortedatum",
        ],
        "pt": [
            "nome",
            "apelido",
            "sobrenome",
            "email",
            "e-mail",
            "telefone",
            "telemóvel",
            "celular",
            "número de estudante",
            "número de aluno",
            "número de funcionário",
            "morada",
            "endereço",
            "código postal",
            "data de nascimento",
        ],
        "pl": [
            "imię",
            "nazwisko",
            "e-mail",
            "email",
            "adres e-mail",
            "telefon",
            "numer telefonu",
            "komórka",
            "numer albumu",
            "numer indeksu",
            "numer legitymacji",
            "numer pracownika",
            "adres",
            "kod pocztowy",
            "data urodzenia",
            "pesel",
        ],
        "uk": [
            "ім'я",
            "імʼя",
            "прізвище",
            "електронна пошта",
            "email",
            "e-mail",
            "телефон",
            "номер телефону",
            "мобільний",
            "номер студентського",
            "студентський квиток",
            "табельний номер",
            "адреса",
            "поштовий індекс",
            "дата народження",
        ],
        # Chinese has no spaces between words: each of these is matched where it stands
        # alone or at the edge of a label, as in "姓名：" or "您的电话".
        "zh": [
            "姓名",
            "名字",
            "电子邮件",
            "邮箱",
            "电话",
            "手机",
            "学号",
            "工号",
            "地址",
            "邮编",
            "出生日期",
        ],
        "ar": [
            "اسمك",
            "الاسم",
            "اسم",
            "البريد الإلكتروني",
            "الإيميل",
            "الهاتف",
            "رقم الهاتف",
            "الجوال",
            "رقم الطالب",
            "الرقم الجامعي",
            "رقم الموظف",
            "العنوان",
            "عنوانك",
            "الرمز البريدي",
            "تاريخ الميلاد",
        ],
    },
}


def site_languages():
    """The language codes the site's content is written in: Wagtail's content languages
    when it has several, else LANGUAGE_CODE."""
    configured = getattr(settings, "WAGTAIL_CONTENT_LANGUAGES", None)
    if configured:
        return [code for code, _name in configured]
    return [settings.LANGUAGE_CODE or "en"]


def words_for_languages(words_by_language, languages):
    """The words of ``words_by_language`` (a dict of language code to words) for each of
    ``languages``, a regional code ("en-gb") falling back to its language ("en")."""
    found = []
    for code in languages:
        code = code.lower()
        words = words_by_language.get(code)
        if words is None:
            words = words_by_language.get(code.split("-")[0], ())
        found.extend(word for word in words if word not in found)
    return found


def get_setting(name):
    configured = getattr(settings, "ANON_MESSAGING", {})
    if not isinstance(configured, dict):
        raise ImproperlyConfigured("settings.ANON_MESSAGING must be a dict.")
    value = configured.get(name, DEFAULTS[name])
    if isinstance(DEFAULTS[name], dict) and isinstance(value, dict):
        return {**DEFAULTS[name], **value}
    return value


# --- Validation -----------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """What one setting's value must be."""

    types: tuple
    # The types in words, for the hint: "an integer", "a string or None" (lazily translated).
    expected: str
    # For numbers: the least and greatest value that works, and why, for the hint.
    minimum: int | None = None
    maximum: int | None = None
    why: str = ""
    # For lists: the type every item must have.
    item_type: type | None = None
    # For strings: the values allowed (each of a comma-separated list).
    choices: frozenset | None = None


class OpenKeys(dict):
    """The rules of a dict setting whose keys are open, such as language codes: each
    default key's rule, and ``other`` for any key a site adds."""

    def __init__(self, rules, other):
        super().__init__(rules)
        self.other = other


# The kinds of value a setting must hold, put in "ANON_MESSAGING['X'] is of type str, not
# an integer." and "Set it to an integer." ("None" is Python's None, kept as is). Each
# context is a literal: xgettext reads no variables.
_INTEGER = pgettext_lazy("kind of setting value", "an integer")
_A_STRING = pgettext_lazy("kind of setting value", "a string")
_A_DICT = pgettext_lazy("kind of setting value", "a dict")


def _int(minimum=None, maximum=None, why=""):
    return Rule((int,), _INTEGER, minimum, maximum, why)


_STRING = Rule((str,), _A_STRING)
_ITEM_WORDS = {str: _A_STRING}
_STRING_OR_NONE = Rule(
    (str, type(None)), pgettext_lazy("kind of setting value", "a string or None")
)
_WORD_LIST = Rule(
    (list, tuple), pgettext_lazy("kind of setting value", "a list of strings"), item_type=str
)

# One entry per key of DEFAULTS; a dict of rules for a dict setting (merged key by key).
# Each "why" ends the hint "Use at least 1: <why>." of a number out of range.
RULES = {
    "BASE_TEMPLATE": _STRING,
    "ARGON2": {
        "time_cost": _int(
            1, why=pgettext_lazy("why a setting is out of range", "argon2 needs at least one pass")
        ),
        # argon2 needs at least 8 KiB per lane; validate() also checks it against parallelism.
        "memory_cost": _int(
            8,
            why=pgettext_lazy(
                "why a setting is out of range", "argon2 needs at least 8 KiB per lane"
            ),
        ),
        "parallelism": _int(
            1, why=pgettext_lazy("why a setting is out of range", "argon2 needs at least one lane")
        ),
    },
    "SESSION_IDLE_SECONDS": _int(
        1,
        why=pgettext_lazy(
            "why a setting is out of range", "0 would end every session at its next request"
        ),
    ),
    "MESSAGE_MAX_LENGTH": _int(
        1, why=pgettext_lazy("why a setting is out of range", "0 would refuse every message")
    ),
    "CONVERSATION_PAGE_SIZE": _int(
        1, why=pgettext_lazy("why a setting is out of range", "0 would show no message")
    ),
    "ANSWER_MAX_LENGTH": _int(
        1, why=pgettext_lazy("why a setting is out of range", "0 would refuse every answer")
    ),
    "ENCRYPTION_KEYS": _WORD_LIST,
    "REFERRER_POLICY": Rule((str,), _A_STRING, choices=frozenset(REFERRER_POLICY_VALUES)),
    "CLIENT_IP_HEADER": _STRING_OR_NONE,
    "THROTTLE": {
        "cache_alias": _STRING,
        "ipv6_prefix_length": _int(
            0,
            128,
            why=pgettext_lazy("why a setting is out of range", "an IPv6 prefix has 0 to 128 bits"),
        ),
        # 0 is meaningful for these: delays from the first failure, no delay cap, no lock-out
        # (lockout_after 0 switches it off), no cap (each *_max_* 0 switches it off); see
        # throttle.py.
        "free_failures": _int(0),
        "max_delay": _int(0),
        "lockout_after": _int(0),
        "lockout_seconds": _int(0),
        "window_seconds": _int(
            1,
            why=pgettext_lazy(
                "why a setting is out of range", "0 would forget every failure at once"
            ),
        ),
        "verification_window": _int(
            1,
            why=pgettext_lazy(
                "why a setting is out of range", "the caps are counted per window of this length"
            ),
        ),
        "address_max_verifications": _int(0),
        "case_max_verifications": _int(0),
        "no_case_max_verifications": _int(0),
        "code_issue_window": _int(
            1,
            why=pgettext_lazy(
                "why a setting is out of range", "the caps are counted per window of this length"
            ),
        ),
        "address_max_code_issues": _int(0),
        "max_code_issues": _int(0),
    },
    "ARGON2_MAX_CONCURRENT": _int(
        1,
        why=pgettext_lazy(
            "why a setting is out of range", "0 would refuse every log-in and every code"
        ),
    ),
    "ARGON2_BUSY_WAIT_SECONDS": _int(0),
    "NOTIFICATION_BACKENDS": Rule(
        (list, tuple),
        pgettext_lazy("kind of setting value", "a list of dotted paths"),
        item_type=str,
    ),
    "FROM_EMAIL": _STRING_OR_NONE,
    "INTAKE_TEAM": _STRING_OR_NONE,
    "ALERT_SCAN_MINUTES": _int(
        1,
        why=pgettext_lazy(
            "why a setting is out of range", "a schedule needs an interval of at least a minute"
        ),
    ),
    "ALERT_QUIET_MINUTES": _int(0),
    "REMINDER_SCAN_MINUTES": _int(
        1,
        why=pgettext_lazy(
            "why a setting is out of range", "a schedule needs an interval of at least a minute"
        ),
    ),
    "REMINDER_TASK_TIMEOUT": _int(
        1, why=pgettext_lazy("why a setting is out of range", "the scan needs time to run")
    ),
    "DEADLINES_CACHE_SECONDS": _int(0),
    "STATISTICS_CACHE_SECONDS": _int(0),
    # Any language code may be added; each holds a list of words.
    "IDENTITY_WORDS": OpenKeys(dict.fromkeys(DEFAULTS["IDENTITY_WORDS"], _WORD_LIST), _WORD_LIST),
    "ATTACHMENT_STORAGE": _STRING,
    "ATTACHMENT_MAX_FILES": _int(
        1,
        100,
        why=pgettext_lazy("why a setting is out of range", "each file is cleaned in the request"),
    ),
    "ATTACHMENT_MAX_FILE_MB": _int(
        1,
        200,
        why=pgettext_lazy(
            "why a setting is out of range", "a file is held in memory while it is cleaned"
        ),
    ),
    "ATTACHMENT_MAX_PIXELS": _int(
        1,
        500_000_000,
        why=pgettext_lazy("why a setting is out of range", "each pixel takes 4 bytes of memory"),
    ),
    "ATTACHMENT_ORPHAN_SECONDS": _int(
        60,
        why=pgettext_lazy(
            "why a setting is out of range",
            "a file is written before its row; a shorter wait could delete it meanwhile",
        ),
    ),
}

# What validate() finds; checks.py gives each kind its check id.
UNKNOWN_KEY = "unknown key"
WRONG_TYPE = "wrong type"
BAD_VALUE = "bad value"


@dataclass(frozen=True)
class Problem:
    kind: str
    # Where it is, as a site would write it: ANON_MESSAGING['THROTTLE']['free_failures'].
    setting: str
    # In the language active when validate() ran.
    message: str
    hint: str


def validate(configured=None):
    """Everything wrong with ``ANON_MESSAGING`` (or ``configured``), as a list of Problems."""
    if configured is None:
        configured = getattr(settings, "ANON_MESSAGING", {})
    if not isinstance(configured, dict):
        return [
            Problem(
                WRONG_TYPE,
                "ANON_MESSAGING",
                _is_not(configured, _A_DICT, "ANON_MESSAGING"),
                gettext(
                    "Set %(setting)s to a dict of the settings that differ from the defaults, "
                    "or leave it out."
                )
                % {"setting": "ANON_MESSAGING"},
            )
        ]
    problems = _validate_dict(configured, RULES, "ANON_MESSAGING")
    if not problems:
        problems += _argon2_memory_problems(DEFAULTS["ARGON2"] | configured.get("ARGON2", {}))
    return problems


def _validate_dict(values, rules, where):
    problems = []
    for key, value in values.items():
        setting = f"{where}[{key!r}]"
        if key not in rules and isinstance(rules, OpenKeys) and isinstance(key, str):
            problems += _validate_value(value, rules.other, setting)
        elif key not in rules:
            problems.append(_unknown_key(key, rules, setting, where))
        elif isinstance(rules[key], dict):
            if isinstance(value, dict):
                problems += _validate_dict(value, rules[key], setting)
            else:
                problems.append(_wrong_type(value, _A_DICT, setting, rules[key]))
        else:
            problems += _validate_value(value, rules[key], setting)
    return problems


def _argon2_memory_problems(params):
    """argon2 needs 8 KiB of memory per lane: a rule between two keys."""
    if params["memory_cost"] >= 8 * params["parallelism"]:
        return []
    setting = "ANON_MESSAGING['ARGON2']['memory_cost']"
    return [
        Problem(
            BAD_VALUE,
            setting,
            ngettext(
                "%(setting)s (%(memory_cost)s) is less than 8 KiB for the %(parallelism)s "
                "lane of %(key)r.",
                "%(setting)s (%(memory_cost)s) is less than 8 KiB for each of the "
                "%(parallelism)s lanes of %(key)r.",
                params["parallelism"],
            )
            % {
                "setting": setting,
                "memory_cost": params["memory_cost"],
                "parallelism": params["parallelism"],
                "key": "parallelism",
            },
            # Translators: %(rule)s is "memory_cost >= 8 * parallelism", kept as is.
            gettext("argon2 needs %(rule)s (%(least)s here); RFC 9106 suggests 65536.")
            % {"rule": "memory_cost >= 8 * parallelism", "least": 8 * params["parallelism"]},
        )
    ]


def _validate_value(value, rule, setting):
    if not isinstance(value, rule.types) or (isinstance(value, bool) and bool not in rule.types):
        return [_wrong_type(value, rule.expected, setting)]
    if rule.item_type is not None:
        return [
            _wrong_type(item, _ITEM_WORDS[rule.item_type], f"{setting}[{position}]")
            for position, item in enumerate(value)
            if not isinstance(item, rule.item_type)
        ]
    if rule.choices is not None:
        unknown = [part.strip() for part in value.split(",") if part.strip() not in rule.choices]
        if unknown or not value.strip():
            return [
                Problem(
                    BAD_VALUE,
                    setting,
                    gettext("%(setting)s = %(value)r is not a value browsers know.")
                    % {"setting": setting, "value": value},
                    gettext("Use one of: %(values)s.")
                    % {"values": ", ".join(sorted(rule.choices))},
                )
            ]
    too_small = rule.minimum is not None and value < rule.minimum
    too_large = rule.maximum is not None and value > rule.maximum
    if too_small or too_large:
        return [
            Problem(
                BAD_VALUE,
                setting,
                gettext("%(setting)s = %(value)r is out of range.")
                % {"setting": setting, "value": value},
                _range_hint(rule),
            )
        ]
    return []


def _range_hint(rule):
    """The numbers a rule allows, and why when the rule says."""
    limits = {"minimum": rule.minimum, "maximum": rule.maximum, "why": rule.why}
    if rule.maximum is None and rule.why:
        # Translators: %(why)s says why, such as "0 would refuse every message".
        return gettext("Use at least %(minimum)s: %(why)s.") % limits
    if rule.maximum is None:
        return gettext("Use at least %(minimum)s.") % limits
    if rule.why:
        # Translators: %(why)s says why, such as "an IPv6 prefix has 0 to 128 bits".
        return gettext("Use from %(minimum)s to %(maximum)s: %(why)s.") % limits
    return gettext("Use from %(minimum)s to %(maximum)s.") % limits


def _unknown_key(key, rules, setting, where):
    valid = sorted(rules)
    close = difflib.get_close_matches(str(key), valid, n=1) if isinstance(key, str) else []
    if close:
        # Translators: %(key)r is the setting's name the site probably meant, in quotes.
        hint = gettext("Did you mean %(key)r?") % {"key": close[0]}
    else:
        hint = gettext("Valid keys: %(keys)s.") % {"keys": ", ".join(valid)}
    return Problem(
        UNKNOWN_KEY,
        setting,
        # Translators: %(where)s is the setting, such as ANON_MESSAGING or
        # ANON_MESSAGING['THROTTLE']; %(key)r is the key it has no setting for, in quotes.
        gettext("%(where)s has no setting %(key)r.") % {"where": where, "key": key},
        hint,
    )


def _wrong_type(value, expected, setting, nested_rules=None):
    if nested_rules:
        # Translators: %(expected)s is "a dict"; %(keys)s lists the keys a dict may have.
        hint = gettext("Set it to %(expected)s with any of the keys %(keys)s.") % {
            "expected": expected,
            "keys": ", ".join(sorted(nested_rules)),
        }
    else:
        hint = gettext("Set it to %(expected)s.") % {"expected": expected}
    return Problem(WRONG_TYPE, setting, _is_not(value, expected, setting), hint)


def _is_not(value, expected, setting):
    """That ``setting`` holds a value of the wrong type: the type alone, never the value,
    which may be a key that must not reach the console."""
    if value is None:
        # Translators: None is Python's None, kept as is; %(expected)s is such as "an integer".
        return gettext("%(setting)s is None, not %(expected)s.") % {
            "setting": setting,
            "expected": expected,
        }
    # Translators: %(type)s is a Python type's name, such as str; %(expected)s is such as
    # "an integer".
    return gettext("%(setting)s is of type %(type)s, not %(expected)s.") % {
        "setting": setting,
        "type": type(value).__name__,
        "expected": expected,
    }
