#!/usr/bin/env bash
# Schannel through the C exports: in-process client <-> server, our client against
# openssl s_server, our server against openssl s_client and curl. Makes a throwaway CA and
# certificates in a temp dir, runs peers on free 127.0.0.1 ports and stops them by PID.
# Last line: "schannel: N passed, M failed"; exit status non-zero on any failure.
# Usage: c-tests/schannel-test.sh   (after cargo build --release)
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
LIB=${CARGO_TARGET_DIR:-$ROOT/target}/release
[ -f "$LIB/libsecur32.so" ] || { echo "build first: cargo build --release"; exit 2; }
# -lcrypt32 resolves to the same library.
ln -sf libsecur32.so "$LIB/libcrypt32.so"
T=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  exec 3>&- 2>/dev/null
  [ -n "${KEEP_T:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
PASS=0
FAIL=0
pass() { PASS=$((PASS + 1)); echo "PASS $*"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }

BIN=$T/schannel
gcc -std=c11 -Wall -Wextra -Werror -Iinclude -o "$BIN" c-tests/schannel.c \
  -L"$LIB" -lsecur32 -lcrypt32 -Wl,-rpath,"$LIB" -pthread || { echo "schannel: 0 passed, 1 failed"; exit 1; }
gcc -std=c11 -Wall -Wextra -Werror -Iinclude -Ic-tests -o "$T/compat_schannel" c-tests/compat_schannel.c \
  -L"$LIB" -lsecur32 -lcrypt32 -Wl,-rpath,"$LIB" || { echo "schannel: 0 passed, 1 failed"; exit 1; }
gcc -std=c11 -O1 -Wall -Wextra -Werror -Iinclude -Ic-tests -o "$T/schannel_hostile" c-tests/schannel_hostile.c \
  -L"$LIB" -lsecur32 -lcrypt32 -Wl,-rpath,"$LIB" || { echo "schannel: 0 passed, 1 failed"; exit 1; }
for ex in tls_echo_client tls_echo_server; do
  if [ -f "examples/$ex.c" ]; then
    gcc -std=c11 -Wall -Wextra -Werror -Iinclude -o "$T/$ex" "examples/$ex.c" \
      -L"$LIB" -lsecur32 -lcrypt32 -Wl,-rpath,"$LIB" && pass "build examples/$ex.c" || fail "build examples/$ex.c"
  fi
done

# --- certificates -------------------------------------------------------------------------
cd "$T"
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=Test CA"
q openssl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.pem -days 30 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost"
q openssl pkcs12 -export -in self.pem -inkey self.key -out self.pfx -passout pass:test
q openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 30 -subj "/CN=Other CA"
mkcert() { # name cn san [ca]
  q openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" > "$1.ext"
  q openssl x509 -req -in "$1.csr" -CA "${4:-ca}.pem" -CAkey "${4:-ca}.key" -CAcreateserial \
    -days 30 -out "$1.pem" -extfile "$1.ext"
  q openssl pkcs12 -export -in "$1.pem" -inkey "$1.key" -certfile "${4:-ca}.pem" -out "$1.pfx" -passout pass:test
}
mkcert server localhost "DNS:localhost,IP:127.0.0.1"
mkcert client "Test Client" "DNS:client.test"
mkcert rogue localhost "DNS:localhost,IP:127.0.0.1" other-ca
# Root → intermediate → leaf: a server whose PFX holds the chain sends leaf + intermediate.
q openssl req -newkey rsa:2048 -nodes -keyout inter.key -out inter.csr -subj "/CN=Test Intermediate CA"
printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n' > inter.ext
q openssl x509 -req -in inter.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -out inter.pem -extfile inter.ext
cat inter.pem ca.pem > inter-chain.pem
mkcert chained localhost "DNS:localhost,IP:127.0.0.1" inter
q openssl pkcs12 -export -in chained.pem -inkey chained.key -certfile inter-chain.pem -out chained.pfx -passout pass:test
# Over 16 KB: the Certificate message spans several records.
mkcert big localhost "DNS:localhost$(for i in $(seq 900); do printf ',DNS:host-%04d.example.test' "$i"; done)"
# Expired: openssl ca with explicit dates.
mkdir -p ca-db && : > ca-db/index.txt && echo 01 > ca-db/serial
cat > ca.cnf <<EOF
[ ca ]
default_ca = d
[ d ]
database = $T/ca-db/index.txt
new_certs_dir = $T/ca-db
serial = $T/ca-db/serial
default_md = sha256
policy = p
copy_extensions = copy
[ p ]
commonName = supplied
EOF
q openssl req -newkey rsa:2048 -nodes -keyout expired.key -out expired.csr -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost"
q openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
  -startdate 20200101000000Z -enddate 20210101000000Z -notext
[ -s server.pfx ] && [ -s expired.pem ] && pass "test certificates" || fail "test certificates"
cd "$ROOT"
export SSL_CERT_FILE=$T/ca.pem
unset SSL_CERT_DIR

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 100); do (exec 9<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# Runs a harness program; its PASS/FAIL lines count.
run() { # label cmd...
  local label=$1; shift
  local out; out=$(timeout 120 "$@" 2>&1); local rc=$?
  while IFS= read -r l; do
    case $l in
      PASS*) pass "$label: ${l#PASS }" ;;
      FAIL*) fail "$label: ${l#FAIL }" ;;
    esac
  done <<< "$out"
  [ $rc -eq 0 ] || { echo "$out" | sed 's/^/    /' | tail -20; }
  LAST_OUT=$out
  return $rc
}

