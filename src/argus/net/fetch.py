"""Fetch an image URL a client gave us without letting the client aim the server at itself.

Only ``http`` and ``https`` URLs are fetched. The host name is resolved here, every address it
resolves to is checked, and the connection goes to that checked address (the ``Host`` header and
the TLS server name stay the URL's host), so a name that resolves to loopback, a private network,
a link-local or cloud-metadata address is refused before any connection is made, and DNS cannot
answer differently between the check and the connection. Addresses must be global unicast unless
they fall in ``AnalysisSettings.fetch_allowed_networks``. Redirects are followed by hand, each hop
checked the same way, up to ``fetch_max_redirects``. The connection has its own timeout, the whole
fetch a total one, and the body is counted while it streams: a ``Content-Length`` over the limit
is refused before the body is read, and a body that grows past it is cut off. Environment proxies
are ignored (a proxy would resolve and connect on our behalf).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

from argus.config import AnalysisSettings
from argus.config.units import bytes_to_mb
from argus.errors import FetchFailed, PayloadTooLarge, UrlNotAllowed
from argus.plainwords import describe, kind

if TYPE_CHECKING:
    import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: ``resolve(host, port) -> addresses``; tests may pass their own (no network either way).
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]

REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Fetched:
    """The body of a fetched URL, the URL it finally came from, and its content type."""

    data: bytes
    url: str
    content_type: str | None


#: IPv6 ranges whose last 32 bits (or, for 6to4, bits 16-48) carry an IPv4 address that a
#: gateway or the host's stack may connect to: IPv4-compatible ``::a.b.c.d`` (deprecated, still
#: routed to IPv4 by some stacks), IPv4-translated ``::ffff:0:a.b.c.d`` (SIIT), NAT64's
#: well-known and local-use prefixes.
_EMBEDDING_V4 = tuple(
    ipaddress.IPv6Network(n) for n in ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48")
)


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, translated, NAT64, 6to4,
    Teredo client), or None."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in net for net in _EMBEDDING_V4) and int(address) > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_allowed(address: IPAddress, allowed: Sequence[Network] = ()) -> bool:
    """Whether a connection to ``address`` is allowed: a global unicast address, or one inside
    an explicitly allowed network. An IPv6 address carrying an IPv4 one (``::ffff:127.0.0.1``,
    ``::127.0.0.1``, ``::ffff:0:127.0.0.1``, NAT64, 6to4, Teredo) is judged as that IPv4 address
    too: both must be allowed."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            if address.ipv4_mapped is not None:
                return address_allowed(inner, allowed)
            return address_allowed(inner, allowed) and _allowed_as_is(address, allowed)
    return _allowed_as_is(address, allowed)


def _allowed_as_is(address: IPAddress, allowed: Sequence[Network]) -> bool:
    if any(address in net for net in allowed if net.version == address.version):
        return True
    return address.is_global and not address.is_multicast


def allowed_networks(settings: AnalysisSettings) -> list[Network]:
    return [ipaddress.ip_network(n, strict=False) for n in settings.fetch_allowed_networks]


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (literal IPs are returned as they are)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchFailed(f"cannot resolve host '{host}': {exc.strerror}") from exc
    out: list[IPAddress] = []
    for info in infos:
        addr = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if addr not in out:
            out.append(addr)
    return out


@dataclass(frozen=True)
class Target:
    """Where a checked URL connects: its checked IP, with the Host header and TLS name kept."""

    url: str  # the URL as the client sees it
    connect_url: str  # the same URL with the checked IP as host
    host_header: str
    server_name: str


async def check_url(
    url: str, settings: AnalysisSettings, resolver: Resolver = system_resolver
) -> Target:
    """Refuse an image URL by scheme or address; returns where to connect. Makes no connection."""
    return await check_destination(
        url,
        allowed_networks(settings),
        resolver,
        setting="ARGUS_ANALYSIS__FETCH_ALLOWED_NETWORKS",
        verb="fetched",
    )


