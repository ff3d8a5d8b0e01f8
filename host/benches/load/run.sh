#!/usr/bin/env bash
# The sidecar's throughput on loopback, every figure of docs/benchmarks.md "Durable path" from one
# command: wrk (Debian package) against a release `glue-rules serve` with both example plugins,
# the log dispatcher, and a fresh durable outbox.
#
#   host/benches/load/run.sh [DURATION] [CONNECTIONS]      (defaults: 20s, 16)
#
# Prints, from one run: requests/s and p50/p99 for single events with a durable action, single
# events without actions, the durable case with nothing drained, and NDJSON batches of 10;
# actions recorded/s and drained/s; requests per commit; the outbox depth when the load stops and
# the time to drain it; the ratios durable/no-write and drained/recorded; and a kill -9 during
# load: acknowledged actions against what the outbox holds after restart. Needs a release build
# (`cargo build --release -p glue-rules`) and plugins/dist.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$HOME/.cache/glue-rules/target}"
bin="$target/release/glue-rules"
duration="${1:-20s}"
connections="${2:-16}"
fixtures="$repo/examples/events/aws-docs"
if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian)" >&2
  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
fi
[ -x "$bin" ] || { echo "no release build at $bin: cargo build --release -p glue-rules" >&2; exit 2; }

work="$(mktemp -d)"
pid=""
holder=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; [ -n "$holder" ] && kill "$holder" 2>/dev/null; rm -rf "$work"' EXIT

# Bodies with a per-request unique id (post.lua replaces __ID__), so every failure is a new
# durable record. A batch: ten mixed events, NDJSON.
with_id() { sed "0,/\"id\": *\"[^\"]*\"/s//\"id\": \"$2\"/" "$1" | tr -d '\n'; echo; }
with_id "$fixtures/failed-job-run.json" "__ID__" > "$work/durable.json"
with_id "$fixtures/crawler-started.json" "__ID__" > "$work/nowrite.json"
i=0
for f in failed-job-run successful-job-run timeout crawler-succeeded job-run-is-in-running-state \
         database-state-change-create-table data-quality-evaluation-results-available \
         stopped-job-run crawler-failed aws-glue-data-catalog-table-state-change; do
  with_id "$fixtures/$f.json" "__ID__-$i"
  i=$((i + 1))
done > "$work/batch.ndjson"

start_sidecar() { # [outbox file]
  "$bin" serve --listen 127.0.0.1:0 --plugins-dir "$repo/plugins/dist" \
    --outbox "${1:-$work/outbox.sqlite}" --cache-dir "$work/cache" --watch-interval-ms 0 \
    --log-level error 2>"$work/serve.log" &
  pid=$!
  addr=""
  for _ in $(seq 1 600); do
    addr="$(sed -n 's/.*listening on http:\/\/\([^ ]*\).*/\1/p' "$work/serve.log" | head -n1)"
    [ -n "$addr" ] && return 0
    sleep 0.1
  done
  cat "$work/serve.log" >&2
  exit 1
}

# The value of one metric sample, 0 when absent.
metric() {
  curl -fsS "http://$addr/metrics" | awk -v m="$1" '$1 == m { v = $2 } END { print v + 0 }'
}

load() { # name body [content-type]
  RUN="$1" BODY="$2" CONTENT_TYPE="${3:-application/json}" wrk -t2 -c"$connections" -d"$duration" \
    --latency -s "$here/post.lua" "http://$addr/v1/events" > "$work/$1.wrk"
  grep '^RESULT' "$work/$1.wrk" | sed "s/^RESULT/$1/"
}
field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<<"$1"; }

echo "# glue-rules load test: $duration per case, $connections connections, wrk -t2, $(nproc) cores"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
start_sidecar
echo "sidecar on $addr"

nowrite="$(load nowrite "$work/nowrite.json")"
echo "$nowrite"

sent_before="$(metric 'glue_rules_actions_sent_total{type="sns"}')"
recorded_before="$(metric 'glue_rules_actions_total{plugin="sns-on-failure",type="sns"}')"
commits_before="$(metric glue_rules_outbox_commits_total)"
records_before="$(metric glue_rules_outbox_committed_records_total)"
durable="$(load durable "$work/durable.json")"
commits_after="$(metric glue_rules_outbox_commits_total)"
records_after="$(metric glue_rules_outbox_committed_records_total)"
depth_at_end="$(metric glue_rules_outbox_depth)"
sent_after="$(metric 'glue_rules_actions_sent_total{type="sns"}')"
recorded_after="$(metric 'glue_rules_actions_total{plugin="sns-on-failure",type="sns"}')"
drain_start="$(date +%s.%N)"
while [ "$(metric glue_rules_outbox_depth)" != "0" ]; do
  sleep 0.05
  if [ "$(echo "$(date +%s.%N) - $drain_start > 120" | bc)" = 1 ]; then echo "not drained in 120 s"; break; fi
