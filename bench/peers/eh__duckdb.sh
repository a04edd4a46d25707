#!/usr/bin/env bash
# input: events.csv
# (e) what funnel answers on a history: distinct deals that reached each
# stage (the kit's e__duckdb.sh counts transitions, less work)
# usage: eh__duckdb.sh FILE   (run by bench/run.sh from its copy of the kit)
set -euo pipefail
F=${1:?input file}
B=$(cd "$(dirname "$0")/.." && pwd)
exec node "$B/duckdb/q.js" "SELECT to_stage, count(DISTINCT deal_id) AS n FROM read_csv_auto('$F') GROUP BY ALL ORDER BY ALL"
