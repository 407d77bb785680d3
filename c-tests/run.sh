#!/usr/bin/env bash
# Builds the C harness programs against include/ and target/release/libsecur32.so exactly as a
# user would (-Wall -Wextra -Werror), and runs each. -rdynamic lets alloc.c's malloc interposer
# (c-tests/alloc_count.h) take the library's allocations. Usage: c-tests/run.sh [program...]
set -euo pipefail
cd "$(dirname "$0")/.."
out=c-tests/out
mkdir -p "$out"
lib=target/release
progs=("$@")
if [ ${#progs[@]} -eq 0 ]; then
  progs=(abi)
  for f in c-tests/ntlm.c c-tests/digest.c c-tests/compat.c c-tests/hostile_peer.c c-tests/threads.c c-tests/leak.c c-tests/alloc.c; do [ -f "$f" ] && progs+=("$(basename "$f" .c)"); done
fi
status=0
for p in "${progs[@]}"; do
  gcc -std=c11 -O1 -g -Wall -Wextra -Werror -Iinclude -Ic-tests -rdynamic -o "$out/$p" "c-tests/$p.c" \
    -L"$lib" -lsecur32 -Wl,-rpath,"$PWD/$lib" -lpthread
  echo "== c-tests/$p"
  if ! "$out/$p"; then status=1; fi
done
exit $status
