"""One-time reporter codes: formats, generation, normalisation, hashing and look-up.

A code is a string of Crockford's base32 symbols drawn with ``secrets``. Its
*format* (``FORMATS``) says how many symbols it has, how many of the first ones
are the *selector* and how it is grouped for reading; the current format makes
16 symbols (80 bits) with a 6-symbol selector. The selector selects the case, the
rest verifies it. The database holds only a keyed HMAC of the selector, marked
with the format's version (an index, so a log-in is one equality look-up and
never a scan), and an argon2id hash of the whole code. A log-in therefore costs
exactly one argon2 verification: a selector that matches no case is verified
against a dummy hash of the same cost.

Because every stored digest says which format made it and a code's length says
which format it has, a new format (say, longer codes) can become current without
locking out anyone who holds a code of an older one: see ``FORMATS``.
"""

import hashlib
import hmac
import re
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .conf import get_setting

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


@dataclass(frozen=True)
class CodeFormat:
    """How codes of one version are made: ``length`` symbols, the first
    ``selector_length`` of them the selector, shown in groups of ``group``."""

    version: int
    length: int
    selector_length: int
    group: int

    @property
    def bits(self):
        return self.length * 5


# Every format a stored code may have, by version. The length of a code is written here
# and nowhere else: forms, pages and templates derive it. Never change or remove a format
# while codes made with it may be in use; add a new version with a length of its own and
# make it CURRENT_VERSION (docs/codes-and-anonymity.md, "Changing the code format").
FORMATS = {
    1: CodeFormat(version=1, length=16, selector_length=6, group=4),
}
# New codes are made in this format.
CURRENT_VERSION = 1

# Stored selector digests read "<version>$<hex HMAC-SHA256 of the selector>".
DIGEST_SEPARATOR = "$"

# Look-alikes a person may type or a font may suggest, mapped as Crockford does.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
_SEPARATORS = re.compile(r"[\s\-_.\u2010-\u2015\u2212]+")


def validate_formats(formats=None, current=None):
    """What is wrong with a table of formats (``FORMATS`` by default), as sentences."""
    formats = FORMATS if formats is None else formats
    current = CURRENT_VERSION if current is None else current
    problems = []
    if current not in formats:
        problems.append(f"The current version {current} is not in the table.")
    lengths = {}
    for version, code_format in formats.items():
        if code_format.version != version:
            problems.append(f"Format {version} says it is version {code_format.version}.")
        if not 0 < code_format.selector_length < code_format.length:
            problems.append(f"Format {version}: the selector must be shorter than the code.")
        if code_format.group < 1:
            problems.append(f"Format {version}: groups need at least one symbol.")
        if code_format.length in lengths:
            # A typed code is told apart by its length alone.
            problems.append(
                f"Formats {lengths[code_format.length]} and {version} have the same length."
            )
        lengths[code_format.length] = version
    return problems


def current_format():
    """The format new codes are made in."""
    return FORMATS[CURRENT_VERSION]


def code_lengths():
    """The lengths a code may have, shortest first: one per format."""
    return sorted({code_format.length for code_format in FORMATS.values()})


def formats_of(code):
    """The formats a normalised code may have been made in, newest first (by its length)."""
    return sorted(
        (code_format for code_format in FORMATS.values() if code_format.length == len(code)),
        key=lambda code_format: code_format.version,
        reverse=True,
    )


def digest_version(digest):
    """The format version a stored selector digest was made with, or None if unmarked."""
    version, separator, _rest = (digest or "").partition(DIGEST_SEPARATOR)
    return int(version) if separator and version.isdigit() else None


def generate_code(code_format=None):
    """A new code in ``code_format``, by default the current format."""
    code_format = code_format or current_format()
    return "".join(secrets.choice(ALPHABET) for _ in range(code_format.length))


def format_code(code):
    """Group a normalised code for display, as its format says: XXXX-XXXX-XXXX-XXXX."""
    matching = formats_of(code)
    group = (matching[0] if matching else current_format()).group
    return "-".join(code[i : i + group] for i in range(0, len(code), group))


def normalise_code(raw):
    """Return the canonical code for what a person typed or pasted, or None.

    Forgives case, spaces, dashes and look-alike letters; anything else that is
    not in the alphabet, or not the length of a known format, is not a code.
    """
    lengths = code_lengths()
    if not isinstance(raw, str) or len(raw) > 4 * lengths[-1]:
        return None
    cleaned = _SEPARATORS.sub("", raw).upper().translate(_LOOKALIKES)
    if len(cleaned) not in lengths or any(symbol not in ALPHABET for symbol in cleaned):
        return None
    return cleaned