# --- in-process ---------------------------------------------------------------------------
run "in-process" "$BIN" loopback "$T/server.pfx" test
SSL_CERT_FILE=$T/self.pem run "self-signed certificate trusted as a root" "$BIN" handshake "$T/self.pfx" test SEC_E_OK
SSL_CERT_FILE=$T/other-ca.pem run "in-process untrusted root" "$BIN" handshake "$T/server.pfx" test SEC_E_UNTRUSTED_ROOT
SSL_CERT_FILE=$T/other-ca.pem run "in-process self-signed, untrusted" "$BIN" handshake "$T/self.pfx" test SEC_E_UNTRUSTED_ROOT
# Windows' values and codes (issue #12): c-tests/compat_schannel.c.
if run "compat" "$T/compat_schannel" "$T/chained.pfx" test; then
  pass "compat: $(echo "$LAST_OUT" | tail -1)"
fi
# Hostile peer: every bit flip and truncation of every handshake token and sealed record.
if run "hostile peer" "$T/schannel_hostile" "$T/self.pfx" test; then
  pass "hostile peer: $(echo "$LAST_OUT" | tail -1)"
fi
echo "$LAST_OUT" | grep -v '^FAIL' | sed 's/^/    /'

# --- crypt32 ------------------------------------------------------------------------------
mkdir -p "$T/store/MY" "$T/store/ROOT"
q openssl pkcs12 -export -in "$T/server.pem" -inkey "$T/server.key" -certfile "$T/ca.pem" \
  -out "$T/store/MY/server.pfx" -passout pass:
cp "$T/ca.pem" "$T/store/ROOT/"
SECUR32_CERT_STORE_DIR=$T/store run "crypt32" "$BIN" crypt32
# A certificate's key reached through CERT_KEY_PROV_INFO_PROP_ID naming a container of MY.
openssl x509 -in "$T/server.pem" -outform DER -out "$T/server.der"
if SECUR32_CERT_STORE_DIR=$T/store run "key container" "$T/compat_schannel" storekey "$T/server.der"; then
  pass "key container: $(echo "$LAST_OUT" | tail -1)"
fi

# Chain + SSL policy (CertGetCertificateChain, CertVerifyCertificateChainPolicy).
run "chain: trusted" "$BIN" chain "$T/server.pem" localhost 0
run "chain: wrong name" "$BIN" chain "$T/server.pem" other.example 0x800B010F
run "chain: untrusted CA" "$BIN" chain "$T/rogue.pem" localhost 0x800B010A
run "chain: untrusted self-signed" "$BIN" chain "$T/other-ca.pem" localhost 0x800B0109
run "chain: expired" "$BIN" chain "$T/expired.pem" localhost 0x800B0101

# --- our client <-> openssl s_server --------------------------------------------------------
# s_server(args...) starts a server reading commands from fifo fd 3; sets SPORT, SPID, SLOG.
s_server() {
  SPORT=$(free_port)
  SLOG=$T/s_server.$SPORT.log
  rm -f "$T/fifo"; mkfifo "$T/fifo"
  openssl s_server -accept "$SPORT" -cert "$T/${CERT:-server}.pem" -key "$T/${CERT:-server}.key" \
    -CAfile "$T/ca.pem" "$@" < "$T/fifo" > "$SLOG" 2>&1 &
  SPID=$!
  PIDS+=("$SPID")
  exec 3>"$T/fifo"
  wait_port "$SPORT"
}
s_stop() { exec 3>&-; kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }

