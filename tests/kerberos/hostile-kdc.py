#!/usr/bin/env python3
"""A hostile KDC: a loopback relay between libsecur32 and the real MIT KDC that flips one bit
of, or truncates, one of the KDC's replies (KRB-ERROR PREAUTH_REQUIRED, AS-REP, TGS-REP), over
UDP and over TCP. InitializeSecurityContext (password credentials, fresh each run, so each run
does the whole AS + TGS exchange) is driven through the exports with ctypes; for every run:

  - ISC returns a documented SEC_E_* code (SEC_E_INTERNAL_ERROR being what kdc/mod.rs
    documents for a malformed or altered reply), or SEC_I_CONTINUE_NEEDED with an AP-REQ, only
    when (a) the client discarded the damaged reply and asked again (the relay then serves more
    replies than the genuine run), or (b) the flip lies in a field the reply leaves
    unauthenticated (outside EncKDCRepPart; see UNAUTHENTICATED) and AcceptSecurityContext
    (keytab) accepts the AP-REQ — the flip changed nothing that matters — or (c) the flip lies
    in the service ticket, opaque to the client, and ASC refuses it with a documented code.
    Outcomes are counted per code and per field (a DER path);
  - no call panics (the panic hook's line on stderr), crashes the process or takes longer than
    the bound (kdc_timeout 2 s, request_timeout 6 s per exchange: 13 s).

Started by c-tests/kerberos-hostile.sh with the MIT KDC's variables (tests/kerberos/mit-kdc.sh
exports: KRB5_CONFIG, KRB5_KTNAME, REALM, USER1, USER1_PASSWORD, SERVICE) and SECUR32_LIB.
HOSTILE_KDC_STRIDE=N (default 1): every Nth reply byte, one bit each (rotating through the 8),
and a truncation every 2N bytes.
Exit status 0 when every check passed."""

import ctypes
import os
import re
import socket
import struct
import sys
import threading
import time
from collections import Counter

# --- SSPI through ctypes (include/sspi.h: ULONG = uint32, handles = 2 × uintptr) ----------------

SEC_E_OK = 0
SEC_I_CONTINUE_NEEDED = 0x00090312
STATUS = {
    0: "SEC_E_OK", 0x00090312: "SEC_I_CONTINUE_NEEDED",
    0x80090308: "SEC_E_INVALID_TOKEN", 0x8009030C: "SEC_E_LOGON_DENIED",
    0x80090311: "SEC_E_NO_AUTHENTICATING_AUTHORITY", 0x80090303: "SEC_E_TARGET_UNKNOWN",
    0x80090324: "SEC_E_TIME_SKEW", 0x80090331: "SEC_E_ALGORITHM_MISMATCH",
    0x8009030F: "SEC_E_MESSAGE_ALTERED", 0x80090322: "SEC_E_WRONG_PRINCIPAL",
    0x80090304: "SEC_E_INTERNAL_ERROR", 0x80090317: "SEC_E_CONTEXT_EXPIRED",
    0x8009030E: "SEC_E_NO_CREDENTIALS", 0x80090342: "SEC_E_KDC_UNKNOWN_ETYPE",
    0x80090340: "SEC_E_KDC_INVALID_REQUEST", 0x80090302: "SEC_E_UNSUPPORTED_FUNCTION",
    0x80090350: "SEC_E_DOWNGRADE_DETECTED",
}
# What ISC may answer to a hostile KDC (MS-KILE §3.2.5 / kdc/mod.rs's mapping): the KDC's
# error codes as Windows maps them, a reply that does not decode or verify (INVALID_TOKEN,
# MESSAGE_ALTERED, LOGON_DENIED for a bad key), no usable KDC answer
# (NO_AUTHENTICATING_AUTHORITY). Never SEC_E_INTERNAL_ERROR (a caught panic).
# SEC_E_INTERNAL_ERROR is what kdc/mod.rs documents for a malformed or inconsistent KDC reply;
# that it never comes from a panic is checked on stderr (the panic hook's "panicked" line).
DOCUMENTED = {
    0x80090304, 0x80090308, 0x8009030C, 0x80090311, 0x80090303, 0x80090324, 0x80090331, 0x8009030F,
    0x80090322, 0x80090317, 0x80090342, 0x80090340, 0x80090350,
}


# What AcceptSecurityContext answers to an AP-REQ carrying a damaged ticket (context.rs).
ASC_REFUSALS = {0x80090308, 0x8009030C, 0x80090322, 0x80090324, 0x80090317, 0x80090331}