def selector_digest(code, secret_key=None, code_format=None):
    """Keyed index of the code's selector: equality look-up without storing the code.

    ``"<version>$<hex>"``: the HMAC-SHA256, under a key derived from ``secret_key``
    (SECRET_KEY by default), of the selector as ``code_format`` cuts it. Without a
    format, the newest format of the code's length.
    """
    if code_format is None:
        matching = formats_of(code)
        if not matching:
            raise ValueError("Not a code of any known format.")
        code_format = matching[0]
    secret_key = settings.SECRET_KEY if secret_key is None else secret_key
    key = hashlib.sha256(b"anon_messaging.codes.selector:" + secret_key.encode())
    selector = code[: code_format.selector_length].encode()
    digest = hmac.new(key.digest(), selector, hashlib.sha256).hexdigest()
    return f"{code_format.version}{DIGEST_SEPARATOR}{digest}"


def selector_digests(code):
    """Every digest under which the case of ``code`` may be stored, for one ``__in`` look-up.

    The selector's digest under each format of the code's length, each under
    SECRET_KEY and then each of SECRET_KEY_FALLBACKS. Looking a code up by all of
    them means rotating SECRET_KEY the way Django recommends locks no reporter out;
    a log-in moves the case to the current key.
    """
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [
        selector_digest(code, key, code_format) for code_format in formats_of(code) for key in keys
    ]


def __getattr__(name):
    # CODE_LENGTH, SELECTOR_LENGTH and GROUP were constants before formats had versions.
    # They still answer, for the current format, so the length is written only in FORMATS.
    attribute = {"CODE_LENGTH": "length", "SELECTOR_LENGTH": "selector_length", "GROUP": "group"}
    if name in attribute:
        return getattr(current_format(), attribute[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if _format_problems := validate_formats():
    raise ImproperlyConfigured("anon_messaging.codes.FORMATS: " + " ".join(_format_problems))


def _hasher():
    params = get_setting("ARGON2")
    return PasswordHasher(
        time_cost=params["time_cost"],
        memory_cost=params["memory_cost"],
        parallelism=params["parallelism"],
        type=Type.ID,
    )


@lru_cache(maxsize=4)
def _dummy_hash(time_cost, memory_cost, parallelism):
    # Verified when no case matches, so an unknown code costs what a wrong one does.
    return _hasher().hash(generate_code())


def hash_code(code):
    """The argon2id hash of ``code``; raises ``Busy`` when the process has no slot free."""
    with argon2_slot():
        return _hasher().hash(code)


def verify_code(stored_hash, code):
    """One argon2 verification. Returns (matches, new_hash_or_None).

    ``new_hash`` is set when the stored hash used weaker parameters than the
    current ones, so the caller can upgrade it without locking anyone out.
    """
    hasher = _hasher()
    if stored_hash is None:
        params = get_setting("ARGON2")
        stored_hash = _dummy_hash(params["time_cost"], params["memory_cost"], params["parallelism"])
        real = False
    else:
        real = True
    try:
        with argon2_slot():
            hasher.verify(stored_hash, code)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if not real:
        return False, None
    return True, (hash_code(code) if hasher.check_needs_rehash(stored_hash) else None)


# --- How much argon2 work a process does at once ------------------------------------------


class Busy(Exception):
    """Every argon2 slot of this process stayed busy: ask the person to try again shortly."""


_slots_lock = threading.Lock()
_slots = {}


def _semaphore():
    size = get_setting("ARGON2_MAX_CONCURRENT")
    with _slots_lock:
        if size not in _slots:
            _slots[size] = threading.BoundedSemaphore(size)
        return _slots[size]


@contextmanager
def argon2_slot():
    """Hold one of the process's ``ARGON2_MAX_CONCURRENT`` argon2 slots, or raise ``Busy``.

    Each hash or verification holds ``memory_cost`` KiB while it runs, so a flood of
    log-ins could otherwise take a worker's memory (and every other page's time) with it.
    """
    semaphore = _semaphore()
    if not semaphore.acquire(timeout=get_setting("ARGON2_BUSY_WAIT_SECONDS")):
        raise Busy
    try:
        yield
    finally:
        semaphore.release()
