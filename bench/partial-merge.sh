#!/bin/sh
# partial-merge.sh N PROG ARGS... FILE: the answer of PROG ARGS FILE, made
# by cutting FILE into N blocks at line ends (GNU parallel --pipe --header
# :, N jobs at once), one `PROG ARGS --partial` per block, and one
# `PROG ARGS --merge` (for the benchmark's partial|merge rows).
n=$1
shift
eval "f=\${$#}"
args=
while [ $# -gt 1 ]; do
	args="$args '$1'"
	shift
done
size=$(stat -c %s "$f")
block=$((size / n + 1))
eval "parallel --will-cite --pipe --header : -j $n --block $block $args --threads 1 --partial" <"$f" |
    eval "$args --merge"
