"""Server-side request forgery through webhooks: where the archive may be told to send requests.

A read-scope client once registered ``http://127.0.0.1:5432/`` and read the per-port delivery
errors back: an internal port scanner. These tests register what an attacker would — loopback,
private, link-local and metadata addresses, spelt in every way the resolver accepts — through the
real API and the system resolver (numeric spellings never leave the machine; ``localhost`` is
resolved as any name is), and check the address rule itself with Hypothesis."""

from __future__ import annotations

import ipaddress

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from api.webhooks import AddressRefused, WebhookService, address_allowed
from archive.catalogue.access_tables import WebhookSubscription

HOSTILE_URLS = [
    "http://127.0.0.1:5432/",
    "http://127.1:6379/",
    "http://10.1.2.3/hook",
    "http://192.168.1.10:8080/",
    "http://172.16.0.5/",
    "http://100.64.0.1/",                       # shared address space (carrier-grade NAT)
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://0.0.0.0:8000/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://[::1]:8000/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]:5432/",
    "http://[::127.0.0.1]/",                    # IPv4-compatible
    "http://[fe80::1]/",
    "http://[fc00::5]/",
    "http://[fd12:3456::1]/",
    "http://[2002:7f00:1::1]/",                 # 6to4 of 127.0.0.1
    "http://[64:ff9b::a00:1]/",                 # NAT64 of 10.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",  # Teredo of 10.0.0.1
    "http://[ff02::1]/",
    "http://0x7f000001/",
    "http://2130706433:5432/",
    "http://0177.0.0.1/",
    "http://0x7f.1/",
    "http://017700000001/",
    "http://localhost:5432/",
    "http://LocalHost/",
    "https://localhost/",
    "http://nonexistent.invalid/",              # does not resolve: refused the same way
]


@pytest.fixture
def registrar(api) -> str:
    """A system client holding the webhooks scope (and read), as QLVB would."""
    api.tokens["qlvb-hook"] = api.services.accounts.create_client("qlvb-hook", scopes=["read", "webhooks"],
                                                                  actor="test")["token"]
    return "qlvb-hook"


def test_registration_to_internal_addresses_is_refused(api, registrar, subtests):
    """GIVEN the default settings (no allowed networks) WHEN a client with the webhooks scope — or an
    administrator — registers a receiver that resolves to a non-public address THEN 422 with a
    Vietnamese message that says nothing of what the name resolved to, and nothing is stored."""
    for url in HOSTILE_URLS:
        for who, extra in ((registrar, {}), ("quantri", {"client": "qlvb-hook"})):
            with subtests.test(msg=f"{url} by {who}"):
                r = api.post(who, "/api/v1/webhooks", json={"url": url, "events": ["record.ingested"], **extra})
                assert r.status_code == 422, (who, url, r.text)
                body = r.json()
                assert body["code"] == "invalid_request" and "công cộng" in body["detail_vi"]
                assert "127." not in body["detail"] + body["detail_vi"] and "10." not in body["detail"]
    with api.services.catalogue.session() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(WebhookSubscription)).scalar() == 0


def test_a_read_scope_client_may_not_register_a_webhook(api):
    """GIVEN a client with read (the client of the original probe) but not webhooks WHEN it
    registers any receiver THEN 403, audited."""
    r = api.post("cong-dvc", "/api/v1/webhooks", json={"url": "https://example.com/hook", "events": ["*"]})
    assert r.status_code == 403 and r.json()["detail_vi"]
    assert api.get("cong-dvc", "/api/v1/webhooks").status_code == 200  # it may still list its own


