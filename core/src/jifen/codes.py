"""Signed, short-lived codes bound to a purpose, and their QR images (码上生活, JF-CODE-*).

A code is a compact text token, small enough for a QR image::

    base64url(payload JSON) "." base64url(Ed25519 signature of the first part's ASCII)

(base64url without padding). The payload is a JSON object with the version ``v``, the tenant's
code ``tenant``, the signing key's id ``kid``, the ``purpose`` (``pay``, ``verify-benefit`` or
``identify``), the code's id ``jti`` (a UUID) and its lifetime ``iat`` / ``exp`` (Unix seconds;
60 s by default) (JF-CODE-1). A pay or identify code adds the subject's id ``sub``. A benefit
code adds only ``benefit`` and ``valid_until`` — no subject, no score, no name — so a provider
that verifies it offline with the tenant's public key learns the benefit and its validity and
nothing else (JF-CODE-2).

Each tenant has its own Ed25519 signing key (table ``code_keys``), made on first use; its
private half is stored encrypted with the tenant's derived key, never in clear.
:meth:`Codes.rotate_key` retires the signing key: codes it signed still verify until they
expire, and it stays published (:meth:`Codes.public_keys`) for :data:`RETIRED_GRACE`.

A pay code is single-use: :meth:`Codes.consume` records it (table ``used_codes``) in the
caller's transaction, and the table's primary key refuses a second use with ``code.replayed``,
also when two redemptions race.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, overload
from zoneinfo import ZoneInfo

import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import Connection, RowMapping, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from jifen import audit_log, subjects, tenants
from jifen.clock import Clock
from jifen.errors import (
    CodeExpired,
    CodeReplayed,
    InvalidCode,
    InvalidInput,
    UnknownCodeKey,
    WrongPurpose,
    WrongTenant,
)
from jifen.keys import TenantKeys
from jifen.model import Tenant, new_id
from jifen.store import Database
from jifen.store import tables as t

Purpose = Literal["pay", "verify-benefit", "identify"]
SubjectPurpose = Literal["pay", "identify"]
PURPOSES: tuple[Purpose, ...] = ("pay", "verify-benefit", "identify")
TOKEN_VERSION: Literal[1] = 1
DEFAULT_LIFETIME = timedelta(seconds=60)
"""How long a code lives unless the caller says otherwise (JF-CODE-1)."""
MAX_LIFETIME = timedelta(hours=1)
RETIRED_GRACE = timedelta(days=1)
"""How long a retired key stays published (longer than any code lives)."""
MAX_TOKEN_LENGTH = 2048
_B64URL = re.compile(r"[A-Za-z0-9_-]+")


# --- models ----------------------------------------------------------------------------------

class CodePayload(BaseModel):
    """What a code says, signed: the JSON object of its first part."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    v: Literal[1]
    tenant: str = Field(min_length=1, max_length=64)
    kid: str = Field(min_length=1, max_length=32)
    purpose: Purpose
    jti: uuid.UUID
    iat: int
    exp: int
    sub: uuid.UUID | None = None
    benefit: str | None = Field(default=None, min_length=1, max_length=100)
    valid_until: date | None = None

    @model_validator(mode="after")
    def _shape(self) -> CodePayload:
        is_benefit = self.purpose == "verify-benefit"
        if is_benefit != (self.benefit is not None and self.valid_until is not None):
            raise ValueError("a benefit code, and only it, names a benefit and its validity")
        if is_benefit == (self.sub is not None):
            raise ValueError("a pay or identify code names its subject; a benefit code does not")
        if self.exp <= self.iat:
            raise ValueError("a code expires after it is issued")
        return self


class IssuedCode(BaseModel):
    """A code just issued: the token to show (as text or QR) and its lifetime."""

    model_config = ConfigDict(frozen=True)

    token: str
    code_id: uuid.UUID
    purpose: Purpose
    key_id: str
    issued_at: datetime
    expires_at: datetime


