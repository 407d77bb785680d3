"""Interop: sspilib (a C extension that calls the SSPI API, as it does on Windows) running on
libsecur32 through LD_PRELOAD, against itself and against pyspnego.

Run:
    LD_PRELOAD=$PWD/target/release/libsecur32.so .venv/bin/python -m pytest -v \
        tests/interop/test_sspilib.py

The module sets SECUR32_LOG=trace with SECUR32_LOG_FILE before the first SSPI call, and the
tests check that our library logged the calls sspilib made: that proves the calls bound to
libsecur32 and not to the libsspi stub the wheel bundles.
"""

import os
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

_tmp = tempfile.TemporaryDirectory(prefix="secur32-sspilib-")
LOG_FILE = os.path.join(_tmp.name, "secur32.log")
# Before the library logs anything (its logger reads these once).
os.environ["SECUR32_LOG"] = "trace"
os.environ["SECUR32_LOG_FILE"] = LOG_FILE


def _skip_or_fail(msg):
    if os.environ.get("CI") == "true":
        raise RuntimeError(msg)
    print("\n!!!!! SKIPPING sspilib interop: %s !!!!!\n" % msg, file=sys.stderr)
    pytest.skip(msg, allow_module_level=True)


try:
    import sspilib
    import sspilib.raw as raw
    import spnego
    from spnego import NegotiateOptions
except ImportError as e:  # pragma: no cover
    _skip_or_fail("sspilib/pyspnego not installed (%s); run tests/interop/run.sh" % e)

import secur32  # noqa: E402

DOMAIN, USER, PASSWORD = "DOMAIN", "user", "Password01"
MESSAGES = [b"hello", b"x", bytes(range(256)) * 20, "unicode \u2713".encode()]
ISC = (raw.IscReq.ISC_REQ_CONFIDENTIALITY | raw.IscReq.ISC_REQ_INTEGRITY
       | raw.IscReq.ISC_REQ_SEQUENCE_DETECT | raw.IscReq.ISC_REQ_REPLAY_DETECT)
ASC = (raw.AscReq.ASC_REQ_CONFIDENTIALITY | raw.AscReq.ASC_REQ_INTEGRITY
       | raw.AscReq.ASC_REQ_SEQUENCE_DETECT | raw.AscReq.ASC_REQ_REPLAY_DETECT)


def _preloaded():
    lib = os.path.realpath(secur32.LIB_PATH)
    pre = [os.path.realpath(p) for p in os.environ.get("LD_PRELOAD", "").replace(":", " ").split()]
    return lib in pre


if not _preloaded():
    # Without LD_PRELOAD sspilib calls its bundled stub, and the test would prove nothing.
    raise RuntimeError("test_sspilib.py must run with LD_PRELOAD=%s (got LD_PRELOAD=%r)"
                       % (os.path.realpath(secur32.LIB_PATH), os.environ.get("LD_PRELOAD")))


@pytest.fixture(autouse=True)
def user_file(tmp_path, monkeypatch):
    path = tmp_path / "users"
    path.write_text("%s:%s:%s\n" % (DOMAIN, USER, PASSWORD))
    monkeypatch.setenv("NTLM_USER_FILE", str(path))
    return path


def log_text():
    with open(LOG_FILE, encoding="utf-8", errors="replace") as f:
        return f.read()


def sspi_client(password=PASSWORD):
    cred = sspilib.UserCredential(USER, password, domain=DOMAIN, protocol="NTLM")
    return sspilib.ClientSecurityContext(cred, "host/localhost", flags=ISC)


def sspi_server(with_identity=True):
    if with_identity:
        cred = sspilib.UserCredential(USER, PASSWORD, domain=DOMAIN, protocol="NTLM",
                                      usage="accept")
    else:
        cred = sspilib.UserCredential(protocol="NTLM", usage="accept")
    return sspilib.ServerSecurityContext(credential=cred, flags=ASC)


def exchange(a, b, a_is_sspilib=True, b_is_sspilib=True):
    """wrap/unwrap and sign/verify in both directions, several rounds."""
    for _ in range(3):
        for msg in MESSAGES:
            for x, y in ((a, b), (b, a)):
                w = x.wrap(msg)
                w = w.data if hasattr(w, "data") else w
                assert len(w) == len(msg) + 16
                assert len(msg) < 8 or w[16:] != msg  # 1 byte may seal to itself
                u = y.unwrap(w)
                assert u.data == msg
                sig = x.sign(msg)
                assert len(sig) == 16
                y.verify(msg, sig)


def test_library_is_ours():
    """The SSPI symbols sspilib's extension binds to come from libsecur32."""
    import ctypes
    lib = ctypes.CDLL(secur32.LIB_PATH)
    glob = ctypes.CDLL(None)
    for sym in ("AcquireCredentialsHandleW", "InitializeSecurityContextW", "AcceptSecurityContext",
                "EncryptMessage", "DecryptMessage", "MakeSignature", "VerifySignature"):
        assert ctypes.cast(getattr(glob, sym), ctypes.c_void_p).value == \
            ctypes.cast(getattr(lib, sym), ctypes.c_void_p).value, sym
    pkgs = [p.name for p in raw.enumerate_security_packages()]
    assert "NTLM" in pkgs, pkgs


