"""The address classifier and the IP-literal reader behind the fetcher's address rule."""

from __future__ import annotations

import ipaddress

import pytest

from functions.addresses import SPECIAL_RANGES, classify_address, parse_ip_literal

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
# The addresses just outside refused ranges, where the neighbour is ordinary public space.
PUBLIC += [
    "1.0.0.0",  # after 0.0.0.0/8
    "9.255.255.255", "11.0.0.0",  # around 10.0.0.0/8
    "126.255.255.255", "128.0.0.0",  # around 127.0.0.0/8
    "169.253.255.255", "169.255.0.0",  # around 169.254.0.0/16
    "172.15.255.255",  # before 172.16.0.0/12
    "191.255.255.255", "192.0.1.0", "192.0.1.255", "192.0.3.0",  # around 192.0.0.0/24 and 192.0.2.0/24
    "192.31.195.255", "192.31.197.0", "192.52.192.255", "192.52.194.0",
    "192.88.98.255", "192.88.100.0", "192.167.255.255", "192.169.0.0",
    "192.175.47.255", "192.175.49.0", "198.17.255.255", "198.20.0.0",
    "198.51.99.255", "198.51.101.0", "203.0.112.255", "203.0.114.0",
    "223.255.255.255",  # before 224.0.0.0/4
    "2001:200::", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::",  # around 2001::/23, 2001:db8::/32
    "2620:4f:7fff:ffff:ffff:ffff:ffff:ffff", "2620:4f:8001::",  # around 2620:4f:8000::/48
    "3fff:1000::",  # after 3fff::/20
]  # fmt: skip


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_non_public_addresses_are_refused_with_their_class(address: str, reason: str) -> None:
    why = classify_address(ipaddress.ip_address(address))
    assert why is not None and reason in why


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert classify_address(ipaddress.ip_address(address)) is None


# Every entry of IANA's special-purpose registries (2025-04), as IANA lists it, and a word the
# refusal must name. A registry entry with two blocks (192.0.0.170 and .171) is two rows here.
IANA_IPV4 = [
    ("0.0.0.0/8", '"This network"', "RFC 791", "unspecified"),
    ("0.0.0.0/32", '"This host on this network"', "RFC 1122", "this host"),
    ("10.0.0.0/8", "Private-Use", "RFC 1918", "private"),
    ("100.64.0.0/10", "Shared Address Space", "RFC 6598", "carrier-grade NAT"),
    ("127.0.0.0/8", "Loopback", "RFC 1122", "loopback"),
    ("169.254.0.0/16", "Link Local", "RFC 3927", "link-local"),
    ("172.16.0.0/12", "Private-Use", "RFC 1918", "private"),
    ("192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890", "IETF protocol assignments"),
    ("192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335", "service continuity"),
    ("192.0.0.8/32", "IPv4 dummy address", "RFC 7600", "dummy"),
    ("192.0.0.9/32", "Port Control Protocol Anycast", "RFC 7723", "Port Control Protocol"),
    ("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", "RFC 8155", "TURN"),
    ("192.0.0.170/32", "NAT64/DNS64 Discovery", "RFC 8880", "NAT64/DNS64"),
    ("192.0.0.171/32", "NAT64/DNS64 Discovery", "RFC 8880", "NAT64/DNS64"),
    ("192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737", "TEST-NET-1"),
    ("192.31.196.0/24", "AS112-v4", "RFC 7535", "AS112"),
    ("192.52.193.0/24", "AMT", "RFC 7450", "AMT"),
    ("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526", "6to4 relay"),
    ("192.88.99.2/32", "6a44-relay anycast address", "RFC 6751", "6a44"),
    ("192.168.0.0/16", "Private-Use", "RFC 1918", "private"),
    ("192.175.48.0/24", "Direct Delegation AS112 Service", "RFC 7534", "AS112"),
    ("198.18.0.0/15", "Benchmarking", "RFC 2544", "benchmarking"),
    ("198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737", "TEST-NET-2"),
    ("203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737", "TEST-NET-3"),
    ("240.0.0.0/4", "Reserved", "RFC 1112", "reserved"),
    ("255.255.255.255/32", "Limited Broadcast", "RFC 919", "broadcast"),
]
IANA_IPV6 = [
    ("::1/128", "Loopback Address", "RFC 4291", "loopback"),
    ("::/128", "Unspecified Address", "RFC 4291", "unspecified"),
    ("::ffff:0:0/96", "IPv4-mapped Address", "RFC 4291", "IPv4-mapped"),
    ("64:ff9b::/96", "IPv4-IPv6 Translat.", "RFC 6052", "NAT64 form of"),  # judged by the IPv4 inside
    ("64:ff9b:1::/48", "IPv4-IPv6 Translat.", "RFC 8215", "local-use NAT64"),
    ("100::/64", "Discard-Only Address Block", "RFC 6666", "discard-only"),
    ("100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780", "dummy"),
    ("2001::/23", "IETF Protocol Assignments", "RFC 2928", "IETF protocol assignments"),
    ("2001::/32", "TEREDO", "RFC 4380", "Teredo"),
    ("2001:1::1/128", "Port Control Protocol Anycast", "RFC 7723", "Port Control Protocol"),
    ("2001:1::2/128", "Traversal Using Relays around NAT Anycast", "RFC 8155", "TURN"),
    ("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", "RFC 9665", "DNS-SD"),
    ("2001:2::/48", "Benchmarking", "RFC 5180", "benchmarking"),
    ("2001:3::/32", "AMT", "RFC 7450", "AMT"),
    ("2001:4:112::/48", "AS112-v6", "RFC 7535", "AS112"),
    ("2001:10::/28", "Deprecated (previously ORCHID)", "RFC 4843", "ORCHID"),
    ("2001:20::/28", "ORCHIDv2", "RFC 7343", "ORCHIDv2"),
    ("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", "RFC 9374", "drone"),
    ("2001:db8::/32", "Documentation", "RFC 3849", "documentation"),
    ("2002::/16", "6to4", "RFC 3056", "6to4 form of"),  # judged by the IPv4 inside
    ("2620:4f:8000::/48", "Direct Delegation AS112 Service", "RFC 7534", "AS112"),
    ("3fff::/20", "Documentation", "RFC 9637", "documentation"),
    ("5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602", "SRv6"),
    ("fc00::/7", "Unique-Local", "RFC 4193", "unique-local"),
    ("fe80::/10", "Link-Local Unicast", "RFC 4291", "link-local"),
]
# Not in those registries, but not public either.
OTHERS = [
    ("224.0.0.0/4", "IPv4 multicast", "RFC 5771", "multicast"),
    ("ff00::/8", "IPv6 multicast", "RFC 4291", "multicast"),
    ("::/96", "IPv4-compatible, deprecated", "RFC 4291", "IPv4-compatible"),
    ("::ffff:0:0:0/96", "IPv4-translated (SIIT)", "RFC 2765", "IPv4-translated"),
    ("fec0::/10", "site-local, deprecated", "RFC 3879", "site-local"),
    ("3ffe::/16", "6bone, returned", "RFC 3701", "6bone"),
    ("4000::/3", "IANA reserved IPv6 space", "RFC 4291", "outside global unicast"),
]
EVERY_RANGE = IANA_IPV4 + IANA_IPV6 + OTHERS


