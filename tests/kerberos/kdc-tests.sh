#!/usr/bin/env bash
# The KDCs for tests/kerberos_kdc.rs (AS/TGS exchanges of src/packages/kerberos/kdc):
#
#   tests/kerberos/kdc-tests.sh [mit|samba] [cargo test args...]
#       starts them, runs `cargo test --test kerberos_kdc`, stops them.
#   tests/kerberos/kdc-tests.sh serve mit|samba OWNER_PID
#       starts them, prints their `export VAR='...'` lines and returns; a watcher stops them (by
#       PID) once OWNER_PID has exited. kerberos_kdc.rs does this itself under a plain
#       `cargo test` (the MIT KDC), so the suite needs no wrapper.
#
# mit-kdc.sh / samba-kdc.sh start the throw-away KDC in a temp dir; with mit, a second MIT realm
# OTHER.TEST is added that shares krbtgt/OTHER.TEST@MIT.TEST with it (cross-realm), to which
# MIT.TEST's KDC refers *.other.test, and whose KDC answers UDP requests with
# KRB_ERR_RESPONSE_TOO_BIG past 100 bytes (kdc_max_dgram_reply_size): the TCP fallback is
# exercised.
set -euo pipefail
cd "$(dirname "$0")/../.."
serve=
if [ "${1:-}" = serve ]; then
  serve=1; kind=$2; owner=$3
else
  kind=${1:-mit}; shift || true
fi
D=$(mktemp -d "/tmp/secur32-kdc-$kind.XXXXXX")
OTHER_PID=
cleanup() {
  [ -n "$OTHER_PID" ] && kill -9 "$OTHER_PID" 2>/dev/null || true
  tests/kerberos/"$kind"-kdc.sh stop "$D" >/dev/null 2>&1 || true
  [ -n "${KDC_TESTS_KEEP:-}" ] || rm -rf "$D"
}
trap cleanup EXIT
exports=$(tests/kerberos/"$kind"-kdc.sh start "$D")
eval "$exports"

second_mit_realm() {
  local d=$D/other realm=OTHER.TEST cross='Cross!Realm1' port
  PATH=$PATH:/usr/sbin:/sbin
  mkdir -p "$d"
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 40000))
    ss -Hlntu 2>/dev/null | awk '{print $5}' | grep -q ":$port\$" || break
  done
  cat >"$d/krb5.conf" <<K
[libdefaults]
	default_realm = $realm
	allow_rc4 = true
[realms]
	$realm = {
		kdc = 127.0.0.1:$port
	}
K
  cat >"$d/kdc.conf" <<K
[kdcdefaults]
	kdc_listen = 127.0.0.1:$port
	kdc_tcp_listen = 127.0.0.1:$port
	kdc_max_dgram_reply_size = 100
[realms]
	$realm = {
		database_name = $d/principal
		key_stash_file = $d/stash
		acl_file = $d/kadm5.acl
		supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
		default_principal_flags = +preauth
	}
[logging]
	kdc = FILE:$d/kdc.log
K
  : >"$d/kadm5.acl"
  local env2=(env KRB5_CONFIG="$d/krb5.conf" KRB5_KDC_PROFILE="$d/kdc.conf")
  "${env2[@]}" kdb5_util -r $realm -P "$(head -c16 /dev/urandom | od -An -tx1 | tr -d ' \n')" create -s >/dev/null 2>&1
  printf '%s\n' "addprinc -pw $cross -e aes256-cts-hmac-sha1-96:normal krbtgt/$realm@$REALM" \
    "addprinc -randkey HTTP/other.localhost" "ktadd -k $d/service.keytab -norandkey HTTP/other.localhost" \
    "addprinc -randkey HTTP/www.other.test" "ktadd -k $d/service.keytab -norandkey HTTP/www.other.test" \
    | "${env2[@]}" kadmin.local -r $realm >"$d/kadmin.log" 2>&1
  echo "addprinc -pw $cross -e aes256-cts-hmac-sha1-96:normal krbtgt/$realm@$REALM" \
    | kadmin.local -r "$REALM" >>"$d/kadmin.log" 2>&1
  "${env2[@]}" nohup krb5kdc -r $realm -n >"$d/kdc.out" 2>&1 </dev/null &
  OTHER_PID=$!
  disown "$OTHER_PID"
  # MIT.TEST's KDC maps *.other.test to OTHER.TEST (its profile is re-read when changed), so it
  # answers a canonicalize TGS-REQ for HTTP/www.other.test (NT-SRV-HST) with a referral.
  printf '\n[domain_realm]\n\t.other.test = %s\n' "$realm" >>"$KRB5_CONFIG"
  export OTHER_REALM=$realm OTHER_KDC_PORT=$port OTHER_KTNAME=FILE:$d/service.keytab
  exports+=$'\n'"export OTHER_REALM='$realm'"$'\n'"export OTHER_KDC_PORT='$port'"
  exports+=$'\n'"export OTHER_KTNAME='FILE:$d/service.keytab'"$'\n'"export OTHER_KDC_PID='$OTHER_PID'"
  # Wait (bounded) for the TCP listener.
  for _ in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
    sleep 0.1
  done
  echo "kdc-tests: second realm $realm on 127.0.0.1:$port (pid $OTHER_PID)" >&2
}
[ "$kind" = mit ] && second_mit_realm
if [ -n "$serve" ]; then
  trap - EXIT
  # The watcher: stops everything by PID when the owner (the test process) is gone.
  nohup bash -c 'while kill -0 "$0" 2>/dev/null; do sleep 1; done
    [ -n "$1" ] && kill -9 "$1" 2>/dev/null; tests/kerberos/"$2"-kdc.sh stop "$3"; rm -rf "$3"' \
    "$owner" "$OTHER_PID" "$kind" "$D" >/dev/null 2>&1 </dev/null &
  disown
  echo "$exports"
  exit 0
fi
cargo test --test kerberos_kdc "$@"
