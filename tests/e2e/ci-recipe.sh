#!/usr/bin/env bash
# Print one CI recipe step from docs/ci.md as a shell script: the lines of
# the YAML `run: |` block that starts with `# ci-recipe: NAME`, with the
# block's indentation removed. The e2e checks run exactly these lines, so
# the documented job cannot drift from what is tested.
#
# usage: tests/e2e/ci-recipe.sh NAME [FILE]   (FILE: default docs/ci.md)
set -euo pipefail
name=$1
file=${2:-$(dirname "$0")/../../docs/ci.md}
awk -v want="# ci-recipe: $name" '
  !inside {
    line = $0
    sub(/^ +/, "", line)
    if (line == want) {
      inside = 1
      indent = length($0) - length(line)
      print line
    }
    next
  }
  /^ *$/ { print ""; next }
  {
    lead = match($0, /[^ ]/) - 1
    if (lead < indent)
      exit
    print substr($0, indent + 1)
  }
' "$file" | grep . || { echo "ci-recipe: no '# ci-recipe: $name' block in $file" >&2; exit 1; }