client_case() { # label s_server-args -- client-args
  local label=$1; shift
  local sargs=()
  while [ "$1" != "--" ]; do sargs+=("$1"); shift; done; shift
  s_server "${sargs[@]}"
  run "$label" "$BIN" client "$SPORT" "$@"
  local rc=$?
  sleep 0.2
  if [ $rc -eq 0 ] && grep -q "HANDSHAKE_OK" <<< "$LAST_OUT"; then
    grep -q "ping from schannel client" "$SLOG" && pass "$label: s_server got the data" \
      || fail "$label: s_server did not get the data"
  fi
  s_stop
}

client_case "client TLS 1.3" -tls1_3 -- localhost --tls13
client_case "client TLS 1.2" -tls1_2 -- localhost --tls12
client_case "client TLS 1.2 by IP" -tls1_2 -- 127.0.0.1 --tls12
client_case "client ALPN" -alpn http/1.1 -- localhost --alpn h2,http/1.1
grep -q "ALPN http/1.1" <<< "$LAST_OUT" && pass "client ALPN: http/1.1 selected" || fail "client ALPN: not selected"
client_case "client cert TLS 1.3" -tls1_3 -Verify 1 -- localhost --cert "$T/client.pfx"
client_case "client cert TLS 1.2" -tls1_2 -Verify 1 -- localhost --tls12 --cert "$T/client.pfx"
client_case "client cert requested, none" -tls1_2 -verify 1 -- localhost --tls12
grep -q INCOMPLETE_CREDENTIALS_SEEN <<< "$LAST_OUT" && pass "SEC_I_INCOMPLETE_CREDENTIALS" || fail "SEC_I_INCOMPLETE_CREDENTIALS not returned"
client_case "HelloRetryRequest" -tls1_3 -groups P-384 -- localhost
CERT=big client_case "certificate over 16 KB TLS 1.3" -tls1_3 -- localhost
CERT=big client_case "certificate over 16 KB TLS 1.2" -tls1_2 -- localhost --tls12
CERT=big client_case "certificate over 16 KB byte-at-a-time" -tls1_3 -- localhost --chunk 1
client_case "client byte-at-a-time TLS 1.3" -tls1_3 -- localhost --chunk 1
client_case "client byte-at-a-time TLS 1.2" -tls1_2 -- localhost --tls12 --chunk 1
client_case "target name that is no host name" -- "localhost:443" --expect SEC_E_WRONG_PRINCIPAL
client_case "wrong host name" -- wrong.example --expect SEC_E_WRONG_PRINCIPAL
grep -q ALERT_SENT <<< "$LAST_OUT" && grep -qi "alert" "$SLOG" && pass "wrong host name: alert sent to the peer" \
  || fail "wrong host name: no alert in SECBUFFER_ALERT / at the peer"
CERT=expired client_case "expired certificate" -- localhost --expect SEC_E_CERT_EXPIRED
CERT=rogue client_case "untrusted root" -- localhost --expect SEC_E_UNTRUSTED_ROOT
CERT=rogue client_case "manual validation" -- localhost --manual
client_case "TLS 1.3 only server vs TLS 1.2 client" -tls1_3 -- localhost --tls12 --expect SEC_E_ALGORITHM_MISMATCH

# Session resumption: a second connection on the same credentials (Windows' reconnect).
for v in tls1_2 tls1_3; do
  s_server -"$v" -www
  run "reconnect $v" "$BIN" reconnect "$SPORT" localhost $([ "$v" = tls1_2 ] && echo --tls12)
  s_stop
done