class BenefitCode(BaseModel):
    """A verified benefit code: the benefit, its validity and when the code expires — nothing
    else (JF-CODE-2)."""

    model_config = ConfigDict(frozen=True)

    benefit: str
    valid_until: date
    expires_at: datetime


class SubjectCode(BaseModel):
    """A verified pay or identify code: whose it is and when it expires."""

    model_config = ConfigDict(frozen=True)

    purpose: Purpose
    code_id: uuid.UUID
    subject_id: uuid.UUID
    expires_at: datetime


VerifiedCode = BenefitCode | SubjectCode


class CodeKey(BaseModel):
    """One of a tenant's signing keys, public half only."""

    model_config = ConfigDict(frozen=True)

    key_id: str
    public_key: str  # base64 of the raw 32-byte Ed25519 public key
    created_at: datetime
    retired_at: datetime | None

    @property
    def active(self) -> bool:
        """Whether this key signs new codes (a tenant has one active key)."""
        return self.retired_at is None


# --- the token: encoding, parsing, checking (no database) -------------------------------------

@dataclass(frozen=True)
class _Token:
    payload: CodePayload
    signed: bytes
    signature: bytes


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64url(part: str) -> bytes:
    if not _B64URL.fullmatch(part):
        raise InvalidCode("the code is not two base64url parts joined by a dot")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise InvalidCode("the code is not valid base64url") from None


def _sign(payload: CodePayload, key: Ed25519PrivateKey) -> str:
    body = json.dumps(payload.model_dump(mode="json", exclude_none=True), ensure_ascii=False,
                      separators=(",", ":"), sort_keys=True).encode()
    first = _b64url(body)
    return f"{first}.{_b64url(key.sign(first.encode('ascii')))}"


def _parse(token: str) -> _Token:
    """Split and decode a token; its signature is not checked yet."""
    token = token.strip() if isinstance(token, str) else ""
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise InvalidCode("the code is not two base64url parts joined by a dot")
    first, second = token.split(".")
    body, signature = _unb64url(first), _unb64url(second)
    try:
        payload = CodePayload.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidCode("the code's payload is malformed",
                          problems=[e["msg"] for e in exc.errors()]) from None
    return _Token(payload, first.encode("ascii"), signature)


