#!/usr/bin/env bash
# The OCI runtime-tools validation suite (58 executables, TAP) against bin/geedocker-runc and,
# in the same run, against runc (Debian's package), with both totals printed. Fails when
# geedocker-runc passes fewer assertions than runc, or fails more.
#
#   scripts/test-oci.sh [TEST...]    (default: every validation executable; `make test-oci`)
#
# runtime-tools is built from the Go module cache in a copy outside the repository (never
# committed), once per version, under $OCI_TOOLS_DIR (default /var/cache/geedocker-oci-tools).
# The whole run happens in a private mount namespace (unshare -m --propagation private), so
# mounts a test leaks (rootfs propagation) vanish with it; containers a test leaves behind are
# deleted with `delete --force` after each test. Logs: $OCI_LOG_DIR (default a temp dir).
set -euo pipefail

RT_VERSION=v0.9.1-0.20251205004911-5e639034dcdc
RT_MODULE=github.com/opencontainers/runtime-tools
REPO=$(cd "$(dirname "$0")/.." && pwd)
GEE=${GEE_RUNC:-$REPO/bin/geedocker-runc}
RUNC=${RUNC:-$(command -v runc || true)}
TOOLS=${OCI_TOOLS_DIR:-/var/cache/geedocker-oci-tools}/$RT_VERSION
PER_TEST_TIMEOUT=${OCI_TEST_TIMEOUT:-120}

if [[ $(id -u) != 0 ]]; then echo "test-oci: needs root" >&2; exit 1; fi
if [[ -z $RUNC ]]; then echo "test-oci: runc not found (apt-get install runc)" >&2; exit 1; fi
if [[ ! -x $GEE ]]; then echo "test-oci: $GEE not found (make build)" >&2; exit 1; fi

# Re-run in a private mount namespace.
if [[ -z ${GEEDOCKER_OCI_UNSHARED:-} ]]; then
	export GEEDOCKER_OCI_UNSHARED=1
	exec unshare -m --propagation private "$0" "$@"
fi

build_tools() {
	[[ -x $TOOLS/runtimetest && $(ls "$TOOLS"/validation/*/*.t 2>/dev/null | wc -l) -ge 58 ]] && return
	echo "test-oci: building runtime-tools $RT_VERSION in $TOOLS" >&2
	local src
	src=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "$RT_MODULE@$RT_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
	[[ -n $src ]] || { echo "test-oci: cannot download $RT_MODULE@$RT_VERSION" >&2; exit 1; }
	rm -rf "$TOOLS.tmp" && mkdir -p "$(dirname "$TOOLS")"
	cp -r "$src" "$TOOLS.tmp" && chmod -R u+w "$TOOLS.tmp"
	(cd "$TOOLS.tmp" && GOFLAGS=-mod=mod make runtimetest validation-executables >/dev/null)
	rm -rf "$TOOLS" && mv "$TOOLS.tmp" "$TOOLS"
}
build_tools

LOGS=${OCI_LOG_DIR:-$(mktemp -d /tmp/geedocker-oci.XXXXXX)}
mkdir -p "$LOGS"
cd "$TOOLS"
if [[ $# -gt 0 ]]; then
	tests=()
	for t in "$@"; do tests+=("validation/$t/$t.t"); done
else
	mapfile -t tests < <(ls validation/*/*.t | sort)
fi

# count FILE: "pass fail skip" of a TAP log. A test that ends without its plan, or is killed
# by the timeout, counts one failure more.
count() {
	local f=$1 pass fail skip
	pass=$(grep -Ec '^ok [0-9]+' "$f" | tr -d ' ' || true)
	skip=$(grep -Eic '^ok [0-9]+.*# *skip' "$f" || true)
	fail=$(grep -Ec '^not ok [0-9]+' "$f" || true)
	pass=$((pass - skip))
	if ! grep -Eq '^1\.\.[0-9]+' "$f"; then fail=$((fail + 1)); fi
	echo "$pass $fail $skip"
}

# leftovers RUNTIME ROOT: delete the containers the last test left in ROOT.
leftovers() {
	local rt=$1 root=$2 id
	for id in $("$rt" --root "$root" list -q 2>/dev/null); do
		"$rt" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
	done
}

declare -A P F S
for name in geedocker runc; do P[$name]=0 F[$name]=0 S[$name]=0; done
printf '%-40s %18s %18s\n' TEST "geedocker p/f/s" "runc p/f/s"
for t in "${tests[@]}"; do
	base=$(basename "$t" .t)
	line=$(printf '%-40s' "$base")
	for name in geedocker runc; do
		if [[ $name == geedocker ]]; then rt=$GEE root=/run/geedocker-runc; else rt=$RUNC root=/run/runc; fi
		log=$LOGS/$base.$name.tap
		RUNTIME=$rt timeout -k 10 "$PER_TEST_TIMEOUT" "$t" >"$log" 2>&1 </dev/null || true
		leftovers "$rt" "$root"
		read -r p f s < <(count "$log")
		P[$name]=$((P[$name] + p)) F[$name]=$((F[$name] + f)) S[$name]=$((S[$name] + s))
		line+=$(printf ' %18s' "$p/$f/$s")
	done
	echo "$line"
done
echo
echo "runtime-tools $RT_VERSION, logs in $LOGS"
printf 'geedocker-runc: pass %d fail %d skip %d\n' "${P[geedocker]}" "${F[geedocker]}" "${S[geedocker]}"
printf 'runc (%s): pass %d fail %d skip %d\n' "$("$RUNC" --version | head -1 | awk '{print $3}')" "${P[runc]}" "${F[runc]}" "${S[runc]}"
if ((P[geedocker] < P[runc] || F[geedocker] > F[runc])); then
	echo "test-oci: FAIL: geedocker-runc passes fewer assertions than runc, or fails more" >&2
	exit 1
fi
echo "test-oci: ok"
