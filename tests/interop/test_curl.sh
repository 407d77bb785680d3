#!/usr/bin/env bash
# Interop: curl --ntlm (curl's own NTLM code, a real HTTP client) against
# examples/ntlm_http_server.c, which authenticates with AcceptSecurityContext from libsecur32.
#
#   tests/interop/test_curl.sh        (after cargo build --release)
#
# Exits 0 when every check passed, 1 on a failure, 77 when curl/gcc are missing locally
# (under CI=true a missing tool is a failure).
set -uo pipefail
NAME=test_curl
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || missing "curl is missing" "install it, or run tests/interop/run.sh"
command -v gcc >/dev/null || missing "gcc is missing" "install it, or run tests/interop/run.sh"
require_lib

build_example ntlm_http_server
start_server $'DOMAIN:user:Password01\nOTHER:someone:Secret99\n' ntlm_http_server SECUR32_LOG="${SECUR32_LOG:-debug}"
URL="http://127.0.0.1:$PORT/"

# 1. No credentials: 401 with a bare WWW-Authenticate: NTLM.
code=$(curl -s -D "$TMP/h0" -o /dev/null -w '%{http_code}' "$URL")
if [ "$code" = 401 ] && grep -qi '^WWW-Authenticate: NTLM' "$TMP/h0"; then
  ok "no credentials -> 401 WWW-Authenticate: NTLM"
else
  bad "no credentials -> got HTTP $code"; cat "$TMP/h0"
fi

# 2. The NTLM dance with the right password: 200 and the server's view of the user.
code=$(curl -s -v --ntlm -u 'DOMAIN\user:Password01' -o "$TMP/body" -w '%{http_code}' "$URL" \
  2>"$TMP/curl.log")
body=$(cat "$TMP/body" 2>/dev/null)
if [ "$code" = 200 ] && [ "$body" = 'hello DOMAIN\user' ]; then
  ok "curl --ntlm DOMAIN\\user -> 200 '$body'"
else
  bad "curl --ntlm DOMAIN\\user -> HTTP $code body '$body'"
  cat "$TMP/curl.log"
fi
# curl must have seen the CHALLENGE and kept the connection (NTLM is connection-bound).
if grep -q '^< WWW-Authenticate: NTLM TlRMTVNTUAACAAAA' "$TMP/curl.log" &&
  [ "$(grep -c 'Connected to' "$TMP/curl.log")" = 1 ]; then
  ok "CHALLENGE sent, handshake on one keep-alive connection"
else
  bad "CHALLENGE / keep-alive"
  grep -E '^[<>*]' "$TMP/curl.log" | head -40
fi

# 3. Several authenticated requests on one curl run (each on its own handshake).
out=$(curl -s --ntlm -u 'DOMAIN\user:Password01' "$URL" "$URL" "$URL")
if [ "$out" = 'hello DOMAIN\userhello DOMAIN\userhello DOMAIN\user' ]; then
  ok "three authenticated requests in one curl run"
else
  bad "three requests: '$out'"
fi

# 4. Wrong password and unknown user: 401.
code=$(curl -s --ntlm -u 'DOMAIN\user:WrongPassword' -o /dev/null -w '%{http_code}' "$URL")
if [ "$code" = 401 ]; then ok "wrong password -> 401"; else bad "wrong password -> HTTP $code"; fi
code=$(curl -s --ntlm -u 'DOMAIN\nobody:Password01' -o /dev/null -w '%{http_code}' "$URL")
if [ "$code" = 401 ]; then ok "unknown user -> 401"; else bad "unknown user -> HTTP $code"; fi
if grep -q '0x8009030C' "$TMP/server.log"; then
  ok "server logged SEC_E_LOGON_DENIED (0x8009030C)"
else
  bad "server did not log SEC_E_LOGON_DENIED"; cat "$TMP/server.log"
fi

# 5. Still serving after the failures.
code=$(curl -s --ntlm -u 'DOMAIN\user:Password01' -o /dev/null -w '%{http_code}' "$URL")
if [ "$code" = 200 ]; then ok "good login after failures -> 200"; else bad "after failures -> HTTP $code"; fi

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  bad "server exited early"; cat "$TMP/server.log"
fi
summary
