#!/usr/bin/env bash
# The message-path benchmark (issue #5). Builds libsecur32 (release), the raw-primitive baseline
# library libsecur32_raw.so (benches/raw: same crates, no SSPI layer) and c-tests/bench.c, makes
# Schannel's server certificate (self-signed RSA 2048, CN=localhost, target/bench/server.pfx,
# password "bench") with openssl once, runs `openssl speed -elapsed` (wall clock, as the bench) for
# MD5, RC4, AES-128-GCM and AES-256-GCM at 16 KiB, then the benchmark; prints the tables and writes
# target/bench/bench.json.
#
# usage: c-tests/bench.sh [lib.so [other-lib.so]]      (default: this build's libsecur32.so)
# env:   BENCH_SECONDS (per figure, default 0.5), BENCH_THREADS (default: online CPUs),
#        BENCH_KERBEROS=1: also Kerberos against MIT GSSAPI (starts a throw-away MIT KDC),
#        BENCH_README=1: rewrite README.md's generated performance block from this run
#        (c-tests/bench-readme.py; the printed tables are also kept in target/bench/bench.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
out=target/bench
mkdir -p "$out"
cargo build --release
cargo build --release -p secur32_raw
gcc -std=c11 -O2 -g -Wall -Wextra -Werror -Iinclude -Ic-tests -rdynamic -o "$out/bench" c-tests/bench.c -ldl -lpthread