def name(st):
    return STATUS.get(st & 0xFFFFFFFF, "0x%08X" % (st & 0xFFFFFFFF))


class SecHandle(ctypes.Structure):
    _fields_ = [("dwLower", ctypes.c_size_t), ("dwUpper", ctypes.c_size_t)]


class SecBuffer(ctypes.Structure):
    _fields_ = [("cbBuffer", ctypes.c_uint32), ("BufferType", ctypes.c_uint32), ("pvBuffer", ctypes.c_void_p)]


class SecBufferDesc(ctypes.Structure):
    _fields_ = [("ulVersion", ctypes.c_uint32), ("cBuffers", ctypes.c_uint32), ("pBuffers", ctypes.POINTER(SecBuffer))]


class Identity(ctypes.Structure):
    _fields_ = [("User", ctypes.c_char_p), ("UserLength", ctypes.c_uint32), ("Domain", ctypes.c_char_p),
                ("DomainLength", ctypes.c_uint32), ("Password", ctypes.c_char_p),
                ("PasswordLength", ctypes.c_uint32), ("Flags", ctypes.c_uint32)]


lib = ctypes.CDLL(os.environ["SECUR32_LIB"])
for fn in ("AcquireCredentialsHandleA", "InitializeSecurityContextA", "AcceptSecurityContext",
           "DeleteSecurityContext", "FreeCredentialsHandle"):
    getattr(lib, fn).restype = ctypes.c_int32
ISC_REQ = 0x10 | 0x10000 | 0x4 | 0x8 | 0x2 | 0x800  # CONFIDENTIALITY INTEGRITY REPLAY SEQUENCE MUTUAL CONNECTION
ASC_REQ = 0x10 | 0x20000 | 0x4 | 0x8 | 0x2 | 0x800
TOKEN = 2


def acquire(use, ident=None):
    h, ts = SecHandle(), ctypes.c_int64()
    st = lib.AcquireCredentialsHandleA(None, b"Kerberos", use, None, ctypes.byref(ident) if ident else None,
                                       None, None, ctypes.byref(h), ctypes.byref(ts))
    return st, h


def isc_first(cred, spn):
    """ISC's first call: (status, AP-REQ bytes, context or None)."""
    out = ctypes.create_string_buffer(65536)
    ob = SecBuffer(65536, TOKEN, ctypes.cast(out, ctypes.c_void_p))
    od = SecBufferDesc(0, 1, ctypes.pointer(ob))
    ctx, attr, ts = SecHandle(), ctypes.c_uint32(), ctypes.c_int64()
    st = lib.InitializeSecurityContextA(ctypes.byref(cred), None, spn, ISC_REQ, 0, 0x10, None, 0,
                                        ctypes.byref(ctx), ctypes.byref(od), ctypes.byref(attr), ctypes.byref(ts))
    ok = st in (SEC_E_OK, SEC_I_CONTINUE_NEEDED)
    return st, out.raw[:ob.cbBuffer] if ok else b"", ctx if ok else None


def asc_first(cred, token):
    buf = ctypes.create_string_buffer(token, len(token))
    ib = SecBuffer(len(token), TOKEN, ctypes.cast(buf, ctypes.c_void_p))
    idesc = SecBufferDesc(0, 1, ctypes.pointer(ib))
    out = ctypes.create_string_buffer(65536)
    ob = SecBuffer(65536, TOKEN, ctypes.cast(out, ctypes.c_void_p))
    od = SecBufferDesc(0, 1, ctypes.pointer(ob))
    ctx, attr, ts = SecHandle(), ctypes.c_uint32(), ctypes.c_int64()
    st = lib.AcceptSecurityContext(ctypes.byref(cred), None, ctypes.byref(idesc), ASC_REQ, 0x10, ctypes.byref(ctx),
                                   ctypes.byref(od), ctypes.byref(attr), ctypes.byref(ts))
    if st in (SEC_E_OK, SEC_I_CONTINUE_NEEDED):
        lib.DeleteSecurityContext(ctypes.byref(ctx))
    return st & 0xFFFFFFFF


# --- the relay -------------------------------------------------------------------------------


class Relay:
    """UDP and TCP on one 127.0.0.1 port; forwards to the KDC; mutates reply `target` (0-based,
    counted per run over both transports) with `mutate(bytes) -> bytes`."""

    def __init__(self, kdc_port):
        self.kdc = ("127.0.0.1", kdc_port)
        self.lock = threading.Lock()
        self.replies = []  # (transport, genuine bytes) this run
        self.target, self.mutate = None, None
        self.generation = 0  # one per run: late replies of an earlier run are not counted
        for _ in range(50):
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                u.bind(("127.0.0.1", port))
            except OSError:
                t.close()
                u.close()
                continue
            self.tcp, self.udp, self.port = t, u, port
            break
        else:
            raise SystemExit("hostile-kdc: no free port")
        self.tcp.listen(16)
        self.stop = False
        threading.Thread(target=self.serve_udp, daemon=True).start()
        threading.Thread(target=self.serve_tcp, daemon=True).start()

    def arm(self, target, mutate):
        with self.lock:
            self.replies, self.target, self.mutate = [], target, mutate
            self.generation += 1

    def current(self):
        with self.lock:
            return self.generation

    def transform(self, transport, reply, generation):
        with self.lock:
            if generation != self.generation:
                return reply
            i = len(self.replies)
            self.replies.append((transport, reply))
            if self.target == i and self.mutate:
                return self.mutate(reply)
        return reply

    def count(self):
        with self.lock:
            return len(self.replies)

    def serve_udp(self):
        while not self.stop:
            try:
                req, peer = self.udp.recvfrom(65536)
            except OSError:
                return
            gen = self.current()
            up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            up.settimeout(3)
            try:
                up.sendto(req, self.kdc)
                reply = up.recv(65536)
            except OSError:
                continue
            finally:
                up.close()
            try:
                self.udp.sendto(self.transform("udp", reply, gen), peer)
            except OSError:
                continue

    def serve_tcp(self):
        while not self.stop:
            try:
                c, _ = self.tcp.accept()
            except OSError:
                return
            threading.Thread(target=self.one_tcp, args=(c,), daemon=True).start()

    @staticmethod
    def read_framed(s):
        head = b""
        while len(head) < 4:
            b = s.recv(4 - len(head))
            if not b:
                return None
            head += b
        n = struct.unpack(">I", head)[0]
        body = b""
        while len(body) < n:
            b = s.recv(n - len(body))
            if not b:
                return None
            body += b
        return head + body

    def one_tcp(self, c):
        c.settimeout(5)
        gen = self.current()
        try:
            req = self.read_framed(c)
            if req is None:
                return
            up = socket.create_connection(self.kdc, timeout=3)
            try:
                up.sendall(req)
                reply = self.read_framed(up)
            finally:
                up.close()
            if reply is None:
                return
            # The mutation sees the framed reply: its 4-byte length prefix is fair game too.
            c.sendall(self.transform("tcp", reply, gen))
        except OSError:
            pass
        finally:
            c.close()


# --- where a byte lies ---------------------------------------------------------------------------


def der_path(p, at, prefix=""):
    """Tags (hex) from the outermost element to the one holding byte `at`, then :hdr or :val."""
    i = 0
    while i < len(p):
        start, tag = i, p[i]
        i += 1
        if i >= len(p):
            break
        n = p[i]
        i += 1
        if n & 0x80:
            k = n & 0x7F
            if k > 4 or i + k > len(p):
                break
            n = int.from_bytes(p[i:i + k], "big")
            i += k
        end = min(i + n, len(p))
        if not start <= at < end:
            i = end
            continue
        path = prefix + (">" if prefix else "") + "%02x" % tag
        if at < i:
            return path + ":hdr"
        if tag & 0x20:
            return der_path(p[i:end], at - i, path)
        return path + ":val"
    return prefix + ">?"


def field_of(transport, reply, at):
    if transport == "tcp":
        if at < 4:
            return "tcp-length"
        return der_path(reply[4:], at - 4)
    return der_path(reply, at)


