#!/usr/bin/env bash
# Interop: curl --digest (curl's own RFC 7616 code, a real HTTP client) against
# examples/digest_http_server.c, which verifies each request with AcceptSecurityContext
# (WDigest, ASC_REQ_HTTP) from libsecur32.
#
#   tests/interop/test_curl_digest.sh        (after cargo build --release)
#
# Exits 0 when every check passed, 1 on a failure, 77 when curl/gcc are missing locally
# (under CI=true a missing tool is a failure).
set -uo pipefail
NAME=test_curl_digest
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || missing "curl is missing"
command -v gcc >/dev/null || missing "gcc is missing"
require_lib

build_example digest_http_server
start_server $'EXAMPLE:user:Password01\nEXAMPLE:zoë:Pässwörd\n' digest_http_server
URL="http://127.0.0.1:$PORT"

code=$(curl -s -D "$TMP/h0" -o /dev/null -w '%{http_code}' "$URL/")
if [ "$code" = 401 ] && grep -qi '^WWW-Authenticate: Digest realm="EXAMPLE",.*nonce="' "$TMP/h0"; then
  ok "no credentials -> 401 WWW-Authenticate: Digest realm=EXAMPLE, nonce"
else
  bad "no credentials -> HTTP $code"; cat "$TMP/h0"
fi

body=$(curl -s --digest -u 'user:Password01' -w ' %{http_code}' "$URL/some/path?q=1&r=2")
[ "$body" = 'hello EXAMPLE\user 200' ] && ok "curl --digest user -> 200 '$body'" || bad "curl --digest user -> '$body'"

body=$(curl -s --digest -u 'user:Password01' -X POST --data 'a=1' -w ' %{http_code}' "$URL/post")
[ "$body" = 'hello EXAMPLE\user 200' ] && ok "curl --digest POST -> 200" || bad "curl --digest POST -> '$body'"

body=$(curl -s --digest -u 'zoë:Pässwörd' -w ' %{http_code}' "$URL/")
[ "$body" = 'hello EXAMPLE\zoë 200' ] && ok "curl --digest non-ASCII user/password -> 200" || bad "non-ASCII -> '$body'"

code=$(curl -s -o /dev/null -w '%{http_code}' --digest -u 'user:wrong' "$URL/")
[ "$code" = 401 ] && grep -q '0x8009030C' "$TMP/server.log" &&
  ok "wrong password -> SEC_E_LOGON_DENIED, 401" || bad "wrong password -> HTTP $code"

code=$(curl -s -o /dev/null -w '%{http_code}' --digest -u 'nobody:Password01' "$URL/")
[ "$code" = 401 ] && ok "unknown user -> 401" || bad "unknown user -> HTTP $code"

# A response for another method than the one signed: the request-digest covers the method.
hdr=$(curl -s -v --digest -u 'user:Password01' -o /dev/null "$URL/x" 2>&1 | sed -n 's/^> Authorization: //p' | tr -d '\r')
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: $hdr" "$URL/x")
[ "$code" = 401 ] && ok "replayed Authorization with another method -> 401" || bad "method swap -> HTTP $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: $hdr" "$URL/y")
[ "$code" = 401 ] && ok "replayed Authorization for another URL -> 401" || bad "URL swap -> HTTP $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: $hdr" "$URL/x")
[ "$code" = 200 ] && ok "the same Authorization with its own method -> 200 (stateless nonce)" || bad "same header -> $code"

summary
