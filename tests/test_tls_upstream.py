"""A Redmine behind https: the pass-through verifies its certificate, as any client would."""

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pytest_aiohttp import AiohttpServer

from gateway.settings import Settings
from tests.conftest import ServedGateway
from tests.fakes.redmine import Canned, FakeRedmine


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own authority), and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake redmine")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
async def tls_redmine(aiohttp_server: AiohttpServer, certificate: tuple[Path, Path]) -> FakeRedmine:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    fake = FakeRedmine()
    server = await aiohttp_server(fake.app, ssl=context)
    fake.url = str(server.make_url("/"))
    return fake


async def test_an_https_redmine_with_a_trusted_certificate_is_reached(
    served_gateway: ServedGateway,
    tls_redmine: FakeRedmine,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert tls_redmine.url.startswith("https://")
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # what the system trusts, here
    tls_redmine.queue(Canned(body=b'{"issues":[]}'))
    client = await served_gateway(Settings(redmine_url=tls_redmine.url))
    response = await client.get("/issues.json?limit=1")
    assert response.status == 200
    assert await response.read() == b'{"issues":[]}'
    assert [call.raw_path for call in tls_redmine.calls] == ["/issues.json?limit=1"]


async def test_an_https_redmine_with_an_untrusted_certificate_is_never_talked_to(
    served_gateway: ServedGateway, tls_redmine: FakeRedmine
) -> None:
    client = await served_gateway(Settings(redmine_url=tls_redmine.url))
    response = await client.get("/issues.json?key=secret")
    assert response.status == 502
    assert (await response.json())["error_code"] == "UPSTREAM_UNAVAILABLE"
    assert tls_redmine.calls == []
