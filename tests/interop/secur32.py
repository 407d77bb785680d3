"""A small ctypes binding to libsecur32.so with Windows' SSPI struct layouts.

Only the W exports are used (AcquireCredentialsHandleW, InitializeSecurityContextW,
QueryContextAttributesW); strings are UTF-16LE as SEC_WCHAR is on Windows.

The library path comes from $SECUR32_LIB (default: target/release/libsecur32.so relative to
the repository root).
"""

import ctypes
import os
from ctypes import (POINTER, Structure, byref, c_int32, c_int64, c_size_t, c_uint16,
                    c_uint32, c_void_p)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIB_PATH = os.environ.get("SECUR32_LIB") or os.path.join(ROOT, "target", "release",
                                                         "libsecur32.so")

# Constants (values from include/sspi.h).
SEC_E_OK = 0x00000000
SEC_I_CONTINUE_NEEDED = 0x00090312
SEC_I_COMPLETE_NEEDED = 0x00090313
SEC_I_COMPLETE_AND_CONTINUE = 0x00090314
SEC_E_LOGON_DENIED = 0x8009030C
SEC_E_MESSAGE_ALTERED = 0x8009030F
SEC_E_OUT_OF_SEQUENCE = 0x80090310

SECBUFFER_VERSION = 0
SECBUFFER_EMPTY = 0
SECBUFFER_DATA = 1
SECBUFFER_TOKEN = 2
SECBUFFER_PADDING = 9
SECBUFFER_STREAM = 10

SECPKG_CRED_INBOUND = 1
SECPKG_CRED_OUTBOUND = 2
SECURITY_NATIVE_DREP = 0x10
SEC_WINNT_AUTH_IDENTITY_UNICODE = 2

SECPKG_ATTR_SIZES = 0
SECPKG_ATTR_NAMES = 1

ISC_REQ_REPLAY_DETECT = 0x4
ISC_REQ_SEQUENCE_DETECT = 0x8
ISC_REQ_CONFIDENTIALITY = 0x10
ISC_REQ_ALLOCATE_MEMORY = 0x100
ISC_REQ_CONNECTION = 0x800
ISC_REQ_INTEGRITY = 0x10000

ASC_REQ_REPLAY_DETECT = 0x4
ASC_REQ_SEQUENCE_DETECT = 0x8
ASC_REQ_CONFIDENTIALITY = 0x10
ASC_REQ_ALLOCATE_MEMORY = 0x100
ASC_REQ_CONNECTION = 0x800
ASC_REQ_INTEGRITY = 0x20000

ISC_FLAGS = (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_SEQUENCE_DETECT
             | ISC_REQ_REPLAY_DETECT | ISC_REQ_CONNECTION)
ASC_FLAGS = (ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_SEQUENCE_DETECT
             | ASC_REQ_REPLAY_DETECT | ASC_REQ_CONNECTION)

SIGNATURE_LEN = 16
MAX_TOKEN = 12000  # larger than NTLM's cbMaxToken (2888)


class SecHandle(Structure):
    _fields_ = [("dwLower", c_size_t), ("dwUpper", c_size_t)]


class SecBuffer(Structure):
    _fields_ = [("cbBuffer", c_uint32), ("BufferType", c_uint32), ("pvBuffer", c_void_p)]


class SecBufferDesc(Structure):
    _fields_ = [("ulVersion", c_uint32), ("cBuffers", c_uint32),
                ("pBuffers", POINTER(SecBuffer))]


class SEC_WINNT_AUTH_IDENTITY_W(Structure):
    _fields_ = [("User", c_void_p), ("UserLength", c_uint32),
                ("Domain", c_void_p), ("DomainLength", c_uint32),
                ("Password", c_void_p), ("PasswordLength", c_uint32),
                ("Flags", c_uint32)]


class SEC_WINNT_AUTH_IDENTITY_EXW(Structure):
    _fields_ = [("Version", c_uint32), ("Length", c_uint32),
                ("User", c_void_p), ("UserLength", c_uint32),
                ("Domain", c_void_p), ("DomainLength", c_uint32),
                ("Password", c_void_p), ("PasswordLength", c_uint32),
                ("Flags", c_uint32), ("PackageList", c_void_p), ("PackageListLength", c_uint32)]


