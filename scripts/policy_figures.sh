#!/usr/bin/env bash
# Regenerates the replacement-policy figures of docs/user-guide.md (between
# the "policy-demo" markers) by running examples/policy_demo.cpp as built in
# build/. The test suite checks that the guide shows what the program prints.
set -euo pipefail
cd "$(dirname "$0")/.."
demo=${POLICY_DEMO:-build/policy_demo}
if [ ! -x "$demo" ]; then
  echo "policy_figures: build policy_demo first (cmake --build build), or set POLICY_DEMO" >&2
  exit 1
fi
"$demo" > /tmp/policy_demo.$$
python3 - /tmp/policy_demo.$$ docs/user-guide.md <<'PY'
import sys
out = open(sys.argv[1]).read()
path = sys.argv[2]
guide = open(path).read()
begin, end = "<!-- policy-demo:begin -->\n", "<!-- policy-demo:end -->"
i, j = guide.index(begin) + len(begin), guide.index(end)
guide = guide[:i] + "```\n" + out + "```\n" + guide[j:]
open(path, "w").write(guide)
PY
rm -f /tmp/policy_demo.$$
echo "policy_figures: updated docs/user-guide.md"
