#!/usr/bin/python3
"""An MIT GSSAPI context pair over a throw-away MIT KDC, as a line-oriented peer for the Rust
wrap tests (src/packages/kerberos/wrap/mit_tests.rs).

Usage: krb5_gss_peer.py ENCTYPE [dce]
Starts krb5kdc on 127.0.0.1 (random port) in a temp dir with a service principal that has only
ENCTYPE keys, establishes an initiator ("i") and acceptor ("a") context with python3-gssapi,
prints "ready <session key hex> <enctype number>" and then answers, one line each:
  wrap <i|a> <0|1 conf> <hex>       -> token hex                 (gss_wrap)
  wrapiov <i|a> <0|1> <hex>         -> header hex, data hex, padding hex   (gss_wrap_iov
                                       HEADER | DATA | PADDING: the SSPI layout)
  unwrap <i|a> <hex>                -> "ok <conf 0|1> <plaintext hex>" or "err <text>"
  unwrapiov <i|a> <header> <data>   -> as unwrap, through gss_unwrap_iov HEADER | DATA (the
                                       DCE RPC way: DCE tokens carry RRC 16 + h with EC 16)
  mic <i|a> <hex>                   -> MIC token hex
  verify <i|a> <msg hex> <mic hex>  -> "ok" or "err <text>"
Empty byte strings are written ".". Exit status 77 when a needed tool is missing. The KDC is
stopped (by its PID) when stdin closes.
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

try:
    import gssapi
    import gssapi.raw as graw
except ImportError:
    print("python3-gssapi missing", file=sys.stderr)
    sys.exit(77)
for tool in ("krb5kdc", "kdb5_util", "kadmin.local", "kinit"):
    if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
        print(tool + " missing", file=sys.stderr)
        sys.exit(77)

ENCTYPE = sys.argv[1]
DCE = len(sys.argv) > 2 and sys.argv[2] == "dce"
REALM = "KCRYPTO.TEST"
D = tempfile.mkdtemp(prefix="kcrypto-gss-")
ENCTYPES = ("aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha384-192 "
            "aes128-cts-hmac-sha256-128 arcfour-hmac")


def tool(name):
    return shutil.which(name) or "/usr/sbin/" + name


def write_conf(port):
    with open(os.path.join(D, "krb5.conf"), "w") as f:
        f.write(f"""[libdefaults]
 default_realm = {REALM}
 dns_lookup_kdc = false
 rdns = false
 dns_canonicalize_hostname = false
 allow_rc4 = true
 permitted_enctypes = {ENCTYPE}
 default_ccache_name = FILE:{D}/ccache
 default_keytab_name = FILE:{D}/keytab
[realms]
 {REALM} = {{
  kdc = 127.0.0.1:{port}
 }}
""")
    with open(os.path.join(D, "kdc.conf"), "w") as f:
        f.write(f"""[kdcdefaults]
 kdc_listen = 127.0.0.1:{port}
 kdc_tcp_listen = 127.0.0.1:{port}
[realms]
 {REALM} = {{
  database_name = {D}/principal
  key_stash_file = {D}/stash
  acl_file = {D}/kadm5.acl
  supported_enctypes = {" ".join(e + ":normal" for e in ENCTYPES.split())}
 }}
