#!/usr/bin/env bash
# Load test of the sidecar on loopback with wrk (Debian package `wrk`): single events per request
# and batches of 10 (NDJSON), both example plugins, log-only dispatch through a fresh durable
# outbox (one fsync per request that produces actions).
#
#   host/benches/load/run.sh [DURATION] [CONNECTIONS]
#
# Needs a release build (`cargo build --release -p glue-rules`) and the plugins in plugins/dist.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$HOME/.cache/glue-rules/target}"
duration="${1:-15s}"
connections="${2:-16}"
fixtures="$repo/examples/events/aws-docs"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }

work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
# One event: a failed job run (sns-on-failure fires). A batch: ten mixed events, NDJSON.
# Event ids are made unique per request by post.lua (see there), so every failure is new to the
# outbox and costs a durable write.
with_id() {
  python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); e["id"]=sys.argv[2]; print(json.dumps(e))' "$@"
}
with_id "$fixtures/failed-job-run.json" "__ID__" > "$work/single.json"
i=0
for f in failed-job-run successful-job-run timeout crawler-succeeded job-run-is-in-running-state \
         database-state-change-create-table data-quality-evaluation-results-available \
         stopped-job-run crawler-failed aws-glue-data-catalog-table-state-change; do
  with_id "$fixtures/$f.json" "__ID__-$i"
  i=$((i + 1))
done > "$work/batch.ndjson"

cd "$repo"
"$target/release/glue-rules" serve --listen 127.0.0.1:0 --plugins-dir plugins/dist \
  --outbox "$work/outbox.sqlite" --watch-interval-ms 0 --log-level error 2>"$work/serve.log" &
pid=$!
for _ in $(seq 1 100); do
  addr="$(sed -n 's/.*listening on http:\/\/\([^ ]*\).*/\1/p' "$work/serve.log" | head -n1)"
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "${addr:-}" ] || { cat "$work/serve.log"; exit 1; }

echo "## single event per request ($connections connections, $duration, wrk 2 threads)"
BODY="$work/single.json" wrk -t2 -c"$connections" -d"$duration" --latency -s "$here/post.lua" \
  "http://$addr/v1/events"
echo
echo "## batches of 10 events per request (NDJSON)"
BODY="$work/batch.ndjson" CONTENT_TYPE=application/x-ndjson wrk -t2 -c"$connections" \
  -d"$duration" --latency -s "$here/post.lua" "http://$addr/v1/events"
echo
echo "## outbox after the run"
"$target/release/glue-rules" outbox status --outbox "$work/outbox.sqlite" 2>/dev/null | head -12 || true
kill -TERM "$pid"
wait "$pid"
