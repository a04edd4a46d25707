#!/bin/sh
# pipe.sh COMMAND... FILE: COMMAND reading FILE through a pipe (not a
# regular file: no --threads split, no size to plan by), as from a
# decompressor or an export job.  Used by bench/run.sh.
for f; do :; done
n=$#
i=1
for a; do
	[ "$i" -lt "$n" ] && set -- "$@" "$a"
	i=$((i + 1))
done
shift "$n"
cat "$f" | "$@"
