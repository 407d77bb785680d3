#!/usr/bin/env bash
# A throw-away MIT Kerberos KDC (Debian krb5-kdc) on 127.0.0.1, a random port (UDP and TCP), in DIR.
#
#   eval "$(tests/kerberos/mit-kdc.sh start DIR [--kinit])"   # prints `export VAR=...` lines
#   tests/kerberos/mit-kdc.sh stop DIR                          # kills the KDC by its PID
#
# DIR is created if missing (any previous realm in it is discarded). Exports:
#   KRB5_CONFIG KRB5_KDC_PROFILE   DIR/krb5.conf (default_realm, [realms] kdc, allow_rc4 = true,
#                                  forwardable, default_ccache_name/default_keytab_name in DIR),
#                                  DIR/kdc.conf (+preauth, the five enctypes)
#   KRB5CCNAME=FILE:DIR/ccache     holds user1's TGT only with --kinit
#   KRB5_KTNAME=FILE:DIR/service.keytab   every service principal's keys (kvno 1)
#   KDC_KIND=mit KDC_DIR KDC_PID KDC_PORT REALM KDC_START_MS (time taken by `start`)
#   USER1=user1 USER1_PASSWORD     all enctypes
#   USER_PASSWORD                  password of the single-enctype users user_aes256 (aes256-cts-hmac-sha1-96),
#                                  user_aes128 (aes128-cts-hmac-sha1-96), user_sha256
#                                  (aes128-cts-hmac-sha256-128), user_sha384 (aes256-cts-hmac-sha384-192),
#                                  user_rc4 (arcfour-hmac)
#   SERVICE=HTTP/localhost         all enctypes; HOST_SERVICE=host/localhost, all enctypes
#   SERVICES_SINGLE_ETYPE          "svc-aes256/localhost svc-aes128/localhost svc-sha256/localhost
#                                  svc-sha384/localhost svc-rc4/localhost": each has only the key of
#                                  the enctype its user_* namesake has, so its tickets use that enctype
# Installs krb5-kdc, krb5-admin-server, krb5-user when missing (apt-get, needs root).
set -euo pipefail

ETYPES="aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha384-192 aes128-cts-hmac-sha256-128 arcfour-hmac"
declare -A SINGLE=(
  [aes256]=aes256-cts-hmac-sha1-96 [aes128]=aes128-cts-hmac-sha1-96
  [sha256]=aes128-cts-hmac-sha256-128 [sha384]=aes256-cts-hmac-sha384-192 [rc4]=arcfour-hmac
)
REALM=MIT.TEST
USER1_PASSWORD=Password01
USER_PASSWORD='Etype!Pass1'

log() { echo "mit-kdc: $*" >&2; }
# shellcheck source=tests/kerberos/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_if_missing() {
  local need=()
  command -v krb5kdc >/dev/null || [ -x /usr/sbin/krb5kdc ] || need+=(krb5-kdc)
  command -v kadmin.local >/dev/null || [ -x /usr/sbin/kadmin.local ] || need+=(krb5-admin-server)
  command -v kinit >/dev/null || need+=(krb5-user)
  apt_install "${need[@]}"
}

write_config() { # write_config DIR PORT
  local d=$1 port=$2
  cat >"$d/krb5.conf" <<EOF
[libdefaults]
	default_realm = $REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
	allow_rc4 = true
	forwardable = true
	default_ccache_name = FILE:$d/ccache
	default_keytab_name = FILE:$d/service.keytab

[realms]
	$REALM = {
		kdc = 127.0.0.1:$port
	}

[domain_realm]
	localhost = $REALM
EOF
  cat >"$d/kdc.conf" <<EOF
[kdcdefaults]
	kdc_listen = 127.0.0.1:$port
	kdc_tcp_listen = 127.0.0.1:$port

[realms]
	$REALM = {
		database_name = $d/principal
		key_stash_file = $d/stash
		acl_file = $d/kadm5.acl
		max_life = 10h
		max_renewable_life = 7d
		supported_enctypes = $(for e in $ETYPES; do printf '%s:normal ' "$e"; done)
		default_principal_flags = +preauth
	}

[logging]
	kdc = FILE:$d/kdc.log
EOF
  : >"$d/kadm5.acl"
}

