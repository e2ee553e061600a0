#!/usr/bin/env bash
# check_readme.sh - the README's code blocks marked <!-- file: PATH --> are
# PATH, verbatim: the snippets a reader copies are the ones CTest compiles
# and runs (examples/) and the install test builds.
#
# Usage: check_readme.sh SOURCE_DIR
set -u
src=${1:?usage: check_readme.sh SOURCE_DIR}
pass=0
fail=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for path in $(sed -n 's/^<!-- file: \(.*\) -->$/\1/p' "$src/README.md"); do
    # the lines between the fence after the marker and the closing fence
    awk -v m="<!-- file: $path -->" '
        $0 == m {state = 1; next}
        state == 1 && /^```/ {state = 2; next}
        state == 2 && /^```$/ {exit}
        state == 2 {print}' "$src/README.md" >"$tmp"
    if cmp -s "$tmp" "$src/$path"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL README.md's block for $path differs from the file:"
        diff "$tmp" "$src/$path" | head -10
    fi
done
echo "check_readme: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
