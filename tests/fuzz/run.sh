#!/bin/sh
# Runs every fuzz target for RUNS inputs (default 2 000 000) from seeds the
# repository holds: the scenario's manifests for YAML, kubectl's recorded
# protobuf bodies for protobuf, a few hand-written seeds for the others.
# Usage: tests/fuzz/run.sh BUILD_DIR [RUNS]
set -e
build=$1
runs=${2:-2000000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/k1s-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/yaml" "$work/protobuf" "$work/strict" "$work/selector" "$work/quantity" "$work/patch" "$work/streams" "$work/route" "$work/cron"
cp "$here"/../../examples/statefulset/*.yaml "$here"/corpus/yaml/* "$work/yaml/"
/usr/bin/python3 "$here/seed_protobuf.py" "$here/../unit/apimachinery/protobuf_captures.h" \
    "$work/protobuf"
for t in strict selector quantity patch streams route cron; do cp "$here"/corpus/$t/* "$work/$t/"; done
for t in yaml protobuf strict selector quantity patch streams route cron; do
    start=$(date +%s)
    "$build/tests/fuzz/fuzz_$t" -runs="$runs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "$work/$t" >"$work/$t.log" 2>&1 || {
        tail -40 "$work/$t.log"
        echo "fuzz_$t: FAILED"
        exit 1
    }
    echo "fuzz_$t: $runs runs in $(($(date +%s) - start)) s, $(grep -o 'cov: [0-9]*' "$work/$t.log" | tail -1)"
done