# Fields of a KDC reply nothing authenticates, where a flip may go unnoticed by ISC provided the
# AP-REQ it then builds is accepted (RFC 4120 §5.4.2, §5.9.1):
#  - KRB-ERROR [30]: stime/susec/ctime/cusec, crealm/cname, realm/sname, e-text, and e-data
#    entries the client does not use (it acts on error-code and the ETYPE-INFO2 entry of its
#    enctype only);
#  - KDC-REP [11]/[13]: the Ticket [5] (opaque to the client; a corrupted one is caught by the
#    TGS or the service — success means the flip was in a part they ignore, e.g. its sname/realm
#    or kvno), crealm/cname (compared case-insensitively, as AD canonicalizes them), the PA-DATA.
# A KRB-ERROR is never authenticated: a flip in one of its fields other than error-code and
# e-data (value, or identifier/length octets) cannot change what the client does, which the
# service accepting the resulting AP-REQ confirms. pvno and msg-type are not in the list: a
# reply whose decoded pvno or msg-type differs must be refused.
UNAUTHENTICATED = [
    (r"^7e>30>a[2-5](>|:)", "KRB-ERROR ctime/cusec/stime/susec"),
    (r"^7e>30>a[7-9a](>|:)", "KRB-ERROR crealm/cname/realm/sname"),
    (r"^7e>30>ab(>|:)", "KRB-ERROR e-text"),
    (r"^7e>30>ac>", "KRB-ERROR e-data entries not used"),
    (r"^6[bd]>30>a5>61>", "KDC-REP ticket"),
    (r"^6[bd]>30>a2>", "KDC-REP padata"),
    (r"^6[bd]>30>a[34]>", "KDC-REP crealm/cname"),
]


def unauthenticated(path):
    for pat, label in UNAUTHENTICATED:
        if re.search(pat, path):
            return label
    return None


# --- the runs --------------------------------------------------------------------------------


