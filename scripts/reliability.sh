#!/usr/bin/env bash
# Reliability stage (issue #6): sanitizers, races, leaks and a fuzz smoke. Called by
# scripts/test.sh after the release build; ~15 minutes on 2 cores from scratch. Each part prints its
# figures. Usage: scripts/reliability.sh [asan|tsan|valgrind|fuzz]... (default: all)
#   asan      the C harness (abi, ntlm, hostile_peer, threads, leak, schannel loopback,
#             schannel_hostile; kerberos and, every 7th bit, kerberos_hostile against a
#             throw-away MIT KDC) with
#             -fsanitize=address,undefined against a libsecur32 built with -Zsanitizer=address
#             -Zbuild-std (nightly, rust-src): ASan and LeakSanitizer on both sides, UBSan on the C side
#   tsan      c-tests/threads.c and schannel loopback (encrypt || decrypt on one context)
#             with -fsanitize=thread against a libsecur32 built with
#             -Zsanitizer=thread -Zbuild-std (nightly, rust-src), so both sides are instrumented
#   valgrind  memcheck, definite/indirect leaks fail: c-tests/leak.c (handshake + messages +
#             teardown, create/delete cycles), c-tests/hostile_peer.c and, every 101st bit,
#             c-tests/schannel_hostile.c, c-tests/kerberos.c and, every 31st bit,
#             c-tests/kerberos_hostile.c against a throw-away MIT KDC (tests/kerberos/mit-kdc.sh;
#             skipped loudly when it cannot start, a failure under CI=true)
#             (valgrind.supp: one ring/rustls false positive)
#   fuzz      cargo-fuzz (installed here with --locked if missing) on nightly: every target in
#             fuzz/ (NTLM parsers and messages, SecBufferDesc, Schannel handshake and records,
#             Kerberos messages, wrap and MIC tokens, AP-REQ/AP-REP through ASC/ISC
#             (kerberos_accept, keys in fuzz/testdata/krb5), ccache/keytab/krb5.conf files)
#             for FUZZ_SECONDS (default 20) seconds from its committed corpus, optimized with
#             debug assertions (dependencies' too: rustls asserts on misuse)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(asan tsan valgrind fuzz)
out=c-tests/out/rel
mkdir -p "$out"
lib=target/release
release_lib() { [ -f "$lib/libsecur32.so" ] || cargo build --release; }
passed=0
failed=0
part() {
  local name=$1; shift
  echo
  echo "=== reliability/$name"
  local t0=$SECONDS
  if "$@"; then passed=$((passed + 1)); echo "=== reliability/$name ok ($((SECONDS - t0)) s)"
  else failed=$((failed + 1)); echo "=== reliability/$name FAILED ($((SECONDS - t0)) s)"; fi
}
cc_prog() { # cc_prog NAME SRC LIBDIR EXTRA-FLAGS...
  local name=$1 src=$2 libdir=$3; shift 3
  "${CC_REL:-gcc}" -std=c11 -O1 -g -fno-omit-frame-pointer -Wall -Wextra -Werror -Iinclude -Ic-tests \
    -o "$out/$name" "c-tests/$src.c" "$@" -L"$libdir" -lsecur32 -Wl,-rpath,"$root/$libdir" -lpthread
}

step() { # step LABEL CMD...: runs CMD and prints its time
  local label=$1 t0=$SECONDS st=0; shift
  echo "-- $label"
  "$@" || st=$?
  echo "-- $label: $((SECONDS - t0)) s$([ $st -eq 0 ] || echo ", FAILED")"
  return $st
}

have_rust_src() { rustup component list --toolchain nightly --installed 2>/dev/null | grep -q rust-src; }