async def check_destination(
    url: str,
    allowed: Sequence[Network],
    resolver: Resolver = system_resolver,
    *,
    setting: str,
    verb: str,
) -> Target:
    """Refuse a URL Argus would connect to by scheme or address; returns the checked IP to
    connect to (so a second DNS answer cannot redirect the connection). Makes no connection.

    ``setting`` names the setting that allows networks and ``verb`` what Argus does with the
    URL ("fetched", "called"), for the error message."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UrlNotAllowed(f"only http and https URLs are {verb}, not '{scheme or url}'")
    host = parts.hostname
    if not host:
        raise UrlNotAllowed("the URL has no host")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise UrlNotAllowed(f"bad port in URL: {exc}") from exc
    addresses = await resolver(host, port)
    if not addresses:
        raise FetchFailed(f"host '{host}' has no address")
    refused = [a for a in addresses if not address_allowed(a, allowed)]
    if refused:
        raise UrlNotAllowed(
            f"'{host}' resolves to {refused[0]}, a loopback, private, link-local or reserved "
            f"address; such addresses are not {verb} ({setting} allows chosen networks)"
        )
    ip = addresses[0]
    ip_host = f"[{ip}]" if ip.version == 6 else str(ip)
    netloc = f"{ip_host}:{port}"
    connect_url = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    default_port = port == (443 if scheme == "https" else 80)
    host_header = (f"[{host}]" if ":" in host else host) + ("" if default_port else f":{port}")
    return Target(url, connect_url, host_header, host)


async def fetch(
    url: str,
    settings: AnalysisSettings,
    *,
    max_bytes: int,
    resolver: Resolver = system_resolver,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Fetched:
    """GET ``url`` under the SSRF rules, timeouts and byte limit described in the module.

    Raises :class:`UrlNotAllowed`, :class:`FetchFailed` or :class:`PayloadTooLarge`.
    """
    import httpx  # imported on first use: the server starts without it

    timeout = httpx.Timeout(settings.fetch_timeout_s, connect=settings.fetch_connect_timeout_s)
    headers = {"User-Agent": settings.fetch_user_agent, "Accept": "image/*,*/*;q=0.5"}
    try:
        async with (
            asyncio.timeout(settings.fetch_timeout_s),
            httpx.AsyncClient(
                timeout=timeout, follow_redirects=False, trust_env=False, transport=transport
            ) as client,
        ):
            current = url
            for _ in range(settings.fetch_max_redirects + 1):
                target = await check_url(current, settings, resolver)
                result = await _get(client, target, headers, max_bytes)
                if isinstance(result, Fetched):
                    return result
                current = result
            raise FetchFailed(f"more than {settings.fetch_max_redirects} redirects")
    except TimeoutError as exc:
        raise FetchFailed(f"timed out after {settings.fetch_timeout_s:g} s") from exc
    except httpx.TimeoutException as exc:
        raise FetchFailed(f"timed out ({kind(exc)})") from exc
    except httpx.HTTPError as exc:
        raise FetchFailed(f"{kind(exc)}: {describe(exc)}") from exc


async def _get(
    client: httpx.AsyncClient, target: Target, headers: dict[str, str], max_bytes: int
) -> Fetched | str:
    """One hop: the body, or the absolute URL a redirect points to."""
    request = client.build_request(
        "GET",
        target.connect_url,
        headers={**headers, "Host": target.host_header},
        extensions={"sni_hostname": target.server_name},
    )
    response = await client.send(request, stream=True)
    try:
        if response.status_code in REDIRECTS:
            location = response.headers.get("location")
            if not location:
                raise FetchFailed(f"HTTP {response.status_code} without a Location")
            return str(urljoin(target.url, str(location)))
        if response.status_code >= 400:
            raise FetchFailed(f"HTTP {response.status_code} {response.reason_phrase}")
        limit_mb = bytes_to_mb(max_bytes)
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise PayloadTooLarge(f"the image is larger than {limit_mb:g} MiB")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise PayloadTooLarge(f"the image is larger than {limit_mb:g} MiB")
            chunks.append(chunk)
        return Fetched(b"".join(chunks), target.url, response.headers.get("content-type"))
    finally:
        await response.aclose()
