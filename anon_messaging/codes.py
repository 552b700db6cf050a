"""One-time reporter codes: generation, normalisation, hashing and look-up.

A code is 16 symbols of Crockford's base32 (80 bits), drawn with ``secrets``.
It is split in two: the first ``SELECTOR_LENGTH`` symbols select the case, the
rest verify it. The database holds only a keyed HMAC of the selector (an index,
so a log-in is one equality look-up and never a scan) and an argon2id hash of
the whole code. A log-in therefore costs exactly one argon2 verification: a
selector that matches no case is verified against a dummy hash of the same cost.
"""

import hashlib
import hmac
import re
import secrets
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from django.conf import settings

from .conf import get_setting

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 16
SELECTOR_LENGTH = 6
GROUP = 4

# Look-alikes a person may type or a font may suggest, mapped as Crockford does.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
_SEPARATORS = re.compile(r"[\s\-_.\u2010-\u2015\u2212]+")


def generate_code():
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code):
    """Group a normalised code as XXXX-XXXX-XXXX-XXXX for display."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise_code(raw):
    """Return the canonical code for what a person typed or pasted, or None.

    Forgives case, spaces, dashes and look-alike letters; anything else that is
    not in the alphabet, or the wrong length, is not a code.
    """
    if not isinstance(raw, str) or len(raw) > 64:
        return None
    cleaned = _SEPARATORS.sub("", raw).upper().translate(_LOOKALIKES)
    if len(cleaned) != CODE_LENGTH or any(symbol not in ALPHABET for symbol in cleaned):
        return None
    return cleaned


def selector_digest(code, secret_key=None):
    """Keyed index of the code's selector: equality look-up without storing the code."""
    secret_key = settings.SECRET_KEY if secret_key is None else secret_key
    key = hashlib.sha256(b"anon_messaging.codes.selector:" + secret_key.encode())
    return hmac.new(key.digest(), code[:SELECTOR_LENGTH].encode(), hashlib.sha256).hexdigest()


def selector_digests(code):
    """The selector's digest under SECRET_KEY, then under each of SECRET_KEY_FALLBACKS.

    Looking a code up by all of them means rotating SECRET_KEY the way Django
    recommends locks no reporter out; a log-in moves the case to the current key.
    """
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [selector_digest(code, key) for key in keys]


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
        hasher.verify(stored_hash, code)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if not real:
        return False, None
    return True, (hasher.hash(code) if hasher.check_needs_rehash(stored_hash) else None)