def _check(token: _Token, public_key: bytes, purpose: Purpose, now: datetime) -> None:
    """Signature first; then purpose and expiry, which only a signed payload can tell."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(token.signature, token.signed)
    except (InvalidSignature, ValueError):
        raise InvalidCode("the code's signature does not verify") from None
    if token.payload.purpose != purpose:
        raise WrongPurpose(f"this is a {token.payload.purpose} code, not a {purpose} code",
                           purpose=token.payload.purpose)
    if now.timestamp() >= token.payload.exp:
        raise CodeExpired(f"the code expired at {_when(token.payload.exp).isoformat()}")


def _check_purpose(purpose: str) -> Purpose:
    if purpose not in PURPOSES:
        raise InvalidInput(f"unknown purpose {purpose!r}; expected one of {', '.join(PURPOSES)}",
                           purpose=purpose)
    return purpose


def _check_now(now: datetime) -> None:
    if now.tzinfo is None:
        raise InvalidInput("now must be an aware datetime")


def _when(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _result(payload: CodePayload) -> VerifiedCode:
    expires_at = _when(payload.exp)
    if payload.sub is None:
        assert payload.benefit is not None and payload.valid_until is not None
        return BenefitCode(benefit=payload.benefit, valid_until=payload.valid_until,
                           expires_at=expires_at)
    return SubjectCode(purpose=payload.purpose, code_id=payload.jti, subject_id=payload.sub,
                       expires_at=expires_at)


def _raw_public_key(value: bytes | str) -> bytes:
    if isinstance(value, str):
        text = value.strip().replace("-", "+").replace("_", "/")
        try:
            value = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("a public key is not base64") from None
    if len(value) != 32:
        raise InvalidInput("a public key is not a raw 32-byte Ed25519 key")
    return value


@overload
def verify_offline(token: str, public_keys: Mapping[str, bytes | str], *,
                   purpose: Literal["verify-benefit"], now: datetime,
                   tenant: str | None = None) -> BenefitCode: ...
@overload
def verify_offline(token: str, public_keys: Mapping[str, bytes | str], *,
                   purpose: SubjectPurpose, now: datetime,
                   tenant: str | None = None) -> SubjectCode: ...
@overload
def verify_offline(token: str, public_keys: Mapping[str, bytes | str], *, purpose: Purpose,
                   now: datetime, tenant: str | None = None) -> VerifiedCode: ...


def verify_offline(token: str, public_keys: Mapping[str, bytes | str], *, purpose: Purpose,
                   now: datetime, tenant: str | None = None) -> VerifiedCode:
    """Verify a code with nothing but the tenant's public keys — what a bank or a hospital runs
    (JF-CODE-2). No database, no network.

    Args:
        token: the code as read from the QR image.
        public_keys: key id → raw 32-byte Ed25519 public key, as bytes or base64 (what
            :meth:`Codes.public_keys` publishes).
        purpose: what the code must be for.
        now: the verifier's current time (aware).
        tenant: if given, the tenant code the code must come from.

    Returns:
        For a benefit code a :class:`BenefitCode` (benefit, validity, code expiry: nothing
        else); for a pay or identify code a :class:`SubjectCode`. A pay code is single-use,
        which only :meth:`Codes.consume` (online) can enforce.

    Raises:
        InvalidCode: ``code.invalid`` (malformed, forged), ``code.wrong_tenant``,
            ``code.unknown_key``, ``code.wrong_purpose`` or ``code.expired``.
    """
    _check_purpose(purpose)
    _check_now(now)
    parsed = _parse(token)
    if tenant is not None and parsed.payload.tenant != tenant:
        raise WrongTenant("the code was issued by another tenant")
    key = public_keys.get(parsed.payload.kid)
    if key is None:
        raise UnknownCodeKey(f"no public key {parsed.payload.kid!r}", key_id=parsed.payload.kid)
    _check(parsed, _raw_public_key(key), purpose, now)
    return _result(parsed.payload)


def render_qr(token: str, fmt: Literal["svg", "png"] = "svg", *, scale: int = 4,
              border: int = 4) -> bytes:
    """The code as a QR image (JF-CODE-3): SVG or PNG bytes, error correction level M."""
    if fmt not in ("svg", "png"):
        raise InvalidInput(f"unknown QR format {fmt!r}; expected svg or png", format=fmt)
    if not token:
        raise InvalidInput("nothing to render: the token is empty")
    buffer = io.BytesIO()
    segno.make(token, error="m", micro=False).save(buffer, kind=fmt, scale=scale, border=border)
    return buffer.getvalue()


# --- the service -----------------------------------------------------------------------------

class Codes:
    """A platform's codes: issue, verify, consume; the tenants' signing keys (JF-CODE-*).

    Reached as ``platform.codes``.
    """

    def __init__(self, db: Database, clock: Clock,
                 keys: Callable[[uuid.UUID], TenantKeys]) -> None:
        self._db = db
        self._clock = clock
        self._keys = keys
        self._signers: dict[tuple[uuid.UUID, str], Ed25519PrivateKey] = {}
        self._tenants: dict[uuid.UUID, Tenant] = {}  # code and time zone; never change

    def issue(self, tenant_id: uuid.UUID, subject_id: uuid.UUID, purpose: Purpose, *,
              benefit: str | None = None, valid_until: date | None = None,
              lifetime: timedelta = DEFAULT_LIFETIME) -> IssuedCode:
        """Sign a code for a subject (JF-CODE-1).

        A benefit code (``verify-benefit``) needs ``benefit`` and ``valid_until`` (not in the
        past) and carries only those, not the subject (JF-CODE-2); pay and identify codes take
        neither. ``lifetime`` is whole seconds, at most :data:`MAX_LIFETIME`. Makes the tenant's
        signing key on first use; writes nothing else.

        Raises:
            InvalidInput: a bad purpose, benefit, validity or lifetime.
            NotFound: no such tenant or subject in it.
        """
        _check_request(_check_purpose(purpose), benefit, valid_until, lifetime)
        now = self._clock.now()
        with self._db.read() as conn:
            tenant = self._tenant(conn, tenant_id)
            subjects.get_subject(conn, tenant_id, subject_id)
            row = _active_key(conn, tenant_id)
        if valid_until is not None and valid_until < now.astimezone(ZoneInfo(tenant.timezone)).date():
            raise InvalidInput(f"the benefit's validity ended on {valid_until}",
                               valid_until=str(valid_until))
        key_id, signer = self._signer(tenant_id, row)
        issued = int(now.timestamp())
        payload = CodePayload(
            v=TOKEN_VERSION, tenant=tenant.code, kid=key_id, purpose=purpose, jti=new_id(),
            iat=issued, exp=issued + int(lifetime.total_seconds()),
            sub=None if purpose == "verify-benefit" else subject_id,
            benefit=benefit, valid_until=valid_until)
        return IssuedCode(token=_sign(payload, signer), code_id=payload.jti, purpose=purpose,
                          key_id=key_id, issued_at=_when(payload.iat),
                          expires_at=_when(payload.exp))

    @overload
    def verify(self, tenant_id: uuid.UUID, token: str,
               purpose: Literal["verify-benefit"]) -> BenefitCode: ...
    @overload
    def verify(self, tenant_id: uuid.UUID, token: str, purpose: SubjectPurpose) -> SubjectCode: ...
    @overload
    def verify(self, tenant_id: uuid.UUID, token: str, purpose: Purpose) -> VerifiedCode: ...

    def verify(self, tenant_id: uuid.UUID, token: str, purpose: Purpose) -> VerifiedCode:
        """Check a code online without using it: tenant, key, signature, purpose, expiry, and
        that it has not been consumed (``code.replayed``)."""
        with self._db.read() as conn:
            payload = self._verified(conn, tenant_id, token, purpose)
            if _is_used(conn, tenant_id, payload.jti):
                raise CodeReplayed("the code has been used already", code_id=str(payload.jti))
        return _result(payload)

    @overload
    def consume(self, conn: Connection, tenant_id: uuid.UUID, token: str,
                purpose: Literal["verify-benefit"]) -> BenefitCode: ...
    @overload
    def consume(self, conn: Connection, tenant_id: uuid.UUID, token: str,
                purpose: SubjectPurpose) -> SubjectCode: ...
    @overload
    def consume(self, conn: Connection, tenant_id: uuid.UUID, token: str,
                purpose: Purpose) -> VerifiedCode: ...

    def consume(self, conn: Connection, tenant_id: uuid.UUID, token: str,
                purpose: Purpose) -> VerifiedCode:
        """Verify a code and use it up, in the caller's write transaction ``conn`` — if the
        caller's work (a redemption) fails and rolls back, the code is not used (JF-CODE-1).

        Raises:
            CodeReplayed: ``code.replayed`` if it was used before, also by a concurrent caller.
            InvalidCode: as :meth:`verify`.
        """
        payload = self._verified(conn, tenant_id, token, purpose)
        try:
            with conn.begin_nested():
                conn.execute(insert(t.used_codes).values(
                    tenant_id=tenant_id, code_id=payload.jti, purpose=payload.purpose,
                    subject_id=payload.sub, used_at=self._clock.now(),
                    expires_at=_when(payload.exp)))
        except IntegrityError:
            if not _is_used(conn, tenant_id, payload.jti):
                raise
            raise CodeReplayed("the code has been used already",
                               code_id=str(payload.jti)) from None
        return _result(payload)

    def purge_used(self, tenant_id: uuid.UUID, before: datetime) -> int:
        """Forget used codes that expired before ``before`` (not after now): they can no longer
        be replayed. Returns how many were deleted."""
        _check_now(before)
        if before > self._clock.now():
            raise InvalidInput("only codes that have already expired can be purged")
        with self._db.write() as conn:
            result = conn.execute(delete(t.used_codes).where(
                t.used_codes.c.tenant_id == tenant_id, t.used_codes.c.expires_at < before))
        return int(result.rowcount)

    # keys ------------------------------------------------------------------------------------

    def rotate_key(self, tenant_id: uuid.UUID) -> CodeKey:
        """Make a new signing key and retire the old one from signing; codes the old key
        signed still verify until they expire. Returns the new key."""
        now = self._clock.now()
        with self._db.write() as conn:
            _lock_tenant(conn, tenant_id)
            retired = conn.execute(update(t.code_keys).where(
                t.code_keys.c.tenant_id == tenant_id, t.code_keys.c.retired_at.is_(None))
                .values(retired_at=now).returning(t.code_keys.c.key_id)).scalars().all()
            row = self._new_key(conn, tenant_id, now, retired=", ".join(retired))
        return _code_key(row)

    def keys(self, tenant_id: uuid.UUID) -> list[CodeKey]:
        """All of the tenant's signing keys, oldest first (public halves only)."""
        with self._db.read() as conn:
            rows = conn.execute(select(t.code_keys).where(t.code_keys.c.tenant_id == tenant_id)
                                .order_by(t.code_keys.c.created_at,
                                          t.code_keys.c.retired_at.is_(None))).mappings().all()
        return [_code_key(row) for row in rows]

    def public_keys(self, tenant_id: uuid.UUID) -> dict[str, str]:
        """What a provider needs to verify the tenant's codes offline: key id → base64 of the
        raw Ed25519 public key, for the signing key (made if the tenant has none yet) and keys
        retired less than :data:`RETIRED_GRACE` ago (JF-CODE-2)."""
        with self._db.read() as conn:
            row = _active_key(conn, tenant_id)
        if row is None:
            self._signer(tenant_id, None)
        since = self._clock.now() - RETIRED_GRACE
        return {key.key_id: key.public_key for key in self.keys(tenant_id)
                if key.retired_at is None or key.retired_at > since}

    # internals -------------------------------------------------------------------------------

    def _verified(self, conn: Connection, tenant_id: uuid.UUID, token: str,
                  purpose: Purpose) -> CodePayload:
        _check_purpose(purpose)
        parsed = _parse(token)
        if parsed.payload.tenant != self._tenant(conn, tenant_id).code:
            raise WrongTenant("the code was issued by another tenant")
        now = self._clock.now()
        row = conn.execute(select(t.code_keys.c.public_key, t.code_keys.c.retired_at).where(
            t.code_keys.c.tenant_id == tenant_id,
            t.code_keys.c.key_id == parsed.payload.kid)).first()
        if row is None or (row.retired_at is not None and row.retired_at <= now - RETIRED_GRACE):
            raise UnknownCodeKey(f"no key {parsed.payload.kid!r} in this tenant",
                                 key_id=parsed.payload.kid)
        _check(parsed, row.public_key, purpose, now)
        return parsed.payload

    def _tenant(self, conn: Connection, tenant_id: uuid.UUID) -> Tenant:
        if tenant_id not in self._tenants:
            self._tenants[tenant_id] = tenants.get_tenant_by_id(conn, tenant_id)
        return self._tenants[tenant_id]

    def _signer(self, tenant_id: uuid.UUID, row: RowMapping | None
                ) -> tuple[str, Ed25519PrivateKey]:
        if row is None:
            with self._db.write() as conn:
                _lock_tenant(conn, tenant_id)
                row = _active_key(conn, tenant_id) or self._new_key(
                    conn, tenant_id, self._clock.now())
        cached = self._signers.get((tenant_id, row["key_id"]))
        if cached is None:
            clear = self._keys(tenant_id).decrypt(_field(row["key_id"]), row["private_key_enc"])
            cached = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(clear))
            self._signers[(tenant_id, row["key_id"])] = cached
        return row["key_id"], cached

    def _new_key(self, conn: Connection, tenant_id: uuid.UUID, now: datetime, *,
                 retired: str | None = None) -> RowMapping:
        private, key_id = Ed25519PrivateKey.generate(), secrets.token_hex(8)
        encrypted = self._keys(tenant_id).encrypt(_field(key_id), private.private_bytes_raw().hex())
        row = conn.execute(insert(t.code_keys).values(
            tenant_id=tenant_id, key_id=key_id, public_key=private.public_key().public_bytes_raw(),
            private_key_enc=encrypted, created_at=now).returning(*t.code_keys.c)).mappings().one()
        self._signers[(tenant_id, key_id)] = private
        data = {"key_id": key_id} if retired is None else {"key_id": key_id, "retired": retired}
        audit_log.record(conn, tenant_id, now, None,
                         "code_key.created" if retired is None else "code_key.rotated",
                         "code_key", None, "", data, actor="system:codes")
        return row


