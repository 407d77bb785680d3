#!/usr/bin/env bash
# Installs what the build and the test suite need on a fresh Debian 12 machine (idempotent):
# system packages for the peers and checks, and a Python venv (.venv) with pyspnego/sspilib.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v x86_64-w64-mingw32-gcc >/dev/null || need+=(gcc-mingw-w64)
command -v i686-w64-mingw32-gcc >/dev/null || need+=(gcc-mingw-w64-i686)
# The Windows build is tested under Wine (c-tests/wine-test.sh).
command -v wine >/dev/null || need+=(wine wine64)
command -v bc >/dev/null || need+=(bc)
command -v clang >/dev/null || need+=(clang)
command -v valgrind >/dev/null || need+=(valgrind)
command -v cmake >/dev/null || need+=(cmake)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v curl >/dev/null || need+=(curl)
command -v openssl >/dev/null || need+=(openssl)
[ -e /usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so ] || need+=(gss-ntlmssp)
[ -x /usr/sbin/krb5kdc ] || need+=(krb5-kdc)
[ -x /usr/sbin/kadmin.local ] || need+=(krb5-admin-server)
command -v kinit >/dev/null || need+=(krb5-user)
[ -x /usr/sbin/samba ] || need+=(samba samba-ad-dc)
dpkg -s winbind >/dev/null 2>&1 || need+=(winbind)
/usr/bin/python3 -c 'import gssapi' 2>/dev/null || need+=(python3-gssapi)
# Kerberos crypto/wrap tests: MIT ktutil/klist/kinit, a throw-away MIT KDC, libkrb5 via ctypes.
command -v ktutil >/dev/null || need+=(krb5-user)
[ -x /usr/sbin/krb5kdc ] || need+=(krb5-kdc)
[ -x /usr/sbin/kadmin.local ] || need+=(krb5-admin-server)
/usr/bin/python3 -c 'import pytest' 2>/dev/null || need+=(python3-pytest)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
# 32-bit Windows programs under Wine need wine32 (i386 multiarch). Only CI machines, which are
# throwaway, get a foreign architecture added; elsewhere wine-test.sh says loudly it did not
# run the i686 harnesses.
if [ "${CI:-}" = "true" ] && [ ! -d /usr/lib/i386-linux-gnu/wine/i386-unix ]; then
  echo "setup: installing wine32:i386 (CI)"
  dpkg --add-architecture i386
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wine32:i386 >/dev/null
fi
if ! .venv/bin/python -c 'import spnego, sspilib, pytest' 2>/dev/null; then
  echo "setup: creating .venv with pyspnego, sspilib, pytest"
  python3 -m venv .venv
  .venv/bin/pip install -q pyspnego sspilib pytest
fi
