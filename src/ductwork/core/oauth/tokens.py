"""Secrets' stored form, new random tokens, and the cache of recently checked credentials."""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
import time
from collections.abc import Hashable
from typing import Generic, TypeVar

from ductwork.core.clock import Clocks

CACHE_SECONDS = 2.0
CACHE_LIMIT = 10_000
P = TypeVar("P")


def digest(secret: str) -> str:
    """Client secrets, codes, tokens and API keys are at least 128-bit random: one SHA-256 is a
    sound stored form (no salt or stretching needed, unlike passwords)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token() -> str:
    """A new access or refresh token (192 random bits)."""
    return secrets.token_urlsafe(24)


class TokenCache(Generic[P]):
    """What a credential stood for when it was checked less than two seconds ago (monotonic
    time), keyed by its digest, so a hot path answers with no I/O.

    An entry may also end on its account's clock (a token's expiry); that is read from the
    clocks' cache only (`Clocks.peek`), and an entry whose clock would need a query is a miss.
    The cache is bounded (emptied when full) and is cleared whenever a credential is revoked.
    """

    def __init__(
        self, clocks: Clocks, seconds: float = CACHE_SECONDS, limit: int = CACHE_LIMIT
    ) -> None:
        self._clocks = clocks
        self._seconds = seconds
        self._limit = limit
        self._entries: dict[Hashable, tuple[float, P, int, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> P | None:
        """The cached principal, if checked recently and not expired on its account's clock."""
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] >= self._seconds:
            return None
        _, principal, account_id, expires_at = entry
        if expires_at != math.inf:
            now = self._clocks.peek(account_id)
            if now is None or now >= expires_at:
                return None
        return principal

    def put(
        self, key: Hashable, principal: P, account_id: int, expires_at: float = math.inf
    ) -> None:
        """Remember a credential just checked; `expires_at` is on the account's clock."""
        with self._lock:
            if len(self._entries) > self._limit:
                self._entries.clear()
            self._entries[key] = (time.monotonic(), principal, account_id, expires_at)

    def drop(self, key: Hashable) -> None:
        """Forget one credential (it no longer checks out)."""
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget every credential (after a revocation or deletion)."""
        with self._lock:
            self._entries.clear()
