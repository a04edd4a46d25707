#!/usr/bin/env bash
# input: events.jsonl
# (e) distinct deals per stage on the JSON lines history (see eh__duckdb.sh)
# usage: ehj__duckdb.sh FILE   (run by bench/run.sh from its copy of the kit)
set -euo pipefail
F=${1:?input file}
B=$(cd "$(dirname "$0")/.." && pwd)
exec node "$B/duckdb/q.js" "SELECT to_stage, count(DISTINCT deal_id) AS n FROM read_json_auto('$F') GROUP BY ALL ORDER BY ALL"