SEC_WINNT_AUTH_IDENTITY_VERSION = 0x200
SECPKG_ATTR_PACKAGE_INFO = 10


class SecPkgContext_Sizes(Structure):
    _fields_ = [("cbMaxToken", c_uint32), ("cbMaxSignature", c_uint32),
                ("cbBlockSize", c_uint32), ("cbSecurityTrailer", c_uint32)]


class SecPkgContext_NamesW(Structure):
    _fields_ = [("sUserName", c_void_p)]


class SecPkgInfoW(Structure):
    _fields_ = [("fCapabilities", c_uint32), ("wVersion", c_uint16), ("wRPCID", c_uint16),
                ("cbMaxToken", c_uint32), ("Name", c_void_p), ("Comment", c_void_p)]


TimeStamp = c_int64
SECURITY_STATUS = c_int32

lib = ctypes.CDLL(LIB_PATH)


def _proto(name, *args):
    f = getattr(lib, name)
    f.restype = SECURITY_STATUS
    f.argtypes = list(args)
    return f


PH = POINTER(SecHandle)
PD = POINTER(SecBufferDesc)
PU = POINTER(c_uint32)
PT = POINTER(TimeStamp)

AcquireCredentialsHandleW = _proto("AcquireCredentialsHandleW", c_void_p, c_void_p, c_uint32,
                                   c_void_p, c_void_p, c_void_p, c_void_p, PH, PT)
InitializeSecurityContextW = _proto("InitializeSecurityContextW", PH, PH, c_void_p, c_uint32,
                                    c_uint32, c_uint32, PD, c_uint32, PH, PD, PU, PT)
AcceptSecurityContext = _proto("AcceptSecurityContext", PH, PH, PD, c_uint32, c_uint32, PH, PD,
                               PU, PT)
CompleteAuthToken = _proto("CompleteAuthToken", PH, PD)
QueryContextAttributesW = _proto("QueryContextAttributesW", PH, c_uint32, c_void_p)
EncryptMessage = _proto("EncryptMessage", PH, c_uint32, PD, c_uint32)
DecryptMessage = _proto("DecryptMessage", PH, PD, c_uint32, PU)
MakeSignature = _proto("MakeSignature", PH, c_uint32, PD, c_uint32)
VerifySignature = _proto("VerifySignature", PH, PD, c_uint32, PU)
FreeContextBuffer = _proto("FreeContextBuffer", c_void_p)
DeleteSecurityContext = _proto("DeleteSecurityContext", PH)
FreeCredentialsHandle = _proto("FreeCredentialsHandle", PH)
EnumerateSecurityPackagesW = _proto("EnumerateSecurityPackagesW", PU, POINTER(c_void_p))


class SspiError(Exception):
    def __init__(self, func, status):
        self.func = func
        self.status = status & 0xFFFFFFFF
        super().__init__("%s failed: 0x%08X" % (func, self.status))


def _check(func, status, ok=(SEC_E_OK,)):
    status &= 0xFFFFFFFF
    if status not in ok:
        raise SspiError(func, status)
    return status


def wbuf(s):
    """A NUL-terminated UTF-16LE buffer for s, and its length in characters (without NUL)."""
    raw = s.encode("utf-16-le")
    b = ctypes.create_string_buffer(raw + b"\0\0", len(raw) + 2)
    return b, len(raw) // 2


def wstr(ptr):
    """Reads a NUL-terminated UTF-16LE string."""
    if not ptr:
        return None
    out = bytearray()
    i = 0
    while True:
        ch = ctypes.string_at(ptr + i, 2)
        if ch == b"\0\0":
            break
        out += ch
        i += 2
    return out.decode("utf-16-le")


def packages():
    """Names from EnumerateSecurityPackagesW."""
    n = c_uint32()
    p = c_void_p()
    _check("EnumerateSecurityPackagesW", EnumerateSecurityPackagesW(byref(n), byref(p)))
    try:
        arr = ctypes.cast(p, POINTER(SecPkgInfoW))
        return [wstr(arr[i].Name) for i in range(n.value)]
    finally:
        FreeContextBuffer(p)


