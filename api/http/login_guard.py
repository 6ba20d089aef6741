"""Login throttling: what stands between a password guesser (or a flood) and the password hash.

Every attempt to check a password (``POST /api/v1/auth/login``, the password step of a TOTP
enrolment) goes through ``LoginGuard.run``. In order, *before any password is hashed*:

1. **Address lockout.** An address (IPv6: its /64) with ``api.login_address_max_failures`` failed
   logins within ``api.login_lockout_minutes`` is refused until that window ends.
2. **Rates.** At most ``api.login_per_address_per_minute`` attempts a minute from one address and
   ``api.login_global_per_minute`` for the whole archive.
3. **Progressive delay per account and address.** After ``api.login_max_failures`` failures on one
   account from one address, each further attempt *from that address* must wait 1 s, 2 s, 4 s …
   up to ``api.login_lockout_minutes``. The account itself is never locked: its owner, at another
   address, logs in as usual — so nobody can lock the administrator out by failing on purpose. The
   state is kept for any name, existing or not, so it tells nothing about which accounts exist.

Refusals are 429 problem+json with ``Retry-After`` and a Vietnamese message. An admitted attempt
then waits (at most ``api.login_hash_wait_seconds``, as a coroutine, holding no thread) for one of
``api.login_max_concurrent_hashes`` hash slots, else 503: a flood costs bounded memory (64 MiB per
argon2id check) and leaves the thread pool to everyone else.

Where the counters live: in the process (``MemoryCounterStore``, the embedded default: one
``luutru serve``; a restart forgets them), or in Redis shared by every API process
(``RedisCounterStore``: ``api.throttle_redis_url``, else the Celery broker when it is Redis). If
Redis stops answering, each process falls back to its own counters and logs it.

Unlocking (``luutru users unlock``, ``POST /api/v1/auth/unlock``) clears the state of an account
(every address) or of an address, and is written to the audit log as ``auth.unlock``. With
in-process counters the CLI cannot reach the server's memory: the server applies the audited
unlocks it finds in the log, looked up (at most every 2 s) when it is about to refuse someone.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import anyio

from api.http.problems import ApiProblem

log = logging.getLogger(__name__)
T = TypeVar("T")
POLL_SECONDS = 2.0


def address_key(address: str | None) -> str:
    """The unit an address is counted in: the IPv4 address, or the /64 of an IPv6 one (one
    subscriber holds a whole /64)."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


USER_KEY_LENGTH = 24


def user_key(username: str) -> str:
    """An account name as counted: NFC, lower case, hashed (any name, existing or not)."""
    name = unicodedata.normalize("NFC", (username or "").strip()).lower()
    return hashlib.sha256(name.encode()).hexdigest()[:USER_KEY_LENGTH]


def delay_after(failures: int, free: int, cap: float) -> float:
    """Seconds an account+address pair waits after ``failures`` failures: none for the first
    ``free``, then 1, 2, 4 … seconds, at most ``cap``."""
    if failures < free:
        return 0.0
    return min(float(2 ** min(failures - free, 30)), cap)


class CounterStore(Protocol):
    def hit(self, key: str, window: float) -> tuple[int, float]:
        """Count one event in the fixed window of ``key``: (events so far, seconds left)."""

    def peek(self, key: str) -> tuple[int, float]:
        """(events so far, seconds left) without counting; (0, 0) when none."""

    def reserve(self, key: str, *, free: int, cap: float, ttl: float) -> float:
        """Admit and count an attempt of a pair (0.0), or the seconds it must still wait."""

    def release(self, key: str) -> None:
        """Take back one reserved attempt (it was never made)."""

    def clear(self, key: str) -> None: ...

    def clear_pairs(self, user: str | None, address: str | None) -> int:
        """Remove the ``pair:<user>:<address>`` states of this user key (any address) or of this
        address key (any user); how many."""


