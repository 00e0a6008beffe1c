"""The image-URL fetcher refuses loopback, private, link-local and metadata addresses before any
connection, follows redirects only to allowed addresses, and enforces its byte limit."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx
import pytest
from analysis_support import counting_server

from argus.config import AnalysisSettings
from argus.errors import FetchFailed, PayloadTooLarge, UrlNotAllowed
from argus.net.fetch import address_allowed, fetch

MB = 2**20


def run_fetch(url: str, settings: AnalysisSettings | None = None, **kwargs: object) -> object:
    settings = settings or AnalysisSettings()
    return asyncio.run(fetch(url, settings, max_bytes=kwargs.pop("max_bytes", MB), **kwargs))  # type: ignore[arg-type]


def ipv6_loopback_works() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("169.254.169.254", False),  # cloud metadata
        ("0.0.0.0", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("::127.0.0.1", False),  # IPv4-compatible loopback
        ("::ffff:0:127.0.0.1", False),  # IPv4-translated loopback
        ("::ffff:0:169.254.169.254", False),  # translated metadata
        ("::10.0.0.1", False),  # IPv4-compatible private
        ("64:ff9b::127.0.0.1", False),  # NAT64 to loopback
        ("64:ff9b::8.8.8.8", True),  # NAT64 to a public address
        ("2002:7f00:1::", False),  # 6to4 around 127.0.0.1
        ("2002:a00:1::", False),  # 6to4 around 10.0.0.1
        ("fe80::1", False),
        ("fd00:ec2::254", False),  # AWS metadata over IPv6
        ("224.0.0.1", False),
    ],
)
def test_address_rules(address: str, allowed: bool) -> None:
    assert address_allowed(ipaddress.ip_address(address)) is allowed


def test_loopback_literal_is_refused_without_a_connection() -> None:
    with counting_server() as server:
        server.routes["/a.jpg"] = (200, {}, b"image")
        with pytest.raises(UrlNotAllowed, match=r"127\.0\.0\.1"):
            run_fetch(server.url("/a.jpg"))
        assert server.connections == 0


def test_a_name_resolving_to_loopback_is_refused_without_a_connection() -> None:
    with counting_server() as server:
        server.routes["/a.jpg"] = (200, {}, b"image")
        with pytest.raises(UrlNotAllowed, match="localhost"):
            run_fetch(server.url("/a.jpg", host="localhost"))
        assert server.connections == 0


@pytest.mark.skipif(not ipv6_loopback_works(), reason="no IPv6 loopback on this machine")
def test_ipv6_loopback_is_refused_without_a_connection() -> None:
    with counting_server("::1") as server:
        server.routes["/a.jpg"] = (200, {}, b"image")
        with pytest.raises(UrlNotAllowed, match="::1"):
            run_fetch(server.url("/a.jpg"))
        assert server.connections == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.7/a.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::127.0.0.1]/",
        "http://[::ffff:0:127.0.0.1]/",
    ],
)
def test_private_and_metadata_addresses_never_reach_the_transport(url: str) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, content=b"secret")

    with pytest.raises(UrlNotAllowed):
        run_fetch(url, transport=httpx.MockTransport(handler))
    assert sent == []


def test_redirect_to_a_private_address_is_refused_without_following_it() -> None:
    allow_one = AnalysisSettings(fetch_allowed_networks=["127.0.0.1/32"])
    with counting_server("127.0.0.2") as private, counting_server() as public:
        private.routes["/secret"] = (200, {}, b"secret")
        public.routes["/go"] = (302, {"Location": private.url("/secret")}, b"")
        with pytest.raises(UrlNotAllowed, match=r"127\.0\.0\.2"):
            run_fetch(public.url("/go"), allow_one)
        assert public.connections == 1
        assert private.connections == 0


def test_an_allowed_loopback_server_is_fetched_through_redirects() -> None:
    allow = AnalysisSettings(fetch_allowed_networks=["127.0.0.0/8"])
    with counting_server() as server:
        server.routes["/img"] = (200, {"Content-Type": "image/jpeg"}, b"\xff\xd8jpeg")
        server.routes["/old"] = (301, {"Location": "/img"}, b"")
        got = run_fetch(server.url("/old"), allow)
    assert got.data == b"\xff\xd8jpeg"  # type: ignore[attr-defined]
    assert got.url.endswith("/img")  # type: ignore[attr-defined]


def test_byte_limit_and_http_errors_and_schemes() -> None:
    allow = AnalysisSettings(fetch_allowed_networks=["127.0.0.0/8"], fetch_max_redirects=2)
    with counting_server() as server:
        server.routes["/big"] = (200, {}, b"x" * 5000)
        server.routes["/loop"] = (302, {"Location": "/loop"}, b"")
        with pytest.raises(PayloadTooLarge):
            run_fetch(server.url("/big"), allow, max_bytes=1000)
        with pytest.raises(FetchFailed, match="404"):
            run_fetch(server.url("/missing"), allow)
        with pytest.raises(FetchFailed, match="redirects"):
            run_fetch(server.url("/loop"), allow)
    for url in ("file:///etc/passwd", "ftp://example.com/a.jpg", "gopher://x/"):
        with pytest.raises(UrlNotAllowed, match="http and https"):
            run_fetch(url)
