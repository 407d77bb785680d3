#!/usr/bin/env bash
# The message-path benchmark (issue #5). Builds libsecur32 (release), the raw-primitive baseline
# library libsecur32_raw.so (benches/raw: same crates, no SSPI layer) and c-tests/bench.c, makes
# Schannel's server certificate (self-signed RSA 2048, CN=localhost, target/bench/server.pfx,
# password "bench") with openssl once, runs `openssl speed -elapsed` (wall clock, as the bench) for
# MD5, RC4, AES-128-GCM and AES-256-GCM at 16 KiB, then the benchmark; prints the tables and writes
# target/bench/bench.json.
#
# usage: c-tests/bench.sh [lib.so [other-lib.so]]      (default: this build's libsecur32.so)
# env:   BENCH_SECONDS (per figure, default 0.5), BENCH_THREADS (default: online CPUs)
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

speed() { # MB/s at 16 KiB from `openssl speed -mr`
  openssl speed -elapsed -seconds 1 -bytes 16384 -mr "$@" 2>/dev/null | awk -F: '/^\+F:/ { printf "%.1f", $4 / 1e6 }'
}
md5=$(speed -evp md5 || true)
rc4=$(speed -provider legacy -provider default -evp rc4 || true)
gcm=$(speed -evp aes-128-gcm || true)
gcm256=$(speed -evp aes-256-gcm || true)
echo "openssl speed (16 KiB, 1 s each): md5 ${md5:-?} MB/s, rc4 ${rc4:-?} MB/s, aes-128-gcm ${gcm:-?} MB/s, aes-256-gcm ${gcm256:-?} MB/s"
echo "load: $(uptime)"

libs=("$@")
[ ${#libs[@]} -eq 0 ] && libs=("$target/release/libsecur32.so")
args=(--json "$out/bench.json" --raw "$target/release/libsecur32_raw.so" --pfx "$pfx" --pfx-pass bench
      --openssl "md5=${md5:-0},rc4=${rc4:-0},gcm=${gcm:-0},gcm256=${gcm256:-0}")
[ -n "${BENCH_SECONDS:-}" ] && args+=(--seconds "$BENCH_SECONDS")
[ -n "${BENCH_THREADS:-}" ] && args+=(--threads "$BENCH_THREADS")
"$out/bench" "${args[@]}" "${libs[@]}"