# KeyUpdate mid-stream, and several records in one read.
keyupdate_case() { # label s_server-args -- client-args
  local label=$1; shift
  local sargs=()
  while [ "$1" != "--" ]; do sargs+=("$1"); shift; done; shift
  s_server "${sargs[@]}"
  timeout 60 "$BIN" client "$SPORT" "$@" > "$T/kc.out" 2>&1 &
  local cpid=$!
  PIDS+=("$cpid")
  for _ in $(seq 100); do grep -q HANDSHAKE_OK "$T/kc.out" && break; sleep 0.05; done
  sleep 0.2
  printf 'before key update\n' >&3; sleep 0.3
  printf '%s\n' "${KEY:-k}" >&3; sleep 0.3
  printf 'after key update one\n' >&3
  printf 'after key update two\n' >&3; sleep 0.2
  printf 'server-done\n' >&3
  wait "$cpid"; local rc=$?
  run "$label" cat "$T/kc.out"
  [ $rc -eq 0 ] && pass "$label: client exit" || fail "$label: client exit $rc"
  sleep 0.2
  grep -q "after key update" "$SLOG" && pass "$label: s_server got data under the new key" \
    || fail "$label: s_server did not get data after KeyUpdate"
  s_stop
}
keyupdate_case "KeyUpdate TLS 1.3" -tls1_3 -- localhost --read-until server-done --want-renegotiate
KEY=K keyupdate_case "KeyUpdate requested TLS 1.3" -tls1_3 -msg -- localhost --read-until server-done --want-renegotiate
grep -q "<<< .*KeyUpdate" "$SLOG" && pass "client: KeyUpdate sent back through ISC" || fail "client: no KeyUpdate reached s_server"
keyupdate_case "KeyUpdate TLS 1.3 byte-at-a-time" -tls1_3 -- localhost --read-until server-done --want-renegotiate --chunk 1
# TLS 1.2 HelloRequest (s_server's "r"): DecryptMessage returns SEC_I_RENEGOTIATE, as Windows
# does, and our next ISC declines with a no_renegotiation warning alert (renegotiation is not
# implemented; RFC 5246 7.2.2 / RFC 5746 allow declining). Our context stays usable; OpenSSL's
# s_server chooses to end the connection when its request is declined, so this case checks the
# status and the alert on the wire only.
s_server -tls1_2 -msg
timeout 60 "$BIN" client "$SPORT" localhost --read-until server-done --want-renegotiate > "$T/hr.out" 2>&1 &
hrpid=$!
PIDS+=("$hrpid")
for _ in $(seq 100); do grep -q HANDSHAKE_OK "$T/hr.out" && break; sleep 0.05; done
sleep 0.2
printf 'r\n' >&3; sleep 0.5
printf 'server-done\n' >&3; sleep 0.3
wait "$hrpid" 2>/dev/null
grep -q "^PASS client: KeyUpdate -> SEC_I_RENEGOTIATE" "$T/hr.out" && pass "HelloRequest TLS 1.2: SEC_I_RENEGOTIATE" \
  || { fail "HelloRequest TLS 1.2: no SEC_I_RENEGOTIATE"; sed 's/^/    /' "$T/hr.out" | tail -5; }
grep -q "Alert.*warning no_renegotiation" "$SLOG" && pass "HelloRequest TLS 1.2: declined with a no_renegotiation warning" \
  || fail "HelloRequest TLS 1.2: no no_renegotiation alert reached s_server"
s_stop
keyupdate_case "several records, TLS 1.2" -tls1_2 -- localhost --tls12 --read-until server-done


# --- our server <-> openssl s_client / curl --------------------------------------------------
server_case() { # label server-args -- peer-cmd (with PORT substituted)
  local label=$1; shift
  local sargs=()
  while [ "$1" != "--" ]; do sargs+=("$1"); shift; done; shift
  local port; port=$(free_port)
  : > "$T/srv.out"
  timeout 60 "$BIN" server "$port" "$T/server.pfx" test "${sargs[@]}" > "$T/srv.out" 2>&1 &
  local spid=$!
  PIDS+=("$spid")
  for _ in $(seq 100); do grep -q LISTENING "$T/srv.out" && break; sleep 0.05; done
  local cmd=("${@//PORT/$port}")
  local out; out=$(timeout 10 "${cmd[@]}" 2>"$T/peer.err" < "${PEER_IN:-/dev/null}")
  wait "$spid"
  run "$label" cat "$T/srv.out"
  PEER_OUT=$out
}
printf 'hello server\n' > "$T/hello.txt"
for v in tls1_2 tls1_3; do
  PEER_IN=$T/hello.txt server_case "server vs s_client $v" -- openssl s_client -connect 127.0.0.1:PORT \
    -"$v" -CAfile "$T/ca.pem" -verify_return_error -verify_hostname localhost -quiet
  grep -q "echo:hello server" <<< "$PEER_OUT" && pass "server vs s_client $v: echo" \
    || { fail "server vs s_client $v: no echo"; tail -5 "$T/peer.err"; }
