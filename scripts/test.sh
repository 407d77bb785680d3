#!/usr/bin/env bash
# The whole test suite: lints, Rust tests, the C harness, header checks, packaging, and
# interop with independent peers. CI runs exactly this (see README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
passed=0
failed=0
stage() {
  local name=$1; shift
  echo
  echo "=== $name: $*"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "=== $name FAILED"; fi
}
stage fmt cargo fmt --all -- --check
stage fmt-fuzz cargo fmt --manifest-path fuzz/Cargo.toml -- --check
stage clippy cargo clippy --all-targets -- -D warnings
stage rust-tests cargo test
cargo build --release
stage headers c-tests/header-check.sh
stage exports c-tests/exports-check.sh
stage c-harness c-tests/run.sh
stage sspap c-tests/sspap-test.sh
stage packaging c-tests/packaging-test.sh
stage examples-build c-tests/examples-build.sh
stage bench-smoke env BENCH_SECONDS=0.01 c-tests/bench.sh
stage cargo-bench-build cargo bench --no-run
[ -x tests/interop/run.sh ] && stage interop tests/interop/run.sh
[ -x c-tests/schannel-test.sh ] && stage schannel c-tests/schannel-test.sh
[ -x c-tests/kerberos-test.sh ] && stage kerberos c-tests/kerberos-test.sh
[ -x c-tests/negotiate-test.sh ] && stage negotiate c-tests/negotiate-test.sh
stage windows-wine c-tests/wine-test.sh
stage reliability scripts/reliability.sh
echo
echo "suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
