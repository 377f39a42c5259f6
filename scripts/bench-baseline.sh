#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# A baseline for make bench-check from several bench runs (build/bench.json of
# each, copied aside): for every case the run whose xfr/iperf3 ratio is the
# median of the runs that measured it (the lower middle for an even count), so
# one fast or slow run of a noisy machine does not set the bar. Each case also
# gets "noise": how far the worst of its runs fell from that median (a fraction;
# for a cost, how far it rose), which make bench-check doubles into the case's
# tolerance where that is more than 15 %. The machine and settings are the first
# run's; "runs" lists the dates of all.
#
#   scripts/bench-baseline.sh run1.json run2.json run3.json > bench/baseline-NAME.json
# (one per CPU model: scripts/bench-check.sh picks the run's)
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 RUN.json... > bench/baseline-NAME.json" >&2; exit 2; }
for f in "$@"; do
	jq -e '.cases | type == "array"' "$f" >/dev/null 2>&1 || { echo "bench-baseline: $f: no cases array" >&2; exit 2; }
done
jq -s '
	. as $runs
	| ($runs | map(.cases[]) | map(select(.ratio != null)) | group_by(.name)
	   | map(sort_by(.ratio) | .[(length - 1) / 2 | floor] as $m
	         | (if ($m.better // "higher") == "lower" then (.[-1].ratio - $m.ratio) else ($m.ratio - .[0].ratio) end) as $d
	         | $m + {noise: (if $m.ratio > 0 then ($d / $m.ratio * 1000 | round) / 1000 else 0 end)})) as $median
	| $runs[0] | del(.cases)
	| .runs = ($runs | map(.date))
	| .cases = [ $runs[0].cases[] | .name as $n | ($median[] | select(.name == $n)) // . ]
	| .cases += [ $median[] | . as $m | select(($runs[0].cases | map(.name) | index($m.name)) == null) ]
' "$@"