class MemoryCounterStore:
    """Counters of one process (thread-safe). Expired keys are purged as the table grows."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 200_000):
        self._data: dict[str, tuple[float, float, float]] = {}  # key -> (count, last, expires)
        self._lock = threading.Lock()
        self._clock = clock
        self.max_keys = max_keys

    def _get(self, key: str, now: float) -> tuple[float, float, float] | None:
        item = self._data.get(key)
        if item is not None and item[2] <= now:
            del self._data[key]
            return None
        return item

    def _purge(self, now: float) -> None:
        if len(self._data) < self.max_keys:
            return
        for key in [k for k, v in self._data.items() if v[2] <= now]:
            del self._data[key]
        if len(self._data) >= self.max_keys:  # a flood of distinct addresses: forget the oldest half
            for key in sorted(self._data, key=lambda k: self._data[k][1])[: len(self._data) // 2]:
                del self._data[key]

    def hit(self, key: str, window: float) -> tuple[int, float]:
        now = self._clock()
        with self._lock:
            item = self._get(key, now)
            if item is None:
                self._purge(now)
                item = (0, now, now + window)
            count, _, expires = item
            self._data[key] = (count + 1, now, expires)
            return int(count + 1), expires - now

    def peek(self, key: str) -> tuple[int, float]:
        now = self._clock()
        with self._lock:
            item = self._get(key, now)
            return (0, 0.0) if item is None else (int(item[0]), item[2] - now)

    def reserve(self, key: str, *, free: int, cap: float, ttl: float) -> float:
        now = self._clock()
        with self._lock:
            item = self._get(key, now)
            count, last = (0, now) if item is None else (int(item[0]), item[1])
            wait = last + delay_after(count, free, cap) - now
            if count and count >= free and wait > 0:
                return wait
            if item is None:
                self._purge(now)
            self._data[key] = (count + 1, now, now + ttl)
            return 0.0

    def release(self, key: str) -> None:
        now = self._clock()
        with self._lock:
            item = self._get(key, now)
            if item is not None and item[0] > 0:
                self._data[key] = (item[0] - 1, item[1], item[2])

    def clear(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def clear_pairs(self, user: str | None, address: str | None) -> int:
        with self._lock:
            keys = []
            for k in self._data:
                if k.startswith("pair:"):
                    u, _, a = k[5:].partition(":")
                    if (user is None or u == user) and (address is None or a == address):
                        keys.append(k)
            for k in keys:
                del self._data[k]
            return len(keys)


_HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
"""
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local free, cap, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'n', 'last')
local n, last = tonumber(v[1]) or 0, tonumber(v[2]) or now
if n > 0 and n >= free then
  local delay = math.min(2 ^ math.min(n - free, 30) * 1000, cap)
  local wait = last + delay - now
  if wait > 0 then return wait end