class Buffers:
    """A SecBufferDesc over Python-owned buffers: [(type, bytes_or_size), …]."""

    def __init__(self, specs):
        self._mem = []
        self.arr = (SecBuffer * len(specs))()
        for i, (kind, content) in enumerate(specs):
            if isinstance(content, int):
                m = ctypes.create_string_buffer(content) if content else None
                size = content
            else:
                m = ctypes.create_string_buffer(bytes(content), len(content)) if content else None
                size = len(content)
            self._mem.append(m)
            self.arr[i].cbBuffer = size
            self.arr[i].BufferType = kind
            self.arr[i].pvBuffer = ctypes.cast(m, c_void_p) if m is not None else None
        self.desc = SecBufferDesc(SECBUFFER_VERSION, len(specs), self.arr)

    def __getitem__(self, i):
        b = self.arr[i]
        if not b.pvBuffer or not b.cbBuffer:
            return b""
        return ctypes.string_at(b.pvBuffer, b.cbBuffer)

    def ref(self):
        return byref(self.desc)


class _Context:
    inbound = False

    def __init__(self, user=None, domain=None, password=None, flags=0, package="NTLM",
                 package_list=None):
        self.flags = flags
        self.package = package
        self.cred = SecHandle()
        self.ctx = SecHandle()
        self.have_ctx = False
        self.complete = False
        self.ret_flags = 0
        auth = None
        self._keep = []
        if package_list is not None:
            # SEC_WINNT_AUTH_IDENTITY_EXW with a PackageList (Negotiate), e.g. "!kerberos".
            ident = SEC_WINNT_AUTH_IDENTITY_EXW()
            ident.Version = SEC_WINNT_AUTH_IDENTITY_VERSION
            ident.Length = ctypes.sizeof(ident)
            for field, value in (("User", user), ("Domain", domain), ("Password", password),
                                 ("PackageList", package_list)):
                if value is None:
                    continue
                b, n = wbuf(value)
                self._keep.append(b)
                setattr(ident, field, ctypes.cast(b, c_void_p))
                setattr(ident, field + "Length", n)
            ident.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE
            self._keep.append(ident)
            auth = ctypes.cast(byref(ident), c_void_p)
        elif user is not None:
            ident = SEC_WINNT_AUTH_IDENTITY_W()
            for field, value in (("User", user), ("Domain", domain), ("Password", password)):
                if value is None:
                    continue
                b, n = wbuf(value)
                self._keep.append(b)
                setattr(ident, field, ctypes.cast(b, c_void_p))
                setattr(ident, field + "Length", n)
            ident.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE
            self._keep.append(ident)
            auth = ctypes.cast(byref(ident), c_void_p)
        pkg, _ = wbuf(package)
        usage = SECPKG_CRED_INBOUND if self.inbound else SECPKG_CRED_OUTBOUND
        expiry = TimeStamp()
        _check("AcquireCredentialsHandleW",
               AcquireCredentialsHandleW(None, ctypes.cast(pkg, c_void_p), usage, None, auth,
                                         None, None, byref(self.cred), byref(expiry)))

    def _out(self):
        return Buffers([(SECBUFFER_TOKEN, MAX_TOKEN)])

    def _finish(self, status, out, name):
        status &= 0xFFFFFFFF
        if status in (SEC_I_COMPLETE_NEEDED, SEC_I_COMPLETE_AND_CONTINUE):
            _check("CompleteAuthToken", CompleteAuthToken(byref(self.ctx), out.ref()))
        _check(name, status, (SEC_E_OK, SEC_I_CONTINUE_NEEDED, SEC_I_COMPLETE_NEEDED,
                              SEC_I_COMPLETE_AND_CONTINUE))
        self.have_ctx = True
        self.complete = status in (SEC_E_OK, SEC_I_COMPLETE_NEEDED)
        return out[0]

    # Message functions -------------------------------------------------------------------

    def encrypt(self, data, qop=0):
        """EncryptMessage → (token, sealed): NTLM [TOKEN(16), DATA]; other packages as .NET and
        sspilib call it, [TOKEN(cbSecurityTrailer), DATA, PADDING(cbBlockSize)], `sealed` being
        DATA ‖ PADDING as written (Kerberos RC4's padding byte; empty for AES)."""
        if self.package == "NTLM":
            b = Buffers([(SECBUFFER_TOKEN, SIGNATURE_LEN), (SECBUFFER_DATA, data)])
        else:
            sz = self.query_sizes()
            b = Buffers([(SECBUFFER_TOKEN, sz["cbSecurityTrailer"]), (SECBUFFER_DATA, data),
                         (SECBUFFER_PADDING, sz["cbBlockSize"])])
        _check("EncryptMessage", EncryptMessage(byref(self.ctx), qop, b.ref(), 0))
        if self.package == "NTLM":
            return b[0], b[1]
        return b[0], b[1] + b[2]

    def decrypt(self, token, sealed, want_qop=False):
        """DecryptMessage with [TOKEN, DATA] → plaintext (and pfQOP with want_qop)."""
        b = Buffers([(SECBUFFER_TOKEN, token), (SECBUFFER_DATA, sealed)])
        qop = c_uint32()
        _check("DecryptMessage", DecryptMessage(byref(self.ctx), b.ref(), 0, byref(qop)))
        return (b[1], qop.value) if want_qop else b[1]

    def decrypt_stream(self, blob, want_qop=False):
        """DecryptMessage with [STREAM(signature ‖ sealed), DATA] → plaintext."""
        b = Buffers([(SECBUFFER_STREAM, blob), (SECBUFFER_DATA, 0)])
        qop = c_uint32()
        _check("DecryptMessage", DecryptMessage(byref(self.ctx), b.ref(), 0, byref(qop)))
        return (b[1], qop.value) if want_qop else b[1]

    def sign(self, data):
        """MakeSignature with [DATA, TOKEN(cbMaxSignature)] → signature."""
        n = SIGNATURE_LEN if self.package == "NTLM" else self.query_sizes()["cbMaxSignature"]
        b = Buffers([(SECBUFFER_DATA, data), (SECBUFFER_TOKEN, n)])
        _check("MakeSignature", MakeSignature(byref(self.ctx), 0, b.ref(), 0))
        return b[1]

    def verify(self, data, sig):
        """VerifySignature with [DATA, TOKEN]; raises SspiError on a bad signature."""
        b = Buffers([(SECBUFFER_DATA, data), (SECBUFFER_TOKEN, sig)])
        qop = c_uint32()
        _check("VerifySignature", VerifySignature(byref(self.ctx), b.ref(), 0, byref(qop)))

    # Attributes ----------------------------------------------------------------------------

    def query_sizes(self):
        s = SecPkgContext_Sizes()
        _check("QueryContextAttributesW(SIZES)",
               QueryContextAttributesW(byref(self.ctx), SECPKG_ATTR_SIZES, byref(s)))
        return {"cbMaxToken": s.cbMaxToken, "cbMaxSignature": s.cbMaxSignature,
                "cbBlockSize": s.cbBlockSize, "cbSecurityTrailer": s.cbSecurityTrailer}

    def package_name(self):
        """SECPKG_ATTR_PACKAGE_INFO's Name (Negotiate: the selected package)."""
        p = c_void_p()
        _check("QueryContextAttributesW(PACKAGE_INFO)",
               QueryContextAttributesW(byref(self.ctx), SECPKG_ATTR_PACKAGE_INFO, byref(p)))
        try:
            return wstr(ctypes.cast(p, POINTER(SecPkgInfoW))[0].Name)
        finally:
            FreeContextBuffer(p)

    def names(self):
        n = SecPkgContext_NamesW()
        _check("QueryContextAttributesW(NAMES)",
               QueryContextAttributesW(byref(self.ctx), SECPKG_ATTR_NAMES, byref(n)))
        try:
            return wstr(n.sUserName)
        finally:
            FreeContextBuffer(n.sUserName)

    def close(self):
        if self.have_ctx:
            DeleteSecurityContext(byref(self.ctx))
            self.have_ctx = False
        if self.cred is not None:
            FreeCredentialsHandle(byref(self.cred))
            self.cred = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class Client(_Context):
    """A client (NTLM unless package says otherwise): InitializeSecurityContextW. user None =
    default credentials (NULL pAuthData)."""

    def __init__(self, user, domain, password, target="host/localhost", flags=ISC_FLAGS,
                 package="NTLM", package_list=None):
        super().__init__(user, domain, password, flags, package, package_list)
        self.target, _ = wbuf(target) if target is not None else (None, 0)

    def step(self, token=None):
        out = self._out()
        inp = Buffers([(SECBUFFER_TOKEN, token)]) if token else None
        ret = c_uint32()
        expiry = TimeStamp()
        status = InitializeSecurityContextW(
            byref(self.cred), byref(self.ctx) if self.have_ctx else None,
            ctypes.cast(self.target, c_void_p) if self.target is not None else None,
            self.flags, 0, SECURITY_NATIVE_DREP, inp.ref() if inp else None, 0,
            byref(self.ctx), out.ref(), byref(ret), byref(expiry))
        self.ret_flags = ret.value
        return self._finish(status, out, "InitializeSecurityContextW")