def _check_request(purpose: Purpose, benefit: str | None, valid_until: date | None,
                   lifetime: timedelta) -> None:
    if purpose == "verify-benefit":
        if benefit is None or not benefit.strip() or len(benefit) > 100 or valid_until is None:
            raise InvalidInput("a benefit code needs a benefit (1 to 100 characters) and the "
                               "date its validity ends (valid_until)")
    elif benefit is not None or valid_until is not None:
        raise InvalidInput(f"a {purpose} code names no benefit and no validity")
    seconds = lifetime.total_seconds()
    if seconds != int(seconds) or not 0 < seconds <= MAX_LIFETIME.total_seconds():
        raise InvalidInput(f"a code lives 1 to {int(MAX_LIFETIME.total_seconds())} whole seconds",
                           lifetime=str(seconds))


def _field(key_id: str) -> str:
    return f"code_key/{key_id}"


def _lock_tenant(conn: Connection, tenant_id: uuid.UUID) -> None:
    """Serialise key creation per tenant (a no-op on SQLite, whose writers are serial)."""
    found = conn.execute(select(t.tenants.c.id).where(t.tenants.c.id == tenant_id)
                         .with_for_update(key_share=True)).first()
    if found is None:
        tenants.get_tenant_by_id(conn, tenant_id)  # raises NotFound


