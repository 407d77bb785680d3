#!/usr/bin/env bash
# Every build line a newcomer reads works as written after `cargo build --release`: the
# README's C build line (built and run) and the one in each examples/*.c header comment
# (including -lcrypt32, which resolves through the libcrypt32 link build.rs makes).
# Usage: c-tests/examples-build.sh   (after cargo build --release)
set -uo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
run() { # label, command line (as written; $PWD expands here)
  local label=$1 line=$2
  if (cd "$tmp/src" && eval "$line" -o "$tmp/$label") >"$tmp/$label.log" 2>&1; then
    pass=$((pass + 1)); echo "ok   $label: $line"
  else
    fail=$((fail + 1)); echo "FAIL $label: $line"; sed 's/^/    /' "$tmp/$label.log" | head -20
  fi
}
# The lines are written for the repository root: run them there, through a link.
mkdir -p "$tmp/src"
for f in include examples target; do ln -s "$PWD/$f" "$tmp/src/$f"; done
export PWD_REPO=$PWD
for f in examples/*.c; do
  # The comment's build command: from "gcc" to the end of the comment, continuation lines joined.
  line=$(head -30 "$f" | awk '
    /gcc / && !done { on = 1; sub(/.*gcc /, "gcc ") }
    on { l = $0; sub(/^ *\*? */, "", l); sub(/ *\*\/ *$/, "", l); end = ($0 ~ /\*\//);
         cont = (l ~ /\\$/); sub(/ *\\$/, "", l); out = out " " l;
         if (!cont || end) { on = 0; done = 1 } }
    END { print out }')
  [ -n "$line" ] || { fail=$((fail + 1)); echo "FAIL $f: no build line in its header comment"; continue; }
  run "$(basename "$f" .c)" "${line//\$PWD/$PWD_REPO}"
done
# README: the line under "Using it from C", built and run (it must find the library by itself).
readme=$(awk '/^## Using it from C/ {s = 1} s && /^gcc app.c/ {print; exit}' README.md)
cat >"$tmp/src/app.c" <<'C'
#define SECURITY_WIN32
#include <security.h>
int main(void) {
  ULONG n = 0;
  PSecPkgInfoA p = NULL;
  if (EnumerateSecurityPackagesA(&n, &p) != SEC_E_OK || n == 0) return 1;
  FreeContextBuffer(p);
  return 0;
}
C
run readme "${readme//\$PWD/$PWD_REPO}"
if [ -x "$tmp/readme" ] && env -u LD_LIBRARY_PATH "$tmp/readme"; then
  pass=$((pass + 1)); echo "ok   readme program runs without LD_LIBRARY_PATH"
else
  fail=$((fail + 1)); echo "FAIL readme program does not run"
fi
echo "examples-build: $pass passed, $fail failed"
[ $fail -eq 0 ]
