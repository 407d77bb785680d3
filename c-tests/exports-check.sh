#!/usr/bin/env bash
# The .so exports exactly the functions the generated headers declare: the Secur32 API and
# nothing else (no Rust symbols), and every declared function is exported.
set -euo pipefail
cd "$(dirname "$0")/.."
lib=${1:-target/release/libsecur32.so}
declared=$(grep -hoE 'SEC_ENTRY +[A-Za-z0-9_]+\(' include/*.h | sed -E 's/SEC_ENTRY +//; s/\($//' | sort -u)
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | sort -u)
extra=$(comm -13 <(echo "$declared") <(echo "$exported"))
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
failed=0
if [ -n "$extra" ]; then echo "exported but not in the headers:"; echo "$extra"; failed=1; fi
if [ -n "$missing" ]; then echo "declared but not exported:"; echo "$missing"; failed=1; fi
n=$(echo "$exported" | wc -l)
if [ $failed -eq 0 ]; then echo "exports: $n passed, 0 failed"; else echo "exports: 0 passed, 1 failed"; fi
exit $failed
