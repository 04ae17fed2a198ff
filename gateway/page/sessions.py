"""PageSessions: opening, resuming (with the idle expiry) and ending the page's sessions."""

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from pydantic import ValidationError

from gateway.clock import Clock
from gateway.errors import SessionExpired
from gateway.page.models import SessionRecord
from gateway.secrets import KeyVault, SealBroken
from gateway.store.sessions import SessionStore
from gateway.timers.models import Owner

log = logging.getLogger(__name__)

EXPIRED = "Your session has ended; sign in again."


@dataclass(frozen=True)
class Session:
    record: SessionRecord
    api_key: str


class PageSessions:
    def __init__(
        self, store: SessionStore, vault: KeyVault, clock: Clock, idle: dt.timedelta
    ) -> None:
        self._store = store
        self._vault = vault
        self._clock = clock
        self._idle = idle

    @property
    def idle(self) -> dt.timedelta:
        return self._idle

    async def open(self, api_key: str, user: Owner) -> tuple[str, SessionRecord]:
        """A new session for this key's user: its id (for the cookie only) and its record."""
        session_id = secrets.token_urlsafe(32)
        record = SessionRecord(
            sealed_key=self._vault.seal(api_key),
            csrf_token=secrets.token_urlsafe(32),
            user=user,
            seen_at=self._clock.now(),
        )
        await self._store.open(self._digest(session_id), record.model_dump_json(), self._ttl_s)
        log.info("page session opened user=%s", user.id)
        return session_id, record

    async def resume(self, session_id: str) -> Session:
        """The session of this id, seen now; SessionExpired when it ended or never was."""
        digest = self._digest(session_id)
        raw = await self._store.read(digest)
        if raw is None:
            raise SessionExpired(EXPIRED)
        now = self._clock.now()
        try:
            record = SessionRecord.model_validate_json(raw)
            api_key = self._vault.unseal(record.sealed_key)
        except (ValidationError, SealBroken):
            await self._store.close(digest)
            raise SessionExpired(EXPIRED) from None
        if now - record.seen_at >= self._idle:
            await self._store.close(digest)
            log.info("page session expired user=%s", record.user.id)
            raise SessionExpired(EXPIRED)
        seen = record.model_copy(update={"seen_at": now})
        if not await self._store.touch(digest, seen.model_dump_json(), self._ttl_s):
            raise SessionExpired(EXPIRED)
        return Session(seen, api_key)

    async def close(self, session_id: str) -> None:
        await self._store.close(self._digest(session_id))

    def _digest(self, session_id: str) -> str:
        return self._vault.fingerprint(session_id)

    @property
    def _ttl_s(self) -> int:
        return int(self._idle.total_seconds())
