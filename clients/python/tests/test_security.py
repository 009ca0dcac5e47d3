"""The client against a server that requires credentials: API key, TLS with a private CA, mutual TLS."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import grpc
import pytest

from bertig_client import BertIgError, Client

from conftest import start_server

API_KEY = "py-client-tests-key-0123456789abcdef"


def _openssl(directory: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)


def _make_pki(directory: Path) -> None:
    """A throw-away CA, a server certificate for 127.0.0.1/localhost and a client certificate."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(directory, "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
             "-subj", "/CN=BertIg Python Test CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for name, cn, ext in (("server", "127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"),
                          ("client", "bertig-py-client", "extendedKeyUsage=clientAuth\n")):
        (directory / f"{name}.ext").write_text(ext)
        _openssl(directory, "req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}")
        _openssl(directory, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "1", "-extfile", f"{name}.ext")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    pki = tmp_path_factory.mktemp("pki")
    _make_pki(pki)
    tls_address = f"127.0.0.1:{_free_port()}"
    with start_server(f"--Kestrel:Endpoints:GrpcTls:Url=https://{tls_address}",
                      "--Kestrel:Endpoints:GrpcTls:Protocols=Http2",
                      f"--Kestrel:Endpoints:GrpcTls:Certificate:Path={pki / 'server.pem'}",
                      f"--Kestrel:Endpoints:GrpcTls:Certificate:KeyPath={pki / 'server.key'}",
                      f"--BertIg:Auth:ApiKeys:0={API_KEY}",
                      f"--BertIg:Auth:ClientCertificates:CaPath={pki / 'ca.pem'}") as plaintext_address:
        yield {"plaintext": plaintext_address, "tls": tls_address, "pki": pki}


def test_list_models_tls_with_ca_and_api_key_succeeds(secured):
    ca = (secured["pki"] / "ca.pem").read_bytes()
    with Client(secured["tls"], api_key=API_KEY, root_certificates=ca, timeout=60) as client:
        assert any(m.name == "minilm-sentiment" for m in client.list_models())


def test_list_models_tls_without_credentials_is_unauthenticated(secured):
    ca = (secured["pki"] / "ca.pem").read_bytes()
    with Client(secured["tls"], root_certificates=ca, timeout=60) as client:
        with pytest.raises(BertIgError) as raised:
            client.list_models()
    assert raised.value.code == grpc.StatusCode.UNAUTHENTICATED
    assert "authorization: Bearer" in raised.value.message


def test_explain_stream_with_client_certificate_succeeds(secured):
    pki = secured["pki"]
    with Client(secured["tls"], root_certificates=(pki / "ca.pem").read_bytes(),
                certificate_chain=(pki / "client.pem").read_bytes(), private_key=(pki / "client.key").read_bytes(),
                timeout=120) as client:
        events = list(client.explain("Great fun.", n_steps=4, internal_batch_size=2))
    assert type(events[-1]).__name__ == "Result"


def test_list_models_wrong_key_over_loopback_plaintext_is_unauthenticated(secured):
    with Client(secured["plaintext"], api_key="wrong-key-0123456789abcdef", timeout=60) as client:
        with pytest.raises(BertIgError) as raised:
            client.list_models()
    assert raised.value.code == grpc.StatusCode.UNAUTHENTICATED


def test_api_key_over_plaintext_to_another_host_is_refused():
    with pytest.raises(ValueError, match="only sent over TLS"):
        Client("bertig.example.com:50051", api_key=API_KEY)