def test_an_allowed_network_is_accepted_only_for_its_addresses(tmp_path):
    """GIVEN an administrator allowing 10.20.0.0/16 WHEN receivers in and out of it are checked
    THEN only that range opens (neither loopback nor the rest of 10/8)."""
    from apienv import make_env

    services, _app = make_env(tmp_path / "d", LUUTRU_API__WEBHOOK_ALLOW_NETWORKS="10.20.0.0/16, fd00:1::/64")
    try:
        webhooks = services.webhooks
        assert webhooks.destination("http://10.20.3.4:8443/hook") == "10.20.3.4"
        assert webhooks.destination("http://[fd00:1::5]/") == "fd00:1::5"
        assert ipaddress.ip_address(webhooks.destination("http://[::ffff:10.20.0.9]/")).ipv4_mapped == \
            ipaddress.ip_address("10.20.0.9")
        for url in ("http://10.21.0.1/", "http://127.0.0.1/", "http://[fd00:2::1]/", "http://localhost/"):
            with pytest.raises(AddressRefused):
                webhooks.destination(url)
    finally:
        services.close()


def test_a_name_resolving_to_a_mix_is_refused():
    """GIVEN a name whose records mix a public and a private address (the rebinding set-up) WHEN
    it is checked THEN it is refused: every address must be allowed, whichever one is used."""
    service = WebhookService(None, None, resolve=lambda host, port: ["93.184.215.14", "10.0.0.7"])
    with pytest.raises(AddressRefused):
        service.destination("https://hooks.example.com/x")
    service.resolve = lambda host, port: ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    assert service.destination("https://hooks.example.com/x") == "93.184.215.14"


# The rule itself ----------------------------------------------------------------------------------
SPECIAL_V4 = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
              "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
              "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4"]


def _in(network: str):
    net = ipaddress.ip_network(network)
    return st.integers(0, net.num_addresses - 1).map(lambda i: net[i])


special_v4 = st.one_of(*[_in(n) for n in SPECIAL_V4])


@given(special_v4)
@settings(max_examples=300, deadline=None)
def test_special_ipv4_is_refused_in_every_ipv6_form(ip):
    """GIVEN any IPv4 address of a special range WHEN checked as such, IPv4-mapped, IPv4-compatible,
    6to4 or NAT64 THEN refused every time."""
    v = int(ip)
    forms = [ip, ipaddress.IPv6Address((0xFFFF << 32) | v), ipaddress.IPv6Address(v),
             ipaddress.IPv6Address((0x2002 << 112) | (v << 80)), ipaddress.IPv6Address((0x64FF9B << 96) | v)]
    assert not any(address_allowed(f) for f in forms), forms


@given(special_v4, st.sampled_from(["decimal", "hex", "octal", "dotted-hex"]))
@settings(max_examples=150, deadline=None)
def test_numeric_spellings_resolve_to_what_they_mean_and_are_refused(ip, form):
    """GIVEN a special IPv4 address spelt as the C resolver reads it (2130706433, 0x7f000001,
    0177.0.0.1, 0x7f.0x0.0x0.0x1) WHEN a receiver URL uses that spelling THEN the real resolver
    turns it into that address and the check refuses it."""
    v, octets = int(ip), ip.packed
    host = {"decimal": str(v), "hex": hex(v), "octal": ".".join(f"0{o:o}" for o in octets),
            "dotted-hex": ".".join(hex(o) for o in octets)}[form]
    service = WebhookService(None, None)
    assert ipaddress.ip_address(service.resolve(host, 80)[0]) == ip
    with pytest.raises(AddressRefused):
        service.destination(f"http://{host}:80/hook")


@given(st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address))
@settings(max_examples=300, deadline=None)
def test_an_ipv4_address_is_allowed_exactly_when_it_is_global_unicast(ip):
    assert address_allowed(ip) == (ip.is_global and not ip.is_multicast
                                   and not any(ip in ipaddress.ip_network(n) for n in SPECIAL_V4))


@given(st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address))
@settings(max_examples=300, deadline=None)
def test_no_ipv6_address_outside_global_unicast_is_allowed(ip):
    """Random IPv6 addresses: whatever is allowed is global, not multicast, and carries no special
    IPv4 address."""
    if address_allowed(ip):
        assert ip.is_global and not ip.is_multicast and ip.teredo is None
        assert ip.ipv4_mapped is None or address_allowed(ip.ipv4_mapped)
        assert ip.sixtofour is None or address_allowed(ip.sixtofour)
