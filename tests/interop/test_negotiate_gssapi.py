"""Interop: libsecur32's Negotiate package ↔ MIT krb5's SPNEGO mechanism (1.3.6.1.5.5.2) through
python3-gssapi, both directions: Kerberos (MIT KDC on loopback) and NTLM (gss-ntlmssp under
MIT's SPNEGO), each followed by wrap/unwrap and MIC both ways and a tamper check.

Run by tests/interop/run.sh, which starts tests/kerberos/mit-kdc.sh and exports KRB5_CONFIG,
KRB5_KTNAME, KRB5CCNAME (user1's TGT), KT_REALM, KT_USER, KT_PASS, KT_SPN.
Use Debian's python: /usr/bin/python3 -m pytest tests/interop/test_negotiate_gssapi.py
"""

import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import pytest  # noqa: E402

gssapi = pytest.importorskip("gssapi")
import gssapi.raw as graw  # noqa: E402

import secur32  # noqa: E402

if not os.environ.get("KT_REALM"):
    msg = "!!!!! negotiate interop: no KDC environment (KT_REALM unset; run tests/interop/run.sh) !!!!!"
    if os.environ.get("CI") == "true":
        raise SystemExit(msg)
    pytest.skip(msg, allow_module_level=True)

REALM = os.environ["KT_REALM"]
USER = os.environ["KT_USER"]
PASS = os.environ["KT_PASS"]
SPN = os.environ["KT_SPN"]  # HTTP/localhost
SPNEGO = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")
KRB5 = gssapi.OID.from_int_seq("1.2.840.113554.1.2.2")
NTLM = gssapi.OID.from_int_seq("1.3.6.1.4.1.311.2.2.10")
ISC_REQ_MUTUAL_AUTH = 0x2
FLAGS = [gssapi.RequirementFlag.mutual_authentication, gssapi.RequirementFlag.confidentiality,
         gssapi.RequirementFlag.integrity, gssapi.RequirementFlag.replay_detection,
         gssapi.RequirementFlag.out_of_sequence_detection]
MESSAGES = [b"x", b"hello through SPNEGO", bytes(range(256)) * 20, "unicode \u2713".encode()]
NTLM_DOMAIN, NTLM_USER, NTLM_PASS = "DOMAIN", "user", "Password01"

_tmp = tempfile.TemporaryDirectory(prefix="secur32-neg-")
USER_FILE = os.path.join(_tmp.name, "users")
with open(USER_FILE, "w") as f:
    f.write("%s:%s:%s\n%s:%s:%s\n" % (NTLM_DOMAIN, NTLM_USER, NTLM_PASS, REALM, USER, PASS))
os.environ["NTLM_USER_FILE"] = USER_FILE  # read by gss-ntlmssp and by libsecur32


def spn_name():
    return gssapi.Name("%s@%s" % (SPN, REALM), gssapi.NameType.kerberos_principal)


def mit_acceptor(mechs):
    """MIT's SPNEGO acceptor restricted to `mechs` (gss_set_neg_mechs)."""
    cred = gssapi.Credentials(usage="accept", mechs=[SPNEGO])
    graw.set_neg_mechs(cred, mechs)
    return gssapi.SecurityContext(creds=cred, usage="accept")


def mit_krb5_initiator():
    cred = gssapi.Credentials(usage="initiate", mechs=[SPNEGO])  # KRB5CCNAME's TGT
    graw.set_neg_mechs(cred, [KRB5])
    return gssapi.SecurityContext(name=spn_name(), creds=cred, usage="initiate", mech=SPNEGO,
                                  flags=FLAGS)


def mit_ntlm_initiator():
    if NTLM not in graw.indicate_mechs():
        pytest.skip("gss-ntlmssp is not registered with GSSAPI")
    name = gssapi.Name("%s\\%s" % (NTLM_DOMAIN, NTLM_USER), gssapi.NameType.user)
    cred = graw.acquire_cred_with_password(name, NTLM_PASS.encode(), usage="initiate",
                                           mechs=[SPNEGO]).creds
    graw.set_neg_mechs(cred, [NTLM])
    target = gssapi.Name("host@localhost", gssapi.NameType.hostbased_service)
    return gssapi.SecurityContext(name=target, creds=gssapi.Credentials(cred), usage="initiate",
                                  mech=SPNEGO, flags=FLAGS[1:])


def ours_to_mit(c, s):
    """Our InitializeSecurityContext ↔ MIT's gss_accept_sec_context; returns the legs."""
    tokens = []
    tok = c.step()
    for _ in range(6):
        tokens.append(tok)
        reply = s.step(tok)
        if not reply:
            break
        tokens.append(reply)
        tok = c.step(reply)
        if not tok:
            break
    assert c.complete and s.complete, (c.complete, s.complete)
    return tokens


