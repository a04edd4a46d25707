#!/bin/sh
# The whole suite against the build in $1 (default .), once, in the
# environment as given (VALGRIND=1: the programs under memcheck;
# SUITES="threads man": only those): the cmocka unit tests, the fuzz
# corpora replayed, end-to-end cases and man page EXAMPLES, the hostile
# inputs, the property, journal, convert (lead conversions killed), assign
# (lead assignment with concurrent processes), partial, threads, recipes
# idmemory (SALESPIPE_ID_MEMORY) and progress (--progress) suites, mandoc
# lint and usage vs SYNOPSIS.  The list of suites and the queue (JOBS at a time, the
# longest first, a line per suite as it ends, then what they printed and
# "N passed, N failed, N skipped") are tests/check.sh's, which make check,
# check-valgrind and check-full run.
exec sh "$(dirname "$0")/check.sh" here "${1:-.}"