def main():
    realm, user, pw = os.environ["REALM"], os.environ["USER1"], os.environ["USER1_PASSWORD"]
    spn = os.environ["SERVICE"].encode()
    stride = max(1, int(os.environ.get("HOSTILE_KDC_STRIDE", "1")))
    base_conf = open(os.environ["KRB5_CONFIG"]).read()
    kdc_port = int(re.search(r"kdc *= *127\.0\.0\.1:(\d+)", base_conf).group(1))
    relay = Relay(kdc_port)
    workdir = os.path.dirname(os.environ["KRB5_CONFIG"])
    ident = Identity(user.encode(), len(user), realm.encode(), len(realm), pw.encode(), len(pw), 1)
    st, scred = acquire(1)  # SECPKG_CRED_INBOUND, keytab
    assert st == SEC_E_OK, name(st)
    failures = []
    bound = 13.0  # s: request_timeout 6 s for the AS and TGS exchanges each
    t_start = time.monotonic()

    panic_log = os.path.join(workdir, "hostile-kdc.stderr")

    def one_run(target, mutate):
        relay.arm(target, mutate)
        saved = os.dup(2)
        fd = os.open(panic_log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 2)
        os.close(fd)
        try:
            return run_isc()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            with open(panic_log, errors="replace") as f:
                if "panicked" in f.read():
                    failures.append("a panic (caught at the FFI boundary) in the run for reply %s" % target)

    def run_isc():
        st, ccred = acquire(2, ident)  # SECPKG_CRED_OUTBOUND, a fresh password credential
        assert st == SEC_E_OK, name(st)
        t0 = time.monotonic()
        st, token, ctx = isc_first(ccred, spn)
        took = time.monotonic() - t0
        accepted = None
        if ctx is not None:
            accepted = asc_first(scred, token)
            lib.DeleteSecurityContext(ctypes.byref(ctx))
        lib.FreeCredentialsHandle(ctypes.byref(ccred))
        return st & 0xFFFFFFFF, accepted, took, relay.count()

    for transport in ("udp", "tcp"):
        conf = os.path.join(workdir, "krb5-hostile-%s.conf" % transport)
        extra = "  kdc_timeout = 2\n  request_timeout = 6\n"
        if transport == "tcp":
            extra += "  udp_preference_limit = 1\n"
        text = re.sub(r"(kdc *= *127\.0\.0\.1):\d+", r"\g<1>:%d" % relay.port, base_conf)
        text = text.replace("[libdefaults]\n", "[libdefaults]\n" + extra, 1)
        with open(conf, "w") as f:
            f.write(text)
        os.environ["KRB5_CONFIG"] = conf
        # the genuine run: which replies come, over which transport
        st, acc, took, _ = one_run(None, None)
        genuine = list(relay.replies)
        if st != SEC_I_CONTINUE_NEEDED or acc != SEC_E_OK:
            print("hostile-kdc: %s: the genuine run failed: ISC %s, ASC %s" % (transport, name(st), acc))
            return 1
        desc = ", ".join("%s %d bytes" % (describe(t, r), len(r)) for t, r in genuine)
        print("hostile-kdc: %s: genuine replies: %s" % (transport, desc))
        for idx, (t, reply) in enumerate(genuine):
            what = "%s %s" % (transport, describe(t, reply))
            counts, benign = Counter(), Counter()
            flips = cuts = 0
            slowest = 0.0
            for at in range(0, len(reply), stride):
                bit = (at // stride) % 8
                m = Mutation(at, bit)
                st, acc, took, seen = one_run(idx, m)
                if not m.applied:
                    continue
                flips += 1
                slowest = max(slowest, took)
                counts[name(st)] += 1
                path = field_of(t, m.reply, at)  # this run's reply: lengths may differ
                if took > bound:
                    failures.append("%s: flip at %d (%s) took %.1f s" % (what, at, path, took))
                if os.environ.get("HOSTILE_KDC_DEBUG"):
                    print("    %s at %d bit %d %s: %s ASC %s replies %s" % (what, at, bit, path, name(st), acc,
                          [(t2, describe(t2, r2), len(r2)) for t2, r2 in relay.replies]))
                if st == SEC_I_CONTINUE_NEEDED:
                    # the client discarded the damaged reply and asked again (more replies than
                    # the genuine run), or the flip lay in an unauthenticated field
                    label = "discarded, asked again" if seen > len(genuine) else unauthenticated(path)
                    if label == "KDC-REP ticket" and acc in ASC_REFUSALS:
                        # the service ticket is opaque to the client: the service refuses it
                        label = "KDC-REP ticket, refused by the service (%s)" % name(acc)
                    elif acc != SEC_E_OK:
                        label = None
                    if label is None:
                        failures.append("%s: flip at byte %d bit %d (%s): ISC succeeded, ASC %s, field %s" % (
                            what, at, bit, path, name(acc) if acc is not None else "-", label))
                    else:
                        benign[label] += 1
                elif st not in DOCUMENTED:
                    failures.append("%s: flip at byte %d bit %d (%s): %s" % (what, at, bit, path, name(st)))
            print("  %s: %d flips: %s; ISC succeeded (ASC accepted): %s; slowest %.2f s" % (
                what, flips, fmt(counts), fmt(benign) or "none", slowest))
            counts = Counter()
            cut_stride = stride * 2
            for cut in range(0, len(reply), cut_stride):
                m = Mutation(cut)
                st, acc, took, seen = one_run(idx, m)
                if not m.applied:
                    continue
                cuts += 1
                slowest = max(slowest, took)
                if took > bound:
                    failures.append("%s: cut to %d took %.1f s" % (what, cut, took))
                if st == SEC_I_CONTINUE_NEEDED and acc == SEC_E_OK and seen > len(genuine):
                    counts["discarded, asked again"] += 1
                    continue
                counts[name(st)] += 1
                if st not in DOCUMENTED:
                    failures.append("%s: cut to %d of %d: %s (ASC %s; replies %s)" % (
                        what, cut, len(reply), name(st), acc, [(t2, len(r2)) for t2, r2 in relay.replies]))
            print("  %s: %d truncations (every %d bytes): %s" % (
                what, cuts, cut_stride, fmt(counts)))
    relay.stop = True
    print("hostile-kdc: %.1f s" % (time.monotonic() - t_start))
    for f in failures[:60]:
        print("FAIL " + f)
    print("hostile-kdc: %d failures" % len(failures))
    return 1 if failures else 0


class Mutation:
    """A flip of bit `bit` of byte `at`, or (bit None) a cut to `at` bytes. The run's reply may
    be shorter than the genuine run's (times are encoded in fewer bytes): then it is left alone
    and the run does not count."""

    def __init__(self, at, bit=None):
        self.at, self.bit, self.applied, self.reply = at, bit, False, b""

    def __call__(self, r):
        if self.at >= len(r):
            return r
        self.applied, self.reply = True, r
        if self.bit is None:
            return r[:self.at]
        return r[:self.at] + bytes([r[self.at] ^ (1 << self.bit)]) + r[self.at + 1:]


def describe(transport, reply):
    body = reply[4:] if transport == "tcp" else reply
    tag = body[0] if body else 0
    if tag == 0x7E:
        return "KRB-ERROR"
    return {0x6B: "AS-REP", 0x6D: "TGS-REP"}.get(tag, "reply 0x%02x" % tag)


def fmt(c):
    return " ".join("%s=%d" % kv for kv in sorted(c.items()))


if __name__ == "__main__":
    sys.exit(main())
