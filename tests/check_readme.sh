#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
# check_readme.sh - the code blocks of README.md and docs/*.md marked
# <!-- file: PATH --> are PATH, verbatim: the snippets a reader copies are
# the ones CTest compiles and runs (examples/) and the install test builds.
# Every relative link of those pages leads to a file that exists, and each
# link to a heading (page.md#anchor) to a heading of that page.
#
# Usage: check_readme.sh SOURCE_DIR
set -u
src=${1:?usage: check_readme.sh SOURCE_DIR}
pass=0
fail=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
pages="$src/README.md $(ls "$src"/docs/*.md 2>/dev/null)"
blocks=0
for page in $pages; do
    name=${page#"$src"/}
    for path in $(sed -n 's/^<!-- file: \(.*\) -->$/\1/p' "$page"); do
        blocks=$((blocks + 1))
        # the lines between the fence after the marker and the closing fence
        awk -v m="<!-- file: $path -->" '
            $0 == m {state = 1; next}
            state == 1 && /^```/ {state = 2; next}
            state == 2 && /^```$/ {exit}
            state == 2 {print}' "$page" >"$tmp"
        if cmp -s "$tmp" "$src/$path"; then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
            echo "FAIL $name's block for $path differs from the file:"
            diff "$tmp" "$src/$path" | head -10
        fi
    done
done
if [ "$blocks" -eq 0 ]; then
    fail=$((fail + 1))
    echo "FAIL no <!-- file: PATH --> block in README.md or docs/*.md"
fi

# GitHub's anchor of a heading: lower case, punctuation but - and _ dropped,
# spaces as -
anchors() {
    awk '/^```/ {f = !f; next} !f && /^#+ / {sub(/^#+ /, ""); print}' "$1" |
        tr 'A-Z' 'a-z' | sed 's/[^a-z0-9 _-]//g; s/ /-/g'
}
for page in $pages; do
    name=${page#"$src"/}
    dir=$(dirname "$page")
    # [text](target) outside code blocks, not a URL
    for link in $(awk '/^```/ {f = !f; next} !f' "$page" |
        grep -o '\](\([^)]*\))' | sed 's/^](\(.*\))$/\1/' | grep -v '^[a-z]*://\|^mailto:'); do
        file=${link%%#*}
        anchor=${link#"$file"}
        anchor=${anchor#\#}
        target=$page
        [ -n "$file" ] && target=$dir/$file
        if [ ! -e "$target" ]; then
            fail=$((fail + 1))
            echo "FAIL $name links to $link: no such file"
        elif [ -n "$anchor" ] && ! anchors "$target" | grep -qx -- "$anchor"; then
            fail=$((fail + 1))
            echo "FAIL $name links to $link: no such heading"
        else
            pass=$((pass + 1))
        fi
    done
done
echo "check_readme: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
