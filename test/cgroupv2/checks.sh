#!/bin/sh
# Stage 2, PID 1 of the test VM after switch_root (see README.md): mounts the
# kernel file systems and a pure cgroup v2 hierarchy, imports the busybox
# image, runs GeeDocker's cgroup v2 checks and prints, on the console,
#
#	CGV2 PASS <check>          or   CGV2 FAIL <check>: <why> (+ the output)
#	CGV2 DONE passed=N failed=M
#
# then powers the VM off. The host (scripts/test-cgroupv2.sh) reads those lines.
export PATH=/bin HOME=/root
CG=/sys/fs/cgroup
PARENT=$CG/geedocker
passed=0
failed=0

pass() {
	passed=$((passed + 1))
	echo "CGV2 PASS $*"
}
fail() {
	failed=$((failed + 1))
	echo "CGV2 FAIL $*"
}
info() { echo "CGV2 INFO $*"; }
finish() {
	echo "CGV2 DONE passed=$passed failed=$failed"
	sync
	poweroff -f
}
# fatal: the VM cannot run the checks at all.
fatal() {
	fail "$*"
	dmesg | tail -n 20 | sed 's/^/    dmesg: /'
	finish
}

# gd NAME ARGS...: runs geedocker ARGS with /tmp/NAME.out, /tmp/NAME.err and
# its exit code in $rc. A hung command is killed; the host bounds the VM too.
gd() {
	name=$1
	shift
	timeout -s KILL 60 geedocker "$@" >/tmp/"$name".out 2>/tmp/"$name".err </dev/null
	rc=$?
}
# show NAME: the output of gd NAME, indented, for a failure report.
show() {
	sed "s/^/    stdout: /" /tmp/"$1".out
	sed "s/^/    stderr: /" /tmp/"$1".err
	echo "    exit code: $rc"
}
# cleaned NAME: after a --rm run, nothing but the parent is left.
cleaned() {
	if [ ! -d $PARENT ]; then
		fail "cleanup after $1: the parent $PARENT does not exist"
		return
	fi
	left=$(find $PARENT -mindepth 1 -type d)
	if [ -n "$left" ]; then
		fail "cleanup after $1: left behind: $(echo $left)"
	else
		pass "cleanup after $1: nothing under $PARENT/"
	fi
}
# oomkills: the oom_kill count of the parent (hierarchical; 0 before it exists).
oomkills() {
	n=$(awk '$1 == "oom_kill" { print $2 }' $PARENT/memory.events 2>/dev/null)
	echo "${n:-0}"
}

# ---- the machine
mount -t proc proc /proc
mount -t sysfs sys /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t tmpfs -o mode=1777 tmp /tmp
mount -t tmpfs -o mode=0755 run /run
mount --make-rprivate /
insmod /lib/overlay.ko || fatal "boot: insmod overlay.ko"
grep -qw overlay /proc/filesystems || fatal "boot: overlay is not in /proc/filesystems after insmod"
# The overlay upper and work dirs must be on a tmpfs of their own.
mkdir -p /var/lib/geedocker
mount -t tmpfs -o mode=0711 geedocker /var/lib/geedocker || fatal "boot: cannot mount a tmpfs at /var/lib/geedocker"
# Only mount cgroup2: enabling the controllers is GeeDocker's job.
mount -t cgroup2 -o nsdelegate cgroup2 $CG || fatal "boot: cannot mount cgroup2 at $CG"
info "kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print $2 " kB" }' /proc/meminfo)"
info "cgroup.controllers: $(cat $CG/cgroup.controllers)"
info "cgroup.subtree_control before GeeDocker: '$(cat $CG/cgroup.subtree_control)'"

# ---- 5. geedocker info
gd info info
if [ $rc = 0 ] && grep -q "Cgroup Version: 2" /tmp/info.out; then
	pass "info: Cgroup Version: 2"
else
	fail "info: no 'Cgroup Version: 2'"
	show info
fi

gd import import --change 'CMD ["sh"]' /rootfs.tar busybox
if [ $rc != 0 ]; then
	show import
	fatal "boot: geedocker import of the busybox rootfs failed"
fi

# ---- 1. OOM kill under --memory 32m --memory-swap 32m
before=$(oomkills)
gd oom run --rm --network none --memory 32m --memory-swap 32m busybox sh -c 'tail /dev/zero'
after=$(oomkills)
info "cgroup.subtree_control after GeeDocker: root '$(cat $CG/cgroup.subtree_control)', $PARENT '$(cat $PARENT/cgroup.subtree_control 2>/dev/null)'"
if [ $rc = 137 ] && [ "$after" -gt "$before" ]; then
	pass "memory: --memory 32m --memory-swap 32m, tail /dev/zero exits 137 (oom_kill $before -> $after)"
