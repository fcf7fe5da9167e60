# Sourced by the scripts that compare two revisions (bench_compare.sh,
# instr_compare.sh): revisions checked out in temporary git worktrees that
# are removed again on every exit path, and the compiler cache when there is
# one. Expects to run at the top of a checkout.

# rev_sha TOOL REV: the commit REV names, or exit 2 with TOOL's message.
rev_sha() {
  git rev-parse --verify --quiet "$2^{commit}" || { echo "$1: no such revision: $2" >&2; exit 2; }
}

# add_worktree DIR SHA: a detached checkout of SHA at DIR (replacing DIR).
added_worktrees=()
add_worktree() {
  rm -rf "$1"
  git worktree prune
  git worktree add --detach --quiet "$1" "$2"
  added_worktrees+=("$1")
}

# reusable TOOL BIN REBUILD: true (saying so) when BIN was built by an
# earlier run and REBUILD is not 1.
reusable() {
  if [ -x "$2" ] && [ "$3" != 1 ]; then
    echo "$1: reusing $(basename "$2")"
    return 0
  fi
  return 1
}

# configure_wrapper BUILD SRC LINE...: configures at BUILD (Release) a
# wrapper project that adds the checkout at SRC, then the CMake LINEs.
configure_wrapper() {
  local build=$1 src=$2
  shift 2
  mkdir -p "$build/wrapper"
  {
    echo "cmake_minimum_required(VERSION 3.25)"
    echo "project(uvmsim_revision_wrapper LANGUAGES C CXX ASM)"
    echo "add_subdirectory(\"$src\" uvmsim)"
    printf '%s\n' "$@"
  } >"$build/wrapper/CMakeLists.txt"
  cmake -S "$build/wrapper" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DUVMSIM_BUILD_TESTS=OFF "${launcher[@]}" >/dev/null
}

# build_into TOOL SHA BUILD TARGET FILE BIN: builds TARGET at BUILD, puts
# BUILD/FILE at BIN (atomically), removes the worktrees.
build_into() {
  echo "$1: building $4 at ${2:0:12}"
  cmake --build "$3" --target "$4" -j "${BENCHCMP_JOBS:-$(nproc)}"
  cp "$3/$5" "$6.tmp"
  mv "$6.tmp" "$6"
  remove_worktrees
}

remove_worktrees() {
  for w in "${added_worktrees[@]}"; do
    git worktree remove --force "$w" 2>/dev/null || rm -rf "$w"
  done
  added_worktrees=()
  git worktree prune 2>/dev/null || true
}
trap remove_worktrees EXIT

# CMake arguments that put ccache in front of the compilers, if installed.
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
