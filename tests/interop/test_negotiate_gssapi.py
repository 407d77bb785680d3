"""Interop: libsecur32's Negotiate package ↔ MIT krb5's SPNEGO mechanism (1.3.6.1.5.5.2) through
python3-gssapi, both directions: Kerberos (MIT KDC on loopback) and NTLM (gss-ntlmssp under
MIT's SPNEGO), each followed by wrap/unwrap and MIC both ways and a tamper check; and Kerberos
picked though not first (MIT lists NTLM, then krb5), so both sides exchange mechListMICs.

Run by tests/interop/run.sh, which starts tests/kerberos/mit-kdc.sh and exports KRB5_CONFIG,
KRB5_KTNAME, KRB5CCNAME (user1's TGT), KT_REALM, KT_USER, KT_PASS, KT_SPN.
Use Debian's python: /usr/bin/python3 -m pytest tests/interop/test_negotiate_gssapi.py
"""

import os
import subprocess
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


def der_tlv(b, i):
    """(tag, value, next index) of the DER TLV at b[i]."""
    tag, n = b[i], b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, b[i:i + n], i + n


def spnego_fields(tok):
    """RFC 4178 token → ("init" | "resp", {context tag: value}); OCTET STRING fields
    (mechToken / responseToken [2], mechListMIC [3]) unwrapped, mechTypes [0] of an init as a
    list of OID bodies, negState [0] of a resp as an int."""
    tag, body, _ = der_tlv(tok, 0)
    if tag == 0x60:  # GSS framing: SPNEGO OID, then NegTokenInit
        _, _, j = der_tlv(body, 0)
        tag, body, _ = der_tlv(body, j)
    kind = {0xA0: "init", 0xA1: "resp"}[tag]
    _, seq, _ = der_tlv(body, 0)
    fields, j = {}, 0
    while j < len(seq):
        t, v, j = der_tlv(seq, j)
        inner_tag, inner, _ = der_tlv(v, 0)
        if t & 0x1F in (2, 3):
            fields[t & 0x1F] = bytes(inner)
        elif t & 0x1F == 0 and kind == "init":
            oids, k = [], 0
            while k < len(inner):
                _, oid, k = der_tlv(inner, k)
                oids.append(bytes(oid))
            fields[0] = oids
        elif t & 0x1F == 0:
            fields[0] = inner[0]
        else:
            fields[t & 0x1F] = bytes(inner)
    return kind, fields


def krb5_token_id(tok):
    """TOK_ID of a GSS-framed krb5 token (AP-REQ 01 00, AP-REP 02 00, RFC 1964 MIC 01 01) or of
    an RFC 4121 token (MIC 04 04)."""
    if tok[0] == 0x60:
        _, body, _ = der_tlv(tok, 0)
        _, _, j = der_tlv(body, 0)
        return bytes(body[j:j + 2])
    return bytes(tok[:2])


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
    tokens = secur32.handshake(c, s)
    assert len(tokens) == 2, "NegTokenInit with AP-REQ, accept-completed with AP-REP"
    assert c.package_name() == "Kerberos"
    assert str(s.initiator_name) == "%s@%s" % (USER, REALM)
    assert s.mech == KRB5  # MIT reports the mech SPNEGO negotiated
    exchange(c, s)


def test_our_password_client_mit_acceptor_kerberos():
    c = secur32.Client(USER, REALM, PASS, target=SPN, package="Negotiate")
    s = mit_acceptor([KRB5])
    secur32.handshake(c, s)
    assert c.package_name() == "Kerberos"
    exchange(c, s)


def test_mit_spnego_initiator_our_negotiate_acceptor_kerberos():
    c = mit_krb5_initiator()
    s = secur32.Server(package="Negotiate")
    secur32.handshake(c, s)
    assert s.package_name() == "Kerberos"
    assert s.names() == "%s@%s" % (USER, REALM)
    exchange(s, c)


def test_our_negotiate_client_mit_spnego_acceptor_ntlm():
    c = secur32.Client(NTLM_USER, NTLM_DOMAIN, NTLM_PASS, target="host/localhost",
                       package="Negotiate", package_list="!kerberos")
    if NTLM not in graw.indicate_mechs():
        pytest.skip("gss-ntlmssp is not registered with GSSAPI")
    s = mit_acceptor([NTLM])
    tokens = secur32.handshake(c, s)
    assert len(tokens) == 4, "init, challenge, authenticate + mechListMIC, complete + mechListMIC"
    assert c.package_name() == "NTLM"
    assert str(s.initiator_name).rstrip("\0").lower() == ("%s\\%s" % (NTLM_DOMAIN, NTLM_USER)).lower()
    exchange(c, s)


def test_mit_spnego_initiator_our_negotiate_acceptor_ntlm():
    c = mit_ntlm_initiator()
    s = secur32.Server(package="Negotiate")
    secur32.handshake(c, s)
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
    secur32.handshake(c, s)
    assert c.package_name() == "NTLM"
    exchange(c, s)


