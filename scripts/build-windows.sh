#!/usr/bin/env bash
# Builds secur32.dll for Windows from the same source as libsecur32.so, with mingw-w64:
#   target/windows/<arch>/secur32.dll          the DLL (undecorated SEC_ENTRY exports)
#   target/windows/<arch>/libsecur32.dll.a     import library for mingw (gcc -lsecur32)
#   target/windows/<arch>/secur32.lib          import library for MSVC link.exe (llvm-dlltool)
#   target/windows/<arch>/secur32.def          the export list (.def)
#   target/windows/<arch>/wine/bcryptprimitives.dll
#                                              Wine-only stand-in (see windows/bcryptprimitives.c)
# <arch> is x86_64 and i686. On i686 the exports are undecorated (EncryptMessage) as in
# Windows' secur32.dll, and the import libraries map the stdcall names callers import
# (_EncryptMessage@16) onto them (.def + dlltool --kill-at).
# Installs the rustup targets and mingw-w64 when missing. Usage:
#   scripts/build-windows.sh [x86_64|i686]...      (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(x86_64 i686)

if ! command -v x86_64-w64-mingw32-gcc >/dev/null || ! command -v i686-w64-mingw32-gcc >/dev/null; then
  echo "build-windows: installing gcc-mingw-w64"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq gcc-mingw-w64 binutils-mingw-w64 >/dev/null
fi
installed=$(rustup target list --installed)
for a in "${archs[@]}"; do
  t=$a-pc-windows-gnu
  grep -qx "$t" <<<"$installed" || rustup target add "$t"
done

for a in "${archs[@]}"; do
  t=$a-pc-windows-gnu
  cross=$a-w64-mingw32
  rel=target/$t/release
  out=target/windows/$a
  mkdir -p "$out/wine"
  echo "build-windows: cargo build --release --target $t"
  cargo build --release --target "$t"
  # Without the DWARF (debug = 1 in the release profile): 35 MB → a few MB.
  "$cross-strip" --strip-debug -o "$out/secur32.dll" "$rel/secur32.dll"
  # The export list, from the DLL itself.
  mapfile -t names < <("$cross-objdump" -p "$out/secur32.dll" |
    sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' | awk 'NF >= 2 {print $NF}' | grep -v '^Table$')
  [ ${#names[@]} -gt 0 ] || { echo "build-windows: no exports in $out/secur32.dll"; exit 1; }
  {
    echo "LIBRARY secur32.dll"
    echo "EXPORTS"
    if [ "$a" = i686 ]; then
      # stdcall: the decorated name (argument bytes) comes from the static library's symbols.
      syms=$("$cross-nm" -g --defined-only "$rel/libsecur32.a" 2>/dev/null | awk '$2 == "T" {print $3}' | sort -u)
      for n in "${names[@]}"; do
        d=$(grep -E "^_${n}@[0-9]+$" <<<"$syms" | head -1 || true)
        [ -n "$d" ] || { echo "build-windows: no stdcall symbol for $n" >&2; exit 1; }
        echo "${d#_}"
      done
    else
      printf '%s\n' "${names[@]}"
    fi
  } >"$out/secur32.def"
  if [ "$a" = i686 ]; then
    "$cross-dlltool" --temp-prefix "$out/dlltool" --kill-at -m i386 -d "$out/secur32.def" -D secur32.dll -l "$out/libsecur32.dll.a"
    m=i386
  else
    "$cross-dlltool" --temp-prefix "$out/dlltool" -m i386:x86-64 -d "$out/secur32.def" -D secur32.dll -l "$out/libsecur32.dll.a"
    m=i386:x86-64
  fi
  dlltool=$(command -v llvm-dlltool || ls /usr/bin/llvm-dlltool-* 2>/dev/null | head -1 || true)
  if [ -n "$dlltool" ]; then
    # MSVC-style import library. On i686 it maps _EncryptMessage@16 to the export EncryptMessage.
    if [ "$a" = i686 ]; then
      "$dlltool" -m "$m" -k -d "$out/secur32.def" -D secur32.dll -l "$out/secur32.lib"
    else
      "$dlltool" -m "$m" -d "$out/secur32.def" -D secur32.dll -l "$out/secur32.lib"
    fi
  fi
  kill=()
  [ "$a" = i686 ] && kill=(-Wl,--kill-at)
  "$cross-gcc" -shared -O2 -o "$out/wine/bcryptprimitives.dll" windows/bcryptprimitives.c \
    "${kill[@]}" -ladvapi32
  echo "build-windows: $out/secur32.dll (${#names[@]} exports), $out/libsecur32.dll.a${dlltool:+, $out/secur32.lib}"
done