else
	fail "memory: want exit 137 and an oom_kill in $PARENT/memory.events, got exit $rc and oom_kill $before -> $after"
	show oom
fi
cleaned "--memory run"

# ---- 1b. an OOM kill recorded while the container runs: its monitor watches memory.events
gd oomlive run -d --network none --memory 32m --memory-swap 32m busybox sh -c 'tail /dev/zero; sleep 300'
id=$(cat /tmp/oomlive.out)
got=
for i in $(seq 300); do
	gd oomstate inspect -f '{{.State.Status}} {{.State.OOMKilled}}' "$id"
	got=$(cat /tmp/oomstate.out)
	[ "$got" = "running true" ] && break
	sleep 0.1
done
if [ "$got" = "running true" ]; then
	pass "memory: an OOM kill of a child shows as OOMKilled while the container runs"
else
	fail "memory: want 'running true' from inspect after an OOM kill of a child, got '$got'"
	show oomlive
fi
gd oomrm rm -f "$id"
cleaned "the OOM-watched run"

# ---- 2. a fork bomb under --pids-limit 10
gd pids run --rm --network none --pids-limit 10 busybox sh -c 'for i in $(seq 30); do sleep 30 & done; echo all-started'
if grep -q "can't fork" /tmp/pids.err && ! grep -q all-started /tmp/pids.out; then
	pass "pids: --pids-limit 10, forking 30 fails with \"can't fork\" (exit $rc)"
else
	fail "pids: want \"can't fork\" on stderr and no all-started"
	show pids
fi
cleaned "--pids-limit run"

# ---- 3. CPU throttling under --cpus 0.5
gd cpu run --rm --network none --cpus 0.5 busybox sh -c 'cat /sys/fs/cgroup/cpu.max; timeout 2 sh -c "while :; do :; done"; grep nr_throttled /sys/fs/cgroup/cpu.stat'
max=$(head -n 1 /tmp/cpu.out)
throttled=$(awk '$1 == "nr_throttled" { print $2 }' /tmp/cpu.out)
if [ "$max" = "50000 100000" ] && [ "${throttled:-0}" -gt 0 ]; then
	pass "cpu: --cpus 0.5, cpu.max '$max', nr_throttled $throttled after 2 s of spinning"
else
	fail "cpu: want cpu.max '50000 100000' and nr_throttled > 0, got '$max' and '$throttled'"
	show cpu
fi
cleaned "--cpus run"

# ---- 4. limits seen from inside
gd mem64 run --rm --network none -m 64m busybox cat /sys/fs/cgroup/memory.max
if [ $rc = 0 ] && [ "$(cat /tmp/mem64.out)" = 67108864 ]; then
	pass "limits: -m 64m, memory.max inside is 67108864"
else
	fail "limits: -m 64m, want memory.max 67108864 inside"
	show mem64
fi
cleaned "-m 64m run"

gd pids20 run --rm --network none --pids-limit 20 busybox cat /sys/fs/cgroup/pids.max
if [ $rc = 0 ] && [ "$(cat /tmp/pids20.out)" = 20 ]; then
	pass "limits: --pids-limit 20, pids.max inside is 20"
else
	fail "limits: --pids-limit 20, want pids.max 20 inside"
	show pids20
fi
cleaned "--pids-limit 20 run"

# ---- 4b. the finer run flags and update (cgroup v2 files)
gd runflags run --rm --network none -m 64m --memory-reservation 16m --cpu-period 50000 --cpu-quota 25000 busybox \
	sh -c 'cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/memory.low'
if [ $rc = 0 ] && [ "$(cat /tmp/runflags.out)" = "$(printf '25000 50000\n16777216')" ]; then
	pass "run flags: --cpu-period 50000 --cpu-quota 25000 --memory-reservation 16m: cpu.max '25000 50000', memory.low 16777216"
else
	fail "run flags: want cpu.max '25000 50000' and memory.low 16777216"
	show runflags
fi
gd oomdis run --rm --network none -m 64m --oom-kill-disable busybox true
if [ $rc = 0 ] && grep -qx "WARNING: Your kernel does not support OomKillDisable. OomKillDisable discarded." /tmp/oomdis.err; then
	pass "run flags: --oom-kill-disable is dropped on v2 with Docker's warning"
else
	fail "run flags: --oom-kill-disable, want exit 0 and Docker's warning"
	show oomdis
