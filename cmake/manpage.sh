#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
# manpage.sh - a tool's manual page: help2man for NAME and the version, and
# an include file made from the tool's own --help texts, verbatim: the
# overview as DESCRIPTION and each subcommand's --help in a section of its
# own (help2man alone would run the usage lines into one paragraph).
#
# Usage: manpage.sh HELP2MAN TOOL NAME-LINE OUTPUT [SUBCOMMAND ...]
#   each SUBCOMMAND is one argument, e.g. "conv forward"
set -eu
help2man=$1 tool=$2 name=$3 out=$4
shift 4
inc=$(mktemp)
trap 'rm -f "$inc"' EXIT
# text on stdin -> roff, line for line: backslashes escaped, a leading . or '
# guarded, no filling
verbatim() {
    echo ".nf"
    sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/" -e 's/-/\\-/g'
    echo ".fi"
}
{
    echo "[=DESCRIPTION]"
    "$tool" --help | sed 1d | verbatim
    for sub in "$@"; do
        base=$(basename "$tool")
        echo "[$(echo "$base $sub" | tr '[:lower:]' '[:upper:]')]"
        # shellcheck disable=SC2086
        "$tool" $sub --help | verbatim
    done
    echo "[COPYRIGHT]"
    echo "Licensed under the Apache License, Version 2.0; see LICENSE in"
    echo "PREFIX/share/doc/winsum."
} >"$inc"
"$help2man" --no-info --section=1 --name="$name" --include="$inc" --output="$out" "$tool"
