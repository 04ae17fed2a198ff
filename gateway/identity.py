"""Who is calling: the caller's Redmine API key, resolved to their Redmine user and cached."""

import logging
from dataclasses import dataclass

from aiohttp import hdrs, web

from gateway.errors import (
    REDMINE_UNREACHABLE,
    Forbidden,
    NotFound,
    RedmineUnreachable,
    Unauthenticated,
)
from gateway.grace import Confirmations, NotConfirmed, identity_name
from gateway.redmine.client import API_KEY_HEADER, RedmineClient
from gateway.secrets import KeyVault
from gateway.store.keys import CacheKind
from gateway.store.redis import RedisStore
from gateway.timers.models import Owner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    api_key: str
    owner: Owner

    @property
    def user_id(self) -> int:
        return self.owner.id


def api_key_of(request: web.Request) -> str:
    """The key from `Authorization: Bearer <key>` (GitScrum style) or `X-Redmine-API-Key`."""
    authorization = request.headers.get(hdrs.AUTHORIZATION, "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    api_key = request.headers.get(API_KEY_HEADER, "").strip()
    if api_key:
        return api_key
    raise Unauthenticated(
        "Send your Redmine API key as 'Authorization: Bearer <key>' or 'X-Redmine-API-Key'."
    )


class IdentityResolver:
    def __init__(
        self,
        redmine: RedmineClient,
        store: RedisStore,
        vault: KeyVault,
        ttl_s: int,
        confirmations: Confirmations,
    ) -> None:
        self._redmine = redmine
        self._store = store
        self._vault = vault
        self._ttl_s = ttl_s
        self._confirmations = confirmations

    async def caller(self, api_key: str, *, grace: bool = False) -> Caller:
        """The key's Redmine user. With `grace` (the caller's own timers), while Redmine cannot
        be asked, the user Redmine last confirmed for this key within the grace."""
        # Redmine runs a request with an unknown key as anonymous instead of refusing it, so the
        # key is checked against /users/current.json (401 there: not a valid key).
        fingerprint = self._vault.fingerprint(api_key)
        cached = await self._store.caches.cached(CacheKind.IDENTITY, fingerprint)
        if cached is not None:
            return Caller(api_key, Owner.model_validate_json(cached))
        try:
            user = await self._redmine.current_user(api_key)
        except Unauthenticated:
            await self._confirmations.withdraw(identity_name(fingerprint))
            raise
        except REDMINE_UNREACHABLE as exc:
            if not grace:
                raise
            return Caller(api_key, await self._confirmed_owner(fingerprint, exc))
        if not user.login:
            await self._confirmations.withdraw(identity_name(fingerprint))
            raise Unauthenticated("The API key was not accepted by Redmine.")
        owner = Owner(id=user.id, username=user.login, name=user.name)
        await self._store.caches.remember(
            CacheKind.IDENTITY, fingerprint, owner.model_dump_json(), self._ttl_s
        )
        await self._confirmations.confirm(identity_name(fingerprint), owner)
        return Caller(api_key, owner)

    async def _confirmed_owner(self, fingerprint: str, unreachable: Exception) -> Owner:
        try:
            owner = await self._confirmations.recall(identity_name(fingerprint), Owner)
        except NotConfirmed:
            raise RedmineUnreachable(
                "Redmine could not be reached to check your API key; try again later."
            ) from unreachable
        log.info("redmine unreachable; key accepted within the grace user=%s", owner.id)
        return owner


class UserDirectory:
    """Logins and names of other Redmine users, as far as the caller may see them."""

    def __init__(self, redmine: RedmineClient, store: RedisStore, ttl_s: int) -> None:
        self._redmine = redmine
        self._store = store
        self._ttl_s = ttl_s

    async def user(self, caller: Caller, user_id: int, fallback_name: str) -> Owner:
        if user_id == caller.user_id:
            return caller.owner
        cached = await self._store.caches.cached(CacheKind.USER, str(user_id))
        if cached is not None:
            return Owner.model_validate_json(cached)
        try:
            user = await self._redmine.user(caller.api_key, user_id)
        except (NotFound, Forbidden):
            # Redmine hides this user's profile from the caller; the entry still names them.
            return Owner(id=user_id, username="", name=fallback_name)
        owner = Owner(id=user.id, username=user.login, name=user.name)
        await self._store.caches.remember(
            CacheKind.USER, str(user_id), owner.model_dump_json(), self._ttl_s
        )
        return owner
