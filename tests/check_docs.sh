#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
# check_docs.sh - the API reference is complete: doxygen, run with the
# project's Doxyfile (warnings are errors: WARN_IF_UNDOCUMENTED,
# WARN_NO_PARAMDOC, WARN_IF_INCOMPLETE_DOC, WARN_IF_DOC_ERROR), warns about
# nothing in the public headers, and the reference lists every WINSUM_API
# function. Then the check checks itself: a copy of winsum.h with one @param
# deleted, and one with one @return deleted, must each fail doxygen with a
# warning naming what is missing (so a weakened Doxyfile fails this test).
#
# Usage: check_docs.sh DOXYGEN BUILD/docs/Doxyfile SOURCE/include BUILD/include
# Exit 77 (CTest: skipped) when DOXYGEN is not an executable.
set -u
doxygen=${1:?usage: check_docs.sh DOXYGEN DOXYFILE INCLUDE_DIR GENERATED_INCLUDE_DIR}
doxyfile=${2:?}
inc=${3:?}
gen=${4:?}
if [ ! -x "$doxygen" ]; then
    echo "check_docs: doxygen not found (Debian package doxygen): skipped"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/winsum_check_docs.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() {
    pass=$((pass + 1))
    echo "ok   $1"
}
bad() {
    fail=$((fail + 1))
    echo "FAIL $1"
}
# run_doxygen OUTDIR INPUT...: the project's Doxyfile with the output (and
# optionally the input) replaced; doxygen's messages in OUTDIR.log
run_doxygen() {
    local out=$1
    shift
    mkdir -p "$out"
    {
        cat "$doxyfile"
        echo "OUTPUT_DIRECTORY = $out"
        [ $# -gt 0 ] && echo "INPUT = $*"
    } | "$doxygen" - >"$out.log" 2>&1
}

# 1. the headers as they are: no warning at all, exit status 0
if run_doxygen "$T/ref" && [ ! -s "$T/ref.log" ]; then
    ok "doxygen: no warnings in the public headers"
else
    bad "doxygen warns (warnings are errors; document what it names):"
    head -40 "$T/ref.log"
fi

# 2. every WINSUM_API function is in the reference's function index
html=$T/ref/html/globals_func.html
funcs=$(sed -n 's/^WINSUM_API[^(]*[ *]\([a-z0-9_]*\)(.*/\1/p' "$inc"/*.h | sort -u)
n=$(wc -w <<<"$funcs")
missing=""
for f in $funcs; do
    grep -q "[^a-z0-9_]$f()" "$html" 2>/dev/null || missing="$missing $f"
done
if [ "$n" -gt 0 ] && [ -z "$missing" ]; then
    ok "all $n WINSUM_API functions are documented in the reference"
else
    bad "WINSUM_API functions missing from the reference ($n found in the headers):$missing"
fi

# 3. the check fails when documentation is deleted (so a weakened Doxyfile
# fails this test). mutate N NAME AWK EXPECT: winsum.h filtered through the
# awk program AWK must fail doxygen with a message matching EXPECT (N: a
# scratch folder's number)
mutate() {
    local dir=$T/mutation$1 name=$2 prog=$3 expect=$4
    mkdir -p "$dir/in"
    awk "$prog" "$inc/winsum.h" >"$dir/in/winsum.h"
    if cmp -s "$dir/in/winsum.h" "$inc/winsum.h"; then
        bad "mutation $name: nothing was deleted"
        return
    fi
    if run_doxygen "$dir/out" "$dir/in/winsum.h" "$gen/winsum_version.h"; then
        bad "mutation $name: doxygen passed without it"
    elif grep -q "$expect" "$dir/out.log"; then
        ok "mutation $name: doxygen fails: $(grep -m1 -A1 "$expect" "$dir/out.log" | cut -c1-150 | tr -s ' \n' ' ')"
    else
        bad "mutation $name: doxygen failed, but not with '$expect':"
        head -5 "$dir/out.log"
    fi
}
# the first line matching a pattern deleted
first() { echo "!done && /$1/ {done = 1; next} {print}"; }
mutate 1 "the first @param deleted" "$(first '^ \* @param')" "parameter.* not documented"
mutate 2 "the @param of nops deleted (others kept)" "$(first '^ \* @param\[in\] nops ')" \
    "following parameter of winsum_plan_create"
mutate 3 "the first @return deleted" "$(first '^ \* @return')" "return type of member .* not documented"
# the doc comment in front of winsum_finish deleted: kept lines wait in buf
# from each "/**" until the declaration after the comment shows whose it is
mutate 4 "winsum_finish's doc comment deleted" '
    /^\/\*\*/ {printf "%s", buf; held = 1; buf = ""}
    held == 1 {buf = buf $0 "\n"; if ($0 ~ /\*\//) held = 2; next}
    held == 2 && /winsum_finish\(/ {buf = ""}
    {printf "%s", buf; buf = ""; held = 0; print}
    END {printf "%s", buf}' "Member winsum_finish(.*) .* is not documented"

echo "check_docs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
