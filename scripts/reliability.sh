#!/usr/bin/env bash
# Reliability stage (issue #6): sanitizers, races, leaks and a fuzz smoke. Called by
# scripts/test.sh after the release build; ~12 minutes on 2 cores from scratch. Each part prints its
# figures. Usage: scripts/reliability.sh [asan|tsan|valgrind|fuzz]... (default: all)
#   asan      the C harness (abi, ntlm, hostile_peer, threads, leak) built with
#             -fsanitize=address,undefined against target/release/libsecur32.so
#   tsan      c-tests/threads.c with -fsanitize=thread against a libsecur32 built with
#             -Zsanitizer=thread -Zbuild-std (nightly, rust-src), so both sides are instrumented
#   valgrind  memcheck, definite/indirect leaks fail: c-tests/leak.c (handshake + messages +
#             teardown, create/delete cycles), c-tests/hostile_peer.c and, every 101st bit,
#             c-tests/schannel_hostile.c
#   fuzz      cargo-fuzz (installed here with --locked if missing) on nightly: every target in
#             fuzz/ (NTLM parsers and messages, SecBufferDesc, Schannel handshake and records)
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
[ -f "$lib/libsecur32.so" ] || cargo build --release
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

asan() {
  local st=0
  # The Rust library itself is not instrumented here (that would need -Zbuild-std for ASan
  # too); the C side's use of every pointer the library returns or fills is.
  local ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
  local UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  export ASAN_OPTIONS UBSAN_OPTIONS
  # ASan's quarantine holds freed memory, so RSS is checked natively (valgrind part), not here.
  for p in abi ntlm hostile_peer threads leak; do
    cc_prog "asan_$p" "$p" "$lib" -fsanitize=address,undefined -fno-sanitize-recover=all || { st=1; continue; }
    echo "-- $p (ASan+UBSan)"
    SECUR32_LEAK_NO_RSS=1 SECUR32_STRESS_ROUNDS=100 "$out/asan_$p" || st=1
  done
  return $st
}

tsan() {
  local rounds=${TSAN_ROUNDS:-100}
  if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q rust-src; then
    rustup component add rust-src --toolchain nightly || true
  fi
  if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q rust-src; then
    # Degraded mode, said loudly: only the C side is instrumented.
    echo "tsan: rust-src for nightly unavailable: C side only (Rust library uninstrumented)"
    clang -std=c11 -O1 -g -fsanitize=thread -Wall -Wextra -Werror -Iinclude -Ic-tests \
      -o "$out/tsan_threads" c-tests/threads.c -L"$lib" -lsecur32 -Wl,-rpath,"$root/$lib" -lpthread || return 1
  else
    RUSTFLAGS="-Zsanitizer=thread" cargo +nightly build --release --lib -Zbuild-std \
      --target x86_64-unknown-linux-gnu --target-dir target/tsan || return 1
    local tlib=target/tsan/x86_64-unknown-linux-gnu/release rt
    # The C side is instrumented by clang and linked with the nightly toolchain's own TSan
    # runtime (Debian's clang 14 runtime lacks __tsan_memcpy & co. that current rustc emits).
    rt=$(rustc +nightly --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/lib/librustc-nightly_rt.tsan.a
    clang -std=c11 -O1 -g -fsanitize=thread -Wall -Wextra -Werror -Iinclude -Ic-tests \
      -c c-tests/threads.c -o "$out/tsan_threads.o" || return 1
    clang "$out/tsan_threads.o" -o "$out/tsan_threads" -Wl,--whole-archive "$rt" -Wl,--no-whole-archive \
      -L"$tlib" -lsecur32 -Wl,-rpath,"$root/$tlib" -lpthread -ldl -lm -lrt || return 1
  fi
  # Deletion racing in-flight calls, queries, encrypt/decrypt in both directions, new contexts
  # from credentials being freed.
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" SECUR32_STRESS_ROUNDS=$rounds "$out/tsan_threads"
}

valgrind_part() {
  local st=0
  cc_prog vg_leak leak "$lib" || return 1
  cc_prog vg_hostile_peer hostile_peer "$lib" || return 1
  local vg=(valgrind -q --suppressions=c-tests/valgrind.supp --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --error-exitcode=1)
  echo "-- leak under memcheck (10^4 create/delete cycles + full sessions)"
  SECUR32_LEAK_NO_RSS=1 "${vg[@]}" "$out/vg_leak" || st=1
  echo "-- hostile_peer under memcheck"
  "${vg[@]}" "$out/vg_hostile_peer" || st=1
  cc_prog vg_schannel_hostile schannel_hostile "$lib" || return 1
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$out/self.key" -out "$out/self.pem" -days 2 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost >/dev/null 2>&1 || return 1
  openssl pkcs12 -export -in "$out/self.pem" -inkey "$out/self.key" -out "$out/self.pfx" \
    -passout pass:test || return 1
  echo "-- schannel_hostile under memcheck (every 101st bit and cut)"
  SECUR32_HOSTILE_STRIDE=101 "${vg[@]}" "$out/vg_schannel_hostile" "$out/self.pfx" test || st=1
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
