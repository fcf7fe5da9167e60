#!/usr/bin/env bash
# The layering rule (docs/design.md, "Layers"): an include never runs upward.
#   include/uvmsim  public API: includes only uvmsim/ (and system/Abseil) headers
#   src/core        the machine-independent VM: includes core only
#   src/pagers      includes core only
#   src/kvm         includes core only (the pmap and trap interfaces)
#   src/sys         Machine, Process, system calls: includes core, pagers, kvm
#   src/dump        structure dumps, beside sys: includes core, pagers
#   src/policies    replacement policies: the public policy interface only
#   src/replay      trace replay: includes core and policies
#   src/cli         the command: the public API (and its own files)
# Also: no dynamic_cast to a pager type, no fault-handler function over 80
# lines. Prints every offending line and exits 1 if there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
check() {  # check DIR FORBIDDEN-PREFIX...
  local dir=$1; shift
  [ -d "$dir" ] || return 0
  local pat
  pat=$(printf '%s|' "$@"); pat=${pat%|}
  if grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]+\"($pat)/" "$dir"; then
    echo "layering: the lines above include a higher layer from $dir" >&2
    bad=1
  fi
}
check include/uvmsim core pagers kvm sys cli replay dump policies
check src/core pagers kvm sys cli replay dump policies
check src/pagers kvm sys cli replay dump policies
check src/kvm pagers sys cli replay dump policies
check src/sys cli
check src/dump cli sys kvm
check src/policies core pagers kvm sys cli replay dump
check src/replay pagers kvm sys cli dump
# Core asks a pager through its operations, never by its type.
if grep -rnE 'dynamic_cast<[[:space:]]*(const[[:space:]]+)?(Aobj|Vnode)\b' src; then
  echo "layering: core must use pager operations, not dynamic_cast to a pager type" >&2
  bad=1
fi
# The fault handler reads top to bottom: no function in it over 80 lines.
if ! awk -v max=80 -f scripts/function_lengths.awk src/core/fault*.cpp; then
  echo "layering: split the fault handler functions above (80 lines at most)" >&2
  bad=1
fi
[ $bad -eq 0 ] && echo "layering ok"
exit $bad
