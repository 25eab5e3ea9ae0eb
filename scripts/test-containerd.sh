#!/usr/bin/env bash
# containerd 1.6 (Debian's package) drives bin/geedocker-runc through its runc shim
# (containerd-shim-runc-v2), with ctr, the way a Kubernetes node would drive runc.
#
#   scripts/test-containerd.sh        (`make test-containerd`; root)
#
# A private containerd (CRI disabled; root, state and socket in a temp directory) is
# started and stopped by the script, in a private mount namespace. Checked: `ctr run` plain
# (output, exit code), -t (a pty: tty prints /dev/pts/N), -d; `task exec` plain and -t,
# `task ps`, `task pause`/`resume`, `task kill`, `task delete`; then nothing left in the
# runtime root, the cgroups or the mounts.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
GEE=${GEE_RUNC:-$REPO/bin/geedocker-runc}
if [[ $(id -u) != 0 ]]; then echo "test-containerd: needs root" >&2; exit 1; fi
for t in containerd ctr containerd-shim-runc-v2 script; do
	command -v $t >/dev/null || { echo "test-containerd: $t not found (apt-get install containerd)" >&2; exit 1; }
done
[[ -x $GEE ]] || { echo "test-containerd: $GEE not found (make build)" >&2; exit 1; }
if [[ -z ${GEEDOCKER_CTD_UNSHARED:-} ]]; then
	export GEEDOCKER_CTD_UNSHARED=1
	exec unshare -m --propagation private "$0" "$@"
fi

T=$(mktemp -d /tmp/geedocker-ctd.XXXXXX)
NS=geedocker-test-$$
CTD_PID=
cleanup() {
	set +e
	if [[ -n $CTD_PID ]]; then
		for id in $(ctr -a "$T/sock" -n "$NS" task ls -q 2>/dev/null); do
			ctr -a "$T/sock" -n "$NS" task kill -s KILL "$id"; ctr -a "$T/sock" -n "$NS" task delete -f "$id"
		done
		for id in $(ctr -a "$T/sock" -n "$NS" container ls -q 2>/dev/null); do
			ctr -a "$T/sock" -n "$NS" container delete "$id"
		done
		kill "$CTD_PID"; wait "$CTD_PID" 2>/dev/null
	fi
	find /sys/fs/cgroup -maxdepth 2 -name "$NS" -type d -exec rmdir {} + 2>/dev/null
	umount -R "$T" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# A busybox root from the host's static busybox.
mkdir -p "$T/rootfs/bin" "$T/rootfs/etc" "$T/rootfs/proc" "$T/rootfs/dev" "$T/rootfs/sys"
cp /bin/busybox "$T/rootfs/bin/busybox"
for c in sh tty echo sleep cat ls id true; do ln -s busybox "$T/rootfs/bin/$c"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$T/rootfs/etc/passwd"

cat >"$T/config.toml" <<TOML
version = 2
root = "$T/root"
state = "$T/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$T/sock"
[ttrpc]
  address = "$T/sock.ttrpc"
[debug]
  address = "$T/debug.sock"
TOML
containerd --config "$T/config.toml" >"$T/containerd.log" 2>&1 &
CTD_PID=$!
for _ in $(seq 100); do
	ctr -a "$T/sock" version >/dev/null 2>&1 && break
	kill -0 $CTD_PID || { cat "$T/containerd.log"; exit 1; }
	sleep 0.1
done

c() { ctr -a "$T/sock" -n "$NS" "$@"; }
RUN=(run --rootfs --runc-binary "$GEE")
fails=0
check() { # check NAME WANT GOT
	if [[ $2 == "$3" ]]; then echo "ok   $1"; else echo "FAIL $1: want [$2], got [$3]"; fails=$((fails + 1)); fi
}

out=$(c "${RUN[@]}" --rm "$T/rootfs" plain /bin/sh -c 'echo hello; exit 3' 2>&1) && rc=0 || rc=$?
check "run: output" hello "$out"
check "run: exit code" 3 "$rc"

# (the terminal echoes what script sends it as ^@, with runc too: keep only the device.)
out=$(script -qec "ctr -a $T/sock -n $NS run --rootfs --runc-binary $GEE -t --rm $T/rootfs tty1 /bin/tty" /dev/null </dev/null | tr -d '\r' | grep -o '/dev/[a-z/0-9]*' | head -1)
check "run -t: a pty" yes "$([[ $out == /dev/pts/* ]] && echo yes || echo "no: $out")"

c "${RUN[@]}" -d "$T/rootfs" bg /bin/sleep 1000 >/dev/null
check "run -d: running" RUNNING "$(c task ls | awk '$1 == "bg" {print $3}')"
out=$(c task exec --exec-id e1 bg /bin/sh -c 'echo in-exec; exit 4' 2>&1) && rc=0 || rc=$?
check "task exec: output" in-exec "$out"
check "task exec: exit code" 4 "$rc"
out=$(script -qec "ctr -a $T/sock -n $NS task exec -t --exec-id e2 bg /bin/tty" /dev/null </dev/null | tr -d '\r' | grep -o '/dev/[a-z/0-9]*' | head -1)
check "task exec -t: a pty" yes "$([[ $out == /dev/pts/* ]] && echo yes || echo "no: $out")"
pid=$(c task ls | awk '$1 == "bg" {print $2}')
check "task ps: the init" yes "$(c task ps bg | awk 'NR > 1 {print $1}' | grep -qx "$pid" && echo yes || echo no)"
c task pause bg
check "task pause" PAUSED "$(c task ls | awk '$1 == "bg" {print $3}')"
c task resume bg
check "task resume" RUNNING "$(c task ls | awk '$1 == "bg" {print $3}')"
c task kill -s KILL bg
for _ in $(seq 100); do [[ $(c task ls | awk '$1 == "bg" {print $3}') == STOPPED ]] && break; sleep 0.1; done
check "task kill" STOPPED "$(c task ls | awk '$1 == "bg" {print $3}')"
c task delete bg >/dev/null
c container delete bg

check "nothing left in the runtime root" "" "$(ls /run/containerd/runc/"$NS" 2>/dev/null)"
# containerd puts each container at /<namespace>/<id>; the runtime removes the leaf, as runc.
check "no cgroup left" "" "$(find /sys/fs/cgroup -mindepth 3 -maxdepth 3 -type d -path "*/$NS/*" 2>/dev/null)"
check "no mount left" "" "$(grep -F "$T/rootfs" /proc/self/mountinfo || true)"
if ((fails > 0)); then echo "test-containerd: $fails failed"; exit 1; fi
echo "test-containerd: ok"
