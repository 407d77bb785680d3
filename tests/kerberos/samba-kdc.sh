#!/usr/bin/env bash
# A throw-away Samba AD DC (Debian samba) running only its KDC (`server services = kdc`), the
# Windows-like KDC (PAC, AD salts and enctype choices), on 127.0.0.1 and a random port, in DIR.
#
#   eval "$(tests/kerberos/samba-kdc.sh start DIR [--kinit])"   # prints `export VAR=...` lines
#   tests/kerberos/samba-kdc.sh stop DIR                          # kills samba by its PID
#
# DIR is created if missing (any previous domain in it is discarded). Exports the same variables
# as mit-kdc.sh where they apply:
#   KRB5_CONFIG=DIR/krb5.conf      default_realm, [realms] kdc = 127.0.0.1:PORT, allow_rc4 = true
#   KRB5CCNAME=FILE:DIR/ccache     user1's TGT only with --kinit
#   KRB5_KTNAME=FILE:DIR/service.keytab   HTTP/localhost's keys (samba-tool domain exportkeytab)
#   KDC_KIND=samba KDC_DIR KDC_PID KDC_PORT REALM=SAMBA.TEST DOMAIN=SAMBA KDC_START_MS
#   USER1=user1 USER1_PASSWORD     a plain domain user
#   SERVICE=HTTP/localhost         an SPN of the account SERVICE_ACCOUNT=svc_http (SERVICE_PASSWORD);
#                                  no msDS-SupportedEncryptionTypes: AD issues an RC4 ticket (AES session key)
#   AES_SERVICE=HTTP/svc-aes.localhost   an SPN of AES_SERVICE_ACCOUNT=svc_aes (SERVICE_PASSWORD),
#                                  msDS-SupportedEncryptionTypes = 0x18: aes256 tickets
#   The keytab holds HTTP/localhost (RC4 only: Samba exports no salted key under an SPN),
#   svc_http@REALM and svc_aes@REALM (aes256, aes128, rc4), HTTP/svc-aes.localhost (RC4).
#   ADMIN_PASSWORD                 Administrator's
# KRB5_KDC_PROFILE is not set (Samba reads its own smb.conf: DIR/etc/smb.conf).
# Installs samba, samba-ad-dc, winbind, krb5-user when missing (apt-get, needs root).
set -euo pipefail

REALM=SAMBA.TEST
DOMAIN=SAMBA
ADMIN_PASSWORD='Passw0rd!Adm1n'
USER1_PASSWORD='Passw0rd!'
SERVICE_PASSWORD='Svc!Passw0rd1'

log() { echo "samba-kdc: $*" >&2; }
# shellcheck source=tests/kerberos/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_if_missing() {
  local need=()
  command -v samba-tool >/dev/null || need+=(samba)
  [ -x /usr/sbin/samba ] || command -v samba >/dev/null || need+=(samba-ad-dc)
  dpkg -s winbind >/dev/null 2>&1 || need+=(winbind)
  command -v kinit >/dev/null || need+=(krb5-user)
  apt_install "${need[@]}"
}

write_krb5_conf() { # write_krb5_conf DIR PORT
  cat >"$1/krb5.conf" <<EOF
[libdefaults]
	default_realm = $REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
	allow_rc4 = true
	forwardable = true
	default_ccache_name = FILE:$1/ccache
	default_keytab_name = FILE:$1/service.keytab

[realms]
	$REALM = {
		kdc = 127.0.0.1:$2
	}

[domain_realm]
	localhost = $REALM
EOF
}

# set_ports SMBCONF KRB5PORT KPASSWDPORT: (re)writes the port lines in [global].
set_ports() {
  sed -i -e '/^\s*krb5 port\s*=/d' -e '/^\s*kpasswd port\s*=/d' "$1"
  sed -i -e "/^\[global\]/a\\	krb5 port = $2\\n\\	kpasswd port = $3" "$1"
}

