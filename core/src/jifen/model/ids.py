"""Identifiers: time-ordered UUIDs (version 7, RFC 9562), made client-side so batches need no round trip."""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0
_random = b""
_offset = 0
_RANDOM_CHUNK = 8 * 512
_setattr = object.__setattr__
_SAFE = uuid.SafeUUID.unknown


def new_id() -> uuid.UUID:
    """Return a new UUIDv7: 48 bits of Unix milliseconds, then a 12-bit counter, then random bits.

    Ids made in one process are strictly increasing, which keeps B-tree inserts at the right edge.
    """
    global _last_ms, _counter, _random, _offset
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms = _last_ms
            _counter += 1
            if _counter > 0xFFF:
                ms += 1
                _counter = 0
        else:
            _counter = 0
        _last_ms = ms
        counter = _counter
        if _offset == len(_random):  # random bits come from the OS in chunks, not 8 bytes per id
            _random, _offset = os.urandom(_RANDOM_CHUNK), 0
        rand = int.from_bytes(_random[_offset:_offset + 8], "big") & ((1 << 62) - 1)
        _offset += 8
    value = (ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand
    # uuid.UUID(int=value) checks the range and the version arguments; value is valid by
    # construction, so set the two slots UUID has directly.
    made = object.__new__(uuid.UUID)
    _setattr(made, "int", value)
    _setattr(made, "is_safe", _SAFE)
    return made


def _forget_random_after_fork() -> None:
    """A forked child must not reuse its parent's unread random bits (ids would collide)."""
    global _random, _offset
    _random, _offset = b"", 0


os.register_at_fork(after_in_child=_forget_random_after_fork)
