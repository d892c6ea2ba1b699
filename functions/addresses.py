"""Which addresses the URL fetcher may connect to: only public ones.

:func:`classify_address` says why an address is refused (loopback, private, link-local, ...) or
``None`` when it is public. :func:`parse_ip_literal` reads every spelling of an IP address that a
resolver would accept (``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``[::ffff:127.0.0.1]``), so that
odd spellings are classified as the address they are, without asking DNS.
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

IPAddress = IPv4Address | IPv6Address

# Refused IPv4 ranges and why (RFC 6890 special-purpose registry, plus multicast and broadcast);
# the first match names the reason.
_BLOCKED_V4: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(net), why)
    for net, why in (
        ("0.0.0.0/8", "unspecified ('this network')"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared (carrier-grade NAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved (IETF protocol assignments)"),
        ("192.0.2.0/24", "reserved (documentation)"),
        ("192.88.99.0/24", "reserved (6to4 relay anycast)"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "reserved (benchmarking)"),
        ("198.51.100.0/24", "reserved (documentation)"),
        ("203.0.113.0/24", "reserved (documentation)"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),  # before 240/4, which holds it
        ("240.0.0.0/4", "reserved"),
    )
)

_BLOCKED_V6: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(net), why)
    for net, why in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "IPv4-compatible (deprecated)"),
        ("64:ff9b:1::/48", "reserved (local-use NAT64)"),
        ("100::/64", "reserved (discard-only)"),
        ("2001::/32", "reserved (Teredo)"),
        ("2001:db8::/32", "reserved (documentation)"),
        ("fc00::/7", "unique-local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local (deprecated)"),
        ("ff00::/8", "multicast"),
    )
)

# IPv6 forms that carry an IPv4 address a router will translate to: judged by the address inside.
_NAT64 = IPv6Network("64:ff9b::/96")
_SIX_TO_FOUR = IPv6Network("2002::/16")


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
        if address.ipv4_mapped is not None:  # refused whatever it maps: DNS has no business answering these
            return f"IPv4-mapped form of {address.ipv4_mapped}"
        embedded, form = _embedded_ipv4(address)
        if embedded is not None:
            inner = classify_address(embedded)
            return f"{form} form of {embedded}, {inner}" if inner else None
        table: tuple[tuple[IPv4Network, str], ...] | tuple[tuple[IPv6Network, str], ...] = _BLOCKED_V6
    else:
        table = _BLOCKED_V4
    for network, why in table:
        if address in network:
            return why
    # Anything else the IANA registries mark as not globally reachable (e.g. 2001::/23).
    return None if address.is_global else "reserved (not globally reachable)"


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