start() {
  local d=$1 kinit_flag=${2:-}
  local t0; t0=$(now_ms)
  install_if_missing
  PATH=$PATH:/usr/sbin:/sbin
  mkdir -p "$d"
  d=$(cd "$d" && pwd)
  [ -f "$d/kdc.pid" ] && stop "$d"
  rm -rf "${d:?}"/principal* "$d/stash" "$d/ccache" "$d/service.keytab" "$d/kdc.log"
  export KRB5_CONFIG=$d/krb5.conf KRB5_KDC_PROFILE=$d/kdc.conf
  local port; port=$(free_port)
  write_config "$d" "$port"
  kdb5_util -r "$REALM" -P "$(head -c16 /dev/urandom | od -An -tx1 | tr -d ' \n')" create -s >/dev/null 2>&1 \
    || { log "kdb5_util create failed"; return 1; }
  {
    echo "addprinc -pw $USER1_PASSWORD user1"
    for k in "${!SINGLE[@]}"; do
      echo "addprinc -pw $USER_PASSWORD -e ${SINGLE[$k]}:normal user_$k"
      echo "addprinc -randkey -e ${SINGLE[$k]}:normal svc-$k/localhost"
      echo "ktadd -k $d/service.keytab -norandkey svc-$k/localhost"
    done
    for s in HTTP/localhost host/localhost; do
      echo "addprinc -randkey $s"
      echo "ktadd -k $d/service.keytab -norandkey $s"
    done
  } | kadmin.local -r "$REALM" >"$d/kadmin.log" 2>&1 || { log "kadmin.local failed: see $d/kadmin.log"; return 1; }

  # Start; if the port was taken meanwhile (the KDC exits), pick another and rewrite the configs.
  local pid ok=
  for attempt in 1 2 3 4 5; do
    nohup krb5kdc -r "$REALM" -n >>"$d/kdc.out" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$d/kdc.pid"
    # Wait (bounded: 10 s) until the KDC issues user1 a TGT.
    for _ in $(seq 100); do
      if ! kill -0 "$pid" 2>/dev/null; then break; fi
      if echo "$USER1_PASSWORD" | KRB5CCNAME=MEMORY:probe kinit user1 >/dev/null 2>&1; then ok=1; break; fi
      sleep 0.1
    done
    [ -n "$ok" ] && break
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    log "KDC not answering on port $port (attempt $attempt), retrying on another port"
    port=$(free_port)
    write_config "$d" "$port"
  done
  if [ -z "$ok" ]; then
    rm -f "$d/kdc.pid"
    log "KDC did not start: see $d/kdc.log $d/kdc.out"
    return 1
  fi
  if [ "$kinit_flag" = --kinit ]; then
    echo "$USER1_PASSWORD" | KRB5CCNAME=FILE:$d/ccache kinit user1 >/dev/null
  fi
  local ms=$(($(now_ms) - t0))
  log "realm $REALM on 127.0.0.1:$port (pid $pid) up in $ms ms"
  cat <<EOF
export KDC_KIND=mit
export KDC_DIR='$d'
export KDC_PID=$pid
export KDC_PORT=$port
export KDC_START_MS=$ms
export REALM='$REALM'
export KRB5_CONFIG='$d/krb5.conf'
export KRB5_KDC_PROFILE='$d/kdc.conf'
export KRB5CCNAME='FILE:$d/ccache'
export KRB5_KTNAME='FILE:$d/service.keytab'
export USER1=user1
export USER1_PASSWORD='$USER1_PASSWORD'
export USER_PASSWORD='$USER_PASSWORD'
export USERS_SINGLE_ETYPE='user_aes256 user_aes128 user_sha256 user_sha384 user_rc4'
export SERVICE=HTTP/localhost
export HOST_SERVICE=host/localhost
export SERVICES_SINGLE_ETYPE='svc-aes256/localhost svc-aes128/localhost svc-sha256/localhost svc-sha384/localhost svc-rc4/localhost'
EOF
}

stop() {
  local d=$1 pid
  [ -f "$d/kdc.pid" ] || { log "no $d/kdc.pid: nothing to stop"; return 0; }
  pid=$(cat "$d/kdc.pid")
  # SIGKILL: a throw-away realm needs no clean shutdown (SIGTERM takes krb5kdc ~1.3 s).
  if kill -0 "$pid" 2>/dev/null && grep -q krb5kdc "/proc/$pid/cmdline" 2>/dev/null; then
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$d/kdc.pid"
}

case "${1:-}" in
  start) [ $# -ge 2 ] || { echo "usage: $0 start DIR [--kinit]" >&2; exit 2; }; start "$2" "${3:-}" ;;
  stop) [ $# -ge 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop "$2" ;;
  *) echo "usage: $0 start DIR [--kinit] | stop DIR" >&2; exit 2 ;;
esac
