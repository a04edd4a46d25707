#!/usr/bin/env bash
# input: deals.jsonl
# (a) deals per stage on JSON lines: read_json_auto + GROUP BY (the kit
# has (a) on CSV only; the same query as its a__duckdb.sh)
# usage: aj__duckdb.sh FILE   (run by bench/run.sh from its copy of the kit)
set -euo pipefail
F=${1:?input file}
B=$(cd "$(dirname "$0")/.." && pwd)
exec node "$B/duckdb/q.js" "SELECT stage, count(*) AS n FROM read_json_auto('$F') GROUP BY stage ORDER BY stage"