start() {
  local d=$1 kinit_flag=${2:-}
  local t0; t0=$(now_ms)
  install_if_missing
  PATH=$PATH:/usr/sbin:/sbin
  mkdir -p "$d"
  d=$(cd "$d" && pwd)
  [ -f "$d/samba.pid" ] && stop "$d"
  rm -rf "${d:?}/etc" "$d/private" "$d/state" "$d/cache" "$d/bind-dns" "$d/ccache" "$d/service.keytab" "$d"/*.log
  samba-tool domain provision --realm="$REALM" --domain="$DOMAIN" --server-role=dc --dns-backend=NONE \
    --adminpass="$ADMIN_PASSWORD" --targetdir="$d" --host-name=dc1 --host-ip=127.0.0.1 \
    --option="interfaces=lo" --option="bind interfaces only=yes" >"$d/provision.log" 2>&1 \
    || { log "provision failed: see $d/provision.log"; return 1; }
  local conf=$d/etc/smb.conf
  sed -i -e '/^\s*server services\s*=/d' "$conf"
  sed -i -e "/^\[global\]/a\\	server services = kdc" "$conf"
  local port kport; port=$(free_port); kport=$(free_port)
  set_ports "$conf" "$port" "$kport"
  {
    samba-tool user create user1 "$USER1_PASSWORD" -s "$conf"
    samba-tool user create svc_http "$SERVICE_PASSWORD" -s "$conf"
    samba-tool spn add HTTP/localhost svc_http -s "$conf"
    samba-tool user create svc_aes "$SERVICE_PASSWORD" -s "$conf"
    samba-tool spn add HTTP/svc-aes.localhost svc_aes -s "$conf"
    # AES tickets for svc_aes: msDS-SupportedEncryptionTypes = AES128 | AES256 (0x18).
    /usr/bin/python3 - "$d/private/sam.ldb" <<'PY'
import sys, ldb
from samba.samdb import SamDB
from samba.auth import system_session
from samba.param import LoadParm
db = SamDB(url=sys.argv[1], session_info=system_session(), lp=LoadParm())
m = ldb.Message(ldb.Dn(db, "CN=svc_aes,CN=Users," + str(db.domain_dn())))
m["e"] = ldb.MessageElement("24", ldb.FLAG_MOD_REPLACE, "msDS-SupportedEncryptionTypes")
db.modify(m)
PY
    # For an SPN Samba exports only the salt-free RC4 key; the accounts' entries carry the AES keys.
    for p in HTTP/localhost svc_http HTTP/svc-aes.localhost svc_aes; do
      samba-tool domain exportkeytab "$d/service.keytab" --principal=$p -s "$conf"
    done
  } >"$d/accounts.log" 2>&1 || { log "account setup failed: see $d/accounts.log"; return 1; }
  export KRB5_CONFIG=$d/krb5.conf
  local pid ok=
  for attempt in 1 2 3 4 5; do
    write_krb5_conf "$d" "$port"
    nohup samba -i -M single -s "$conf" >>"$d/samba.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$d/samba.pid"
    for _ in $(seq 200); do # bounded: 20 s
      kill -0 "$pid" 2>/dev/null || break
      if echo "$USER1_PASSWORD" | KRB5CCNAME=MEMORY:probe kinit user1 >/dev/null 2>&1; then ok=1; break; fi
      sleep 0.1
    done
    [ -n "$ok" ] && break
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    log "KDC not answering on port $port (attempt $attempt), retrying on another port"
    port=$(free_port); kport=$(free_port)
    set_ports "$conf" "$port" "$kport"
  done
  if [ -z "$ok" ]; then
    rm -f "$d/samba.pid"
    log "Samba KDC did not start: see $d/samba.log"
    return 1
  fi
  if [ "$kinit_flag" = --kinit ]; then
    echo "$USER1_PASSWORD" | KRB5CCNAME=FILE:$d/ccache kinit user1 >/dev/null
  fi
  local ms=$(($(now_ms) - t0))
  log "realm $REALM on 127.0.0.1:$port (pid $pid) up in $ms ms"
  cat <<EOF
export KDC_KIND=samba
export KDC_DIR='$d'
export KDC_PID=$pid
export KDC_PORT=$port
export KDC_START_MS=$ms
export REALM='$REALM'
export DOMAIN='$DOMAIN'
export KRB5_CONFIG='$d/krb5.conf'
export KRB5CCNAME='FILE:$d/ccache'
export KRB5_KTNAME='FILE:$d/service.keytab'
export USER1=user1
export USER1_PASSWORD='$USER1_PASSWORD'
export SERVICE=HTTP/localhost
export SERVICE_ACCOUNT=svc_http
export SERVICE_PASSWORD='$SERVICE_PASSWORD'
export AES_SERVICE=HTTP/svc-aes.localhost
export AES_SERVICE_ACCOUNT=svc_aes
export ADMIN_PASSWORD='$ADMIN_PASSWORD'
EOF
}

stop() {
  local d=$1 pid
  [ -f "$d/samba.pid" ] || { log "no $d/samba.pid: nothing to stop"; return 0; }
  pid=$(cat "$d/samba.pid")
  if kill -0 "$pid" 2>/dev/null && grep -q samba "/proc/$pid/cmdline" 2>/dev/null; then
    # Children (if any) first, then samba itself: all by PID.
    for c in $(cat "/proc/$pid/task/"*/children 2>/dev/null); do kill -9 "$c" 2>/dev/null || true; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$d/samba.pid"
}

case "${1:-}" in
  start) [ $# -ge 2 ] || { echo "usage: $0 start DIR [--kinit]" >&2; exit 2; }; start "$2" "${3:-}" ;;
  stop) [ $# -ge 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop "$2" ;;
  *) echo "usage: $0 start DIR [--kinit] | stop DIR" >&2; exit 2 ;;
esac