# rust_san DIR SANITIZER: libsecur32 built with -Zsanitizer=SANITIZER -Zbuild-std (nightly,
# rust-src) into target/DIR; sets san_lib to it and san_rt to the nightly toolchain's runtime
# (librustc-nightly_rt.DIR.a). Without rust-src for nightly: the release library, san_rt empty.
rust_san() {
  local dir=$1 sanitizer=$2
  have_rust_src || rustup component add rust-src --toolchain nightly || true
  if ! have_rust_src; then
    # Degraded mode, said loudly: only the C side is instrumented.
    echo "$dir: WARNING: rust-src for nightly unavailable: C side only (Rust library uninstrumented)"
    release_lib || return 1
    san_lib=$lib san_rt=
    return 0
  fi
  step "libsecur32 with -Zsanitizer=$sanitizer -Zbuild-std" env RUSTFLAGS="-Zsanitizer=$sanitizer" \
    cargo +nightly build --release --lib -Zbuild-std --target x86_64-unknown-linux-gnu \
    --target-dir "target/$dir" || return 1
  san_lib=target/$dir/x86_64-unknown-linux-gnu/release
  san_rt=$(rustc +nightly --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/lib/librustc-nightly_rt.$dir.a
}

# san_prog NAME SRC FLAGS...: c-tests/SRC.c compiled by clang with FLAGS, linked against
# $san_lib/libsecur32.so. One runtime per process: the nightly toolchain's, whole, in the
# executable, as rustc links it (Debian's clang 14 runtime lacks symbols current rustc emits);
# its ASan runtime carries the UBSan handlers, as clang's does. ld exports what the library
# takes from it (__asan_*/__tsan_*, malloc & co.) without -rdynamic. Degraded: clang's runtime.
san_prog() {
  local name=$1 src=$2; shift 2
  local rt=("$@")
  [ -n "$san_rt" ] && rt=(-Wl,--whole-archive "$san_rt" -Wl,--no-whole-archive)
  clang -std=c11 -O1 -g -fno-omit-frame-pointer "$@" -Wall -Wextra -Werror -Iinclude -Ic-tests \
    -c "c-tests/$src.c" -o "$out/$name.o" &&
  clang "$out/$name.o" -o "$out/$name" "${rt[@]}" -L"$san_lib" -lsecur32 \
    -Wl,-rpath,"$root/$san_lib" -lpthread -ldl -lm -lrt
}

# A throwaway CA and localhost server certificate (PFX, password "test") in DIR, as
# c-tests/schannel-test.sh makes them.
test_pfx() {
  local d=$1
  mkdir -p "$d" && cd "$d" &&
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=Test CA" &&
  openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost" &&
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' > server.ext &&
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
    -out server.pem -extfile server.ext &&
  openssl pkcs12 -export -in server.pem -inkey server.key -certfile ca.pem -out server.pfx -passout pass:test
} >/dev/null 2>&1

# with_mit_kdc CMD...: CMD with a throw-away MIT KDC's variables (tests/kerberos/mit-kdc.sh,
# user1's TGT in KRB5CCNAME) and the KT_* ones c-tests/kerberos.c reads; the KDC is stopped by
# PID afterwards. A KDC that cannot start is skipped loudly (a failure under CI=true).
with_mit_kdc() {
  local dir env_lines st=0
  dir=$(mktemp -d /tmp/secur32-kdc-rel-XXXXXX)
  if ! env_lines=$(tests/kerberos/mit-kdc.sh start "$dir" --kinit); then
    rm -rf "$dir"
    if [ "${CI:-}" = "true" ]; then echo "kerberos: FAIL: the MIT KDC did not start (CI=true)"; return 1; fi
    echo "!!! kerberos: SKIPPING $*: the MIT KDC did not start"
    return 0
  fi
  (
    eval "$env_lines"
    export KT_REALM=$REALM KT_USER=$USER1 KT_PASS=$USER1_PASSWORD KT_SPN=$SERVICE
    "$@"
  ) || st=1
  tests/kerberos/mit-kdc.sh stop "$dir" >/dev/null 2>&1
  rm -rf "$dir"
  return $st
}

loopback() { # loopback NAME CERTDIR: the schannel harness's in-process mode, log in NAME.log
  env -u SSL_CERT_DIR SSL_CERT_FILE="$2/ca.pem" "$out/$1" loopback "$2/server.pfx" test \
    > "$out/$1.log" 2>&1
}

asan() {
  local st=0 p san_lib san_rt
  rust_san asan address || return 1
  local ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
  local UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  export ASAN_OPTIONS UBSAN_OPTIONS
  local flags=(-fsanitize=address,undefined -fno-sanitize-recover=all)
  # ASan's quarantine holds freed memory, so RSS is checked natively (valgrind part), not here.
  for p in abi ntlm hostile_peer threads leak; do
    san_prog "asan_$p" "$p" "${flags[@]}" || { st=1; continue; }
    SECUR32_LEAK_NO_RSS=1 SECUR32_STRESS_ROUNDS=100 step "$p (ASan+UBSan)" "$out/asan_$p" || st=1
  done
  # Schannel in-process client <-> server (its malloc counter is left out under ASan).
  local d=$out/asan_certs
  rm -rf "$d"
  if ! (test_pfx "$d"); then
    echo "schannel: test certificates (openssl) failed"; st=1
  elif ! san_prog asan_schannel schannel "${flags[@]}"; then
    st=1
  elif step "schannel loopback (ASan+UBSan)" loopback asan_schannel "$d"; then
    echo "schannel loopback: $(grep -c '^PASS' "$out/asan_schannel.log") passed, 0 failed"
  else
    grep -v '^PASS' "$out/asan_schannel.log" | tail -60; st=1
  fi
  # Schannel hostile peer: every bit flip and cut.
  if san_prog asan_schannel_hostile schannel_hostile "${flags[@]}"; then
    step "schannel_hostile (ASan+UBSan)" \
      "$out/asan_schannel_hostile" "$d/server.pfx" test || st=1
  else
    st=1
  fi
  # Kerberos against a throw-away MIT KDC: the harness, then every 7th bit and cut of the
  # handshake legs and message tokens.
  if san_prog asan_kerberos kerberos "${flags[@]}" && san_prog asan_kerberos_hostile kerberos_hostile "${flags[@]}"; then
    step "kerberos + kerberos_hostile (ASan+UBSan, MIT KDC)" with_mit_kdc \
      sh -c "'$out/asan_kerberos' && SECUR32_HOSTILE_STRIDE=7 KT_LABEL=asan '$out/asan_kerberos_hostile'" || st=1
  else
    st=1
  fi
  return $st
}

tsan() {
  local rounds=${TSAN_ROUNDS:-100} san_lib san_rt
  rust_san tsan thread || return 1
  san_prog tsan_threads threads -fsanitize=thread || return 1
  # Deletion racing in-flight calls, queries, encrypt/decrypt in both directions, new contexts
  # from credentials being freed.
  local TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
  export TSAN_OPTIONS
  SECUR32_STRESS_ROUNDS=$rounds step "threads (TSan, $rounds rounds)" "$out/tsan_threads" || return 1
  # Schannel in process, with EncryptMessage and DecryptMessage on one context from two threads.
  local d=$out/tsan_certs
  rm -rf "$d"
  (test_pfx "$d") || { echo "schannel: test certificates (openssl) failed"; return 1; }
  san_prog tsan_schannel schannel -fsanitize=thread || return 1
  if step "schannel loopback (TSan)" loopback tsan_schannel "$d"; then
    echo "schannel loopback: $(grep -c '^PASS' "$out/tsan_schannel.log") passed, 0 failed"
  else
    grep -v '^PASS' "$out/tsan_schannel.log" | tail -60
    return 1
  fi
}

valgrind_part() {
  local st=0
  release_lib || return 1
  cc_prog vg_leak leak "$lib" || return 1
  cc_prog vg_hostile_peer hostile_peer "$lib" || return 1
  local vg=(valgrind -q --suppressions=c-tests/valgrind.supp --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --error-exitcode=1)
  echo "-- leak under memcheck (10^4 create/delete cycles + full sessions)"
  SECUR32_LEAK_NO_RSS=1 "${vg[@]}" "$out/vg_leak" || st=1
  echo "-- hostile_peer under memcheck"
  "${vg[@]}" "$out/vg_hostile_peer" || st=1
  cc_prog vg_schannel_hostile schannel_hostile "$lib" || return 1
  rm -rf "$out/vg_certs"
  (test_pfx "$out/vg_certs") || return 1
  echo "-- schannel_hostile under memcheck (every 101st bit and cut)"
  SECUR32_HOSTILE_STRIDE=101 "${vg[@]}" "$out/vg_schannel_hostile" "$out/vg_certs/server.pfx" test || st=1
  cc_prog vg_kerberos kerberos "$lib" || return 1
  cc_prog vg_kerberos_hostile kerberos_hostile "$lib" || return 1
  echo "-- kerberos and kerberos_hostile (every 31st bit and cut) under memcheck, MIT KDC"
  with_mit_kdc sh -c "$(printf '%q ' "${vg[@]}") '$out/vg_kerberos' &&
    SECUR32_HOSTILE_STRIDE=31 KT_LABEL=valgrind $(printf '%q ' "${vg[@]}") '$out/vg_kerberos_hostile'" || st=1
  echo "-- leak natively (RSS flat)"
  "$out/vg_leak" || st=1
  return $st
}

fuzz() {
  if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
  fi
  local secs=${FUZZ_SECONDS:-20} st=0
  (cd fuzz && cargo +nightly fuzz build) || return 1
  for t in $(cd fuzz && cargo +nightly fuzz list); do
    echo "-- fuzz $t (${secs} s)"
    mkdir -p "fuzz/corpus/$t"
    # Fresh inputs go to a scratch directory; the committed corpus is only read.
    local scratch
    scratch=$(mktemp -d)
    if (cd fuzz && cargo +nightly fuzz run "$t" "$scratch" "corpus/$t" -- \
      -max_total_time="$secs" -print_final_stats=1) > "$out/fuzz_$t.log" 2>&1; then
      grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$out/fuzz_$t.log" || true
    else
      tail -40 "$out/fuzz_$t.log"
      echo "fuzz $t: FAILED (artifacts in fuzz/artifacts/$t)"
      st=1
    fi
    rm -rf "$scratch"
  done
  return $st
}

for p in "${parts[@]}"; do
  case $p in
    asan) part asan asan ;;
    tsan) part tsan tsan ;;
    valgrind) part valgrind valgrind_part ;;
    fuzz) part fuzz fuzz ;;
    *) echo "unknown part $p"; exit 2 ;;
  esac
done
echo
echo "reliability: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
