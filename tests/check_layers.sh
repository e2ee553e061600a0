#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the winsum authors
# check_layers.sh - the library's layers call only downwards. The build keeps
# a layer from including a higher layer's header; this checks the objects:
# every ws_*/winsum_* symbol a layer's objects use must be defined by that
# layer or a layer below it (in the order given), so no call goes up by
# name, and the layers hold no cycle.
#
# The backend seam (host/runtime/backend.h): with OPENCL_LAYER=NAME set, no
# layer but that one calls OpenCL (an undefined cl* symbol), and with
# OPENCL_DIR=PATH too (host/runtime/opencl), no object of that layer but
# those compiled from PATH does; except the object files named in
# OPENCL_ALLOW (space-separated file names, e.g. impl_direct.c.o: code
# still to be moved onto the seam).
#
# Usage: check_layers.sh NAME OBJECTS [NAME OBJECTS ...], lowest layer first,
# OBJECTS a ':'-separated list of object files.
set -u
opencl_layer=${OPENCL_LAYER:-}
opencl_allow=" ${OPENCL_ALLOW:-} "
opencl_dir=${OPENCL_DIR:-}
pass=0
fail=0
below=$(mktemp)
trap 'rm -f "$below"' EXIT
while [ $# -ge 2 ]; do
    name=$1
    IFS=: read -r -a objs <<<"$2"
    shift 2
    nm --defined-only "${objs[@]}" 2>/dev/null | awk 'NF == 3 && $2 ~ /[TDBRC]/ {print $3}' >>"$below"
    up=$(nm --undefined-only "${objs[@]}" 2>/dev/null | awk '{print $NF}' |
        grep -E '^(ws_|winsum_)' | sort -u | grep -vxF -f "$below")
    if [ -n "$up" ]; then
        fail=$((fail + 1))
        echo "FAIL layer $name uses symbols of no layer at or below it: $(echo $up)"
    else
        pass=$((pass + 1))
    fi
    [ -n "$opencl_layer" ] || continue
    [ "$name" != "$opencl_layer" ] || [ -n "$opencl_dir" ] || continue
    for o in "${objs[@]}"; do
        # the object of PATH/x.c is .../PATH/x.c.o under the build folder
        [ "$name" = "$opencl_layer" ] && [[ "$o" == *"/$opencl_dir/"* ]] && continue
        [[ "$opencl_allow" == *" $(basename "$o") "* ]] && continue
        cl=$(nm --undefined-only "$o" 2>/dev/null | awk '{print $NF}' | grep -E '^cl[A-Z]' | sort -u)
        if [ -n "$cl" ]; then
            fail=$((fail + 1))
            where="above $opencl_layer"
            [ "$name" = "$opencl_layer" ] && where="outside $opencl_dir"
            echo "FAIL layer $name calls OpenCL $where: $(basename "$o"): $(echo $cl)"
        else
            pass=$((pass + 1))
        fi
    done
done
echo "check_layers: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