def test_sspilib_client_sspilib_server():
    before = len(log_text()) if os.path.exists(LOG_FILE) else 0
    c = sspi_client()
    s = sspi_server()
    neg = c.step()
    assert neg[:8] == b"NTLMSSP\0" and neg[8] == 1
    chal = s.step(neg)
    assert chal[8] == 2
    auth = c.step(chal)
    assert auth[8] == 3
    assert c.complete
    assert s.step(auth) == b""
    assert s.complete
    names = raw.query_context_attributes(s, raw.SecPkgContextNames)
    assert names.username.lower() == ("%s\\%s" % (DOMAIN, USER)).lower()
    exchange(c, s)
    log = log_text()[before:]
    for fn in ("AcquireCredentialsHandleW", "InitializeSecurityContextW", "AcceptSecurityContext",
               "EncryptMessage", "DecryptMessage", "MakeSignature", "VerifySignature"):
        assert fn in log, "our library did not log %s; log was:\n%s" % (fn, log[-2000:])


def test_sspilib_client_sspilib_server_user_file():
    c = sspi_client()
    s = sspi_server(with_identity=False)
    s.step(c.step(s.step(c.step())))
    assert s.complete
    exchange(c, s)


def test_sspilib_wrong_password():
    c = sspi_client("WrongPassword")
    s = sspi_server(with_identity=False)
    auth = c.step(s.step(c.step()))
    with pytest.raises(OSError) as e:
        s.step(auth)
    assert (e.value.winerror & 0xFFFFFFFF) == secur32.SEC_E_LOGON_DENIED, e.value


def _py_client():
    return spnego.client("%s\\%s" % (DOMAIN, USER), PASSWORD, hostname="localhost",
                         protocol="ntlm", options=NegotiateOptions.use_ntlm)


def _py_server():
    return spnego.server(protocol="ntlm", options=NegotiateOptions.use_ntlm)


def test_sspilib_client_pyspnego_server():
    c = sspi_client()
    s = _py_server()
    auth = c.step(s.step(c.step()))
    assert c.complete
    s.step(auth)
    assert s.complete
    assert s.client_principal.lower() == ("%s\\%s" % (DOMAIN, USER)).lower()
    exchange(c, s)


def test_pyspnego_client_sspilib_server():
    c = _py_client()
    s = sspi_server(with_identity=False)
    s.step(c.step(s.step(c.step())))
    assert s.complete
    exchange(c, s)


# Channel bindings (SECBUFFER_CHANNEL_BINDINGS ↔ MsvAvChannelBindings = MD5 of the
# gss_channel_bindings_struct): sspilib passes a SEC_CHANNEL_BINDINGS the way Windows callers
# do (e.g. tls-server-end-point for HTTPS), pyspnego computes the hash independently.
SEC_E_BAD_BINDINGS = 0x80090346
CBT_DATA = b"tls-server-end-point:" + bytes(range(32))


def _sspi_cbt(data=CBT_DATA):
    return raw.SecChannelBindings(application_data=data)


def _py_cbt(data=CBT_DATA):
    from spnego.channel_bindings import GssChannelBindings
    return GssChannelBindings(application_data=data)


def test_channel_bindings_sspilib_client_pyspnego_server():
    cred = sspilib.UserCredential(USER, PASSWORD, domain=DOMAIN, protocol="NTLM")
    c = sspilib.ClientSecurityContext(cred, "host/localhost", flags=ISC,
                                      channel_bindings=_sspi_cbt())
    s = spnego.server(protocol="ntlm", options=NegotiateOptions.use_ntlm,
                      channel_bindings=_py_cbt())
    s.step(c.step(s.step(c.step())))
    assert s.complete
    exchange(c, s)
    # Different bindings on the server: pyspnego rejects our client's hash.
    c = sspilib.ClientSecurityContext(cred, "host/localhost", flags=ISC,
                                      channel_bindings=_sspi_cbt())
    s = spnego.server(protocol="ntlm", options=NegotiateOptions.use_ntlm,
                      channel_bindings=_py_cbt(b"tls-server-end-point:" + bytes(32)))
    auth = c.step(s.step(c.step()))
    with pytest.raises(spnego.exceptions.BadBindingsError):
        s.step(auth)


def test_channel_bindings_pyspnego_client_sspilib_server():
    def server():
        cred = sspilib.UserCredential(protocol="NTLM", usage="accept")
        return sspilib.ServerSecurityContext(cred, flags=ASC, channel_bindings=_sspi_cbt())

    c = spnego.client("%s\\%s" % (DOMAIN, USER), PASSWORD, hostname="localhost",
                      protocol="ntlm", options=NegotiateOptions.use_ntlm,
                      channel_bindings=_py_cbt())
    s = server()
    s.step(c.step(s.step(c.step())))
    assert s.complete
    exchange(c, s)
    c = spnego.client("%s\\%s" % (DOMAIN, USER), PASSWORD, hostname="localhost",
                      protocol="ntlm", options=NegotiateOptions.use_ntlm,
                      channel_bindings=_py_cbt(b"tls-server-end-point:" + bytes(32)))
    s = server()
    auth = c.step(s.step(c.step()))
    with pytest.raises(OSError) as e:
        s.step(auth)
    assert (e.value.winerror & 0xFFFFFFFF) == SEC_E_BAD_BINDINGS, e.value
