#!/usr/bin/env bash
# 1. The .so exports exactly the functions the generated headers declare (the Secur32 API and
#    nothing else: no Rust symbols), and every declared function is exported; the only
#    undeclared exports are the secur32.dll exports no Windows SDK header declares either
#    (INTERNAL below).
# 2. Every function Windows' secur32.dll exports (mingw-w64's import library libsecur32.a) is
#    exported, except those another issue owns (OWNED below, listed so this passes until they
#    land). Exports beyond secur32.dll must be crypt32.dll's or kernel32.dll's (mingw-w64's
#    libcrypt32.a / libkernel32.a), or the Ex query functions Windows 8 added (LATER).
set -euo pipefail
cd "$(dirname "$0")/.."
lib=${1:-target/release/libsecur32.so}
mingw=/usr/x86_64-w64-mingw32/lib
if ! command -v x86_64-w64-mingw32-nm >/dev/null || [ ! -f "$mingw/libsecur32.a" ]; then
    echo "installing: binutils-mingw-w64-x86-64 mingw-w64-x86-64-dev"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binutils-mingw-w64-x86-64 mingw-w64-x86-64-dev
fi
# secur32.dll exports no Windows header declares (src/ffi/exports/internal.rs).
INTERNAL="CloseLsaPerformanceData CollectLsaPerformanceData CredMarshalTargetInfo
CredParseUserNameWithType CredUnmarshalTargetInfo GetSecurityUserInfo OpenLsaPerformanceData
SecCacheSspiPackages SecDeleteUserModeContext SecInitUserModeContext SeciAllocateAndSetCallFlags
SeciAllocateAndSetIPAddress SeciFreeCallContext SecpFreeMemory SecpSetIPAddress
SecpTranslateName SecpTranslateNameEx"
# Nothing is owned by another issue any more (#13 SSP/AP and #16 Digest landed).
OWNED=""
# Exported by secur32.dll since Windows 8, newer than mingw-w64's import library.
LATER="QueryContextAttributesExA QueryContextAttributesExW QueryCredentialsAttributesExA
QueryCredentialsAttributesExW"
words() { tr ' \n' '\n\n' | sed '/^$/d' | sort -u; }
dll_exports() { x86_64-w64-mingw32-nm "$mingw/$1" 2>/dev/null | awk '$2 == "T" && $3 !~ /^__/ {print $3}' | sort -u; }

declared=$(grep -hoE 'SEC_ENTRY +[A-Za-z0-9_]+\(' include/*.h | sed -E 's/SEC_ENTRY +//; s/\($//' | sort -u)
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | sort -u)
internal=$(echo "$INTERNAL" | words)
failed=0
passed=0
report() { # label, list
    if [ -n "$2" ]; then echo "$1"; echo "$2" | sed 's/^/    /'; failed=$((failed + 1)); else passed=$((passed + 1)); fi
}
report "exported but neither in the headers nor INTERNAL:" \
    "$(comm -23 <(echo "$exported") <(sort -u <(echo "$declared") <(echo "$internal")))"
report "declared but not exported:" "$(comm -23 <(echo "$declared") <(echo "$exported"))"
report "INTERNAL but not exported:" "$(comm -23 <(echo "$internal") <(echo "$exported"))"
report "INTERNAL but declared in a header:" "$(comm -12 <(echo "$internal") <(echo "$declared"))"

secur32=$(dll_exports libsecur32.a)
owned=$(echo "$OWNED" | words)
n_windows=$(echo "$secur32" | wc -l)
[ "$n_windows" -ge 100 ] || report "mingw-w64's libsecur32.a lists only $n_windows functions:" "(expected >= 100)"
report "secur32.dll exports these and we do not (mingw-w64 libsecur32.a):" \
    "$(comm -23 <(echo "$secur32") <(sort -u <(echo "$exported") <(echo "$owned")))"
report "OWNED by another issue but already exported (drop it from OWNED):" "$(comm -12 <(echo "$owned") <(echo "$exported"))"
others=$(sort -u <(dll_exports libcrypt32.a) <(dll_exports libkernel32.a) <(echo "$LATER" | words))
report "exported but not a secur32/crypt32/kernel32 export:" \
    "$(comm -23 <(echo "$exported") <(sort -u <(echo "$secur32") <(echo "$others")))"
n=$(echo "$exported" | wc -l)
n_owned=$(echo "$owned" | wc -l)
echo "exports: $n functions ($n_windows in secur32.dll)"
echo "exports: $passed passed, $failed failed"
[ $failed -eq 0 ]
