"""Model fields encrypted at rest with Fernet keys from settings.

A database dump alone reveals no report text. Keys come from
``ANON_MESSAGING["ENCRYPTION_KEYS"]`` (newest first, so a key can be rotated in:
``manage.py anon_messaging_reencrypt`` moves every row to the newest key).
"""

import base64
import hashlib
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from .conf import get_setting


def derived_key(secret_key):
    """The demo key, derived from SECRET_KEY, used when no ENCRYPTION_KEYS are set."""
    derived = hashlib.sha256(b"anon_messaging.fields:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(derived).decode()


@lru_cache(maxsize=8)
def _fernet(keys, secret_key):
    if not keys:
        # Demo fallback; the system check warns when a site relies on it.
        keys = (derived_key(secret_key),)
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "ANON_MESSAGING['ENCRYPTION_KEYS'] must hold Fernet keys (Fernet.generate_key())."
        ) from exc


def get_fernet():
    return _fernet(tuple(get_setting("ENCRYPTION_KEYS")), settings.SECRET_KEY)


def newest_key():
    """The key new values are encrypted with: the first configured, or the demo key."""
    keys = get_setting("ENCRYPTION_KEYS")
    return keys[0] if keys else derived_key(settings.SECRET_KEY)


def encrypt_text(value):
    return get_fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_text(token):
    try:
        return get_fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "An encrypted value could not be read with any configured key."
        ) from exc


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token. Not searchable or orderable, by design."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(value)


class EncryptedJSONField(EncryptedTextField):
    """A JSON value stored as one Fernet token."""

    def from_db_value(self, value, expression, connection):
        text = super().from_db_value(value, expression, connection)
        return None if text in (None, "") else json.loads(text)

    def to_python(self, value):
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt_text(json.dumps(value, ensure_ascii=False))

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), ensure_ascii=False)
