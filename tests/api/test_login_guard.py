"""Login throttling (``api/http/login_guard.py``) in-process: the counters of both stores, the address
lockout and its unlock (API and CLI), the shared counters of several API processes (real Redis),
the busy answer when every hash slot is taken, and uniform answers and timing of failures.

The flood of a real ``luutru serve`` is in ``test_login_flood.py``."""

from __future__ import annotations

import statistics
import threading
import time
import uuid

import pytest
import sqlalchemy as sa
from apienv import PASSWORD, make_env
from fastapi.testclient import TestClient

from api.accounts import totp_code
from api.http.login_guard import LoginGuard, MemoryCounterStore, RedisCounterStore, address_key, delay_after, user_key
from archive.catalogue.models import AuditEntry


class Tick:
    def __init__(self):
        self.t = 50.0

    def __call__(self) -> float:
        return self.t


# the counters -------------------------------------------------------------------------------------
@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def store(request):
    if request.param == "memory":
        return MemoryCounterStore()
    url = request.getfixturevalue("redis_db")
    return RedisCounterStore(url, prefix=f"test-{uuid.uuid4().hex[:8]}:")


def test_counter_store_contract(store):
    """GIVEN either store WHEN events are counted, pairs reserved and cleared THEN both behave the
    same: fixed windows, progressive waits, releases and clearing by user or by address."""
    assert store.peek("rate:x") == (0, 0.0)
    assert [store.hit("rate:x", 60)[0] for _ in range(3)] == [1, 2, 3]
    count, left = store.peek("rate:x")
    assert count == 3 and 55 < left <= 60
    pair = f"pair:{user_key('quantri')}:{address_key('10.0.0.1')}"
    assert [store.reserve(pair, free=3, cap=900, ttl=1800) for _ in range(3)] == [0, 0, 0]
    wait = store.reserve(pair, free=3, cap=900, ttl=1800)
    assert 0.5 < wait <= 1.0  # after three, the fourth waits a second
    store.release(pair)
    assert store.reserve(pair, free=3, cap=900, ttl=1800) == 0  # the released attempt is available again
    other = f"pair:{user_key('canbo')}:{address_key('10.0.0.1')}"
    elsewhere = f"pair:{user_key('quantri')}:{address_key('2001:db8::1')}"
    store.reserve(other, free=3, cap=900, ttl=1800)
    store.reserve(elsewhere, free=3, cap=900, ttl=1800)
    assert store.clear_pairs(user_key("quantri"), None) == 2
    assert store.reserve(pair, free=0, cap=900, ttl=1800) == 0 and store.reserve(other, free=0, cap=900, ttl=1800) > 0
    assert store.clear_pairs(None, address_key("10.0.0.1")) == 2
    store.clear("rate:x")
    assert store.peek("rate:x") == (0, 0.0)


def test_delays_double_up_to_the_cap():
    assert [delay_after(n, 5, 900) for n in (0, 4, 5, 6, 7, 14, 15, 40)] == [0, 0, 1, 2, 4, 512, 900, 900]


def test_ipv6_addresses_count_by_their_64():
    assert address_key("2001:db8:1:2::5") == address_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::5") != address_key("2001:db8:1:2::5")
    assert address_key("::ffff:10.0.0.1") == "10.0.0.1"


def test_the_memory_store_stays_bounded():
    """GIVEN a flood of distinct addresses WHEN the table is full THEN expired and then the oldest
    half are forgotten: the process does not grow without end."""
    tick = Tick()
    store = MemoryCounterStore(clock=tick, max_keys=1000)
    for i in range(5000):
        tick.t += 0.001
        store.hit(f"rate:10.{i // 65536}.{i // 256 % 256}.{i % 256}", 60)
    assert len(store._data) <= 1000


