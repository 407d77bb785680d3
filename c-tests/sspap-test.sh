#!/usr/bin/env bash
# SSP/AP plug-ins (issue #13): builds the sample package examples/toy_ssp/toy_ssp.c as a Linux
# .so (against include/ntsecpkg.h) and, from the same source, as Windows DLLs with mingw-w64
# (against mingw's own ntsecpkg.h, x86_64 and i686); builds the broken plug-ins of
# c-tests/sspap_bad.c; then runs c-tests/sspap.c through the exports: AddSecurityPackage, the
# handshake and messages of the sample, every broken plug-in, and SECUR32_PACKAGES.
# Run from anywhere after `cargo build --release`. No arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
lib=target/release
out=c-tests/out/sspap
rm -rf "$out"
mkdir -p "$out"
if ! command -v x86_64-w64-mingw32-gcc >/dev/null || ! command -v i686-w64-mingw32-gcc >/dev/null; then
    echo "installing: gcc-mingw-w64"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc-mingw-w64
fi
CFLAGS=(-std=c11 -O1 -g -Wall -Wextra -Werror)
status=0

echo "== sample package: Linux .so and Windows DLLs from examples/toy_ssp/toy_ssp.c"
gcc "${CFLAGS[@]}" -shared -fPIC -fvisibility=hidden -Iinclude -o "$out/libtoyssp.so" examples/toy_ssp/toy_ssp.c
for t in x86_64 i686; do
    "$t-w64-mingw32-gcc" "${CFLAGS[@]}" -shared -Wl,--kill-at -o "$out/toyssp-$t.dll" examples/toy_ssp/toy_ssp.c
    exports=$("$t-w64-mingw32-objdump" -p "$out/toyssp-$t.dll" | grep -cE '\] (SpLsaModeInitialize|SpUserModeInitialize)$' || true)
    if [ "$exports" -eq 2 ]; then
        echo "ok   toyssp-$t.dll exports SpLsaModeInitialize and SpUserModeInitialize"
    else
        echo "FAIL toyssp-$t.dll: entry points not exported"
        status=1
    fi
done

echo "== broken plug-ins from c-tests/sspap_bad.c"
for v in BAD_NO_ENTRY BAD_LSA_INIT BAD_SP_INIT BAD_NULL_TABLE BAD_OLD_VERSION BAD_NO_GETINFO BAD_DUP_NAME GOOD_SHORT_TABLE; do
    name=$(echo "$v" | tr 'A-Z' 'a-z')
    gcc "${CFLAGS[@]}" -shared -fPIC -fvisibility=hidden -Iinclude -D"$v" -o "$out/$name.so" c-tests/sspap_bad.c
done

gcc "${CFLAGS[@]}" -Iinclude -Ic-tests -o "$out/sspap" c-tests/sspap.c \
    -L"$lib" -lsecur32 -Wl,-rpath,"$PWD/$lib" -ldl
echo "== c-tests/sspap (AddSecurityPackage)"
log="$out/add.log"
SECUR32_LOG=info SECUR32_LOG_FILE="$log" "$out/sspap" add "$PWD/$out/libtoyssp.so" "$PWD/$out" "$log" || status=1
echo "== c-tests/sspap (SECUR32_PACKAGES)"
log="$out/env.log"
SECUR32_LOG=error SECUR32_LOG_FILE="$log" SECUR32_PACKAGES="/nonexistent/libnothing.so:$PWD/$out/libtoyssp.so" \
    "$out/sspap" env "$log" || status=1
exit $status
