#!/usr/bin/env bash
# Packaging test: install secur32 into a temporary prefix with scripts/install.sh, then build
# and run the tiny C consumer in c-tests/consumer/ through
#   - find_package(secur32) (CMake), against the shared and the static library,
#   - pkg-config --cflags --libs secur32 (shared),
#   - pkg-config --static --libs secur32 (static, libsecur32.a),
# and check the CMake version file and a DESTDIR-staged, relocated install.
#
# Run from the repository root:  c-tests/packaging-test.sh
# Installs cmake, pkg-config, make, a C compiler and binutils with apt-get when missing.
# KEEP_TMP=1 keeps the temporary directory (logs, prefix, build trees) for inspection.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# --- tools ------------------------------------------------------------------------------
missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v "${CC:-cc}" >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v readelf >/dev/null 2>&1 || missing+=(binutils)
if [ ${#missing[@]} -gt 0 ]; then
  echo "packaging: installing ${missing[*]}"
  sudo=
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
cc=${CC:-cc}

# --- scratch space ----------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/secur32-packaging.XXXXXX")
cleanup() {
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "packaging: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
prefix="$tmp/prefix"
logs="$tmp/logs"
mkdir -p "$logs"
consumer="$root/c-tests/consumer"

version=$(awk '
  /^\[/ { in_pkg = ($0 == "[package]") ; next }
  in_pkg && /^[ \t]*version[ \t]*=/ { sub(/^[^=]*=[ \t]*"/, ""); sub(/".*/, ""); print; exit }
' Cargo.toml)

passed=0
failed=0
# step NAME COMMAND...: run COMMAND with its output in $logs/NAME.log; count the result.
step() {
  local name=$1
  shift
  local log="$logs/$name.log"
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name (log follows)"
    sed 's/^/    | /' "$log" | tail -n 60
  fi
}

# Dynamic entries of an ELF file: DT_NEEDED names and RPATH/RUNPATH.
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p'; }
has_rpath() { readelf -d "$1" | grep -Eq '\((RPATH|RUNPATH)\)'; }

# run_shared EXE: runs a consumer linked against libsecur32.so that must load the
# installed copy. Without an RPATH, LD_LIBRARY_PATH points at LIBDIR.
run_shared() {
  local exe=$1 libdir=$2
  needed "$exe" | grep -qx 'libsecur32.so' ||
    { echo "$exe does not record DT_NEEDED libsecur32.so:"; needed "$exe"; return 1; }
  if has_rpath "$exe"; then
    env -u LD_LIBRARY_PATH "$exe"
  else
    LD_LIBRARY_PATH="$libdir" "$exe"
  fi
}

# run_static EXE: runs a consumer linked against libsecur32.a; it must not need the .so, and
# its stack must not be executable (GNU_STACK without E: every object of the archive carries
# .note.GNU-stack; md5-asm's assembly object did not).
run_static() {
  local exe=$1
  if needed "$exe" | grep -q 'secur32'; then
    echo "$exe depends on a shared secur32:"; needed "$exe"; return 1
  fi
  local stack
  stack=$(readelf -lW "$exe" | awk '$1 == "GNU_STACK" {print $7}')
  echo "GNU_STACK flags: $stack"
  case "$stack" in
    *E*) echo "$exe has an executable stack"; return 1 ;;
    RW) ;;
    *) echo "$exe: no GNU_STACK header"; return 1 ;;
  esac
  env -u LD_LIBRARY_PATH "$exe"
}

# --- install ----------------------------------------------------------------------------
step install scripts/install.sh "$prefix"

check_layout() {
  local p=$1 f
  for f in lib/libsecur32.so lib/libsecur32.a include/sspi.h include/security.h \
           lib/cmake/secur32/secur32Config.cmake \
           lib/cmake/secur32/secur32ConfigVersion.cmake lib/pkgconfig/secur32.pc; do
    [ -e "$p/$f" ] || { echo "missing $p/$f"; return 1; }
    echo "present $f"
  done
  for f in include/*.h; do
    cmp "$f" "$p/include/$(basename "$f")" || return 1
  done
  if grep -rn '@[A-Z0-9_]*@' "$p/lib/cmake/secur32" "$p/lib/pkgconfig"; then
    echo "unsubstituted placeholder"; return 1
  fi
}
step layout check_layout "$prefix"

# --- pkg-config -------------------------------------------------------------------------
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"

pc_metadata() {
  local v
  v=$(pkg-config --modversion secur32)
  echo "modversion $v"
  [ "$v" = "$version" ] || { echo "expected $version"; return 1; }
  pkg-config --exists "secur32 >= $version" || return 1
  echo "cflags: $(pkg-config --cflags secur32)"
  echo "libs: $(pkg-config --libs secur32)"
  echo "static libs: $(pkg-config --static --libs secur32)"
  [ "$(pkg-config --variable=prefix secur32)" = "$prefix" ] || return 1
  pkg-config --cflags secur32 | grep -qF -- "-I$prefix/include" || return 1
  pkg-config --libs secur32 | grep -qF -- "-L$prefix/lib" || return 1
  pkg-config --static --libs secur32 | grep -qF -- '-lpthread' || return 1
}
step pkgconfig-metadata pc_metadata

pc_shared() {
  # shellcheck disable=SC2046
  "$cc" -Wall -Wextra -Werror -o "$tmp/consumer-pc" "$consumer/main.c" \
    $(pkg-config --cflags --libs secur32) || return 1
  run_shared "$tmp/consumer-pc" "$prefix/lib"
}
step pkgconfig-shared pc_shared

crypt32_link() {
  # Schannel code links -lsecur32 -lcrypt32; the crypt32 subset is in libsecur32.
  cat > "$tmp/crypt32.c" <<'C'
#define SECURITY_WIN32
#include <wincrypt.h>
#include <stdio.h>
int main(void) {
  HCERTSTORE s = CertOpenStore(CERT_STORE_PROV_MEMORY, 0, 0, 0, NULL);
  if (!s) return 1;
  printf("CertOpenStore(memory) ok\n");
  return CertCloseStore(s, 0) ? 0 : 1;
}
C
  # shellcheck disable=SC2046
  "$cc" -Wall -Wextra -Werror -o "$tmp/crypt32" "$tmp/crypt32.c" \
    $(pkg-config --cflags secur32) -L"$prefix/lib" -lcrypt32 || return 1
  # DT_NEEDED is libcrypt32.so, the installed symlink to libsecur32.so.
  LD_LIBRARY_PATH="$prefix/lib" "$tmp/crypt32"
}
step crypt32-link crypt32_link

pc_static() {
  # libsecur32.so and libsecur32.a sit side by side and -lsecur32 prefers the .so, so ask
  # the linker for the archive by file name (GNU ld -l:NAME).
  local libs
  libs=$(pkg-config --static --libs secur32 | sed 's/-lsecur32\b/-l:libsecur32.a/')
  echo "libs: $libs"
  # shellcheck disable=SC2086
  "$cc" -Wall -Wextra -Werror -o "$tmp/consumer-pc-static" "$consumer/main.c" \
    $(pkg-config --cflags secur32) $libs 2>"$tmp/static-link.log" || { cat "$tmp/static-link.log"; return 1; }
  # The static link is silent: no linker warning (e.g. "missing .note.GNU-stack section").
  if [ -s "$tmp/static-link.log" ]; then
    echo "static link printed:"; cat "$tmp/static-link.log"; return 1
  fi
  run_static "$tmp/consumer-pc-static"
}
step pkgconfig-static pc_static

# --- CMake ------------------------------------------------------------------------------
cmake_consumer() {
  local p=$1 build=$2
  cmake -S "$consumer" -B "$build" -DCMAKE_PREFIX_PATH="$p" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS="-Wall -Wextra -Werror"
  cmake --build "$build" --verbose
}
cmake_shared() {
  local p=$1 build=$2
  cmake_consumer "$p" "$build" || return 1
  run_shared "$build/consumer" "$p/lib"
}
cmake_static() {
  local build=$1
  [ -x "$build/consumer_static" ] || { echo "consumer_static was not built"; return 1; }
  run_static "$build/consumer_static"
}
step cmake-find-package-shared cmake_shared "$prefix" "$tmp/build-cmake"
step cmake-find-package-static cmake_static "$tmp/build-cmake"

# find_package(secur32 <request>) against the installed version: SameMajorVersion.
cmake_version() {
  local request=$1 expect=$2 dir="$tmp/version-$1-$2"
  mkdir -p "$dir"
  cat >"$dir/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.13)
project(secur32_version_probe NONE)
find_package(secur32 $request)
if(NOT secur32_FOUND)
  message(FATAL_ERROR "secur32 $request not found")
endif()
message(STATUS "secur32 \${secur32_VERSION} satisfies $request")
CMAKE
  if cmake -S "$dir" -B "$dir/build" -DCMAKE_PREFIX_PATH="$prefix"; then
    [ "$expect" = accept ]
  else
    [ "$expect" = reject ]
  fi
}
major=${version%%.*}
minor=${version#*.}; minor=${minor%%.*}
step cmake-version-exact cmake_version "$version EXACT" accept
step cmake-version-older-request cmake_version "$major.0" accept
step cmake-version-newer-minor cmake_version "$major.$((minor + 1))" reject
step cmake-version-next-major cmake_version "$((major + 1)).0" reject

# --- DESTDIR staging and relocation ------------------------------------------------------
# A staged install writes the final prefix into secur32.pc, and the CMake package finds
# its files relative to itself, so it works from the staging tree too.
stage="$tmp/stage"
step destdir-install env DESTDIR="$stage" SECUR32_NO_BUILD=1 scripts/install.sh /opt/secur32
destdir_checks() {
  check_layout "$stage/opt/secur32" || return 1
  [ ! -e /opt/secur32/lib/pkgconfig/secur32.pc ] || echo "(note: /opt/secur32 exists)"
  grep -qx 'prefix=/opt/secur32' "$stage/opt/secur32/lib/pkgconfig/secur32.pc"
}
step destdir-layout destdir_checks
step destdir-cmake-relocated cmake_shared "$stage/opt/secur32" "$tmp/build-staged"

echo "packaging: $passed passed, $failed failed"
[ "$failed" = 0 ]
