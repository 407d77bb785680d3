# Shared by the HTTP interop scripts (test_curl*.sh): source it after setting NAME, the script's
# name in its messages. It moves to the repository root and gives LIBDIR (SECUR32_LIB's folder,
# else target/release), `missing` (a skip with exit 77 locally, a failure under CI=true),
# `require_lib`, the PASS/FAIL counters `ok` / `bad` / `summary`, a TMP folder removed on exit
# with the server started by `start_server` (and whatever CLEANUP_HOOK names), `build_example`
# and `start_server`.
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
ROOT=$PWD
LIBDIR=${SECUR32_LIB:+$(dirname "$SECUR32_LIB")}
LIBDIR=${LIBDIR:-$ROOT/target/release}

# missing "WHAT is missing" [HINT]
missing() {
  if [ "${CI:-}" = "true" ]; then
    echo "$NAME: FAIL: $1 (CI=true: missing peers are failures)"
    exit 1
  fi
  echo "!!!!! $NAME: SKIPPING: $1${2:+ ($2)} !!!!!"
  exit 77
}
require_lib() {
  [ -e "$LIBDIR/libsecur32.so" ] || { echo "$NAME: FAIL: $LIBDIR/libsecur32.so not built"; exit 1; }
}

passed=0
failed=0
ok() { echo "PASS $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }
summary() {
  echo "$NAME: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

SERVER_PID=
CLEANUP_HOOK=:
TMP=$(mktemp -d "/tmp/secur32-$NAME.XXXXXX")
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  $CLEANUP_HOOK
  rm -rf "$TMP"
}
trap cleanup EXIT

# build_example NAME: examples/NAME.c built the way a Windows SSPI program is, warnings as
# errors, into target/interop/NAME; a failure ends the script.
build_example() {
  mkdir -p target/interop
  if gcc -std=gnu11 -Wall -Wextra -Werror -Iinclude -o "target/interop/$1" \
    "examples/$1.c" -L"$LIBDIR" -lsecur32 -Wl,-rpath,"$LIBDIR"; then
    ok "build examples/$1.c (-Wall -Wextra -Werror)"
  else
    bad "build examples/$1.c"
    summary
    exit 1
  fi
}

# start_server USERS PROGRAM [VAR=VALUE...]: writes USERS as the NTLM_USER_FILE, runs
# target/interop/PROGRAM on a free 127.0.0.1 port (PORT) for any number of requests (0), with
# the extra environment, its stderr in $TMP/server.log, and waits until it listens.
start_server() {
  printf '%s' "$1" >"$TMP/users"
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  env NTLM_USER_FILE="$TMP/users" "${@:3}" "target/interop/$2" "$PORT" 0 2>"$TMP/server.log" &
  SERVER_PID=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
  done
}