JUDGED_BY_THE_IPV4_INSIDE = ("64:ff9b::/96", "2002::/16")  # their middle maps to a public address


def _edges(block: str) -> list[str]:
    """The first, middle and last address of ``block`` that no more specific range holds."""
    network = ipaddress.ip_network(block)
    inside = [network.network_address, network.broadcast_address]
    if network.num_addresses > 2 and block not in JUDGED_BY_THE_IPV4_INSIDE:
        inside.append(network.network_address + network.num_addresses // 2)
    narrower = [
        ipaddress.ip_network(other)
        for other, *_ in EVERY_RANGE
        if ipaddress.ip_network(other).version == network.version
        and ipaddress.ip_network(other).prefixlen > network.prefixlen
    ]
    kept = [address for address in inside if not any(address in other for other in narrower)]
    assert kept, block
    return [str(address) for address in kept]


@pytest.mark.parametrize(("block", "iana_name", "rfc", "word"), EVERY_RANGE, ids=[r[0] for r in EVERY_RANGE])
def test_every_special_purpose_range_is_refused_and_named(block, iana_name, rfc, word) -> None:
    # The first, middle and last address of the range, each refused with the range's own reason.
    for text in _edges(block):
        why = classify_address(ipaddress.ip_address(text))
        assert why is not None, f"{text} ({block}, {iana_name}, {rfc}) passes as public"
        assert word.lower() in why.lower(), (text, why)


def test_the_table_cites_each_registry_entry_with_its_rfc() -> None:
    table = {(str(entry.network), entry.rfc) for entry in SPECIAL_RANGES}
    judged_by_inner = {"::ffff:0:0/96", "64:ff9b::/96", "2002::/16", "::ffff:0:0:0/96", "4000::/3"}
    for block, _name, rfc, _word in EVERY_RANGE:
        if block not in judged_by_inner:
            assert (str(ipaddress.ip_network(block)), rfc) in table, block


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("::ffff:0:7f00:1", "IPv4-translated form of 127.0.0.1"),
        ("::ffff:0:808:808", "IPv4-translated form of 8.8.8.8"),  # refused whatever it carries
        ("64:ff9b::c000:9", "NAT64 form of 192.0.0.9, reserved (Port Control Protocol anycast)"),
        ("2002:c000:20a::", "6to4 form of 192.0.2.10, reserved (documentation, TEST-NET-1)"),
        ("5f00:1234::1", "reserved (SRv6 segment identifiers)"),
        ("2001:1::1", "reserved (Port Control Protocol anycast)"),  # the /128, not the /23 around it
    ],
)
def test_the_most_specific_reason_is_given(address: str, why: str) -> None:
    assert classify_address(ipaddress.ip_address(address)) == why


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
