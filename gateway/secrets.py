"""Keyed hashing and at-rest encryption of callers' Redmine API keys."""

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken


class SealBroken(Exception):
    """A sealed API key cannot be opened (the secret changed since it was sealed)."""


class KeyVault:
    """Derives two independent keys from the configured secret: one to hash, one to encrypt.

    Hashes name per-key cache entries in Redis; encryption protects the keys that entries
    waiting in the outbox need to be posted later as their user.
    """

    def __init__(self, secret: str | None) -> None:
        material = (secret or secrets.token_urlsafe(32)).encode()
        self._hash_key = hashlib.sha256(b"timer-gateway/hash\0" + material).digest()
        fernet_key = hashlib.sha256(b"timer-gateway/seal\0" + material).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(fernet_key))

    def fingerprint(self, api_key: str) -> str:
        return hmac.new(self._hash_key, api_key.encode(), hashlib.sha256).hexdigest()[:32]

    def seal(self, api_key: str) -> str:
        return self._fernet.encrypt(api_key.encode()).decode()

    def unseal(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise SealBroken("sealed under another GATEWAY_SECRET_KEY") from exc
