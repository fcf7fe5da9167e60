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