def _active_key(conn: Connection, tenant_id: uuid.UUID) -> RowMapping | None:
    return conn.execute(select(t.code_keys).where(
        t.code_keys.c.tenant_id == tenant_id, t.code_keys.c.retired_at.is_(None))
        .order_by(t.code_keys.c.created_at.desc())).mappings().first()


def _is_used(conn: Connection, tenant_id: uuid.UUID, code_id: uuid.UUID) -> bool:
    return conn.execute(select(t.used_codes.c.code_id).where(
        t.used_codes.c.tenant_id == tenant_id, t.used_codes.c.code_id == code_id)).first() is not None


def _code_key(row: RowMapping) -> CodeKey:
    return CodeKey(key_id=row["key_id"], public_key=base64.b64encode(row["public_key"]).decode(),
                   created_at=row["created_at"], retired_at=row["retired_at"])


# --- the keys file a provider keeps (JF-CODE-2) ---------------------------------------------

def keys_document(tenant_code: str, public_keys: Mapping[str, str]) -> dict[str, Any]:
    """The tenant's public keys as the JSON document a provider keeps for offline checks
    (JF-CODE-2): ``{"tenant", "purpose", "keys"}``."""
    return {"tenant": tenant_code, "purpose": "verify-benefit", "keys": dict(public_keys)}


def load_public_keys(path: Path) -> tuple[dict[str, str], str | None]:
    """Read a keys file: a :func:`keys_document`, or a plain object key id → base64 key.
    Returns the keys and the tenant code (``None`` when the file names none)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{path}: not a readable JSON keys file ({exc})") from None
    tenant = data.get("tenant") if isinstance(data, dict) else None
    keys = data.get("keys", data) if isinstance(data, dict) else None
    if not isinstance(keys, dict) or not keys or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in keys.items()):
        raise InvalidInput(f"{path}: expected an object of key id → base64 public key")
    if tenant is not None and not isinstance(tenant, str):
        raise InvalidInput(f"{path}: 'tenant' must be a tenant code")
    return keys, tenant