# the address lockout and unlocking ---------------------------------------------------------------
def test_an_address_that_fails_too_often_is_refused_until_unlocked(tmp_path):
    """GIVEN an address limit of 6 failures WHEN 10.66.1.1 fails on six different names THEN it is
    refused (429) even for a right password, other addresses are not; an administrator's unlock of
    the address (API, audited) lets it in again."""
    services, app = make_env(tmp_path / "d", LUUTRU_API__LOGIN_ADDRESS_MAX_FAILURES="6")
    try:
        services.accounts.create_user("quantri", full_name="Quản Trị", role="admin", password=PASSWORD, actor="t")
        services.accounts.create_user("canbo", full_name="Cán Bộ", role="official", password=PASSWORD, actor="t")
        with TestClient(app, client=("10.0.0.5", 1)) as admin:
            attacker = TestClient(app, client=("10.66.1.1", 1))
            attacker.portal = admin.portal
            codes = [attacker.post("/api/v1/auth/login", json={"username": f"ten-{i}", "password": "x" * 12}).status_code
                     for i in range(6)]
            assert codes == [401] * 6
            refused = attacker.post("/api/v1/auth/login", json={"username": "canbo", "password": PASSWORD})
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 60
            token = admin.post("/api/v1/auth/login", json={"username": "quantri", "password": PASSWORD}).json()["access_token"]
            hdr = {"Authorization": f"Bearer {token}"}
            assert admin.post("/api/v1/auth/unlock", json={}, headers=hdr).status_code == 422
            assert admin.post("/api/v1/auth/unlock", json={"address": "khong-phai-ip"}, headers=hdr).status_code == 422
            r = admin.post("/api/v1/auth/unlock", json={"address": "10.66.1.1"}, headers=hdr)
            assert r.status_code == 200 and r.json()["cleared"] >= 1
            assert attacker.post("/api/v1/auth/login", json={"username": "canbo", "password": PASSWORD}).status_code == 200
            canbo = admin.post("/api/v1/auth/login", json={"username": "canbo", "password": PASSWORD}).json()["access_token"]
            assert admin.post("/api/v1/auth/unlock", json={"address": "10.66.1.1"},
                              headers={"Authorization": f"Bearer {canbo}"}).status_code == 403
        with services.catalogue.session() as s:
            entry = s.execute(sa.select(AuditEntry).where(AuditEntry.action == "auth.unlock")).scalar_one()
        assert (entry.actor, entry.detail) == ("user:quantri", {"username": None, "address": "10.66.1.1"})
    finally:
        services.close()


def test_luutru_users_unlock_reaches_a_running_server(cli, data_dir):
    """GIVEN a running API (in-process counters) where 10.66.2.2 made the administrator's account
    wait WHEN an operator runs ``luutru users unlock quantri`` in another process (here: the CLI
    runner on the same data folder) THEN the server applies the audited unlock within seconds."""
    from api.http.app import create_app
    from api.wiring import build_services, get_settings

    get_settings.cache_clear()
    services = build_services(get_settings())
    try:
        services.accounts.create_user("quantri", full_name="Quản Trị", role="admin", password=PASSWORD, actor="t")
        with TestClient(create_app(services=services), client=("10.66.2.2", 1)) as client:
            client.app.state.login_guard.store._clock = Tick()  # the wait never ends by itself
            wrong = {"username": "quantri", "password": "sai-1-2-3-4"}
            for _ in range(5):
                assert client.post("/api/v1/auth/login", json=wrong).status_code == 401
            assert client.post("/api/v1/auth/login", json={"username": "quantri", "password": PASSWORD}).status_code == 429
            other_admin = cli.as_user("quantri2")  # another administrator, at their own terminal
            assert cli.as_user("luutruvien")("users", "unlock", "quantri").exit_code == 1  # not an administrator
            assert other_admin("users", "unlock", "khong-co").exit_code != 0
            result = other_admin("users", "unlock", "quantri", "--json")
            assert result.exit_code == 0, result.output
            assert '"shared_counters": false' in result.output
            deadline = time.monotonic() + 10
            while True:
                r = client.post("/api/v1/auth/login", json={"username": "quantri", "password": PASSWORD})
                if r.status_code == 200 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert r.status_code == 200, r.text
    finally:
        services.close()


