#!/usr/bin/env bash
# Regenerates the structure-dump example of docs/user-guide.md from
# docs/examples/fork_cow_loan.scen with the uvmsim built in build/:
#   - docs/img/dump_fork_cow_loan.png: the `dump p dot` form drawn by
#     Graphviz (`dot -Tpng`; scripts/deps.sh installs it);
#   - the text dump between the "dump-example" markers of the guide.
# The test suite checks that the guide's listing is what uvmsim prints.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
uvmsim=${UVMSIM:-build/uvmsim}
if [ ! -x "$uvmsim" ]; then
  echo "render_dump_example: build uvmsim first (cmake --build build), or set UVMSIM" >&2
  exit 1
fi
scen=docs/examples/fork_cow_loan.scen
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The script ends with `dump p`; the same state once more in dot form.
last=$(grep -c '' "$scen")
"$uvmsim" run --backend soft --dump-after "$last" --dump-format dot "$scen" > "$tmp/out"
# --dump-after dumps every live process (p, then c) after the text dump the
# script itself prints: the first digraph is p's.
awk '/^digraph uvmsim {$/ { on = 1 } on { print } on && /^}$/ { exit }' "$tmp/out" > "$tmp/dump.dot"
sed -n '1,/^digraph uvmsim {$/p' "$tmp/out" | sed '$d' > "$tmp/text"
dot -Tpng -Gdpi=80 -o docs/img/dump_fork_cow_loan.png "$tmp/dump.dot"
python3 - "$tmp/text" docs/user-guide.md <<'PY'
import sys
text = open(sys.argv[1]).read()
guide_path = sys.argv[2]
guide = open(guide_path).read()
begin, end = "<!-- dump-example:begin -->\n", "<!-- dump-example:end -->"
i, j = guide.index(begin) + len(begin), guide.index(end)
guide = guide[:i] + "```\n$ uvmsim run docs/examples/fork_cow_loan.scen\n" + text + "```\n" + guide[j:]
open(guide_path, "w").write(guide)
PY
echo "render_dump_example: wrote docs/img/dump_fork_cow_loan.png and the guide's listing"
