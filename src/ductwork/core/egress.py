"""Where ductwork's own outgoing requests may go: webhooks, callbacks and rule actions whose
URLs API callers choose.

A caller could otherwise point one at the machine's private network or a cloud metadata
service (server-side request forgery). Unless the server runs with `--allow-webhook-network`,
an address that is link-local (the metadata services at 169.254.169.254 included), private,
shared (100.64/10), unspecified, multicast or reserved is refused; a loopback address is
allowed only on a server bound to loopback, where a sandbox user's own receiver lives.

URLs are checked when they are registered (a literal address, or a name that resolves) and
again at each delivery, where the name is resolved once, every address it has must pass, and
the request goes to the address that was checked (the name stays in the Host header and in
TLS's server name), so a name that changes its answer between the check and the connect
(DNS rebinding) reaches nothing it was not allowed to.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

# Cloud metadata services (AWS, GCP and Azure share the first; AWS's IPv6 one; Alibaba's).
METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
ALLOW_HINT = "start the server with --allow-webhook-network to allow it"


class Refused(ValueError):
    """A URL ductwork will not send to; the message says why."""


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_loopback_host(host: str) -> bool:
    """Whether a bind address or host name is loopback only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Pinned:
    """A request target after the check: the URL with the checked address in place of the
    name, and the name for the Host header and TLS's server name."""

    url: str
    host_header: str
    server_name: str


@dataclass(frozen=True)
class Egress:
    """The policy. The default (no server options) allows loopback and refuses the rest of
    the non-public space, as a server bound to loopback does."""

    allow_network: bool = False
    allow_loopback: bool = True
    resolver: Resolver = field(default=_system_resolver, compare=False, repr=False)

    @classmethod
    def for_server(cls, host: str, allow_network: bool) -> Egress:
        """The policy of a server bound to `host`."""
        return cls(allow_network=allow_network, allow_loopback=is_loopback_host(host))

    def why_not(self, address: Address) -> str | None:
        """Why an address is refused, or None when it is allowed."""
        if self.allow_network:
            return None
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if address.is_loopback:
            return None if self.allow_loopback else "a loopback address (the server is not "\
                "bound to loopback)"  # fmt: skip
        if address in METADATA:
            return "a cloud metadata address"
        if address.is_link_local:
            return "a link-local address"
        if address.is_multicast:
            return "a multicast address"
        if address.is_unspecified:
            return "an unspecified address"
        if not address.is_global:
            return "a private or reserved address"
        return None

    def _parts(self, url: str) -> tuple[SplitResult, str, int]:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise Refused(f"not a valid URL: {exc}") from exc
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise Refused("not an absolute http or https URL")
        default = 443 if parts.scheme.lower() == "https" else 80
        return parts, parts.hostname, port or default

    def _check(self, url: str, host: str, address: Address) -> None:
        reason = self.why_not(address)
        if reason is not None:
            # The URL itself is left out: its query may carry a receiver's secret, and the
            # message is logged.
            shown = host if host == str(address) else f"{host} ({address})"
            raise Refused(f"refused: {shown} is {reason}; {ALLOW_HINT}")

    def _checked_literal(self, url: str, host: str) -> bool:
        """Whether the host is an address (then checked: Refused when refused)."""
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            return False
        self._check(url, host, literal)
        return True

    def check(self, url: str, resolve: bool = True) -> None:
        """Raise Refused for a URL that may not be registered: not http(s), a refused literal
        address, or (with `resolve`) a name any of whose addresses is refused. A name that
        does not resolve passes: its deliveries will fail and be retried."""
        _parts, host, port = self._parts(url)
        if self._checked_literal(url, host):
            return
        if self.allow_network:
            return
        if host.lower() in LOOPBACK_NAMES:
            self._check(url, host, ipaddress.ip_address("127.0.0.1"))
            return
        if resolve:
            try:
                found = self.resolver(host, port)
            except OSError:
                return
            for address in found:
                self._check(url, host, ipaddress.ip_address(address.split("%", 1)[0]))

    def pin(self, url: str) -> Pinned:
        """Resolve a URL's name once, check every address, and aim the request at the first
        (raises Refused, or OSError when the name does not resolve)."""
        parts, host, port = self._parts(url)
        if self._checked_literal(url, host):
            return Pinned(url, parts.netloc.rsplit("@", 1)[-1], host)
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in self.resolver(host, port)]
        if not addresses:
            raise OSError(f"{host} has no address")
        for address in addresses:
            self._check(url, host, address)
        chosen = addresses[0]
        shown = f"[{chosen}]" if chosen.version == 6 else str(chosen)
        netloc = f"{shown}:{parts.port}" if parts.port else shown
        pinned = parts._replace(netloc=netloc).geturl()
        return Pinned(pinned, parts.netloc.rsplit("@", 1)[-1], host)