@pytest.mark.redis
def test_api_processes_share_their_counters_through_redis(tmp_path, redis_db):
    """GIVEN two API processes (two apps on one catalogue) configured with Redis WHEN an address
    fails five times on one of them THEN the other makes it wait too; the owner at another address
    is unaffected; ``luutru users unlock``'s guard clears it for both."""
    queue = f"t{uuid.uuid4().hex[:8]}"
    env = {"LUUTRU_API__THROTTLE_REDIS_URL": redis_db, "LUUTRU_TASKS__QUEUE": queue,
           "LUUTRU_DB__URL": f"sqlite:///{tmp_path / 'catalogue.db'}"}
    one, app_one = make_env(tmp_path / "one", **env)
    two, app_two = make_env(tmp_path / "two", **env)
    try:
        one.accounts.create_user("canbo", full_name="Cán Bộ", role="official", password=PASSWORD, actor="t")
        with TestClient(app_one, client=("10.66.3.3", 1)) as a, TestClient(app_two, client=("10.66.3.3", 1)) as b:
            assert isinstance(a.app.state.login_guard.store, RedisCounterStore)
            for _ in range(5):
                assert a.post("/api/v1/auth/login", json={"username": "canbo", "password": "sai-1-2-3-4"}).status_code == 401
            assert b.post("/api/v1/auth/login", json={"username": "canbo", "password": PASSWORD}).status_code == 429
            owner = TestClient(app_two, client=("10.0.3.3", 1))
            owner.portal = b.portal
            assert owner.post("/api/v1/auth/login", json={"username": "canbo", "password": PASSWORD}).status_code == 200
            guard = LoginGuard(RedisCounterStore(redis_db, prefix=f"{queue}:throttle:"), one.settings.api)
            assert guard.unlock(username="canbo") == 1
            assert b.post("/api/v1/auth/login", json={"username": "canbo", "password": PASSWORD}).status_code == 200
    finally:
        one.close()
        two.close()


def test_logins_beyond_the_hash_slots_wait_then_get_503(tmp_path):
    """GIVEN one hash slot and no wait WHEN six logins arrive together THEN at least one is checked
    and the others get 503 with Retry-After (none is hashed beyond the slot)."""
    services, app = make_env(tmp_path / "d", LUUTRU_API__LOGIN_MAX_CONCURRENT_HASHES="1",
                             LUUTRU_API__LOGIN_HASH_WAIT_SECONDS="0")
    try:
        with TestClient(app) as client:
            results = []

            def one(i):
                r = client.post("/api/v1/auth/login", json={"username": f"ai-{i}", "password": "x" * 12})
                results.append((r.status_code, r.headers.get("retry-after"), r.json()["code"]))

            threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        assert {code for code, _, _ in results} <= {401, 503} and (401, None, "unauthenticated") in results
        busy = [r for r in results if r[0] == 503]
        assert busy and all(ra and code == "login_busy" for _, ra, code in busy)
    finally:
        services.close()


def test_per_address_and_global_rates(tmp_path, monkeypatch):
    """GIVEN 3 attempts a minute per address and 5 for the archive WHEN one address sends 4 THEN
    the 4th is 429 before any hashing (no argon2id check: counted, not timed, so a loaded machine
    cannot fail it); other addresses share the global 5."""
    from api import accounts

    checks = []
    verify = accounts._verify
    monkeypatch.setattr(accounts, "_verify", lambda *a: checks.append(1) or verify(*a))
    services, app = make_env(tmp_path / "d", LUUTRU_API__LOGIN_PER_ADDRESS_PER_MINUTE="3",
                             LUUTRU_API__LOGIN_GLOBAL_PER_MINUTE="5")
    try:
        with TestClient(app, client=("10.1.1.1", 1)) as first:
            second = TestClient(app, client=("10.1.1.2", 1))
            second.portal = first.portal
            body = {"username": "ai-do", "password": "x" * 12}
            assert [first.post("/api/v1/auth/login", json=body).status_code for _ in range(3)] == [401] * 3
            assert len(checks) == 3  # one check per refused attempt, the dummy hash for an unknown name
            r = first.post("/api/v1/auth/login", json=body)
            assert r.status_code == 429 and len(checks) == 3
            answers = [second.post("/api/v1/auth/login", json=body) for _ in range(3)]
            assert [a.status_code for a in answers] == [401, 401, 429]
            assert "quá nhiều yêu cầu đăng nhập" in answers[2].json()["detail_vi"]  # the archive's limit
    finally:
        services.close()