pfx=$out/server.pfx
if [ ! -s "$pfx" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$out/server.key" -out "$out/server.pem" -days 3650 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1
  openssl pkcs12 -export -in "$out/server.pem" -inkey "$out/server.key" -out "$pfx" -passout pass:bench
fi

ecpfx=$out/server-p256.pfx
if [ ! -s "$ecpfx" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$out/server-p256.key" \
    -out "$out/server-p256.pem" -days 3650 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1
  openssl pkcs12 -export -in "$out/server-p256.pem" -inkey "$out/server-p256.key" -out "$ecpfx" -passout pass:bench
fi

# Full TLS 1.3 handshakes/s of OpenSSL itself on this machine: `openssl s_time -new` against
# `openssl s_server` on 127.0.0.1 (a random port; the server is killed by PID).
s_time() { # key-name cert key -> "N" handshakes/s or "?"
  local port pid rate secs
  secs=$(awk -v s="${BENCH_SECONDS:-0.5}" 'BEGIN { t = int(s * 4); print t < 1 ? 1 : t }')
  port=$((20000 + RANDOM % 20000))
  openssl s_server -quiet -tls1_3 -accept "127.0.0.1:$port" -cert "$2" -key "$3" -www >/dev/null 2>&1 &
  pid=$!
  sleep 0.3
  rate=$(openssl s_time -connect "127.0.0.1:$port" -new -tls1_3 -time "$secs" 2>/dev/null |
    awk '/connections in .* real seconds/ { for (i = 1; i <= NF; i++) if ($i == "connections") n = $(i - 1);
                                            for (i = 1; i <= NF; i++) if ($i == "real") t = $(i - 1) }
         END { if (t > 0) printf "%.0f", n / t; else print "?" }')
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  echo "${rate:-?}"
}

speed() { # MB/s at 16 KiB from `openssl speed -mr`: the best of 3 runs of 1 s (1 run when
           # BENCH_SECONDS < 0.1), as the bench's own figures are medians that a busy core skews less
  local runs=3 best=0 r
  awk -v s="${BENCH_SECONDS:-0.5}" 'BEGIN { exit !(s < 0.1) }' && runs=1
  for _ in $(seq $runs); do
    r=$(openssl speed -elapsed -seconds 1 -bytes 16384 -mr "$@" 2>/dev/null | awk -F: '/^\+F:/ { printf "%.1f", $4 / 1e6 }')
    [ -n "$r" ] && best=$(awk -v a="$best" -v b="$r" 'BEGIN { print (b > a ? b : a) }')
  done
  [ "$best" != 0 ] && echo "$best"
}
md5=$(speed -evp md5 || true)
rc4=$(speed -provider legacy -provider default -evp rc4 || true)
gcm=$(speed -evp aes-128-gcm || true)
gcm256=$(speed -evp aes-256-gcm || true)
echo "openssl speed (16 KiB, best of 1 s runs): md5 ${md5:-?} MB/s, rc4 ${rc4:-?} MB/s, aes-128-gcm ${gcm:-?} MB/s, aes-256-gcm ${gcm256:-?} MB/s" |
  tee "$out/bench.txt"
st_rsa=$(s_time rsa "$out/server.pem" "$out/server.key")
st_ec=$(s_time p256 "$out/server-p256.pem" "$out/server-p256.key")
echo "openssl s_server/s_time, full TLS 1.3 handshakes/s (client and server processes, loopback TCP): RSA-2048 $st_rsa, ECDSA P-256 $st_ec" |
  tee -a "$out/bench.txt"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load: $(uptime)"
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
machine="${cpu:-unknown CPU}, $(nproc) online CPUs, load average $load_before (1/5/15 min) at start"

libs=("$@")
[ ${#libs[@]} -eq 0 ] && libs=("$target/release/libsecur32.so")
args=(--json "$out/bench.json" --load "$machine" --raw "$target/release/libsecur32_raw.so" --pfx "$pfx" --pfx-pass bench
      --openssl "md5=${md5:-0},rc4=${rc4:-0},gcm=${gcm:-0},gcm256=${gcm256:-0}")
[ -n "${BENCH_SECONDS:-}" ] && args+=(--seconds "$BENCH_SECONDS")
[ -n "${BENCH_THREADS:-}" ] && args+=(--threads "$BENCH_THREADS")
"$out/bench" "${args[@]}" "${libs[@]}" | tee -a "$out/bench.txt"
# Schannel again with an ECDSA P-256 server certificate (message sizes: 1 B only), for its
# handshakes/s.
ecargs=(--raw "$target/release/libsecur32_raw.so" --pfx "$ecpfx" --pfx-pass bench --package schannel --size 1)
[ -n "${BENCH_SECONDS:-}" ] && ecargs+=(--seconds "$BENCH_SECONDS")
[ -n "${BENCH_THREADS:-}" ] && ecargs+=(--threads "$BENCH_THREADS")
echo "== Schannel with an ECDSA P-256 certificate" | tee -a "$out/bench.txt"
"$out/bench" "${ecargs[@]}" "${libs[0]}" | grep -E '^(Schannel|handshakes/s)' | tee -a "$out/bench.txt"

# Kerberos (BENCH_KERBEROS=1): against MIT GSSAPI and the raw AES-CTS + HMAC baseline, in a
# throw-away MIT KDC's environment (tests/kerberos/mit-kdc.sh, stopped by PID).
rm -f "$out/krb5.json"
if [ "${BENCH_KERBEROS:-}" = 1 ]; then
  gcc -std=c11 -O2 -g -Wall -Wextra -Werror -Iinclude -Ic-tests -o "$out/bench_krb5" c-tests/bench_krb5.c \
    -ldl -lgssapi_krb5
  kdc_dir=$(mktemp -d /tmp/secur32-bench-kdc-XXXXXX)
  if kdc_env=$(tests/kerberos/mit-kdc.sh start "$kdc_dir" --kinit); then
    kargs=(--json "$out/krb5.json" --raw "$target/release/libsecur32_raw.so")
    [ -n "${BENCH_SECONDS:-}" ] && kargs+=(--seconds "$BENCH_SECONDS")
    (eval "$kdc_env"; "$out/bench_krb5" "${kargs[@]}" "${libs[0]}") | tee -a "$out/bench.txt" || true
    tests/kerberos/mit-kdc.sh stop "$kdc_dir" >/dev/null 2>&1 || true
  else
    echo "bench: BENCH_KERBEROS=1 but the MIT KDC did not start; Kerberos not benchmarked" | tee -a "$out/bench.txt"
  fi
  rm -rf "$kdc_dir"
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/bench.txt"
if [ "${BENCH_README:-}" = 1 ]; then
  python3 c-tests/bench-readme.py "$out/bench.json" "$out/bench.txt" README.md "$out/krb5.json"
fi
