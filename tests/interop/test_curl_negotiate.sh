#!/usr/bin/env bash
# Interop: curl --negotiate (curl → MIT GSSAPI SPNEGO, a real HTTP client) and curl --ntlm against
# examples/ntlm_http_server.c, which answers `WWW-Authenticate: Negotiate` and `NTLM` with
# AcceptSecurityContext from libsecur32 ("Negotiate" and "NTLM" packages). A throw-away MIT KDC
# (tests/kerberos/mit-kdc.sh) gives curl a kinit'ed ccache and the server its keytab.
#
#   tests/interop/test_curl_negotiate.sh        (after cargo build --release)
#
# Checks: the 401 offers Negotiate then NTLM; curl --negotiate -u : with the ccache → Kerberos
# (PACKAGE_INFO "Kerberos", the AP-REP returned with the 200 for mutual authentication); curl
# --negotiate with no ticket but NTLM_USER_FILE (MIT SPNEGO over gss-ntlmssp) → NTLM under
# Negotiate with mechListMICs; curl --ntlm → the NTLM package; wrong password → 401.
# Exits 0 when every check passed, 1 on a failure, 77 when a tool or the KDC is missing locally
# (under CI=true that is a failure).
set -uo pipefail
NAME=test_curl_negotiate
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || missing "curl is missing"
command -v gcc >/dev/null || missing "gcc is missing"
curl -V | grep -q SPNEGO || missing "curl has no SPNEGO"
require_lib
stop_kdc() { tests/kerberos/mit-kdc.sh stop "$TMP/kdc" >/dev/null 2>&1; }
CLEANUP_HOOK=stop_kdc

env_lines=$(tests/kerberos/mit-kdc.sh start "$TMP/kdc" --kinit) || missing "the MIT KDC did not start"
eval "$env_lines"

build_example ntlm_http_server
start_server $'DOMAIN:user:Password01\n' ntlm_http_server SECUR32_LOG="${SECUR32_LOG:-debug}"
# The SPN curl asks for is HTTP@<host in the URL>: HTTP/localhost is in the keytab.
URL="http://localhost:$PORT/"
RESOLVE=(--resolve "localhost:$PORT:127.0.0.1")

# 1. The 401 offers Negotiate, then NTLM.
curl -s "${RESOLVE[@]}" -D "$TMP/h0" -o /dev/null "$URL"
if [ "$(grep -i '^WWW-Authenticate:' "$TMP/h0" | tr -d '\r' | tr '\n' '|')" = 'WWW-Authenticate: Negotiate|WWW-Authenticate: NTLM|' ]; then
  ok "401 offers WWW-Authenticate: Negotiate, then NTLM"
else
  bad "401 headers"; cat "$TMP/h0"
fi

# 2. curl --negotiate -u : with user1's ticket: Kerberos, AP-REP with the 200.
code=$(curl -s -v "${RESOLVE[@]}" --negotiate -u : -o "$TMP/body" -w '%{http_code}' "$URL" 2>"$TMP/curl-krb.log")
body=$(cat "$TMP/body" 2>/dev/null)
if [ "$code" = 200 ] && [ "$body" = "hello $USER1@$REALM" ]; then
  ok "curl --negotiate (Kerberos ccache) -> 200 '$body'"
else
  bad "curl --negotiate (Kerberos) -> HTTP $code body '$body'"; tail -30 "$TMP/curl-krb.log"; tail "$TMP/server.log"
fi
if grep -q "authenticated $USER1@$REALM with Kerberos (scheme Negotiate)" "$TMP/server.log"; then
  ok "server: PACKAGE_INFO names Kerberos"
else
  bad "server did not report Kerberos"; tail "$TMP/server.log"
fi
if grep -q '^< HTTP/1.1 200' "$TMP/curl-krb.log" && grep -q '^< WWW-Authenticate: Negotiate oY' "$TMP/curl-krb.log"; then
  ok "200 carries the final NegTokenResp (accept-completed, AP-REP)"
else
  bad "no final Negotiate token with the 200"; grep '^<' "$TMP/curl-krb.log"
fi
# The SPNEGO token curl sent offers krb5 and the server answered accept-completed in one leg.
if [ "$(grep -c '^> Authorization: Negotiate' "$TMP/curl-krb.log")" = 1 ]; then
  ok "Kerberos in one round trip"
else
  bad "Kerberos legs"; grep -E '^[<>]' "$TMP/curl-krb.log" | head
fi

# 3. curl --negotiate with no ticket, NTLM credentials for gss-ntlmssp: NTLM under Negotiate.
if [ -e /usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so ]; then
  printf 'DOMAIN:user:Password01\n' >"$TMP/client-users"
  code=$(KRB5CCNAME=FILE:$TMP/none NTLM_USER_FILE="$TMP/client-users" \
    curl -s -v "${RESOLVE[@]}" --negotiate -u : -o "$TMP/body" -w '%{http_code}' "$URL" 2>"$TMP/curl-ntlm.log")
  body=$(cat "$TMP/body" 2>/dev/null)
  if [ "$code" = 200 ] && [ "$body" = 'hello DOMAIN\user' ] &&
    grep -q 'authenticated DOMAIN\\user with NTLM (scheme Negotiate)' "$TMP/server.log"; then
    ok "curl --negotiate (MIT SPNEGO over gss-ntlmssp) -> NTLM under Negotiate, 200 '$body'"
  else
    bad "curl --negotiate NTLM -> HTTP $code body '$body'"; grep -E '^[<>*]' "$TMP/curl-ntlm.log" | tail -20; tail "$TMP/server.log"
  fi
else
  missing "gss-ntlmssp is not installed"
fi

# 4. curl --ntlm: the NTLM package.
code=$(curl -s "${RESOLVE[@]}" --ntlm -u 'DOMAIN\user:Password01' -o "$TMP/body" -w '%{http_code}' "$URL")
body=$(cat "$TMP/body" 2>/dev/null)
if [ "$code" = 200 ] && [ "$body" = 'hello DOMAIN\user' ] &&
  grep -q 'authenticated DOMAIN\\user with NTLM (scheme NTLM)' "$TMP/server.log"; then
  ok "curl --ntlm -> 200 '$body'"
else
  bad "curl --ntlm -> HTTP $code body '$body'"
fi

# 5. Wrong password over --ntlm: 401; the server keeps serving.
code=$(curl -s "${RESOLVE[@]}" --ntlm -u 'DOMAIN\user:Wrong' -o /dev/null -w '%{http_code}' "$URL")
if [ "$code" = 401 ]; then ok "wrong password -> 401"; else bad "wrong password -> HTTP $code"; fi
code=$(curl -s "${RESOLVE[@]}" --negotiate -u : -o /dev/null -w '%{http_code}' "$URL")
if [ "$code" = 200 ]; then ok "Kerberos again after a failure -> 200"; else bad "after failure -> HTTP $code"; fi

kill -0 "$SERVER_PID" 2>/dev/null || { bad "server exited early"; cat "$TMP/server.log"; }
summary