# uniform answers and timing ------------------------------------------------------------------------
def test_every_failure_answers_the_same_after_the_same_work(api, client_from):
    """GIVEN an unknown name, a wrong password, an account under attack from another address (which
    used to be locked and answered at once), a disabled account and an enrolled account without
    its code WHEN each is tried from fresh addresses, interleaved, nine times THEN every answer is
    the same 401 body, and the median times agree within a factor of two (each does one argon2id
    check; an early answer would be ten to fifty times faster)."""
    accounts = api.services.accounts
    accounts.update_user("hoidong2", actor="test", active=False)
    accounts.enroll_totp("luutruvien", actor="test")
    api.client.app.state.login_guard.store._clock = Tick()
    attacker = client_from("10.66.4.4")
    for _ in range(6):
        attacker.post("/api/v1/auth/login", json={"username": "hoidong1", "password": "sai-1-2-3-4"})
    kinds = {"unknown": ("khong-ton-tai", "sai-1-2-3-4"), "wrong password": ("canbo", "sai-1-2-3-4"),
             "under attack": ("hoidong1", "sai-1-2-3-4"), "disabled": ("hoidong2", PASSWORD),
             "code missing": ("luutruvien", PASSWORD)}
    times: dict[str, list[float]] = {k: [] for k in kinds}
    bodies = set()
    for i in range(9):
        for j, (kind, (name, password)) in enumerate(kinds.items()):
            client = client_from(f"10.2.{i}.{j}")
            started = time.perf_counter()
            r = client.post("/api/v1/auth/login", json={"username": name, "password": password})
            times[kind].append(time.perf_counter() - started)
            body = r.json()
            bodies.add((r.status_code, body["code"], body["detail"], body["detail_vi"]))
    assert bodies == {(401, "unauthenticated", "invalid credentials",
                       "Tên đăng nhập, mật khẩu hoặc mã xác thực không đúng")}
    medians = {k: statistics.median(v) for k, v in times.items()}
    print("median seconds:", {k: round(m, 3) for k, m in medians.items()})
    reference = medians["unknown"]
    assert all(0.5 < m / reference < 2.0 for m in medians.values()), medians
    # and the owner of the account under attack still gets in
    owner = client_from("10.0.4.4")
    assert owner.post("/api/v1/auth/login", json={"username": "hoidong1", "password": PASSWORD}).status_code == 200


def test_a_totp_login_still_works_for_the_owner(api):
    secret = api.services.accounts.enroll_totp("luutruvien", actor="test")
    r = api.client.post("/api/v1/auth/login", json={"username": "luutruvien", "password": PASSWORD,
                                                    "totp": totp_code(secret, int(time.time() // 30))})
    assert r.status_code == 200


def test_when_redis_stops_answering_each_process_counts_for_itself():
    """GIVEN shared counters whose Redis is not reachable WHEN logins are counted THEN nothing
    fails: the process falls back to its own counters (and logs it)."""
    store = RedisCounterStore("redis://127.0.0.1:1/0", prefix="x:")
    assert [store.hit("rate:a", 60)[0] for _ in range(2)] == [1, 2]
    pair = f"pair:{user_key('a')}:1.2.3.4"
    assert [store.reserve(pair, free=1, cap=900, ttl=1800) > 0 for _ in range(2)] == [False, True]
    store.release(pair)
    store.clear(pair)
    assert store.peek("rate:a")[0] == 2
