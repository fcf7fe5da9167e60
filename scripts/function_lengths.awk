# Prints the functions (top-level brace blocks, namespaces not counted)
# longer than `max` lines; exit status 1 if there is one.
#   awk -v max=80 -f scripts/function_lengths.awk FILE...
FNR == 1 { depth = 0; start = 0 }
/^namespace[^;]*\{[[:space:]]*$/ || /^\}[[:space:]]*\/\/[[:space:]]*namespace/ { next }
{
  line = $0
  gsub(/"([^"\\]|\\.)*"/, "", line)
  gsub(/'([^'\\]|\\.)*'/, "", line)
  sub(/\/\/.*/, "", line)
  opens = gsub(/\{/, "{", line); closes = gsub(/\}/, "}", line)
  if (depth == 0 && opens > closes && line !~ /^[[:space:]]/ && line !~ /^(struct|class|enum|union)[[:space:]]/) { start = FNR; name = $0 }
  depth += opens - closes
  if (depth == 0 && start) {
    if (FNR - start + 1 > max) { printf "%s:%d: %d lines: %s\n", FILENAME, start, FNR - start + 1, name; bad = 1 }
    start = 0
  }
}
END { exit bad }
