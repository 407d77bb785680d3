#!/usr/bin/python3
"""Records the GSS-API krb5 context tokens MIT's libgssapi_krb5 exchanges (python3-gssapi).

    eval "$(tests/kerberos/mit-kdc.sh start DIR --kinit)"
    /usr/bin/python3 tests/kerberos/capture-gss-tokens.py OUTDIR

Writes OUTDIR/gss-ap-req.bin (the initiator's InitialContextToken: AP-REQ with mutual auth)
and OUTDIR/gss-ap-rep.bin (the acceptor's reply token, AP-REP), from user1's ccache and the
HTTP/localhost key in KRB5_KTNAME.
"""
import os, sys
import gssapi

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
krb5 = gssapi.MechType.kerberos
target = gssapi.Name("HTTP@localhost", gssapi.NameType.hostbased_service)
ictx = gssapi.SecurityContext(name=target, mech=krb5, usage="initiate",
                              flags=gssapi.RequirementFlag.mutual_authentication
                              | gssapi.RequirementFlag.integrity
                              | gssapi.RequirementFlag.confidentiality)
actx = gssapi.SecurityContext(usage="accept",
                              creds=gssapi.Credentials(usage="accept", mechs=[krb5]))
tok = ictx.step()
with open(os.path.join(out, "gss-ap-req.bin"), "wb") as f:
    f.write(tok)
rep = actx.step(tok)
with open(os.path.join(out, "gss-ap-rep.bin"), "wb") as f:
    f.write(rep)
ictx.step(rep)
assert ictx.complete and actx.complete