done
# s_client without -ign_eof sends close_notify at the end of its input.
for v in tls1_2 tls1_3; do
  PEER_IN=$T/hello.txt server_case "peer close_notify $v" --expect-close -- openssl s_client \
    -connect 127.0.0.1:PORT -"$v" -CAfile "$T/ca.pem"
done
# KeyUpdate from s_client (K: update requested, so our ASC answers with one).
for key in k K; do
  mkfifo "$T/kin.$key"
  ( printf 'hello server\n'; sleep 0.5; printf '%s\n' "$key"; sleep 0.5; printf 'after-key-update\n'; sleep 1.5 ) > "$T/kin.$key" &
  PIDS+=("$!")
  PEER_IN=$T/kin.$key server_case "server, client KeyUpdate $key" --read-until after-key-update --want-renegotiate \
    -- openssl s_client -connect 127.0.0.1:PORT -tls1_3 -CAfile "$T/ca.pem" -msg
  grep -q "echo:after-key-update" <<< "$PEER_OUT" && pass "server, client KeyUpdate $key: echo under new keys" \
    || { fail "server, client KeyUpdate $key: no echo"; tail -5 "$T/peer.err"; }
  if [ "$key" = K ]; then
    grep -q "<<< .*KeyUpdate" <<< "$PEER_OUT" && pass "server: KeyUpdate sent back through ASC" \
      || fail "server: no KeyUpdate reached s_client"
  fi
done
PEER_IN=$T/hello.txt server_case "server mutual auth" --mutual -- openssl s_client -connect 127.0.0.1:PORT \
  -CAfile "$T/ca.pem" -cert "$T/client.pem" -key "$T/client.key" -quiet
grep -q "echo:hello server" <<< "$PEER_OUT" && pass "server mutual auth: echo" || fail "server mutual auth: no echo"
if command -v curl >/dev/null; then
  server_case "server vs curl" -- curl -sS --cacert "$T/ca.pem" "https://localhost:PORT/"
  grep -q "hello from server" <<< "$PEER_OUT" && pass "server vs curl: response" \
    || { fail "server vs curl: no response"; tail -5 "$T/peer.err"; }
fi

# --- examples ------------------------------------------------------------------------------
if [ -x "$T/tls_echo_server" ] && [ -x "$T/tls_echo_client" ]; then
  port=$(free_port)
  : > "$T/ex-srv.out"
  timeout 60 "$T/tls_echo_server" "$port" "$T/server.pfx" test > "$T/ex-srv.out" 2>&1 &
  PIDS+=("$!"); espid=$!
  for _ in $(seq 100); do grep -q LISTENING "$T/ex-srv.out" && break; sleep 0.05; done
  out=$(timeout 10 "$T/tls_echo_client" localhost "$port" "hello example" 2>&1)
  wait "$espid"
  grep -q "hello example" <<< "$out" && pass "examples: echo client <-> echo server" \
    || { fail "examples: echo"; echo "$out" | tail -5; }
  # A client whose first application record comes in the same write as its Finished: the
  # server's last AcceptSecurityContext returns it as SECBUFFER_EXTRA, and the example must
  # decrypt it without waiting for more bytes.
  for v in TLS1.2 TLS1.3; do
    port=$(free_port)
    : > "$T/ex-srv.out"
    timeout 20 "$T/tls_echo_server" "$port" "$T/server.pfx" test > "$T/ex-srv.out" 2>&1 &
    PIDS+=("$!"); espid=$!
    for _ in $(seq 100); do grep -q LISTENING "$T/ex-srv.out" && break; sleep 0.05; done
    out=$(timeout 15 python3 c-tests/tls_finished_plus_data.py localhost "$port" "$T/ca.pem" "$v" "early $v" 2>&1)
    wait "$espid"
    grep -q "early $v" <<< "$out" && pass "examples: echo server, data with the $v Finished" \
      || { fail "examples: echo server, data with the $v Finished"; echo "$out" | tail -3; tail -3 "$T/ex-srv.out"; }
  done
fi

echo "schannel: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
