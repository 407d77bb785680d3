#!/usr/bin/env bash
# Build secur32 in release mode and install it for C and CMake consumers.
#
#   scripts/install.sh [PREFIX]          # PREFIX defaults to /usr/local
#   DESTDIR=/tmp/stage scripts/install.sh /usr   # staged install (packaging)
#
# Layout under $DESTDIR$PREFIX:
#   lib/libsecur32.so                     shared library
#   lib/libcrypt32.so                     symlink to it (the crypt32 subset Schannel code uses)
#   lib/libsecur32.a                      static library
#   include/sspi.h, include/security.h …  every header in include/
#   lib/cmake/secur32/secur32Config.cmake, secur32ConfigVersion.cmake
#   lib/pkgconfig/secur32.pc
#
# Environment:
#   DESTDIR               staging root prepended to every installed path (not to the
#                         prefix written into secur32.pc)
#   CARGO                 cargo executable (default: cargo)
#   SECUR32_NO_BUILD=1    skip `cargo build --release`; install what is already built
#   SECUR32_STATIC_LIBS   system libraries the static library needs (secur32.pc
#                         Libs.private); default is what rustc reports for Linux
set -euo pipefail

die() { echo "install.sh: $*" >&2; exit 1; }

prefix=${1:-/usr/local}
[ $# -le 1 ] || die "usage: scripts/install.sh [PREFIX]"
case $prefix in
  /*) ;;
  *) die "PREFIX must be an absolute path (got '$prefix')" ;;
esac
prefix=${prefix%/}
[ -n "$prefix" ] || prefix=/
destdir=${DESTDIR:-}
cargo=${CARGO:-cargo}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# Package version from the [package] table of Cargo.toml.
version=$(awk '
  /^\[/ { in_pkg = ($0 == "[package]") ; next }
  in_pkg && /^[ \t]*version[ \t]*=/ {
    sub(/^[^=]*=[ \t]*"/, ""); sub(/".*/, ""); print; exit
  }' Cargo.toml)
[ -n "$version" ] || die "cannot read the package version from Cargo.toml"

if [ "${SECUR32_NO_BUILD:-0}" != 1 ]; then
  echo "install.sh: cargo build --release"
  "$cargo" build --release
fi

# Where cargo put the artifacts (honours CARGO_TARGET_DIR and build.target-dir).
target_dir=$("$cargo" metadata --no-deps --format-version 1 2>/dev/null |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
[ -n "$target_dir" ] || target_dir=${CARGO_TARGET_DIR:-$root/target}
release="$target_dir/release"

shared="$release/libsecur32.so"
static="$release/libsecur32.a"
[ -f "$shared" ] || die "$shared not found (did cargo build --release succeed?)"
[ -f "$static" ] || die "$static not found (did cargo build --release succeed?)"
headers=("$root"/include/*.h)
[ -f "${headers[0]}" ] || die "no headers in $root/include"

# DT_SONAME of the shared library, if it has one.
soname=
if command -v readelf >/dev/null 2>&1; then
  soname=$(readelf -d "$shared" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
elif command -v objdump >/dev/null 2>&1; then
  soname=$(objdump -p "$shared" | awk '$1 == "SONAME" { print $2 }')
fi

# Pointer size from the ELF class byte (1 = 32-bit, 2 = 64-bit).
case $(od -An -tu1 -j4 -N1 "$shared" | tr -d ' ') in
  1) sizeof_void_p=4 ;;
  2) sizeof_void_p=8 ;;
  *) sizeof_void_p= ;;
esac

# rustc --print native-static-libs for the staticlib on Linux is
# "-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"; -lc is implied by every C driver.
static_libs=${SECUR32_STATIC_LIBS:--lgcc_s -lutil -lrt -lpthread -lm -ldl}
static_deps=$(printf '%s\n' $static_libs | sed -n 's/^-l//p' | tr '\n' ' ' | sed 's/ $//')

libdir="$destdir$prefix/lib"
incdir="$destdir$prefix/include"
cmakedir="$libdir/cmake/secur32"
pcdir="$libdir/pkgconfig"

install -d "$libdir" "$incdir" "$cmakedir" "$pcdir"

if [ -n "$soname" ] && [ "$soname" != libsecur32.so ]; then
  # Real file under its soname, plus the development symlink the linker looks for.
  install -m 0755 "$shared" "$libdir/$soname"
  ln -sfn "$soname" "$libdir/libsecur32.so"
else
  install -m 0755 "$shared" "$libdir/libsecur32.so"
fi
install -m 0644 "$static" "$libdir/libsecur32.a"
# The crypt32 subset Schannel code calls lives in libsecur32: -lcrypt32 resolves to it.
ln -sfn libsecur32.so "$libdir/libcrypt32.so"
install -m 0644 "${headers[@]}" "$incdir/"

# sed replacement text: escape \, & and the | delimiter.
esc() { printf '%s' "$1" | sed 's/[\\&|]/\\&/g'; }
subst() {
  sed -e "s|@PREFIX@|$(esc "$prefix")|g" \
      -e "s|@SECUR32_VERSION@|$(esc "$version")|g" \
      -e "s|@SECUR32_SONAME@|$(esc "$soname")|g" \
      -e "s|@SECUR32_SIZEOF_VOID_P@|$(esc "$sizeof_void_p")|g" \
      -e "s|@SECUR32_STATIC_LIBS@|$(esc "$static_libs")|g" \
      -e "s|@SECUR32_STATIC_DEPS@|$(esc "$static_deps")|g" \
      "$1" > "$2"
  chmod 0644 "$2"
}
subst cmake/secur32Config.cmake.in "$cmakedir/secur32Config.cmake"
subst cmake/secur32ConfigVersion.cmake.in "$cmakedir/secur32ConfigVersion.cmake"
subst cmake/secur32.pc.in "$pcdir/secur32.pc"

# Refresh the loader cache for the usual system prefixes (as `make install` does).
if [ -z "$destdir" ] && [ "$(id -u)" = 0 ] && command -v ldconfig >/dev/null 2>&1; then
  case $prefix in
    /usr | /usr/local) ldconfig || true ;;
  esac
fi

echo "install.sh: installed secur32 $version into $destdir$prefix"
for f in "$libdir"/libsecur32.* "$cmakedir"/*.cmake "$pcdir/secur32.pc"; do
  echo "  ${f#"$destdir"}"
done
for h in "${headers[@]}"; do
  echo "  $prefix/include/$(basename "$h")"
done
