"""Key material: one master key outside the database, per-tenant keys derived from it (HKDF).

The master key comes from ``JIFEN_MASTER_KEY`` (base64 of 32 bytes) or, for the embedded default,
a key file (``JIFEN_KEY_FILE``, default ``.jifen/master.key``) created with mode 0600 on first use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

DEFAULT_KEY_FILE = Path(".jifen/master.key")


def load_master_key() -> bytes:
    """Return the master key from the environment or the key file (creating the file if absent)."""
    raw = os.environ.get("JIFEN_MASTER_KEY")
    if raw:
        key = base64.b64decode(raw)
    else:
        path = Path(os.environ.get("JIFEN_KEY_FILE", DEFAULT_KEY_FILE))
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(base64.b64encode(os.urandom(32)))
        key = base64.b64decode(path.read_bytes())
    if len(key) != 32:
        raise ValueError("the jifen master key must be 32 bytes (base64-encoded)")
    return key


class TenantKeys:
    """Keys of one tenant, derived from the master key; they never leave the process."""

    def __init__(self, master_key: bytes, tenant_id: uuid.UUID) -> None:
        self._master = master_key
        self._tenant = tenant_id.bytes

    def _derive(self, purpose: str) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=self._tenant,
                    info=f"jifen/{purpose}".encode()).derive(self._master)

    def lookup_hash(self, field: str, value: str) -> bytes:
        """Keyed hash (HMAC-SHA256) for finding a subject by a secret value (JF-SUB-3)."""
        return hmac.new(self._derive(f"lookup/{field}"), _normalise(value).encode(),
                        hashlib.sha256).digest()

    def token_key(self) -> bytes:
        """The HMAC key (HS256) signing the tenant's API bearer tokens (JF-PRIV-1)."""
        return self._derive("api/token")

    def encrypt(self, field: str, value: str) -> bytes:
        """Authenticated encryption (AES-GCM) of a value that must be recoverable (JF-SUB-3)."""
        nonce = os.urandom(12)
        return nonce + AESGCM(self._derive(f"enc/{field}")).encrypt(
            nonce, _normalise(value).encode(), field.encode())

    def decrypt(self, field: str, blob: bytes) -> str:
        return AESGCM(self._derive(f"enc/{field}")).decrypt(
            blob[:12], blob[12:], field.encode()).decode()


def _normalise(value: str) -> str:
    return "".join(value.split()).upper()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