class Server(_Context):
    """An NTLM server: AcceptSecurityContext. Accounts come from NTLM_USER_FILE unless an
    identity is given."""

    inbound = True

    def __init__(self, flags=ASC_FLAGS, user=None, domain=None, password=None, package="NTLM",
                 package_list=None):
        super().__init__(user, domain, password, flags, package, package_list)

    def step(self, token):
        out = self._out()
        inp = Buffers([(SECBUFFER_TOKEN, token)])
        ret = c_uint32()
        expiry = TimeStamp()
        status = AcceptSecurityContext(
            byref(self.cred), byref(self.ctx) if self.have_ctx else None, inp.ref(),
            self.flags, SECURITY_NATIVE_DREP, byref(self.ctx), out.ref(), byref(ret),
            byref(expiry))
        self.ret_flags = ret.value
        return self._finish(status, out, "AcceptSecurityContext")


# NTLM message inspection (MS-NLMP §2.2), for tests that assert what was negotiated.
NTLMSSP_NEGOTIATE_UNICODE = 0x00000001
NTLMSSP_NEGOTIATE_OEM = 0x00000002
NTLMSSP_NEGOTIATE_SIGN = 0x00000010
NTLMSSP_NEGOTIATE_SEAL = 0x00000020
NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000
NTLMSSP_NEGOTIATE_128 = 0x20000000
NTLMSSP_NEGOTIATE_KEY_EXCH = 0x40000000
FULL_SECURITY = (NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL
                 | NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | NTLMSSP_NEGOTIATE_128
                 | NTLMSSP_NEGOTIATE_KEY_EXCH)


