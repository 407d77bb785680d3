#!/usr/bin/env bash
# Runs tests/kerberos_kdc.rs (AS/TGS exchanges of src/packages/kerberos/kdc) against a real KDC:
#   tests/kerberos/kdc-tests.sh [mit|samba] [cargo test args...]
# Starts the throw-away KDC (mit-kdc.sh / samba-kdc.sh) in a temp dir, stops it by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
kind=${1:-mit}; shift || true
D=$(mktemp -d "/tmp/secur32-kdc-$kind.XXXXXX")
trap 'tests/kerberos/'"$kind"'-kdc.sh stop "$D" >/dev/null 2>&1 || true; rm -rf "$D"' EXIT
eval "$(tests/kerberos/"$kind"-kdc.sh start "$D")"
cargo test --test kerberos_kdc "$@"
