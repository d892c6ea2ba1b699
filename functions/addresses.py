"""Which addresses the URL fetcher may connect to: only public ones.

:func:`classify_address` says why an address is refused (loopback, private, link-local, ...) or
``None`` when it is public. :func:`parse_ip_literal` reads every spelling of an IP address that a
resolver would accept (``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``[::ffff:127.0.0.1]``), so that
odd spellings are classified as the address they are, without asking DNS.

The rule is a table, :data:`SPECIAL_RANGES`: every entry of IANA's IPv4 and IPv6 Special-Purpose
Address Registries (RFC 6890 and its updates, as of 2025-04), plus the few ranges those registries
leave to others (multicast, the deprecated IPv4-compatible and site-local forms, RFC 2765's
IPv4-translated form). Python's :mod:`ipaddress` carries an older copy of the registries (Python
3.11 calls ``5f00::/16`` and ``3fff::/20`` global), so the table does not lean on it; its
``is_global`` is only the last word for addresses no entry names.

Entries the registries mark "globally reachable" are refused too, with one exception: they are
protocol service addresses (anycast relays, AS112 DNS sinks) or identifiers that are not locators
(ORCHIDv2, drone entity tags). No song is served from them, so refusing them costs nothing. The
exception is the NAT64 prefix ``64:ff9b::/96``, judged (like 6to4, ``2002::/16``) by the IPv4
address inside.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

IPAddress = IPv4Address | IPv6Address


@dataclass(frozen=True)
class SpecialRange:
    """A refused range: the network, why it is refused (as the refusal message says it), the RFC."""

    network: IPv4Network | IPv6Network
    why: str
    rfc: str


def _ranges(*rows: tuple[str, str, str]) -> tuple[SpecialRange, ...]:
    # Most specific first, so that 192.0.0.9 is named for what it is, not for 192.0.0.0/24.
    ranges = [SpecialRange(ipaddress.ip_network(net), why, rfc) for net, why, rfc in rows]
    return tuple(sorted(ranges, key=lambda r: -r.network.prefixlen))


#: Every refused range, most specific first. Tests name each one (tests/functions/test_addresses.py).
SPECIAL_RANGES: tuple[SpecialRange, ...] = _ranges(
    # --- IANA IPv4 Special-Purpose Address Registry -------------------------------------------
    ("0.0.0.0/8", "unspecified ('this network')", "RFC 791"),
    ("0.0.0.0/32", "unspecified ('this host on this network')", "RFC 1122"),
    ("10.0.0.0/8", "private", "RFC 1918"),
    ("100.64.0.0/10", "shared (carrier-grade NAT)", "RFC 6598"),
    ("127.0.0.0/8", "loopback", "RFC 1122"),
    ("169.254.0.0/16", "link-local", "RFC 3927"),
    ("172.16.0.0/12", "private", "RFC 1918"),
    ("192.0.0.0/24", "reserved (IETF protocol assignments)", "RFC 6890"),
    ("192.0.0.0/29", "reserved (IPv4 service continuity, DS-Lite)", "RFC 7335"),
    ("192.0.0.8/32", "reserved (IPv4 dummy address)", "RFC 7600"),
    ("192.0.0.9/32", "reserved (Port Control Protocol anycast)", "RFC 7723"),
    ("192.0.0.10/32", "reserved (TURN anycast)", "RFC 8155"),
    ("192.0.0.170/32", "reserved (NAT64/DNS64 discovery)", "RFC 8880"),
    ("192.0.0.171/32", "reserved (NAT64/DNS64 discovery)", "RFC 8880"),
    ("192.0.2.0/24", "reserved (documentation, TEST-NET-1)", "RFC 5737"),
    ("192.31.196.0/24", "reserved (AS112 DNS service)", "RFC 7535"),
    ("192.52.193.0/24", "reserved (AMT relay anycast)", "RFC 7450"),
    ("192.88.99.0/24", "reserved (6to4 relay anycast, deprecated)", "RFC 7526"),
    ("192.88.99.2/32", "reserved (6a44 relay anycast)", "RFC 6751"),
    ("192.168.0.0/16", "private", "RFC 1918"),
    ("192.175.48.0/24", "reserved (AS112 direct delegation)", "RFC 7534"),
    ("198.18.0.0/15", "reserved (benchmarking)", "RFC 2544"),
    ("198.51.100.0/24", "reserved (documentation, TEST-NET-2)", "RFC 5737"),
    ("203.0.113.0/24", "reserved (documentation, TEST-NET-3)", "RFC 5737"),
    ("240.0.0.0/4", "reserved", "RFC 1112"),
    ("255.255.255.255/32", "broadcast", "RFC 919"),
    # IPv4 multicast is in IANA's multicast registry, not the special-purpose one.
    ("224.0.0.0/4", "multicast", "RFC 5771"),
    # --- IANA IPv6 Special-Purpose Address Registry -------------------------------------------
    ("::1/128", "loopback", "RFC 4291"),
    ("::/128", "unspecified", "RFC 4291"),
    # ::ffff:0:0/96 (IPv4-mapped) is refused in classify_address whatever it maps: see there.
    # 64:ff9b::/96 (NAT64, well-known) is judged by the IPv4 address inside: see classify_address.
    ("64:ff9b:1::/48", "reserved (local-use NAT64)", "RFC 8215"),
    ("100::/64", "reserved (discard-only)", "RFC 6666"),
    ("100:0:0:1::/64", "reserved (dummy prefix)", "RFC 9780"),
    ("2001::/23", "reserved (IETF protocol assignments)", "RFC 2928"),
    ("2001::/32", "reserved (Teredo)", "RFC 4380"),
    ("2001:1::1/128", "reserved (Port Control Protocol anycast)", "RFC 7723"),
    ("2001:1::2/128", "reserved (TURN anycast)", "RFC 8155"),
    ("2001:1::3/128", "reserved (DNS-SD service registration anycast)", "RFC 9665"),
    ("2001:2::/48", "reserved (benchmarking)", "RFC 5180"),
    ("2001:3::/32", "reserved (AMT)", "RFC 7450"),
    ("2001:4:112::/48", "reserved (AS112 DNS service)", "RFC 7535"),
    ("2001:10::/28", "reserved (ORCHID, deprecated)", "RFC 4843"),
    ("2001:20::/28", "reserved (ORCHIDv2 identifiers)", "RFC 7343"),
    ("2001:30::/28", "reserved (drone remote ID entity tags)", "RFC 9374"),
    ("2001:db8::/32", "reserved (documentation)", "RFC 3849"),
    # 2002::/16 (6to4) is judged by the IPv4 address inside: see classify_address.
    ("2620:4f:8000::/48", "reserved (AS112 direct delegation)", "RFC 7534"),
    ("3fff::/20", "reserved (documentation)", "RFC 9637"),
    ("5f00::/16", "reserved (SRv6 segment identifiers)", "RFC 9602"),
    ("fc00::/7", "unique-local", "RFC 4193"),
    ("fe80::/10", "link-local", "RFC 4291"),
    # Outside the registry: multicast, and forms that RFCs have deprecated but hosts may still route.
    ("ff00::/8", "multicast", "RFC 4291"),
    ("::/96", "IPv4-compatible (deprecated)", "RFC 4291"),
    ("fec0::/10", "site-local (deprecated)", "RFC 3879"),
    ("3ffe::/16", "reserved (former 6bone test network)", "RFC 3701"),
)

_MAPPED = IPv6Network("::ffff:0:0/96")  # RFC 4291: an IPv4 address in IPv6 clothing
_TRANSLATED = IPv6Network("::ffff:0:0:0/96")  # RFC 2765 (SIIT): translated to the IPv4 inside
_NAT64 = IPv6Network("64:ff9b::/96")  # RFC 6052: a router translates it to the IPv4 inside
_GLOBAL_UNICAST = IPv6Network("2000::/3")  # RFC 4291: everything else in IPv6 is reserved


def classify_address(address: IPAddress) -> str | None:
    """Why ``address`` may not be fetched from, or ``None`` if it is a public unicast address.

    Examples
    --------
    >>> classify_address(ipaddress.ip_address("127.0.0.1"))
    'loopback'
    >>> classify_address(ipaddress.ip_address("64:ff9b::a00:1"))
    'NAT64 form of 10.0.0.1, private'
    >>> classify_address(ipaddress.ip_address("93.184.215.14")) is None
    True
    """
    if isinstance(address, IPv6Address):
        if address.scope_id:
            return "link-local (scoped)"
        # Refused whatever they carry: DNS has no business answering with these forms.
        if address in _MAPPED:
            return f"IPv4-mapped form of {IPv4Address(int(address) & 0xFFFFFFFF)}"
        if address in _TRANSLATED:
            return f"IPv4-translated form of {IPv4Address(int(address) & 0xFFFFFFFF)}"
        embedded, form = _embedded_ipv4(address)
        if embedded is not None:
            inner = classify_address(embedded)
            return f"{form} form of {embedded}, {inner}" if inner else None
    special = special_range(address)
    if special is not None:
        return special.why
    if isinstance(address, IPv6Address) and address not in _GLOBAL_UNICAST:
        return "reserved (outside global unicast 2000::/3)"
    # Anything else ipaddress knows to be not globally reachable (a later registry entry, say).
    return None if address.is_global else "reserved (not globally reachable)"


def special_range(address: IPAddress) -> SpecialRange | None:
    """The most specific entry of :data:`SPECIAL_RANGES` holding ``address``, if any."""
    for entry in SPECIAL_RANGES:
        if entry.network.version == address.version and address in entry.network:
            return entry
    return None


def _embedded_ipv4(address: IPv6Address) -> tuple[IPv4Address | None, str]:
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF), "NAT64"
    if address.sixtofour is not None:
        return address.sixtofour, "6to4"
    return None, ""


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address ``host`` spells, if it is an IP literal in any form a resolver accepts; else ``None``.

    Accepts IPv6 with or without brackets (``[::1]``, ``::ffff:7f00:1``) and IPv4 in every
    ``inet_aton`` form: one to four dot-separated parts, each decimal, octal (leading ``0``) or hex
    (``0x``), the last part filling the remaining bytes (``127.1``, ``0x7f.1``, ``2130706433``).
    A trailing dot is ignored. Raises :class:`ValueError` for a numeric form that is out of range
    (``256.0.0.1``) or malformed (``08.1.1.1``): no valid host name either.
    """
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        try:
            return IPv6Address(text.replace("%25", "%"))
        except ValueError:
            return None
    text = text.removesuffix(".")
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or not all(_is_number(part) for part in parts):
        return None
    numbers = [_parse_number(part) for part in parts]
    *head, last = numbers
    if any(n > 0xFF for n in head) or last >= 1 << (8 * (5 - len(numbers))):
        raise ValueError(f"{host!r} looks like an IPv4 address but is out of range")
    value = last
    for i, n in enumerate(head):
        value |= n << (8 * (3 - i))
    return IPv4Address(value)


def _is_number(part: str) -> bool:
    lowered = part.lower()
    if lowered.startswith("0x"):
        return len(lowered) > 2 and all(c in "0123456789abcdef" for c in lowered[2:])
    return part.isascii() and part.isdigit()


def _parse_number(part: str) -> int:
    lowered = part.lower()
    if lowered.startswith("0x"):
        return int(lowered[2:], 16)
    if len(part) > 1 and part.startswith("0"):
        if not all(c in "01234567" for c in part):
            raise ValueError(f"{part!r} is not an octal number")
        return int(part, 8)
    return int(part)


def ip_address(text: str) -> IPAddress:
    """Parse an address as returned by ``getaddrinfo`` (IPv6 may carry a ``%scope``)."""
    return ipaddress.ip_address(text)