def ntlm_flags(msg):
    """NegotiateFlags of a NEGOTIATE (1), CHALLENGE (2) or AUTHENTICATE (3) message."""
    assert msg[:8] == b"NTLMSSP\0", msg[:16]
    kind = int.from_bytes(msg[8:12], "little")
    off = {1: 12, 2: 20, 3: 60}[kind]
    return int.from_bytes(msg[off:off + 4], "little")


def assert_full_security(challenge, authenticate):
    """The CHALLENGE is UNICODE xor OEM, and the AUTHENTICATE settled on NTLMv2 session
    security with 128-bit keys, key exchange, sign and seal."""
    cf = ntlm_flags(challenge)
    assert bool(cf & NTLMSSP_NEGOTIATE_UNICODE) != bool(cf & NTLMSSP_NEGOTIATE_OEM), hex(cf)
    af = ntlm_flags(authenticate)
    assert af & FULL_SECURITY == FULL_SECURITY, "AUTHENTICATE flags 0x%08X lack 0x%08X" % (
        af, FULL_SECURITY & ~af)
    return af


def handshake(client, server, rounds=6):
    """Runs a context exchange to completion: client.step() / server.step(token) alternate
    (either side ours or a peer's wrapper with the same `step`/`complete`), stopping when a side
    has nothing more to send. Returns every token in order; asserts both sides completed."""
    tokens = []
    tok = client.step()
    for _ in range(rounds):
        tokens.append(tok)
        reply = server.step(tok)
        if not reply:
            break
        tokens.append(reply)
        tok = client.step(reply)
        if not tok:
            break
    assert client.complete and server.complete, (client.complete, server.complete)
    return tokens
