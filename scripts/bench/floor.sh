#!/usr/bin/env bash
# floor.sh DIR BLOB...: the floor of a pull. Each gzip layer blob is unpacked
# by `zcat BLOB | tar -x` into its own new directory under DIR, all layers at
# once (as an engine may download and unpack layers in parallel).
set -euo pipefail
dir=$1
shift
mkdir -p "$dir"
pids=()
i=0
for blob in "$@"; do
	i=$((i + 1))
	mkdir "$dir/$i"
	(zcat "$blob" | tar -x -C "$dir/$i") &
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do
	wait "$p" || rc=1
done
exit $rc