fi
gd cgns run --rm --network none busybox readlink /proc/self/ns/cgroup
if [ $rc = 0 ] && [ "$(cat /tmp/cgns.out)" != "$(readlink /proc/self/ns/cgroup)" ]; then
	pass "run flags: the default cgroup namespace is private on v2"
else
	fail "run flags: want a private cgroup namespace by default on v2"
	show cgns
fi
cleaned "the run flag runs"
gd upd run -d --network none --name upd -m 64m busybox sleep 300
gd upd2 update --cpus 0.5 -m 96m --memory-swap 192m --memory-reservation 32m --pids-limit 30 upd
gd upd3 exec upd sh -c 'cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.low /sys/fs/cgroup/pids.max'
if [ "$(cat /tmp/upd2.out)" = upd ] && [ "$(cat /tmp/upd3.out)" = "$(printf '50000 100000\n100663296\n33554432\n30')" ]; then
	pass "update: --cpus 0.5 -m 96m --memory-reservation 32m --pids-limit 30 reach the running container's cgroup"
else
	fail "update: want cpu.max '50000 100000', memory.max 100663296, memory.low 33554432, pids.max 30"
	show upd2
	show upd3
fi
gd upd4 exec upd sh -c 'head -c 20971520 /dev/zero > /dev/shm/fill'
gd upd5 update -m 8m --memory-swap 8m --memory-reservation 8m upd
if [ $rc = 1 ] && grep -q "unable to set memory limit to 8388608 (current usage: " /tmp/upd5.err; then
	pass "update: a memory limit below the usage is refused (exit 1), the container not OOM-killed"
else
	fail "update: -m 8m below a usage of 20 MiB, want exit 1 and 'unable to set memory limit'"
	show upd5
fi
gd upd6 rm -f upd
cleaned "the update run"

# ---- 6. devices: the eBPF device program answers as v1's devices.allow/deny
EPERM="Operation not permitted"
ENXIO="No such device or address"
# devcheck WHAT WANT NOT ARGS...: a --rm run whose output (stdout and stderr)
# holds every "|"-separated part of WANT and not NOT ("" for none).
devcheck() {
	what=$1 want=$2 not=$3
	shift 3
	gd dev run --rm --network none "$@"
	ok=1
	IFS='|'
	for w in $want; do
		grep -qF "$w" /tmp/dev.out || ok=0
	done
	unset IFS
	if [ -n "$not" ] && grep -qF "$not" /tmp/dev.out; then
		ok=0
	fi
	if [ $ok = 1 ]; then
		pass "devices: $what"
	else
		fail "devices: $what: want '$want'${not:+, not '$not'}"
		show dev
	fi
}
# A character device no driver registers: once the device program lets an
# open through, it fails with ENXIO; no hardware is touched.
mknod /tmp/nodrv c 4000 0
readsda='exec 2>&1; mknod /dev/sda b 8 0 && echo made; head -c 1 /dev/sda'
devcheck "default rules: mknod /dev/sda b 8 0 passes, reading it fails with EPERM" \
	"made|head: /dev/sda: $EPERM" "" busybox sh -c "$readsda"
devcheck "default rules: /dev/null, /dev/zero and /dev/urandom work" "3|4|ok" "$EPERM" \
	busybox sh -c 'exec 2>&1; head -c 3 /dev/zero | wc -c; head -c 4 /dev/urandom | wc -c; echo x > /dev/null && echo ok'
devcheck "--device /dev/null:/dev/mynull is read and written" "1,   3|/dev/mynull|written" "$EPERM" \
	--device /dev/null:/dev/mynull busybox sh -c 'exec 2>&1; ls -l /dev/mynull; echo x > /dev/mynull && cat /dev/mynull && echo written'
devcheck "--device /dev/zero:/dev/z:r is read" "4" "$EPERM" \
	--device /dev/zero:/dev/z:r busybox sh -c 'exec 2>&1; head -c 4 /dev/z | wc -c'
devcheck "--device NODE:/dev/nodrv:r opens for reading (ENXIO), not for writing (EPERM)" \
	"head: /dev/nodrv: $ENXIO|can't create /dev/nodrv: $EPERM" "" \
	--device /tmp/nodrv:/dev/nodrv:r busybox sh -c 'exec 2>&1; head -c 1 /dev/nodrv; echo x > /dev/nodrv'
devcheck "without --device the same node is refused (EPERM)" "made|head: /dev/nodrv: $EPERM" "" \
	busybox sh -c 'exec 2>&1; mknod /dev/nodrv c 4000 0 && echo made; head -c 1 /dev/nodrv'
