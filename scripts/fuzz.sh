#!/usr/bin/env bash
# Runs every native Go fuzz target of the module (each func FuzzXxx in a
# _test.go file, found with `go test -list`), one after another: Go fuzzes
# one target per invocation.
#
#   FUZZTIME          how long each target runs (default 30s; any -fuzztime
#                     value, e.g. 5m or 10000x)
#   FUZZ              a regular expression: only the targets it matches
#   FUZZPARALLEL      -parallel (default Go's: one worker per CPU)
#   FUZZMINIMIZETIME  how much a new input is minimised (default 500x, 500
#                     runs; Go's 60s stalls short runs, and a time limit
#                     restarts the worker each time it is reached)
#
# An input that fails is written to the package's testdata/fuzz/FuzzXxx/ and
# the script stops with the output; commit that file with the fix, and every
# `go test` replays it. Run as root, as CI does: without root the layer
# unpacker's targets make no device nodes, and whiteouts fail.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
FUZZTIME=${FUZZTIME:-30s}

# go test's own timeout (10m by default) would end a long run: allow
# FUZZTIME plus 5 minutes for building and the seed corpus.
timeout=10m
case $FUZZTIME in
*h) timeout=$((${FUZZTIME%h} * 3600 + 300))s ;;
*m) timeout=$((${FUZZTIME%m} * 60 + 300))s ;;
*s) timeout=$((${FUZZTIME%s} + 300))s ;;
esac
parallel=()
if [ -n "${FUZZPARALLEL:-}" ]; then parallel=(-parallel "$FUZZPARALLEL"); fi

# Packages with a candidate; go test -list then answers with the targets
# that build on this platform.
mapfile -t dirs < <(grep -rl --include='*_test.go' --exclude-dir=.git --exclude-dir=testdata '^func Fuzz' . |
	xargs -r -n1 dirname | sort -u)
summary=()
for dir in "${dirs[@]}"; do
	list=$(go test -list '^Fuzz' "$dir")
	for name in $(grep '^Fuzz' <<<"$list" | grep -E -- "${FUZZ:-.}" || true); do
		echo "== $dir $name for $FUZZTIME"
		log=$(mktemp)
		if ! go test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "${FUZZMINIMIZETIME:-500x}" -timeout "$timeout" "${parallel[@]}" "$dir" 2>&1 | tee "$log"; then
			# Go 1.26's coordinator can end a duration run with a bare "context deadline
			# exceeded" (go.dev/issue/75804, fixed in Go 1.27): no input failed, none was
			# written. Anything else, or a written input, is a real failure.
			if grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written\|panic:\|_test.go:[0-9]*:' "$log"; then
				echo "fuzz: $dir $name: the run ended on Go's fuzztime deadline race (go.dev/issue/75804), no failing input" >&2
			else
				rm -f "$log"
				echo "fuzz: $dir $name failed; the failing input is in $dir/testdata/fuzz/$name/" >&2
				exit 1
			fi
		fi
		execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 || true)
		summary+=("$dir $name: ${execs:-no execs beyond the seed corpus}")
		rm -f "$log"
	done
done
if [ ${#summary[@]} = 0 ]; then
	echo "fuzz: no fuzz targets${FUZZ:+ matching $FUZZ}" >&2
	exit 1
fi
echo "== fuzzed ${#summary[@]} targets, $FUZZTIME each"
printf '%s\n' "${summary[@]}"
