"""The address classifier and the IP-literal reader behind the fetcher's address rule."""

from __future__ import annotations

import ipaddress

import pytest

from functions.addresses import classify_address, parse_ip_literal

REFUSED = [
    # (address, a word the reason must contain)
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("::1", "loopback"),
    ("10.0.0.1", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"),  # the cloud metadata service
    ("fe80::1", "link-local"),
    ("fe80::1%2", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.255", "carrier-grade NAT"),
    ("fc00::1", "unique-local"),
    ("fd12:3456::1", "unique-local"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("::", "unspecified"),
    ("192.0.2.1", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("2001:db8::1", "documentation"),
    ("2001::1", "Teredo"),
    ("100::1", "discard"),
    ("fec0::1", "site-local"),
    ("::7f00:1", "IPv4-compatible"),
    # IPv4-mapped: refused whatever it maps (DNS has no reason to answer with one).
    ("::ffff:127.0.0.1", "IPv4-mapped"),
    ("::ffff:10.0.0.1", "IPv4-mapped"),
    ("::ffff:8.8.8.8", "IPv4-mapped"),
    # NAT64 and 6to4 are judged by the IPv4 address inside.
    ("64:ff9b::7f00:1", "NAT64 form of 127.0.0.1, loopback"),
    ("64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254, link-local"),
    ("64:ff9b::10.0.0.1", "NAT64 form of 10.0.0.1, private"),
    ("64:ff9b:1::1", "local-use NAT64"),
    ("2002:7f00:1::1", "6to4 form of 127.0.0.1, loopback"),
    ("2002:c0a8:101::1", "6to4 form of 192.168.1.1, private"),
]

PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"]
PUBLIC += ["64:ff9b::808:808", "2002:808:808::1", "100.63.255.255", "100.128.0.0", "172.32.0.1"]


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_non_public_addresses_are_refused_with_their_class(address: str, reason: str) -> None:
    why = classify_address(ipaddress.ip_address(address))
    assert why is not None and reason in why


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert classify_address(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("spelling", "address"),
    [
        ("2130706433", "127.0.0.1"),  # one decimal number
        ("0x7f000001", "127.0.0.1"),  # one hex number
        ("017700000001", "127.0.0.1"),  # one octal number
        ("0x7f.1", "127.0.0.1"),  # hex, then the last part fills three bytes
        ("127.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),  # octal part
        ("0x7F.0.0.0x1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),  # trailing dot
        ("10.1", "10.0.0.1"),
        ("0", "0.0.0.0"),
        ("169.254.43518", "169.254.169.254"),
        ("[::1]", "::1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("::ffff:7f00:1", "::ffff:7f00:1"),
        ("[64:ff9b::127.0.0.1]", "64:ff9b::7f00:1"),
        ("[fe80::1%25eth0]", "fe80::1%eth0"),
    ],
)
def test_odd_spellings_are_read_as_the_address_they_are(spelling: str, address: str) -> None:
    parsed = parse_ip_literal(spelling)
    assert parsed == ipaddress.ip_address(address)
    assert classify_address(parsed) is not None  # every one of these is non-public


@pytest.mark.parametrize(
    "host", ["example.com", "songs.test", "1e3", "0x", "1.2.3.4.5", "localhost", "[nonsense]"]
)
def test_host_names_are_not_literals(host: str) -> None:
    assert parse_ip_literal(host) is None


@pytest.mark.parametrize(
    "host", ["256.0.0.1", "1.2.3.256", "1.16777216", "4294967296", "08.0.0.1", "0x1.0x100.1.1"]
)
def test_numeric_hosts_out_of_range_are_errors_not_names(host: str) -> None:
    with pytest.raises(ValueError):
        parse_ip_literal(host)
