"""Interop: libsecur32's NTLM ↔ pyspnego's NTLM (an independent pure-Python MS-NLMP).

Run with the venv that has pyspnego: .venv/bin/python -m pytest -v tests/interop/test_pyspnego.py
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import spnego
    from spnego import NegotiateOptions
    from spnego.exceptions import SpnegoError
except ImportError:  # pragma: no cover
    if os.environ.get("CI") == "true":
        raise
    print("\n!!!!! SKIPPING pyspnego interop: pyspnego is not installed "
          "(run tests/interop/run.sh) !!!!!\n", file=sys.stderr)
    pytest.skip("pyspnego not installed", allow_module_level=True)

import secur32  # noqa: E402

DOMAIN, USER, PASSWORD = "DOMAIN", "user", "Password01"
MESSAGES = [b"hello", b"", b"x" * 1, bytes(range(256)) * 20, "unicode ✓".encode()]
MESSAGES = [m for m in MESSAGES if m]  # DecryptMessage needs a DATA buffer with bytes


@pytest.fixture(autouse=True)
def user_file(tmp_path, monkeypatch):
    path = tmp_path / "users"
    path.write_text("%s:%s:%s\nOTHER:someone:Secret99\n" % (DOMAIN, USER, PASSWORD))
    monkeypatch.setenv("NTLM_USER_FILE", str(path))
    return path


def py_client(password=PASSWORD):
    return spnego.client("%s\\%s" % (DOMAIN, USER), password, hostname="localhost",
                         service="host", protocol="ntlm", options=NegotiateOptions.use_ntlm)


def py_server():
    return spnego.server(protocol="ntlm", options=NegotiateOptions.use_ntlm)


def handshake_ours_client_py_server():
    c = secur32.Client(USER, DOMAIN, PASSWORD)
    s = py_server()
    neg = c.step()
    assert neg[:8] == b"NTLMSSP\0" and neg[8] == 1
    chal = s.step(neg)
    assert chal[8] == 2
    auth = c.step(chal)
    assert auth[8] == 3
    assert c.complete
    secur32.assert_full_security(chal, auth)
    # Our client sends a MIC (MsvAvFlags bit 2 → MIC field at 72..88 is set).
    assert auth[72:88] != bytes(16)
    out = s.step(auth)
    assert not out
    assert s.complete
    return c, s


def handshake_py_client_ours_server(password=PASSWORD):
    c = py_client(password)
    s = secur32.Server()
    neg = c.step()
    chal = s.step(neg)
    assert chal[:8] == b"NTLMSSP\0" and chal[8] == 2
    assert not s.complete
    auth = c.step(chal)
    secur32.assert_full_security(chal, auth)
    out = s.step(auth)
    assert not out
    assert s.complete
    return c, s


def exchange(ours, theirs):
    """Both directions of wrap/unwrap ↔ Encrypt/DecryptMessage and sign/verify, repeatedly
    and interleaved so sequence numbers and RC4 states have to stay in step."""
    for rnd in range(3):
        for i, msg in enumerate(MESSAGES):
            # ours → theirs: EncryptMessage → pyspnego unwrap.
            tok, sealed = ours.encrypt(msg)
            assert len(tok) == 16 and (len(msg) < 8 or sealed != msg)
            assert theirs.unwrap(tok + sealed).data == msg
            # theirs → ours: pyspnego wrap (signature ‖ sealed) → DecryptMessage [TOKEN, DATA].
            w = theirs.wrap(msg)
            assert w.encrypted
            assert ours.decrypt(w.data[:16], w.data[16:]) == msg
            # And [STREAM, DATA] for the same direction.
            w = theirs.wrap(msg + b"!")
            assert ours.decrypt_stream(w.data) == msg + b"!"
            # Signatures both ways.
            sig = ours.sign(msg)
            assert len(sig) == 16
            theirs.verify(msg, sig)
            sig = theirs.sign(msg)
            ours.verify(msg, sig)
    # A tampered message from the peer is rejected, and the next good one... is out of
    # sequence on the peer's side, so stop here.
    w = theirs.wrap(b"tamper me")
    bad = bytearray(w.data)
    bad[-1] ^= 1
    with pytest.raises(secur32.SspiError) as e:
        ours.decrypt(bytes(bad[:16]), bytes(bad[16:]))
    assert e.value.status == secur32.SEC_E_MESSAGE_ALTERED


def test_enumerate_has_ntlm():
    assert "NTLM" in secur32.packages()


def test_our_client_pyspnego_server():
    c, s = handshake_ours_client_py_server()
    assert s.client_principal.lower() == ("%s\\%s" % (DOMAIN, USER)).lower()
    assert c.names().lower() == ("%s\\%s" % (DOMAIN, USER)).lower()
    sizes = c.query_sizes()
    assert sizes["cbMaxSignature"] == 16 and sizes["cbSecurityTrailer"] == 16
    exchange(c, s)


def test_pyspnego_client_our_server():
    c, s = handshake_py_client_ours_server()
    assert s.names().lower() == ("%s\\%s" % (DOMAIN, USER)).lower()
    sizes = s.query_sizes()
    assert sizes["cbMaxSignature"] == 16 and sizes["cbSecurityTrailer"] == 16
    exchange(s, c)


def test_wrong_password_our_server():
    c = py_client("WrongPassword")
    s = secur32.Server()
    chal = s.step(c.step())
    auth = c.step(chal)
    with pytest.raises(secur32.SspiError) as e:
        s.step(auth)
    assert e.value.status == secur32.SEC_E_LOGON_DENIED, hex(e.value.status)


def test_unknown_user_our_server():
    c = spnego.client("DOMAIN\\nobody", PASSWORD, hostname="localhost", protocol="ntlm",
                      options=NegotiateOptions.use_ntlm)
    s = secur32.Server()
    auth = c.step(s.step(c.step()))
    with pytest.raises(secur32.SspiError) as e:
        s.step(auth)
    assert e.value.status == secur32.SEC_E_LOGON_DENIED, hex(e.value.status)


def test_wrong_password_our_client():
    c = secur32.Client(USER, DOMAIN, "WrongPassword")
    s = py_server()
    auth = c.step(s.step(c.step()))
    with pytest.raises(SpnegoError):
        s.step(auth)


def test_our_server_identity_credential(monkeypatch):
    """A server credential with an explicit identity (no NTLM_USER_FILE) accepts that user."""
    monkeypatch.delenv("NTLM_USER_FILE")
    c = py_client()
    s = secur32.Server(user=USER, domain=DOMAIN, password=PASSWORD)
    s.step(c.step(s.step(c.step())))
    assert s.complete
    tok, sealed = s.encrypt(b"identity")
    assert c.unwrap(tok + sealed).data == b"identity"


def _signing_only(ours, theirs):
    for i in range(5):
        msg = b"message %d" % i
        ours.verify(msg, theirs.sign(msg))
        theirs.verify(msg, ours.sign(msg))
    with pytest.raises(secur32.SspiError):
        ours.encrypt(b"no seal negotiated")


def test_integrity_only_pyspnego_client_our_server():
    from spnego import ContextReq
    c = spnego.client("%s\\%s" % (DOMAIN, USER), PASSWORD, hostname="localhost",
                      protocol="ntlm", options=NegotiateOptions.use_ntlm,
                      context_req=ContextReq.integrity)
    s = secur32.Server()
    auth = c.step(s.step(c.step()))
    s.step(auth)
    assert s.complete
    f = secur32.ntlm_flags(auth)
    assert f & secur32.NTLMSSP_NEGOTIATE_SIGN and not f & secur32.NTLMSSP_NEGOTIATE_SEAL, hex(f)
    _signing_only(s, c)


def test_integrity_only_our_client_pyspnego_server():
    c = secur32.Client(USER, DOMAIN, PASSWORD,
                       flags=secur32.ISC_REQ_INTEGRITY | secur32.ISC_REQ_CONNECTION)
    s = py_server()
    auth = c.step(s.step(c.step()))
    s.step(auth)
    assert s.complete
    f = secur32.ntlm_flags(auth)
    assert f & secur32.NTLMSSP_NEGOTIATE_SIGN and not f & secur32.NTLMSSP_NEGOTIATE_SEAL, hex(f)
    _signing_only(c, s)
