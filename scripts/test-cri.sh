#!/usr/bin/env bash
# The kubelet's own path: containerd 1.6 with its CRI plugin, a runtime handler whose
# BinaryName is bin/geedocker-runc, driven by crictl (sigs.k8s.io/cri-tools), as a kubelet
# would drive it.
#
#   scripts/test-cri.sh        (`make test-cri`; root)
#
# A private containerd (root, state, sockets and CRI stream server on loopback, all in a temp
# directory) is started and stopped by the script, in a private mount namespace. The images
# (a busybox app image and a "pause" image whose command sleeps) are made by geedocker itself
# (import, then save) and imported with ctr. Checked, with crictl: `runp` of a hostNetwork pod,
# `create` and `start` of a container in it, `ps`, `logs`, `exec` (output and exit code),
# `inspect`, `stop`, `stopp`, `rmp`; then nothing left in the runtime root, the cgroups or
# the mounts. crictl is built once with `go install` into $GEE_CRI_BIN (default
# /var/tmp/geedocker-cri-bin).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
GEE=${GEE_RUNC:-$REPO/bin/geedocker-runc}
CRICTL_VERSION=v1.37.0
BIN=${GEE_CRI_BIN:-/var/tmp/geedocker-cri-bin}
if [[ $(id -u) != 0 ]]; then echo "test-cri: needs root" >&2; exit 1; fi
for t in containerd ctr containerd-shim-runc-v2 go; do
	command -v $t >/dev/null || { echo "test-cri: $t not found (apt-get install containerd)" >&2; exit 1; }
done
[[ -x $GEE && -x $REPO/bin/geedocker ]] || { echo "test-cri: $GEE not found (make build)" >&2; exit 1; }
if [[ ! -x $BIN/crictl ]]; then
	echo "test-cri: building crictl $CRICTL_VERSION" >&2
	GOBIN=$BIN go install sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION
fi
if [[ -z ${GEEDOCKER_CRI_UNSHARED:-} ]]; then
	export GEEDOCKER_CRI_UNSHARED=1
	exec unshare -m --propagation private "$0" "$@"
fi

T=$(mktemp -d /tmp/geedocker-cri.XXXXXX)
CTD_PID=
crictl() { "$BIN/crictl" --config "$T/crictl.yaml" "$@"; }
cleanup() {
	set +e
	if [[ -n $CTD_PID ]]; then
		for p in $(crictl pods -q 2>/dev/null); do crictl stopp "$p" >/dev/null; crictl rmp -f "$p" >/dev/null; done
		kill "$CTD_PID"; wait "$CTD_PID" 2>/dev/null
	fi
	# the pods' cgroups are under the parent the pod config names
	find /sys/fs/cgroup -maxdepth 3 -name "geedocker-cri-$$" -type d -exec rmdir {} + 2>/dev/null
	umount -R "$T" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# The images, made by geedocker from the host's static busybox.
GD=(env GEEDOCKER_ROOT="$T/gd" "$REPO/bin/geedocker")
"$REPO/scripts/busybox-rootfs.sh" "$T/busybox.tar" >/dev/null
"${GD[@]}" import --change 'ENV PATH=/bin' --change 'CMD ["sh"]' "$T/busybox.tar" geedocker.test/busybox:cri >/dev/null
"${GD[@]}" import --change 'ENV PATH=/bin' --change 'CMD ["sleep", "2147483647"]' "$T/busybox.tar" geedocker.test/pause:cri >/dev/null
"${GD[@]}" save -o "$T/images.tar" geedocker.test/busybox:cri geedocker.test/pause:cri

mkdir -p "$T/cni/bin" "$T/cni/conf" "$T/logs"
cat >"$T/crictl.yaml" <<YAML
runtime-endpoint: unix://$T/sock
image-endpoint: unix://$T/sock
timeout: 30
YAML
cat >"$T/config.toml" <<TOML
version = 2
root = "$T/root"
state = "$T/state"
[grpc]
  address = "$T/sock"
[ttrpc]
  address = "$T/sock.ttrpc"
[debug]
  address = "$T/debug.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "geedocker.test/pause:cri"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # the sandbox of this kind of machine lacks CAP_SYS_RESOURCE
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "geedocker"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.geedocker]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.geedocker.options]
        BinaryName = "$GEE"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$T/cni/bin"
    conf_dir = "$T/cni/conf"
