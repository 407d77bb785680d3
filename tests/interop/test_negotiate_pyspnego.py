"""Interop: libsecur32's Negotiate package ↔ pyspnego's own SPNEGO (`protocol="negotiate"`,
NegotiateOptions.use_negotiate: pyspnego's Python RFC 4178 layer, written against Windows),
both directions, each followed by wrap/unwrap and sign/verify both ways.

- NTLM: always (pyspnego's pure-Python NTLM; our client with PackageList "!kerberos" or no
  Kerberos credentials).
- Kerberos: when run inside the MIT KDC environment (KT_REALM set by tests/interop/run.sh) and
  pyspnego can do Kerberos (the `gssapi` and `krb5` PyPI packages in the venv, built against
  libkrb5-dev by tests/interop/run.sh).

Run: .venv/bin/python -m pytest -v tests/interop/test_negotiate_pyspnego.py
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import spnego
    from spnego import NegotiateOptions
except ImportError:  # pragma: no cover
    if os.environ.get("CI") == "true":
        raise
    print("\n!!!!! SKIPPING pyspnego negotiate interop: pyspnego is not installed !!!!!\n",
          file=sys.stderr)
    pytest.skip("pyspnego not installed", allow_module_level=True)

import secur32  # noqa: E402

DOMAIN, USER, PASSWORD = "DOMAIN", "user", "Password01"
MESSAGES = [b"x", b"hello over negotiate", bytes(range(256)) * 20, "unicode \u2713".encode()]
KRB = os.environ.get("KT_REALM")
NTLM_OID = b"\x06\x0a\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a"
MS_KRB5_FIRST = b"\x06\x09\x2a\x86\x48\x82\xf7\x12\x01\x02\x02\x06\x09\x2a\x86\x48\x86\xf7\x12"


def pyspnego_has_kerberos():
    try:
        import gssapi  # noqa: F401
        import krb5  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(autouse=True)
def user_file(tmp_path, monkeypatch):
    path = tmp_path / "users"
    lines = "%s:%s:%s\n" % (DOMAIN, USER, PASSWORD)
    if KRB:
        lines += "%s:%s:%s\n" % (KRB, os.environ["KT_USER"], os.environ["KT_PASS"])
    path.write_text(lines)
    monkeypatch.setenv("NTLM_USER_FILE", str(path))
    return path


def exchange(ours, theirs):
    for _ in range(2):
        for m in MESSAGES:
            tok, sealed = ours.encrypt(m)
            assert theirs.unwrap(tok + sealed).data == m
            w = theirs.wrap(m, encrypt=True)
            assert w.encrypted
            assert ours.decrypt_stream(w.data) == m
            theirs.verify(m, ours.sign(m))
            ours.verify(m, theirs.sign(m))
    bad = bytearray(theirs.wrap(b"tamper", encrypt=True).data)
    bad[-1] ^= 1
    with pytest.raises(secur32.SspiError) as e:
        ours.decrypt_stream(bytes(bad))
    assert e.value.status == secur32.SEC_E_MESSAGE_ALTERED
    with pytest.raises(Exception):
        theirs.verify(b"tampered", ours.sign(b"original"))


def test_ntlm_our_client_pyspnego_negotiate_server():
    c = secur32.Client(USER, DOMAIN, PASSWORD, package="Negotiate", package_list="!kerberos")
    s = spnego.server(protocol="negotiate", options=NegotiateOptions.use_negotiate)
    tokens = secur32.handshake(c, s)
    assert len(tokens) == 4
    assert NTLM_OID in tokens[0]
    assert c.package_name() == "NTLM"
    assert s.negotiated_protocol == "ntlm"
    assert s.client_principal.lower() == ("%s\\%s" % (DOMAIN, USER)).lower()
    exchange(c, s)


def test_ntlm_pyspnego_negotiate_client_our_server():
    c = spnego.client("%s\\%s" % (DOMAIN, USER), PASSWORD, hostname="localhost", service="host",
                      protocol="negotiate",
                      options=NegotiateOptions.use_negotiate)
    s = secur32.Server(package="Negotiate")
    secur32.handshake(c, s)
    if c.negotiated_protocol != "ntlm":
        pytest.skip("pyspnego chose %s (Kerberos covered below)" % c.negotiated_protocol)
    assert s.package_name() == "NTLM"
    assert s.names().lower() == ("%s\\%s" % (DOMAIN, USER)).lower()
    exchange(s, c)


def test_ntlm_pyspnego_raw_ntlm_client_our_negotiate_server():
    """HTTP clients may send raw NTLMSSP after `WWW-Authenticate: Negotiate`."""
    c = spnego.client("%s\\%s" % (DOMAIN, USER), PASSWORD, hostname="localhost", service="host",
                      protocol="ntlm", options=NegotiateOptions.use_ntlm)
    s = secur32.Server(package="Negotiate")
    tokens = secur32.handshake(c, s)
    assert all(t.startswith(b"NTLMSSP\0") for t in tokens)
    exchange(s, c)


kerberos = pytest.mark.skipif(not (KRB and pyspnego_has_kerberos()),
                              reason="needs the MIT KDC environment and pyspnego with gssapi+krb5")


@kerberos
def test_kerberos_our_client_pyspnego_negotiate_server():
    spn = os.environ["KT_SPN"]
    c = secur32.Client(None, None, None, target=spn, package="Negotiate")
    s = spnego.server(hostname="localhost", service=spn.split("/")[0], protocol="negotiate",
                      options=NegotiateOptions.use_negotiate)
    tokens = secur32.handshake(c, s)
    assert MS_KRB5_FIRST in tokens[0]
    assert len(tokens) == 2
    assert c.package_name() == "Kerberos"
    assert s.negotiated_protocol == "kerberos"
    assert s.client_principal == "%s@%s" % (os.environ["KT_USER"], KRB)
    exchange(c, s)


@kerberos
def test_kerberos_pyspnego_negotiate_client_our_server():
    spn = os.environ["KT_SPN"]
    c = spnego.client(hostname=spn.split("/")[1], service=spn.split("/")[0], protocol="negotiate",
                      options=NegotiateOptions.use_negotiate)
    s = secur32.Server(package="Negotiate")
    secur32.handshake(c, s)
    assert c.negotiated_protocol == "kerberos"
    assert s.package_name() == "Kerberos"
    assert s.names() == "%s@%s" % (os.environ["KT_USER"], KRB)
    exchange(s, c)


# The Kerberos package itself (issue #10) against pyspnego's raw Kerberos (`protocol="kerberos"`:
# the GSS krb5 mechanism, no SPNEGO), both directions, then wrap/unwrap and sign/verify.
@kerberos
def test_kerberos_package_our_client_pyspnego_kerberos_server():
    spn = os.environ["KT_SPN"]
    c = secur32.Client(os.environ["KT_USER"], KRB, os.environ["KT_PASS"], target=spn,
                       flags=secur32.ISC_FLAGS | 0x2, package="Kerberos")
    s = spnego.server(hostname=spn.split("/")[1], service=spn.split("/")[0], protocol="kerberos")
    tokens = secur32.handshake(c, s)
    assert tokens[0][:1] == b"\x60" and b"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x01\x00" in tokens[0]
    assert s.negotiated_protocol == "kerberos"
    assert s.client_principal == "%s@%s" % (os.environ["KT_USER"], KRB)
    exchange(c, s)


@kerberos
def test_kerberos_package_pyspnego_kerberos_client_our_server():
    spn = os.environ["KT_SPN"]
    c = spnego.client(hostname=spn.split("/")[1], service=spn.split("/")[0], protocol="kerberos")
    s = secur32.Server(flags=secur32.ASC_FLAGS | 0x2, package="Kerberos")
    secur32.handshake(c, s)
    assert c.negotiated_protocol == "kerberos"
    assert s.names() == "%s@%s" % (os.environ["KT_USER"], KRB)
    exchange(s, c)
