"""Secrets at rest: tokens saved from Settings are stored Fernet-encrypted with a key derived
from SECRET_KEY, so a copy of the database alone does not reveal them."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"modella-secrets:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def decrypt(cipher: str) -> str:
    """The clear text, or "" when nothing is stored or SECRET_KEY changed since it was saved."""
    if not cipher:
        return ""
    try:
        return _fernet().decrypt(cipher.encode()).decode()
    except InvalidToken:
        return ""