TOML
containerd --config "$T/config.toml" >"$T/containerd.log" 2>&1 &
CTD_PID=$!
for _ in $(seq 200); do
	crictl version >/dev/null 2>&1 && break
	kill -0 $CTD_PID || { cat "$T/containerd.log"; exit 1; }
	sleep 0.1
done
ctr -a "$T/sock" -n k8s.io images import "$T/images.tar" >/dev/null

fails=0
check() { # check NAME WANT GOT
	if [[ $2 == "$3" ]]; then echo "ok   $1"; else echo "FAIL $1: want [$2], got [$3]"; fails=$((fails + 1)); fi
}

cat >"$T/pod.json" <<JSON
{"metadata": {"name": "gdpod", "namespace": "default", "uid": "geedocker-cri-$$", "attempt": 1},
 "log_directory": "$T/logs",
 "linux": {"cgroup_parent": "/geedocker-cri-$$",
           "security_context": {"namespace_options": {"network": 2}}}}
JSON
cat >"$T/ctr.json" <<JSON
{"metadata": {"name": "app"},
 "image": {"image": "geedocker.test/busybox:cri"},
 "command": ["/bin/sh", "-c", "echo hello-from-cri; exec sleep 1000"],
 "log_path": "app.log",
 "linux": {}}
JSON

pod=$(crictl runp "$T/pod.json")
check "runp: the pod is ready" SANDBOX_READY "$(crictl inspectp -o go-template --template '{{.status.state}}' "$pod")"
# geedocker-runc holds the sandbox: its own state command answers for it in containerd's runtime root
check "runp: geedocker-runc runs the sandbox" running "$("$GEE" --root /run/containerd/runc/k8s.io state "$pod" | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p')"
cid=$(crictl create "$pod" "$T/ctr.json" "$T/pod.json")
crictl start "$cid" >/dev/null
check "start: running" CONTAINER_RUNNING "$(crictl inspect -o go-template --template '{{.status.state}}' "$cid")"
check "start: geedocker-runc runs the container" running "$("$GEE" --root /run/containerd/runc/k8s.io state "$cid" | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p')"
check "ps: listed" "$cid" "$(crictl ps -q --pod "$pod")"
for _ in $(seq 100); do
	[[ $(crictl logs "$cid" 2>&1) == hello-from-cri ]] && break
	sleep 0.1
done
check "logs" hello-from-cri "$(crictl logs "$cid" 2>&1)"
out=$(crictl exec "$cid" /bin/sh -c 'echo in-exec $(id -u); exit 5' 2>"$T/exec.err") && rc=0 || rc=$?
check "exec: output" "in-exec 0" "$out"
# crictl itself exits 1 and names the command's code
check "exec: exit code" "1, exit code 5" "$rc, $(grep -o 'exit code [0-9]*' "$T/exec.err")"
out=$(crictl exec -s "$cid" /bin/cat /proc/1/cmdline 2>&1 | tr '\0' ' ')
check "exec -s: one PID namespace per pod, PID 1 is the pause" "sleep 2147483647 " "$out"
crictl stop "$cid" >/dev/null
check "stop: exited" CONTAINER_EXITED "$(crictl inspect -o go-template --template '{{.status.state}}' "$cid")"
crictl stopp "$pod" >/dev/null
check "stopp: not ready" SANDBOX_NOTREADY "$(crictl inspectp -o go-template --template '{{.status.state}}' "$pod")"
crictl rmp "$pod" >/dev/null
check "rmp: no pod left" "" "$(crictl pods -q)"

check "nothing left in the runtime root" "" "$(ls /run/containerd/runc/k8s.io 2>/dev/null)"
check "no cgroup left" "" "$(find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -type d -path "*/geedocker-cri-$$/*" 2>/dev/null)"
check "no mount left" "" "$(grep -F "$T/" /proc/self/mountinfo | grep -v "$T/root\|$T/state" || true)"
grep -iE "level=(error|warning)" "$T/containerd.log" | grep -v "cleaning up after shim disconnected|failed to load cni" >&2 || true
if ((fails > 0)); then echo "test-cri: $fails failed"; tail -30 "$T/containerd.log"; exit 1; fi
echo "test-cri: ok"
