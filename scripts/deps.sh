#!/usr/bin/env bash
# Installs what building uvmsim needs on Debian 12, if it is missing:
# the compiler, CMake, Ninja, pkg-config, the -dev packages (Abseil, fmt,
# Catch2 v2, zlib for the replay command's PNG plots), Graphviz
# (scripts/render_dump_example.sh draws dumps with it) and valgrind (its
# lackey tool records the memory traces `uvmsim replay` reads; the test
# suite runs it). With --fuzz also clang and its libFuzzer and sanitizer
# runtimes (scripts/fuzz.sh; CI fuzzes each target for a minute) and python3
# (the fuzz corpus script).
set -euo pipefail
pkgs=(g++ make cmake ninja-build pkg-config libabsl-dev libfmt-dev catch2 graphviz zlib1g-dev valgrind)
if [ "${1:-}" = "--fuzz" ]; then pkgs+=(clang libclang-rt-14-dev python3); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "uvmsim: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi
