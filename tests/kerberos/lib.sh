# Shared by mit-kdc.sh and samba-kdc.sh (sourced after each defines `log`).

now_ms() { date +%s%3N; }

# apt_install PKG...: installs the Debian packages named (nothing when none), quietly.
apt_install() {
  [ $# -gt 0 ] || return 0
  log "installing $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "$@" >/dev/null
}

# A port free for both UDP and TCP on 127.0.0.1 (the KDC's bind is the final check: see start).
free_port() {
  local p used
  used=$(ss -Hlntu 2>/dev/null | awk '{print $5}' | sed 's/.*://' | sort -u)
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 40000))
    grep -qx "$p" <<<"$used" || { echo "$p"; return 0; }
  done
  return 1
}
