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
[ -e /usr/include/krb5.h ] || need+=(libkrb5-dev) # builds pyspnego's gssapi/krb5 below
# WDigest interop: Cyrus SASL's DIGEST-MD5, and the Sasl* GSSAPI profile against Cyrus' GSSAPI
# mechanism (tests/interop/test_digest_cyrus.sh).
[ -e /usr/include/sasl/sasl.h ] || need+=(libsasl2-dev)
[ -x /usr/sbin/saslpasswd2 ] || need+=(sasl2-bin)
ls /usr/lib/*/sasl2/libdigestmd5.so* >/dev/null 2>&1 || need+=(libsasl2-modules)
ls /usr/lib/*/sasl2/libgssapiv2.so* >/dev/null 2>&1 || need+=(libsasl2-modules-gssapi-mit)
[ -e /usr/include/openssl/des.h ] || need+=(libssl-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
# 32-bit Windows programs under Wine would need wine32 (i386 multiarch); it is not installed here:
# adding a foreign architecture to a shared machine makes every later `apt-get update` depend on
# the i386 indexes (seen failing while the mirror synced). wine-test.sh builds the i686 DLL and
# checks its import table, and runs the i686 harnesses only where wine32 is present.
if ! .venv/bin/python -c 'import spnego, sspilib, pytest' 2>/dev/null; then
  echo "setup: creating .venv with pyspnego, sspilib, pytest"
  python3 -m venv .venv
  .venv/bin/pip install -q pyspnego sspilib pytest
fi
# pyspnego's Kerberos (gssapi + krb5 from PyPI, built from source against libkrb5-dev, ~2-10 min):
# the Negotiate interop's Kerberos cases (tests/interop/test_negotiate_pyspnego.py).
if ! .venv/bin/python -c 'import gssapi, krb5' 2>/dev/null; then
  echo "setup: building gssapi and krb5 into .venv"
  .venv/bin/pip install -q gssapi krb5
fi
# latchset kdcproxy: the MS-KKDCP proxy in front of the MIT KDC (c-tests/kerberos-test.sh).
if ! .venv/bin/python -c 'import kdcproxy' 2>/dev/null; then
  echo "setup: installing kdcproxy into .venv"
  .venv/bin/pip install -q kdcproxy
fi