done
drain_s="$(echo "$(date +%s.%N) - $drain_start" | bc)"
echo "$durable"

batch="$(load batch10 "$work/batch.ndjson" application/x-ndjson)"
echo "$batch"

# The durable case again with nothing drained: another process holds the worker lock of a fresh
# outbox, so this sidecar's worker waits as a standby replica's does. What is left is intake,
# evaluation and the durable record: the most any drain could leave the durable rate.
kill -TERM "$pid"; wait "$pid" || true; pid=""
( exec 9>"$work/undrained.sqlite.lock"; flock -n 9 && exec sleep 100000 ) &
holder=$!
start_sidecar "$work/undrained.sqlite"
undrained="$(load undrained "$work/durable.json")"
echo "$undrained"
undrained_depth="$(metric glue_rules_outbox_depth)"
if [ "$undrained_depth" -lt "$(field "$undrained" acked)" ]; then
  echo "the undrained case drained $(( $(field "$undrained" acked) - undrained_depth )) actions: is flock(1) missing?" >&2
  exit 1
fi

seconds="$(field "$durable" seconds)"
recorded_rate="$(echo "($recorded_after - $recorded_before) / $seconds" | bc -l)"
drained_rate="$(echo "($sent_after - $sent_before) / $seconds" | bc -l)"
printf '\n| case | requests/s | p50 ms | p99 ms |\n|---|---|---|---|\n'
for r in "$nowrite" "$durable" "$undrained" "$batch"; do
  printf '| %s | %s | %s | %s |\n' "${r%% *}" "$(field "$r" rps)" "$(field "$r" p50_ms)" "$(field "$r" p99_ms)"
done
printf '\n| figure | value |\n|---|---|\n'
printf '| actions recorded/s (durable case) | %.0f |\n' "$recorded_rate"
printf '| actions drained/s by the log dispatcher (same window) | %.0f |\n' "$drained_rate"
printf '| requests per commit (one fsync each) | %.1f |\n' \
  "$(echo "($records_after - $records_before) / ($commits_after - $commits_before + 0.000001)" | bc -l)"
printf '| outbox depth when the load stopped | %s |\n' "$depth_at_end"
printf '| time to drain it | %.2f s |\n' "$drain_s"
printf '| durable / no-write requests/s | %.2f |\n' "$(echo "$(field "$durable" rps) / $(field "$nowrite" rps)" | bc -l)"
printf '| durable, not drained / no-write requests/s | %.2f |\n' "$(echo "$(field "$undrained" rps) / $(field "$nowrite" rps)" | bc -l)"
printf '| drained / recorded | %.2f |\n' "$(echo "$drained_rate / ($recorded_rate + 0.000001)" | bc -l)"

# kill -9 during load: every acknowledged action must be in the outbox after restart. The
# outbox's lifetime "queued" total is written in the same transaction as the rows, so it counts
# exactly what was made durable.
queued_total() {
  "$bin" outbox status --outbox "$work/outbox.sqlite" --json 2>/dev/null | tr -d ' \n' |
    sed -n 's/.*"sns":{[^}]*"queued":\([0-9]*\).*/\1/p'
}
kill -TERM "$pid"; wait "$pid" || true; pid=""
kill "$holder"; holder=""
before="$(queued_total)"; before="${before:-0}"
start_sidecar
( sleep 3; kill -9 "$pid" ) &
killer=$!
kill9="$(RUN=kill9 BODY="$work/durable.json" wrk -t2 -c"$connections" -d6s -s "$here/post.lua" \
  "http://$addr/v1/events" 2>/dev/null | grep '^RESULT' || true)"
wait "$killer" || true
wait "$pid" 2>/dev/null || true; pid=""
after="$(queued_total)"
if [ -z "$after" ]; then
  echo "cannot read the outbox after the kill:" >&2
  "$bin" outbox status --outbox "$work/outbox.sqlite" --json >&2 || true
  after=0
fi
acked="$(field "$kill9" acked)"
printf '| kill -9 after 3 s of load: acknowledged actions | %s |\n' "${acked:-0}"
printf '| ... durable in the outbox after restart | %s |\n' "$((after - before))"
if [ "$((after - before))" -lt "${acked:-0}" ]; then
  echo "LOST: $(( ${acked:-0} - (after - before) )) acknowledged actions are not in the outbox" >&2
  exit 1
fi
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