""")


write_conf(random.randint(20000, 60000))
open(os.path.join(D, "kadm5.acl"), "w").close()
env = dict(os.environ, KRB5_CONFIG=D + "/krb5.conf", KRB5_KDC_PROFILE=D + "/kdc.conf",
           KRB5CCNAME="FILE:" + D + "/ccache", KRB5_KTNAME="FILE:" + D + "/keytab")
os.environ.update(env)
q = dict(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
subprocess.run([tool("kdb5_util"), "-r", REALM, "-P", os.urandom(8).hex(), "create", "-s"], check=True, **q)
subprocess.run([tool("kadmin.local"), "-r", REALM], input=(
    "addprinc -pw Password01 user1\n"
    f"addprinc -randkey -e {ENCTYPE}:normal svc/localhost\n"
    f"ktadd -k {D}/keytab -e {ENCTYPE}:normal svc/localhost\n").encode(), check=True, **q)
kdc = None
try:
    # A random port may be taken (other tests run the same helper): try a few.
    for attempt in range(6):
        if attempt:
            write_conf(random.randint(20000, 60000))
        kdc = subprocess.Popen([tool("krb5kdc"), "-r", REALM, "-n", "-P", D + "/kdc.pid"], **q)
        ok = False
        for _ in range(40):
            if subprocess.run([tool("kinit"), "user1"], input=b"Password01\n", **q).returncode == 0:
                ok = True
                break
            if kdc.poll() is not None:
                break
            time.sleep(0.05)
        if ok:
            break
        kdc.send_signal(signal.SIGKILL)
        kdc.wait()
        kdc = None
    else:
        raise SystemExit("no KDC could be started")

    flags = [gssapi.RequirementFlag.mutual_authentication, gssapi.RequirementFlag.integrity,
             gssapi.RequirementFlag.confidentiality, gssapi.RequirementFlag.out_of_sequence_detection,
             gssapi.RequirementFlag.replay_detection]
    if DCE:
        flags.append(gssapi.RequirementFlag.dce_style)
    name = gssapi.Name("svc@localhost", gssapi.NameType.hostbased_service)
    ctx = {
        "i": gssapi.SecurityContext(name=name, usage="initiate", flags=flags),
        "a": gssapi.SecurityContext(usage="accept", creds=gssapi.Credentials(usage="accept")),
    }
    tok = ctx["i"].step()
    while True:
        tok = ctx["a"].step(tok)
        if ctx["i"].complete and not tok:
            break
        tok = ctx["i"].step(tok) if tok else None
        if ctx["a"].complete and not tok:
            break
    assert ctx["i"].complete and ctx["a"].complete
    oid = gssapi.OID.from_int_seq("1.2.840.113554.1.2.2.5.5")
    key, etype_oid = graw.inquire_sec_context_by_oid(ctx["a"], oid)[:2]
    print("ready", key.hex(), etype_oid[-1], flush=True)

    def unhex(w):
        return b"" if w == "." else bytes.fromhex(w)

    def hx(b):
        return b.hex() if b else "."

    for line in sys.stdin:
        w = line.split()
        if not w:
            continue
        c = ctx.get(w[1]) if len(w) > 1 else None
        try:
            if w[0] == "wrap":
                out = hx(c.wrap(unhex(w[3]), w[2] == "1").message)
            elif w[0] == "wrapiov":
                iov = graw.IOV(graw.IOVBufferType.header, unhex(w[3]), graw.IOVBufferType.padding,
                               std_layout=False)
                graw.wrap_iov(c, iov, confidential=w[2] == "1")
                out = " ".join(hx(b.value or b"") for b in iov)
            elif w[0] == "unwrapiov":
                iov = graw.IOV((graw.IOVBufferType.header, False, unhex(w[2])),
                               (graw.IOVBufferType.data, False, unhex(w[3])), std_layout=False)
                r = graw.unwrap_iov(c, iov)
                out = "ok %d %s" % (1 if r.encrypted else 0, hx(iov[1].value or b""))
            elif w[0] == "unwrap":
                r = c.unwrap(unhex(w[2]))
                out = "ok %d %s" % (1 if r.encrypted else 0, hx(r.message))
            elif w[0] == "mic":
                out = hx(c.get_signature(unhex(w[2])))
            elif w[0] == "verify":
                c.verify_signature(unhex(w[2]), unhex(w[3]))
                out = "ok"
            else:
                out = "err unknown"
        except gssapi.exceptions.GSSError as e:
            out = "err " + str(e).replace("\n", " ")
        print(out, flush=True)
finally:
    if kdc is not None:
        kdc.send_signal(signal.SIGKILL)
        kdc.wait()
    shutil.rmtree(D, ignore_errors=True)