devcheck "--device-cgroup-rule 'b 8:0 r' lets the open through (ENXIO, not EPERM)" \
	"made|head: /dev/sda: $ENXIO" "$EPERM" --device-cgroup-rule 'b 8:0 r' busybox sh -c "$readsda"
devcheck "--privileged allows every device (ENXIO, not EPERM)" "made|head: /dev/sda: $ENXIO" "$EPERM" \
	--privileged busybox sh -c "$readsda"
gd devbad run --rm --network none --device /dev/zero:/dev/z:rwx busybox true
if [ $rc = 125 ] && grep -q 'bad mode specified: rwx' /tmp/devbad.err; then
	pass "devices: --device /dev/zero:/dev/z:rwx exits 125 with 'bad mode specified: rwx'"
else
	fail "devices: --device /dev/zero:/dev/z:rwx, want exit 125 and 'bad mode specified: rwx'"
	show devbad
fi
cleaned "the device runs"

# ---- 8. pause and unpause: cgroup.freeze, and a paused container stopped (thawed, so that
# SIGTERM reaches it: its trap exits 3)
gd pauserun run -d --network none busybox sh -c 'trap "exit 3" TERM; while :; do sleep 0.1; done'
id=$(cat /tmp/pauserun.out)
gd pause pause "$id"
prc=$rc
gd pausestate inspect -f '{{.State.Status}} {{.State.Paused}}' "$id"
got=$(cat /tmp/pausestate.out)
frozen=$(awk '$1 == "frozen" { print $2 }' $PARENT/"$id"/cgroup.events 2>/dev/null)
if [ $prc = 0 ] && [ "$got" = "paused true" ] && [ "$(cat $PARENT/"$id"/cgroup.freeze 2>/dev/null)" = 1 ] && [ "$frozen" = 1 ]; then
	pass "pause: cgroup.freeze 1, cgroup.events frozen 1, inspect says 'paused true'"
else
	fail "pause: want cgroup.freeze 1, frozen 1 and 'paused true', got freeze '$(cat $PARENT/"$id"/cgroup.freeze 2>/dev/null)', frozen '$frozen', '$got'"
	show pause
fi
gd unpause unpause "$id"
frozen=$(awk '$1 == "frozen" { print $2 }' $PARENT/"$id"/cgroup.events 2>/dev/null)
gd pausestate inspect -f '{{.State.Status}} {{.State.Paused}}' "$id"
got=$(cat /tmp/pausestate.out)
if [ "$frozen" = 0 ] && [ "$got" = "running false" ]; then
	pass "unpause: cgroup.events frozen 0, inspect says 'running false'"
else
	fail "unpause: want frozen 0 and 'running false', got '$frozen' and '$got'"
	show unpause
fi
gd pause pause "$id"
gd stop stop "$id"
gd pausestate inspect -f '{{.State.Status}} {{.State.Paused}} {{.State.ExitCode}}' "$id"
got=$(cat /tmp/pausestate.out)
if [ "$got" = "exited false 3" ]; then
	pass "pause: stop of a paused container thaws it and SIGTERM ends it (exit 3)"
else
	fail "pause: stop of a paused container, want 'exited false 3', got '$got'"
	show stop
fi
gd pauserm rm -f "$id"
cleaned "the paused container"

# ---- 7. the device program's own tests on a pure cgroup v2 kernel
# (internal/cgroups, built by test-cgroupv2.sh): the verifier accepts every
# program, real opens are refused and allowed, and the kernel frees the
# program when the cgroup is removed.
if [ -x /cgroups.test ]; then
	/cgroups.test -test.v -test.count=1 -test.run 'TestHostDeviceProgram' >/tmp/gotest.out 2>&1
	gorc=$?
	sed -n 's/^ *--- \([A-Z]*\): \([^ ]*\).*/CGV2 INFO go test: \1 \2/p' /tmp/gotest.out
	if [ $gorc = 0 ] && grep -q -- '--- PASS: TestHostDeviceProgramEnforced' /tmp/gotest.out; then
		pass "devices: go test ./internal/cgroups -run TestHostDeviceProgram (loaded, enforced, freed with the cgroup)"
	else
		fail "devices: go test ./internal/cgroups -run TestHostDeviceProgram, exit $gorc"
		sed 's/^/    /' /tmp/gotest.out | tail -n 40
	fi
else
	info "no /cgroups.test in the initramfs: the device program's Go tests are not run"
fi

if [ $failed != 0 ]; then
	dmesg | tail -n 20 | sed 's/^/    dmesg: /'
fi
finish