end
redis.call('HSET', KEYS[1], 'n', n + 1, 'last', now)
redis.call('PEXPIRE', KEYS[1], ttl)
return 0
"""
_RELEASE = """
local n = tonumber(redis.call('HGET', KEYS[1], 'n'))
if n and n > 0 then redis.call('HSET', KEYS[1], 'n', n - 1) end
return 0
"""


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


class RedisCounterStore:
    """Counters in Redis, shared by every API process; atomic through small Lua scripts. On a Redis
    error the process counts for itself (``MemoryCounterStore``) and logs it, at most once a minute."""

    def __init__(self, url: str, *, prefix: str = "luutru:throttle:", client=None):
        import redis

        self.redis = client or redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self.prefix = prefix
        self.fallback = MemoryCounterStore()
        self._scripts = {name: self.redis.register_script(src)
                         for name, src in (("hit", _HIT), ("reserve", _RESERVE), ("release", _RELEASE))}
        self._warned = 0.0

    def _down(self, exc: Exception) -> None:
        if time.monotonic() - self._warned > 60:
            self._warned = time.monotonic()
            log.warning("Redis for login throttling is unreachable (%s): counting in this process", exc)

    def hit(self, key: str, window: float) -> tuple[int, float]:
        from redis import RedisError

        try:
            n, pttl = self._scripts["hit"](keys=[self.prefix + key], args=[max(1, int(window * 1000))])
            return int(n), max(0, int(pttl)) / 1000
        except RedisError as exc:
            self._down(exc)
            return self.fallback.hit(key, window)

    def peek(self, key: str) -> tuple[int, float]:
        from redis import RedisError

        try:
            with self.redis.pipeline() as p:
                p.get(self.prefix + key)
                p.pttl(self.prefix + key)
                n, pttl = p.execute()
            return (int(n), max(0, int(pttl)) / 1000) if n is not None else (0, 0.0)
        except RedisError as exc:
            self._down(exc)
            return self.fallback.peek(key)

    def reserve(self, key: str, *, free: int, cap: float, ttl: float) -> float:
        from redis import RedisError

        try:
            wait = self._scripts["reserve"](keys=[self.prefix + key], args=[free, int(cap * 1000), int(ttl * 1000)])
            return max(0, int(wait)) / 1000
        except RedisError as exc:
            self._down(exc)
            return self.fallback.reserve(key, free=free, cap=cap, ttl=ttl)

    def release(self, key: str) -> None:
        from redis import RedisError

        try:
            self._scripts["release"](keys=[self.prefix + key])
        except RedisError as exc:
            self._down(exc)
            self.fallback.release(key)

    def clear(self, key: str) -> None:
        from redis import RedisError

        try:
            self.redis.delete(self.prefix + key)
        except RedisError as exc:
            self._down(exc)
        self.fallback.clear(key)

    def clear_pairs(self, user: str | None, address: str | None) -> int:
        # user keys are 24 hex digits: "?" * 24 matches exactly one, whatever the address holds
        pattern = _glob_escape(self.prefix + "pair:") + (user or "?" * USER_KEY_LENGTH) + ":" + (
            _glob_escape(address) if address is not None else "*")
        keys = list(self.redis.scan_iter(match=pattern, count=1000))
        if keys:
            self.redis.delete(*keys)
        return len(keys) + self.fallback.clear_pairs(user, address)


def redis_url(settings) -> str | None:
    """The Redis of the login counters: ``api.throttle_redis_url``, else a Redis Celery broker."""
    if settings.api.throttle_redis_url:
        return settings.api.throttle_redis_url
    broker = settings.tasks.broker_url or ""
    if settings.tasks.backend == "celery" and broker.startswith(("redis://", "rediss://", "unix://")):
        return broker
    return None


def build_store(settings) -> CounterStore:
    url = redis_url(settings)
    if url is None:
        return MemoryCounterStore()
    return RedisCounterStore(url, prefix=f"{settings.tasks.queue}:throttle:")


@dataclass(frozen=True)
class Refusal:
    status: int
    wait: float
    reason: str
    """``address`` (locked out), ``address_rate``, ``global_rate``, ``account_address`` (delay),
    ``busy`` (no hash slot)."""

    def problem(self) -> ApiProblem:
        seconds = max(1, round(self.wait + 0.4999))
        if self.status == 503:
            return ApiProblem(503, "too many logins are being checked; try again shortly",
                              f"Hệ thống đang bận kiểm tra đăng nhập; vui lòng thử lại sau {seconds} giây",
                              code="login_busy", headers={"Retry-After": str(seconds)})
        if self.reason == "global_rate":
            return ApiProblem(429, "too many login attempts on this archive; try again later",
                              f"Hệ thống đang nhận quá nhiều yêu cầu đăng nhập; vui lòng thử lại sau {seconds} giây",
                              code="rate_limited", headers={"Retry-After": str(seconds)})
        # The same answer whether the account exists or not, and whatever limit was reached.
        return ApiProblem(429, "too many login attempts; try again later",
                          f"Đăng nhập sai quá nhiều lần hoặc quá nhanh; vui lòng thử lại sau {seconds} giây",
                          code="rate_limited", headers={"Retry-After": str(seconds)})


class LoginGuard:
    """Throttles password checks (see the module docstring). One per app; ``start()`` in its lifespan."""

    def __init__(self, store: CounterStore, api_settings, *, catalogue=None):
        a = api_settings
        self.store = store
        self.free = a.login_max_failures
        self.cap = a.login_lockout_minutes * 60.0
        self.address_max_failures = a.login_address_max_failures
        self.per_address = a.login_per_address_per_minute
        self.global_limit = a.login_global_per_minute
        self.concurrency = a.login_max_concurrent_hashes or min(4, os.cpu_count() or 1)
        self.wait_seconds = a.login_hash_wait_seconds
        self.catalogue = catalogue if isinstance(store, MemoryCounterStore) else None
        self._seen: int | None = None
        self._polled = 0.0
        self._poll_lock = threading.Lock()
        self.slots: anyio.Semaphore | None = None
        self.limiter: anyio.CapacityLimiter | None = None

    @classmethod
    def from_services(cls, services) -> LoginGuard:
        guard = cls(build_store(services.settings), services.settings.api, catalogue=services.catalogue)
        guard.start()
        return guard

    def start(self) -> None:
        """Create the hash slots (inside the event loop) and note where the audit log stands."""
        self.slots = anyio.Semaphore(self.concurrency)
        # Login work runs in threads of its own: a flood queues here, not in the thread pool that
        # every other request's dependencies need.
        self.limiter = anyio.CapacityLimiter(self.concurrency + 2)
        if self.catalogue is not None:
            from archive.catalogue.models import AuditHead

            with self.catalogue.session() as s:
                head = s.get(AuditHead, 1)
                self._seen = head.last_id if head is not None else 0

    # keys ----------------------------------------------------------------------------------
    @staticmethod
    def _pair(username: str, address: str | None) -> str:
        return f"pair:{user_key(username)}:{address_key(address)}"

    # admission ----------------------------------------------------------------------------------
    def admit(self, address: str | None, username: str) -> Refusal | None:
        refusal = self._admit(address, username)
        if refusal is not None and refusal.reason in ("address", "account_address") and self._poll_unlocks():
            refusal = self._admit(address, username)
        return refusal

    def _admit(self, address: str | None, username: str) -> Refusal | None:
        addr = address_key(address)
        failures, left = self.store.peek(f"addrfail:{addr}")
        if failures >= self.address_max_failures:
            return Refusal(429, left, "address")
        if self.per_address:
            n, left = self.store.hit(f"rate:{addr}", 60.0)
            if n > self.per_address:
                return Refusal(429, left, "address_rate")
        if self.global_limit:
            n, left = self.store.hit("rate:*", 60.0)
            if n > self.global_limit:
                return Refusal(429, left, "global_rate")
        wait = self.store.reserve(self._pair(username, address), free=self.free, cap=self.cap, ttl=2 * self.cap)
        if wait > 0:
            return Refusal(429, wait, "account_address")
        return None

    def failed(self, address: str | None, username: str) -> None:
        """The attempt admitted for this pair failed: it stays counted; the address gains a failure."""
        self.store.hit(f"addrfail:{address_key(address)}", self.cap)

    def succeeded(self, address: str | None, username: str) -> None:
        self.store.clear(self._pair(username, address))

    def cancel(self, address: str | None, username: str) -> None:
        """The admitted attempt was never made (no hash slot): take it back."""
        self.store.release(self._pair(username, address))

    async def run(self, address: str | None, username: str, check: Callable[[], T], *, failure: type[Exception],
                  on_refused: Callable[[Refusal], None] | None = None) -> T:
        """Admit, wait for a hash slot, run ``check`` (blocking: in a worker thread) and count its
        outcome: ``failure`` raised by it is a failed attempt. Refusals raise 429/503 ApiProblem."""
        if self.slots is None:
            self.start()
        assert self.slots is not None  # start() made them

        async def in_thread(fn, *args):
            return await anyio.to_thread.run_sync(fn, *args, limiter=self.limiter)

        refusal = await in_thread(self.admit, address, username)
        if refusal is None:
            try:
                self.slots.acquire_nowait()
                waited = None
            except anyio.WouldBlock:
                with anyio.move_on_after(self.wait_seconds) as waited:
                    await self.slots.acquire()
            if waited is not None and waited.cancelled_caught:
                await in_thread(self.cancel, address, username)
                refusal = Refusal(503, max(1.0, self.wait_seconds), "busy")
        if refusal is not None:
            if on_refused is not None:
                await in_thread(on_refused, refusal)
            raise refusal.problem()
        try:
            result = await in_thread(check)
        except failure:
            await in_thread(self.failed, address, username)
            raise
        except BaseException:
            await in_thread(self.cancel, address, username)
            raise
        finally:
            self.slots.release()
        await in_thread(self.succeeded, address, username)
        return result

    # unlocking ----------------------------------------------------------------------------------
    def unlock(self, *, username: str | None = None, address: str | None = None) -> int:
        """Forget the failures of an account (from every address) and/or of an address; how many
        counters were cleared."""
        cleared = 0
        if username:
            cleared += self.store.clear_pairs(user_key(username), None)
        if address:
            addr = address_key(address)
            cleared += self.store.peek(f"addrfail:{addr}")[0] > 0
            self.store.clear(f"addrfail:{addr}")
            cleared += self.store.clear_pairs(None, addr)
        return cleared

    def _poll_unlocks(self) -> bool:
        """Apply ``auth.unlock`` entries appended by other processes (the CLI) since the last look."""
        if self.catalogue is None or self._seen is None:
            return False
        with self._poll_lock:
            if time.monotonic() - self._polled < POLL_SECONDS:
                return False
            self._polled = time.monotonic()
            import sqlalchemy as sa

            from archive.catalogue.models import AuditEntry, AuditHead

            with self.catalogue.session() as s:
                head = s.get(AuditHead, 1)
                last = head.last_id if head is not None else 0
                rows = s.execute(sa.select(AuditEntry.detail).where(
                    AuditEntry.id > self._seen, AuditEntry.id <= last, AuditEntry.action == "auth.unlock")
                    .order_by(AuditEntry.id)).scalars().all()
            self._seen = last
            for detail in rows:
                detail = detail or {}
                self.unlock(username=detail.get("username"), address=detail.get("address"))
            return bool(rows)