KRB5_DER = bytes.fromhex("2a864886f712010202")
NTLM_DER = bytes.fromhex("2b06010401823702020a")


def rc4_session_config(monkeypatch):
    """KRB5_CONFIG and KRB5CCNAME for this test: MIT uses arcfour-hmac only (a TGT in a ccache
    of its own, then an RC4 session key for the service), so the mechListMICs are RFC 4757
    tokens."""
    conf = os.path.join(_tmp.name, "krb5-rc4.conf")
    with open(os.environ["KRB5_CONFIG"]) as f:
        text = f.read()
    lines = "".join("\t%s = arcfour-hmac\n" % k for k in
                    ("default_tkt_enctypes", "default_tgs_enctypes", "permitted_enctypes"))
    text = text.replace("[libdefaults]\n", "[libdefaults]\n" + lines, 1)
    with open(conf, "w") as f:
        f.write(text)
    monkeypatch.setenv("KRB5_CONFIG", conf)
    monkeypatch.setenv("KRB5CCNAME", "FILE:" + os.path.join(_tmp.name, "ccache-rc4"))
    subprocess.run(["kinit", USER], input=(PASS + "\n").encode(), check=True,
                   stdout=subprocess.DEVNULL)


@pytest.mark.parametrize("service,enctype", [("HTTP", "aes"), ("svc-rc4", "rc4")])
def test_mit_spnego_ntlm_first_our_kerberos_acceptor_exchanges_mech_list_mics(service, enctype,
                                                                              monkeypatch):
    """MIT's SPNEGO initiator lists NTLM (gss-ntlmssp) first and krb5 second; our Negotiate
    acceptor holds Kerberos credentials only, so it picks krb5, which was not first: both
    mechListMICs are required (RFC 4178 §5). The legs: NegTokenInit(NTLM, krb5; NTLMSSP
    NEGOTIATE) → request-mic, supportedMech krb5 → AP-REQ → accept-incomplete, AP-REP and our
    MIC → MIT's MIC (gss_get_mic: its next sequence number) → we complete with no token. Then
    wrap/unwrap and MICs both ways: MIT's MIC took one of its sequence numbers and ours one of
    ours, and the next messages still verify on both sides."""
    if NTLM not in graw.indicate_mechs():
        pytest.skip("gss-ntlmssp is not registered with GSSAPI")
    if enctype == "rc4":
        rc4_session_config(monkeypatch)
    cred = gssapi.Credentials(usage="initiate", mechs=[SPNEGO])  # TGT + NTLM_USER_FILE's user
    graw.set_neg_mechs(cred, [NTLM, KRB5])
    # A host-based name: both mechs can import it (NTLM refuses a krb5 principal name, and
    # MIT's SPNEGO then drops it from the list).
    name = gssapi.Name("%s@localhost" % service, gssapi.NameType.hostbased_service)
    c = gssapi.SecurityContext(name=name, creds=cred, usage="initiate", mech=SPNEGO, flags=FLAGS)
    s = secur32.Server(package="Negotiate", package_list="kerberos")
    tokens = secur32.handshake(c, s)
    assert len(tokens) == 5, [spnego_fields(t) for t in tokens]
    kind, init = spnego_fields(tokens[0])
    assert kind == "init" and init[0] == [NTLM_DER, KRB5_DER], init.get(0)
    assert init[2].startswith(b"NTLMSSP\0"), "the optimistic token is NTLM's"
    kind, r1 = spnego_fields(tokens[1])
    assert (kind, r1[0], r1[1]) == ("resp", 3, KRB5_DER), r1  # request-mic, krb5
    assert 2 not in r1 and 3 not in r1
    kind, t2 = spnego_fields(tokens[2])
    assert kind == "resp" and krb5_token_id(t2[2]) == b"\x01\x00" and 3 not in t2  # AP-REQ
    kind, r2 = spnego_fields(tokens[3])
    assert kind == "resp" and r2[0] == 1, r2  # accept-incomplete
    assert krb5_token_id(r2[2]) == b"\x02\x00"  # AP-REP
    kind, t3 = spnego_fields(tokens[4])
    assert kind == "resp" and 2 not in t3
    ours_mic, mit_mic = r2[3], t3[3]  # both mechListMICs are on the wire
    if enctype == "aes":
        assert krb5_token_id(ours_mic) == krb5_token_id(mit_mic) == b"\x04\x04"
        assert ours_mic[2] & 1 and not mit_mic[2] & 1  # SentByAcceptor
    else:
        assert krb5_token_id(ours_mic) == krb5_token_id(mit_mic) == b"\x01\x01"
    assert s.package_name() == "Kerberos"
    assert s.names() == "%s@%s" % (USER, REALM)
    exchange(s, c)
