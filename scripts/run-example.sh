#!/usr/bin/env bash
# The main job: builds libsecur32 and runs a C program that does an NTLM loopback through it,
# printing each step.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release
mkdir -p target/examples
gcc -std=c11 -Wall -Wextra -Werror -Iinclude -o target/examples/ntlm_loopback examples/ntlm_loopback.c \
  -Ltarget/release -lsecur32 -Wl,-rpath,"$PWD/target/release"
target/examples/ntlm_loopback