def mit_to_ours(c, s):
    tokens = []
    tok = c.step()
    for _ in range(6):
        tokens.append(tok)
        reply = s.step(tok)
        if not reply:
            break
        tokens.append(reply)
        tok = c.step(reply)
        if not tok:
            break
    assert c.complete and s.complete, (c.complete, s.complete)
    return tokens


def exchange(ours, theirs):
    """wrap/unwrap and MIC both ways, several rounds (sequence numbers advance), then tamper."""
    for _ in range(2):
        for m in MESSAGES:
            tok, sealed = ours.encrypt(m)
            r = theirs.unwrap(tok + sealed)
            assert r.message == m and r.encrypted
            w = theirs.wrap(m, True)
            assert ours.decrypt_stream(w.message) == m
            theirs.verify_signature(m, ours.sign(m))
            ours.verify(m, theirs.get_signature(m))
    w = bytearray(theirs.wrap(b"tamper me", True).message)
    w[-1] ^= 1
    with pytest.raises(secur32.SspiError) as e:
        ours.decrypt_stream(bytes(w))
    assert e.value.status == secur32.SEC_E_MESSAGE_ALTERED
    with pytest.raises(gssapi.exceptions.GSSError):
        theirs.verify_signature(b"tampered", ours.sign(b"original"))


def test_our_negotiate_client_mit_spnego_acceptor_kerberos():
    c = secur32.Client(None, None, None, target=SPN, package="Negotiate")
    s = mit_acceptor([KRB5])
    tokens = ours_to_mit(c, s)
    assert len(tokens) == 2, "NegTokenInit with AP-REQ, accept-completed with AP-REP"
    assert c.package_name() == "Kerberos"
    assert str(s.initiator_name) == "%s@%s" % (USER, REALM)
    assert s.mech == KRB5  # MIT reports the mech SPNEGO negotiated
    exchange(c, s)


def test_our_password_client_mit_acceptor_kerberos():
    c = secur32.Client(USER, REALM, PASS, target=SPN, package="Negotiate")
    s = mit_acceptor([KRB5])
    ours_to_mit(c, s)
    assert c.package_name() == "Kerberos"
    exchange(c, s)


def test_mit_spnego_initiator_our_negotiate_acceptor_kerberos():
    c = mit_krb5_initiator()
    s = secur32.Server(package="Negotiate")
    mit_to_ours(c, s)
    assert s.package_name() == "Kerberos"
    assert s.names() == "%s@%s" % (USER, REALM)
    exchange(s, c)


def test_our_negotiate_client_mit_spnego_acceptor_ntlm():
    c = secur32.Client(NTLM_USER, NTLM_DOMAIN, NTLM_PASS, target="host/localhost",
                       package="Negotiate", package_list="!kerberos")
    if NTLM not in graw.indicate_mechs():
        pytest.skip("gss-ntlmssp is not registered with GSSAPI")
    s = mit_acceptor([NTLM])
    tokens = ours_to_mit(c, s)
    assert len(tokens) == 4, "init, challenge, authenticate + mechListMIC, complete + mechListMIC"
    assert c.package_name() == "NTLM"
    assert str(s.initiator_name).rstrip("\0").lower() == ("%s\\%s" % (NTLM_DOMAIN, NTLM_USER)).lower()
    exchange(c, s)


def test_mit_spnego_initiator_our_negotiate_acceptor_ntlm():
    c = mit_ntlm_initiator()
    s = secur32.Server(package="Negotiate")
    mit_to_ours(c, s)
    assert s.package_name() == "NTLM"
    assert s.names().lower() == ("%s\\%s" % (NTLM_DOMAIN, NTLM_USER)).lower()
    exchange(s, c)


def test_our_client_falls_back_to_ntlm_against_mit_ntlm_only_acceptor():
    """Our client offers MS KRB5, KRB5, NTLM with an optimistic AP-REQ; MIT's acceptor, limited to
    NTLM, discards the AP-REQ, answers supportedMech NTLM with request-mic; we restart with NTLM
    and both sides exchange mechListMICs."""
    if NTLM not in graw.indicate_mechs():
        pytest.skip("gss-ntlmssp is not registered with GSSAPI")
    c = secur32.Client(USER, REALM, PASS, target=SPN, package="Negotiate")
    s = mit_acceptor([NTLM])
    ours_to_mit(c, s)
    assert c.package_name() == "NTLM"
    exchange(c, s)
