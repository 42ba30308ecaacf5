#!/usr/bin/env bash
# Runs the whole comparison: every benchmark COUNT times (interleaved, and
# each run starting with another client, so that a noisy moment hits every
# client alike), benchstat over the runs, the peak RSS probes, and the
# Markdown report. Results go to results/.
#
#   COUNT=20 BENCHTIME=0.15s BENCH=. ./run.sh
set -euo pipefail
cd "$(dirname "$0")"

COUNT=${COUNT:-20}
BENCHTIME=${BENCHTIME:-0.15s}
BENCH=${BENCH:-.}
BENCHSTAT=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

out=results
mkdir -p "$out"
go test -c -o "$out/bench.test" .
go build -o "$out/rssprobe" ./cmd/rssprobe

echo "== benchmarks: $COUNT runs, -benchtime $BENCHTIME, load: $(uptime | sed 's/.*load/load/')"
: >"$out/bench.txt"
echo "before: $(uptime)" >"$out/load.txt"
for i in $(seq "$COUNT"); do
	echo "-- run $i/$COUNT"
	REQUESTS_BENCH_ROUND=$((i - 1)) "$out/bench.test" -test.run '^$' -test.bench "$BENCH" -test.benchmem \
		-test.benchtime "$BENCHTIME" -test.count 1 | tee -a "$out/bench.txt"
done

echo "after:  $(uptime)" >>"$out/load.txt"

echo "== benchstat"
go run "$BENCHSTAT" -col /client "$out/bench.txt" | tee "$out/benchstat.txt"

echo "== peak RSS"
"$out/rssprobe" -o "$out/rss.md"

go run ./cmd/report -bench "$out/bench.txt" -rss "$out/rss.md" -load "$out/load.txt" >"$out/report.md"
echo "== report written to $out/report.md"
