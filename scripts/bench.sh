#!/usr/bin/env bash
# GeeDocker's benchmark against its peers, offline, on loopback, in one run.
#
#   scripts/bench.sh [PART...]     (default: all of pull run exec lifecycle
#                                   bridge monitor seccomp build ocirun health
#                                   saveload api; `make bench` builds first)
#
# pull      Two images in a local docker-registry on a free 127.0.0.1 port:
#           Debian bookworm minbase (one layer) and a four-layer image (the
#           same rootfs split in two, ~30,000 small text files, incompressible
#           random files). Each tool pulls each image 3 times into an empty
#           store: geedocker pull, podman pull, skopeo copy to dir: (download
#           only), and the floor, `zcat LAYER | tar -x` of the same blobs
#           (layers in parallel).
# run       `run --rm --network none busybox true` of geedocker and podman,
#           and `runc run` of a bundle of the same busybox rootfs, in one
#           hyperfine run.
# exec      `exec C true` into a detached `sleep` container, geedocker and
#           podman, in one hyperfine run.
# lifecycle geedocker only: `run -d --network none busybox sleep 1000` of 100
#           containers one after the other, then `rm -f` of each, every
#           command timed; the first 10 against the last 10 of each phase
#           (does the cost grow with the containers already there?), and
#           `ps -a` with none and with 100 containers.
# bridge    geedocker only: `run --rm busybox true` on the default bridge
#           network against `--network none`. Every geedocker command of this
#           part runs inside a network namespace the script makes (ip netns
#           add gdbench-PID) and deletes: the machine's own network (links,
#           nftables, ip_forward) is never touched, and checked unchanged.
#           podman's bridge is not run (it would change the machine's
#           network); the issue's figure for it is printed for reference.
# ocirun    The OCI runtimes alone: `geedocker-runc run` of a busybox bundle
#           (`true`, from `runc spec` with no terminal and a writable root),
#           side by side with `runc run` of the same bundle, and `crun run`
#           when crun is installed and runs here, in one hyperfine run.
# seccomp   geedocker only: `run --rm --network none busybox true` with
#           Docker's default seccomp profile against the same with
#           `--security-opt seccomp=unconfined`, side by side in one hyperfine
#           run (the compiled filter is cached in the store's run directory,
#           so the warmups pay for the one compilation).
# build     `build` of a 10-step Dockerfile (FROM busybox, ENV, WORKDIR, one
#           COPY of 10,000 small files, four RUNs, LABEL, CMD) with RUN on
#           --network none: from scratch (--no-cache) and fully cached,
#           geedocker and podman side by side (hyperfine).
# saveload  `save` of the four-layer image of the pull part to a file, and
#           `load` of that archive, geedocker and podman side by side in
#           one hyperfine run. Each load goes into a new store: the one
#           before is moved aside, not deleted, until the part ends (on
#           ext4 without a journal, creating files right after a mass
#           deletion is slow for every tool; see docs/design.md).
# monitor   The memory of the process that holds a detached container (its
#           PID 1's parent): geedocker's container-monitor and podman's
#           conmon, 10 `sleep` containers each; VmRSS, RssAnon, RssFile
#           (/proc/PID/status), Pss and Private_Clean+Private_Dirty
#           (/proc/PID/smaps_rollup), mean over the 10.
# health    geedocker only: the cost of one health-check probe (the hidden
#           `container-healthcheck C` that a container's monitor runs: an exec
#           of `true` in the container and the record's update) against `exec
#           C true`, in one hyperfine run; and the memory of 10 monitors whose
#           containers are probed every second (`--health-cmd true
#           --health-interval 1s`), read once each has run 5 probes, against
#           10 monitors of containers without a check, as in part monitor.
# api       The Engine API: the docker CLI's `docker ps` and `docker run --rm
#           --network none busybox true` through `geedocker serve` and through
#           `podman system service` (CONTAINERS_CONF=scripts/bench/podman.conf),
#           each on a unix socket of its own, and geedocker's own `run --rm`
#           for the server's overhead, in one hyperfine run. Needs the docker
#           CLI (a client only).
#
# Prints a Markdown section on stdout (progress goes to stderr). With
# BENCH_WRITE=1 it also writes docs/benchmarks.md. Results (hyperfine JSON,
# per-command times, the Markdown) stay in $GEE_BENCH_WORK/results.
#
# Environment:
#   GEE_BENCH_WORK  data and caches (default /var/tmp/geedocker-bench): the
#                   debootstrap rootfs tarball and the generated layers are
#                   kept there between runs; everything else is removed.
#   PULL_RUNS       runs per pull measurement (default 3)
#   RUN_RUNS        runs per run, exec and ps latency measurement (default
#                   30, 3 warmups)
#   LIFECYCLE_N     containers of the lifecycle part (default 100, at least 20)
#   BENCH_WRITE=1   write docs/benchmarks.md
#   BENCH_REBUILD=1 rebuild the cached rootfs and layers
#   BENCH_VERBOSE=1 show the output of every measured command
#
# Needs root, Debian's apt (missing tools are installed: docker-registry
# skopeo podman runc hyperfine debootstrap busybox-static jq iproute2
# nftables) and Go (to build the helper in scripts/bench). crun is not
# measured: it refuses the hybrid cgroup layout of the machine this was
# written on. Whatever a run creates (containers, mounts, cgroups, the
# network namespace) is removed when it ends, fails or is interrupted.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
HELPERS=$REPO/scripts/bench
W=${GEE_BENCH_WORK:-/var/tmp/geedocker-bench}
PULL_RUNS=${PULL_RUNS:-3}
RUN_RUNS=${RUN_RUNS:-30}
LIFECYCLE_N=${LIFECYCLE_N:-100}
RECIPE=v1 # bump when the images' recipe changes; old caches are then rebuilt
GD_BUILT=$REPO/bin/geedocker

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

parts=()
for a in "$@"; do
	case $a in
	pull | run | exec | lifecycle | bridge | monitor | seccomp | build | ocirun | health | saveload | api) parts+=("$a") ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown part $a (want pull, run, exec, lifecycle, bridge, monitor, seccomp, build, ocirun, health, saveload, api, or nothing for all)" ;;
	esac
done
[ ${#parts[@]} -gt 0 ] || parts=(pull run exec lifecycle bridge monitor seccomp build ocirun health saveload api)
want() { [[ " ${parts[*]} " == *" $1 "* ]]; }

[ "$(id -u)" = 0 ] || die "needs root (containers, mounts, cgroups)"
if ! [[ $LIFECYCLE_N =~ ^[0-9]+$ ]] || [ "$LIFECYCLE_N" -lt 20 ]; then
	die "LIFECYCLE_N must be a number, at least 20 (got $LIFECYCLE_N)"
fi
[ -x "$GD_BUILT" ] && [ -x "$GD_BUILT-monitor" ] && [ -x "$GD_BUILT-init" ] || die "$GD_BUILT, $GD_BUILT-monitor or $GD_BUILT-init missing: run make bench (or make build) first"
command -v go >/dev/null || die "go not found (it builds the helper in scripts/bench)"

# --- tools ---------------------------------------------------------------

install_missing() {
	local need=() pair cmd pkg
	for pair in docker-registry:docker-registry skopeo:skopeo podman:podman runc:runc \
		hyperfine:hyperfine debootstrap:debootstrap jq:jq busybox:busybox-static \
		ip:iproute2 nft:nftables nsenter:util-linux; do
		cmd=${pair%%:*} pkg=${pair#*:}
		command -v "$cmd" >/dev/null || need+=("$pkg")
	done
	[ ${#need[@]} -gt 0 ] || return 0
	log "installing ${need[*]}"
	local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600)
	"${apt[@]}" install -y "${need[@]}" >&2 || { "${apt[@]}" update >&2 && "${apt[@]}" install -y "${need[@]}" >&2; }
}
install_missing

mkdir -p "$W/cache" "$W/results" "$W/bin"
exec 9>"$W/.lock"
flock -n 9 || die "another benchmark holds $W/.lock"

T=$(realpath "$(mktemp -d "$W/run.XXXXXX")")
RT=$(mktemp -d /run/gdbench.XXXXXX)
REG_PID=
NETNS=
SERVE_PIDS=
# geedocker's stores: one for the parts on --network none, one for the bridge
# part (used only inside its network namespace)
GD_ROOT=$T/gd-run
GD_BRIDGE_ROOT=$T/gd-bridge
# state the peers create outside their --root (podman's runc keeps its state
# in /run/runc, podman and skopeo a blob cache in /var/lib/containers/cache),
# and geedocker's shared cgroup parent and run state directory: what this run
# creates, it removes
outside() { ls -d /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/*/geedocker /run/runc /run/geedocker /var/lib/containers/cache /var/lib/containers 2>/dev/null || true; }
EXISTED=$(outside)

# run_dir ROOT: geedocker's run state directory of a store (pinned network
# namespaces, attach sockets): /run/geedocker/ and the first 16 hex digits of
# the SHA-256 of the store's path, as internal/container's RunDir makes it
run_dir() { echo "/run/geedocker/$(printf %s "$1" | sha256sum | cut -c1-16)"; }

# gd_remove_all ROOT [WRAPPER...]: rm -f of every container of a geedocker
# store (run through WRAPPER, nsenter for the bridge store); their IDs go to
# $T/gd-ids, whose cgroups cleanup checks
gd_remove_all() {
	local root=$1 ids
	shift
	[ -d "$root/containers" ] || return 0
	ids=$(ls "$root/containers")
	[ -n "$ids" ] || return 0
	printf '%s\n' $ids >>"$T/gd-ids"
	# an error here is most often a --rm container that went away meanwhile
	"$@" "$GD" --root "$root" rm -f $ids >/dev/null 2>&1 ||
		[ -z "$(ls "$root/containers")" ] || log "warning: geedocker rm -f left containers in $root: $(ls "$root/containers")"
}

# gd_pids: the processes of this run's copy of geedocker
gd_pids() { find /proc/[0-9]*/exe -maxdepth 0 -lname "$GD" 2>/dev/null | cut -d/ -f3; }

# After rm -f, nothing of geedocker's should be left; what is, is killed and
# removed: processes of this run's copy of geedocker (monitors), cgroups of
# this run's containers (with their processes), mounts and run state.
gd_leftovers() {
	local p id d i pids
	# the monitor of an interrupted `run --rm` finishes its removal on its own
	for i in $(seq 50); do
		pids=$(gd_pids)
		[ -n "$pids" ] || break
		sleep 0.1
	done
	for p in $pids; do
		log "warning: killing leftover geedocker process $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
		kill -9 "$p" 2>/dev/null
	done
	if [ -s "$T/gd-ids" ]; then
		for id in $(sort -u "$T/gd-ids"); do
			for d in /sys/fs/cgroup/*/geedocker/"$id"; do
				[ -d "$d" ] || continue
				log "warning: removing leftover cgroup $d"
				xargs -r kill -9 <"$d/cgroup.procs" 2>/dev/null
				for i in $(seq 50); do # the killed processes take a moment to leave
					rmdir "$d" 2>/dev/null && break
					sleep 0.1
				done
			done
		done
	fi
	"$HELPERS/scrub.sh" "$(run_dir "$GD_ROOT")" "$(run_dir "$GD_BRIDGE_ROOT")"
}

# wait_gone PATTERN: waits until no process's command line matches PATTERN
# (a path of this run), at most 10 seconds; then kills what is left
wait_gone() {
	local i p
	for i in $(seq 100); do
		pgrep -f -- "$1" >/dev/null || return 0
		sleep 0.1
	done
	for p in $(pgrep -f -- "$1"); do
		log "warning: killing leftover process $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
		kill -9 "$p" 2>/dev/null
	done
}

cleanup() {
	set +e
	local p
	for p in $SERVE_PIDS; do # the API servers of the api part
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "$REG_PID" ]; then
		kill "$REG_PID" 2>/dev/null
		wait "$REG_PID" 2>/dev/null
	fi
	if [ -n "${GD:-}" ]; then
		gd_remove_all "$GD_ROOT"
		if [ -n "$NETNS" ] && [ -e "/run/netns/$NETNS" ]; then
			gd_remove_all "$GD_BRIDGE_ROOT" nsenter --net="/run/netns/$NETNS"
		fi
		gd_leftovers
	fi
	if [ -n "$NETNS" ]; then
		ip netns del "$NETNS" 2>/dev/null
	fi
	for rs in "$T/ocirun-state/runc" "$T/ocirun-state/crun" "$T/ocirun-state/geedocker"; do
		[ -d "$rs" ] || continue
		case $rs in
		*/geedocker) rt="$T/bin/geedocker-runc" ;;
		*) rt=$(basename "$rs") ;;
		esac
		for id in $("$rt" --root "$rs" list -q 2>/dev/null); do
			"$rt" --root "$rs" delete -f "$id"
		done
	done
	if [ -d "$T/runc-state" ]; then
		for id in $(runc --root "$T/runc-state" list -q 2>/dev/null); do
			runc --root "$T/runc-state" delete -f "$id"
		done
	fi
	if [ -d "$T/podman-run" ]; then
		podman_run rm -af -t 0 >/dev/null 2>&1
		# conmon, and the `podman container cleanup` it starts, outlive rm
		# by a moment and still write to podman's store
		wait_gone "$T/podman-run"
	fi
	"$HELPERS/scrub.sh" "$T" "$RT"
	local d
	for d in $(outside); do
		[ -d "$d" ] || continue
		grep -qxF "$d" <<<"$EXISTED" && continue
		case $d in
		/sys/fs/cgroup/*/geedocker) rmdir "$d" 2>/dev/null ;; # when no other container has its cgroup there
		/sys/fs/cgroup/*) find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null ;; # empty cgroups only
		/var/lib/containers/cache) rm -rf "$d" ;;
		*) rmdir "$d" 2>/dev/null ;;
		esac
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# measure a copy: bin/geedocker may be rebuilt while this runs
mkdir "$T/bin"
cp "$GD_BUILT" "$T/bin/geedocker"
ln -s geedocker "$T/bin/geedocker-runc"
cp "$GD_BUILT-monitor" "$T/bin/geedocker-monitor" # the monitor of detached containers, found next to it
cp "$GD_BUILT-init" "$T/bin/geedocker-init"       # its hooks and the containers' init, next to it too
GD=$T/bin/geedocker

log "working in $T"
log "building the helper (scripts/bench)"
(cd "$REPO" && CGO_ENABLED=0 go build -o "$W/bin/bench" ./scripts/bench)
B=$W/bin/bench

export CONTAINERS_CONF=$HELPERS/podman.conf
# podman's stores: images under $T, run state under $RT (podman wants a
# runroot path of at most 50 characters)
PODMAN_PULL="podman --root $T/podman-pull --runroot $RT/pull/run --tmpdir $RT/pull/tmp --storage-driver overlay"
PODMAN_RUN="podman --root $T/podman-run --runroot $RT/run/run --tmpdir $RT/run/tmp --storage-driver overlay"
podman_pull() { $PODMAN_PULL "$@"; }
podman_run() { $PODMAN_RUN "$@"; }

# medians FILE: "name median mean stddev min max" lines (seconds) of a hyperfine JSON
medians() { "$B" stats "$1"; }
field() { awk -F'\t' -v n="$2" -v f="$3" '$1 == n { print $f }' "$1"; }

HF_OUT=(--style basic)
[ "${BENCH_VERBOSE:-0}" = 1 ] && HF_OUT=(--show-output)

REPORT=$T/report.md
md() { printf '%s\n' "$*" >>"$REPORT"; }
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
DATE_START=$(date -u '+%Y-%m-%d %H:%M UTC')
version_of() { "$@" 2>/dev/null | head -n1 | grep -oE '[0-9]+\.[0-9]+(\.[0-9]+)?[^ ,]*' | head -n1; }
VERSIONS="geedocker $("$GD" version 2>/dev/null | awk '/Version:/ { print $2; exit }'), podman $(version_of podman --version) (runtime runc, conmon $(version_of conmon --version)), runc $(version_of runc --version), skopeo $(version_of skopeo --version), docker-registry $(version_of docker-registry --version), GNU tar $(version_of tar --version), gzip $(version_of gzip --version), hyperfine $(version_of hyperfine --version)"

# --- images for the pull benchmark --------------------------------------

ROOTFS_TAR=$W/cache/debian-bookworm-minbase.tar
LAYERS=$W/cache/layers-$RECIPE

if [ "${BENCH_REBUILD:-0}" = 1 ]; then
	rm -rf "$ROOTFS_TAR" "$LAYERS"
fi

apt_mirror() {
	local m=
	m=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	[ -n "$m" ] || m=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
	[ -n "$m" ] || die "no apt mirror found in /etc/apt/sources.list*"
	echo "$m"
}

# A Debian bookworm minbase root file system from this machine's apt mirror,
# trimmed like the official images, with nothing in it naming the mirror.
build_rootfs() {
	local r=$T/debootstrap mirror
	mirror=$(apt_mirror)
	log "debootstrap --variant=minbase bookworm (about a minute; log in $W/cache/debootstrap.log)"
	debootstrap --variant=minbase bookworm "$r" "$mirror" 2>&1 |
		sed -E 's#[a-z]+://[^ ]+#<mirror>#g' >"$W/cache/debootstrap.log" ||
		die "debootstrap failed, see $W/cache/debootstrap.log"
	echo "# no sources: offline benchmark image" >"$r/etc/apt/sources.list"
	rm -rf "$r"/etc/apt/sources.list.d/* "$r"/var/log/bootstrap.log "$r"/var/cache/apt/* \
		"$r"/var/lib/apt/lists/* "$r"/usr/share/doc/* "$r"/usr/share/man/* "$r"/usr/share/info/*
	tar --sort=name --numeric-owner --xattrs -C "$r" -cf "$ROOTFS_TAR.tmp" .
	mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
	rm -rf "$r"
}

# The layer blobs of both images, gzip -6 like docker's and podman's pushes.
build_layers() {
	local d=$LAYERS.tmp
	rm -rf "$d"
	mkdir -p "$d"
	log "making the layers (once; kept in $LAYERS)"
	gzip -n -6 -c "$ROOTFS_TAR" >"$d/debian.tar.gz"
	"$B" split -to-b usr/bin,usr/sbin,usr/lib,usr/libexec,usr/lib64,usr/include "$ROOTFS_TAR" "$d/multi1.tar" "$d/multi2.tar"
	"$B" gen -kind text -seed 3 -files 30000 -min 256 -max 4096 -dir srv/text "$d/multi3.tar"
	"$B" gen -kind random -seed 4 -files 48 -min 262144 -max 1572864 -dir srv/random "$d/multi4.tar"
	local i
	for i in 1 2 3 4; do
		gzip -n -6 "$d/multi$i.tar" &
	done
	wait
	mv "$d" "$LAYERS"
}

if want pull || want saveload; then
	[ -f "$ROOTFS_TAR" ] || build_rootfs
	[ -d "$LAYERS" ] || build_layers
fi

# blob_info BLOB...: compressed bytes, uncompressed bytes, entries
blob_info() {
	local c=0 u=0 n=0 b
	for b in "$@"; do
		c=$((c + $(stat -c %s "$b")))
		u=$((u + $(gzip -dc "$b" | wc -c)))
		n=$((n + $(tar -tzf "$b" | wc -l)))
	done
	echo "$c $u $n"
}

start_registry() {
	local port i
	port=$("$B" port)
	mkdir -p "$T/registry"
	cat >"$T/registry/config.yml" <<-EOF
		version: 0.1
		log:
		  level: warn
		  accesslog:
		    disabled: true
		storage:
		  filesystem:
		    rootdirectory: $T/registry/data
		http:
		  addr: 127.0.0.1:$port
	EOF
	docker-registry serve "$T/registry/config.yml" >"$T/registry/log" 2>&1 &
	REG_PID=$!
	for i in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			REG=127.0.0.1:$port
			log "registry on $REG (pid $REG_PID)"
			return
		fi
		kill -0 "$REG_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$T/registry/log" >&2
	die "docker-registry did not start"
}

# --- part A: pull --------------------------------------------------------

bench_pull() {
	start_registry
	printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$REG" >"$T/registries.conf"
	export CONTAINERS_REGISTRIES_CONF=$T/registries.conf

	local -A ref blobs
	ref[debian]=$REG/bench/debian:bookworm
	blobs[debian]="$LAYERS/debian.tar.gz"
	ref[multi]=$REG/bench/multi:latest
	blobs[multi]="$LAYERS/multi1.tar.gz $LAYERS/multi2.tar.gz $LAYERS/multi3.tar.gz $LAYERS/multi4.tar.gz"
	log "pushing the images"
	"$B" push -ref "${ref[debian]}" -cmd bash ${blobs[debian]} >&2
	"$B" push -ref "${ref[multi]}" -cmd bash ${blobs[multi]} >&2

	md "### Pull"
	md ""
	md "Wall time of one pull into an empty store, median of $PULL_RUNS runs (hyperfine); MB/s is compressed"
	md "megabytes (10^6 bytes) over that time. The registry is docker-registry on 127.0.0.1; the floor is"
	md "\`zcat LAYER | tar -x\` of the same blobs from local files, the layers in parallel."
	md ""
	md "| image | layers | compressed MB | unpacked MB | files |"
	md "|---|---:|---:|---:|---:|"
	local img info c u n
	local -A cbytes
	for img in debian multi; do
		info=$(blob_info ${blobs[$img]})
		read -r c u n <<<"$info"
		cbytes[$img]=$c
		md "$(printf '| %s | %d | %.1f | %.1f | %d |' "$img" "$(wc -w <<<"${blobs[$img]}")" "$(awk -v b="$c" 'BEGIN{print b/1e6}')" "$(awk -v b="$u" 'BEGIN{print b/1e6}')" "$n")"
	done
	md ""
	md "| image | tool | median s | MB/s |"
	md "|---|---|---:|---:|"

	local ratios=()
	for img in debian multi; do
		log "pull $img: floor, geedocker, podman, skopeo ($PULL_RUNS runs each)"
		local json=$W/results/pull-$img.json
		hyperfine "${HF_OUT[@]}" --runs "$PULL_RUNS" --export-json "$json" \
			-n floor --prepare "$HELPERS/scrub.sh $T/floor && sync" "$HELPERS/floor.sh $T/floor ${blobs[$img]}" \
			-n geedocker --prepare "$HELPERS/scrub.sh $T/gd-pull && sync" "$GD --root $T/gd-pull pull -q ${ref[$img]}" \
			-n podman --prepare "$HELPERS/scrub.sh $T/podman-pull $RT/pull && sync" "$PODMAN_PULL pull -q ${ref[$img]}" \
			-n skopeo --prepare "$HELPERS/scrub.sh $T/skopeo && sync" "skopeo copy -q --src-tls-verify=false docker://${ref[$img]} dir:$T/skopeo" >&2
		# what the last run of each left behind is the image, whole
		"$GD" --root "$T/gd-pull" images | grep -q "bench/$img" || die "geedocker's store has no bench/$img after its pull"
		podman_pull images | grep -q "bench/$img" || die "podman's store has no bench/$img after its pull"
		[ -f "$T/skopeo/manifest.json" ] || die "skopeo's copy of $img has no manifest"
		"$HELPERS/scrub.sh" "$T/floor" "$T/gd-pull" "$T/podman-pull" "$RT/pull" "$T/skopeo"

		local stats=$T/pull-$img.tsv tool s
		medians "$json" >"$stats"
		for tool in floor geedocker podman skopeo; do
			s=$(field "$stats" "$tool" 2)
			md "$(printf '| %s | %s | %.2f | %.1f |' "$img" "$tool" "$s" "$(awk -v b="${cbytes[$img]}" -v s="$s" 'BEGIN{print b/1e6/s}')")"
		done
		ratios+=("$(awk -v g="$(field "$stats" geedocker 2)" -v f="$(field "$stats" floor 2)" -v p="$(field "$stats" podman 2)" -v i="$img" \
			'BEGIN{printf "| %s | %.2f (%s) | %.2f%s |", i, g/f, g/f <= 1.2 ? "met" : "missed", g/p, i == "debian" ? (g/p <= 0.4 ? " (met)" : " (missed)") : ""}')")
	done
	md ""
	md "| image | geedocker / floor (target ≤ 1.2) | geedocker / podman (target ≤ 0.4 on debian) |"
	md "|---|---:|---:|"
	local r
	for r in "${ratios[@]}"; do md "$r"; done
	md ""
	kill "$REG_PID" 2>/dev/null
	wait "$REG_PID" 2>/dev/null || true
	REG_PID=
}

# --- save and load -------------------------------------------------------

bench_saveload() {
	start_registry
	local ref=$REG/bench/multi:latest arch=$T/multi.tar json=$W/results/saveload.json stats=$T/saveload.tsv runs=${SAVELOAD_RUNS:-5}
	local pd_save="podman --root $T/podman-save --runroot $RT/save/run --tmpdir $RT/save/tmp --storage-driver overlay"
	local pd_load="podman --root $T/podman-load --runroot $RT/load/run --tmpdir $RT/load/tmp --storage-driver overlay"
	log "save and load: preparing the four-layer image and its archive"
	"$B" push -ref "$ref" -cmd bash "$LAYERS"/multi1.tar.gz "$LAYERS"/multi2.tar.gz "$LAYERS"/multi3.tar.gz "$LAYERS"/multi4.tar.gz >&2
	"$GD" --root "$T/gd-save" pull -q "$ref" >/dev/null
	"$GD" --root "$T/gd-save" tag "$ref" bench/multi:latest
	"$GD" --root "$T/gd-save" save -o "$arch" bench/multi:latest
	$pd_save load -q -i "$arch" >/dev/null
	mkdir -p "$T/aside" "$RT/aside"
	log "save and load, geedocker and podman ($runs runs each)"
	hyperfine "${HF_OUT[@]}" --runs "$runs" --export-json "$json" \
		-n gd-save --prepare "rm -f $T/out.tar; sync" "$GD --root $T/gd-save save -o $T/out.tar bench/multi:latest" \
		-n podman-save --prepare "rm -f $T/out.tar; sync" "$pd_save save -q -o $T/out.tar bench/multi:latest" \
		-n gd-load --prepare "mv $T/gd-load \$(mktemp -d -p $T/aside) 2>/dev/null; sync" "$GD --root $T/gd-load load -q -i $arch" \
		-n podman-load --prepare "mv $T/podman-load \$(mktemp -d -p $T/aside) 2>/dev/null; mv $RT/load \$(mktemp -d -p $RT/aside) 2>/dev/null; sync" "$pd_load load -q -i $arch" >&2
	"$GD" --root "$T/gd-load" images | grep -q bench/multi || die "geedocker's store has no bench/multi after its load"
	$pd_load images | grep -q bench/multi || die "podman's store has no bench/multi after its load"
	"$HELPERS/scrub.sh" "$T/aside" "$RT/aside" "$T/gd-save" "$T/gd-load" "$T/podman-save" "$T/podman-load" "$RT/save" "$RT/load" "$T/out.tar" "$arch"
	kill "$REG_PID" 2>/dev/null
	wait "$REG_PID" 2>/dev/null || true
	REG_PID=

	medians "$json" >"$stats"
	md "### Save and load"
	md ""
	md "\`save -o FILE\` of the four-layer image of the pull part, and \`load -i\` of that archive into a new"
	md "store each run, $runs runs each (hyperfine, one run): geedocker's archive is Docker's (≥ 25) with its"
	md "OCI layout, podman's its docker-archive."
	md ""
	hf_table "$stats" gd-save="geedocker save" podman-save="podman save" gd-load="geedocker load" podman-load="podman load"
	md ""
	md "$(awk -F'\t' '{ m[$1] = $2 } END { printf "geedocker / podman on the median: save %.2f (%s), load %.2f (%s); target at most 0.5.", m["gd-save"]/m["podman-save"], (m["gd-save"]/m["podman-save"] <= 0.5 ? "met" : "missed"), m["gd-load"]/m["podman-load"], (m["gd-load"]/m["podman-load"] <= 0.5 ? "met" : "missed") }' "$stats")"
	md ""
}

# --- shared by the container parts ---------------------------------------

# The busybox image of scripts/busybox-rootfs.sh, imported once into each
# store that needs it.
declare -A IMPORTED
busybox_tar() { [ -f "$T/busybox.tar" ] || "$REPO/scripts/busybox-rootfs.sh" "$T/busybox.tar"; }
gd_busybox() { # ROOT
	[ -z "${IMPORTED[$1]:-}" ] || return 0
	busybox_tar
	"$GD" --root "$1" import --change 'CMD ["sh"]' "$T/busybox.tar" busybox:latest >/dev/null
	IMPORTED[$1]=1
}
podman_busybox() {
	[ -z "${IMPORTED[podman]:-}" ] || return 0
	busybox_tar
	podman_run import -q "$T/busybox.tar" busybox:latest >/dev/null
	IMPORTED[podman]=1
}

# A detached `sleep 1000` container on --network none; prints its ID.
gd_sleeper() {
	local id
	id=$("$GD" --root "$GD_ROOT" run -d --network none busybox sleep 1000)
	echo "$id" >>"$T/gd-ids"
	echo "$id"
}
podman_sleeper() { podman_run run -d --network none busybox sleep 1000; }

# Markdown table of hyperfine results, in milliseconds: hf_table STATS
# NAME=LABEL... (STATS from medians)
hf_table() {
	local stats=$1 pair
	shift
	md "| command | median ms | mean ± σ ms | min ms | max ms |"
	md "|---|---:|---:|---:|---:|"
	for pair in "$@"; do
		md "$(awk -F'\t' -v n="${pair%%=*}" -v l="${pair#*=}" '$1 == n { printf "| %s | %.1f | %.1f ± %.1f | %.1f | %.1f |", l, $2*1000, $3*1000, $4*1000, $5*1000, $6*1000 }' "$stats")"
	done
}

# verdict STATS NAME MS: "met" when NAME's median is under MS milliseconds
verdict() { awk -F'\t' -v n="$2" -v ms="$3" '$1 == n { print ($2*1000 < ms ? "met" : "missed") }' "$1"; }
median_ms() { awk -F'\t' -v n="$2" '$1 == n { printf "%.1f", $2*1000 }' "$1"; }

# --- part B: run latency -------------------------------------------------

bench_run() {
	log "preparing busybox for geedocker, podman and runc"
	gd_busybox "$GD_ROOT"
	podman_busybox
	mkdir -p "$T/bundle/rootfs" "$T/runc-state"
	tar -x -C "$T/bundle/rootfs" -f "$T/busybox.tar"
	(cd "$T/bundle" && runc spec)
	jq '.process.terminal = false | .process.args = ["true"] | .root.readonly = false' \
		"$T/bundle/config.json" >"$T/bundle/config.json.new"
	mv "$T/bundle/config.json.new" "$T/bundle/config.json"
	# a unique container id per run: the wrapper's PID
	printf '#!/bin/sh\nexec runc --root %s run --bundle %s gdbench-$$\n' "$T/runc-state" "$T/bundle" >"$T/runc-run"
	chmod +x "$T/runc-run"

	local json=$W/results/run.json
	log "run latency: geedocker, podman, runc (3 warmups, $RUN_RUNS runs each)"
	hyperfine -N "${HF_OUT[@]}" --warmup 3 --runs "$RUN_RUNS" --export-json "$json" \
		-n geedocker "$GD --root $GD_ROOT run --rm --network none busybox true" \
		-n podman "$PODMAN_RUN run --rm --network none busybox true" \
		-n runc "$T/runc-run" >&2

	[ -z "$(ls -A "$GD_ROOT/containers" 2>/dev/null)" ] || log "warning: geedocker left containers behind: $(ls "$GD_ROOT/containers")"
	[ -z "$(podman_run ps -aq)" ] || log "warning: podman left containers behind"
	[ -z "$(runc --root "$T/runc-state" list -q)" ] || log "warning: runc left containers behind"

	local stats=$T/run.tsv
	medians "$json" >"$stats"
	md "### Run latency"
	md ""
	md "\`run --rm --network none busybox true\`, $RUN_RUNS runs after 3 warmups (hyperfine -N); runc runs a"
	md "bundle of the same rootfs (writable, no overlay) through a \`sh\` wrapper that gives each run its own id."
	md ""
	hf_table "$stats" geedocker=geedocker podman=podman runc=runc
	md ""
	md "Target: geedocker median under 40 ms ($(verdict "$stats" geedocker 40))."
	md ""
}

# --- part B2: the OCI runtimes alone ------------------------------------

bench_ocirun() {
	log "preparing a busybox bundle for geedocker-runc, runc and crun"
	busybox_tar
	mkdir -p "$T/ocirun/rootfs" "$T/ocirun-state"
	tar -x -C "$T/ocirun/rootfs" -f "$T/busybox.tar"
	(cd "$T/ocirun" && runc spec)
	jq '.process.terminal = false | .process.args = ["true"] | .root.readonly = false' \
		"$T/ocirun/config.json" >"$T/ocirun/config.json.new"
	mv "$T/ocirun/config.json.new" "$T/ocirun/config.json"
	local rt name cmds=()
	for rt in geedocker runc crun; do
		case $rt in
		geedocker) name=$T/bin/geedocker-runc ;;
		*) name=$(command -v "$rt" || true) ;;
		esac
		[ -n "$name" ] || { log "$rt not installed: not measured"; continue; }
		# a unique container id per run: the wrapper's PID
		printf '#!/bin/sh\nexec %s --root %s run --bundle %s gdbench-$$\n' "$name" "$T/ocirun-state/$rt" "$T/ocirun" >"$T/ocirun-$rt"
		chmod +x "$T/ocirun-$rt"
		# crun refuses some hosts (a hybrid cgroup layout): measured only where it runs
		if ! out=$("$T/ocirun-$rt" 2>&1); then
			log "$rt cannot run the bundle here, not measured: $out"
			continue
		fi
		cmds+=(-n "$rt" "$T/ocirun-$rt")
	done
	local json=$W/results/ocirun.json
	log "OCI runtimes: ${cmds[*]} (3 warmups, $RUN_RUNS runs each)"
	hyperfine -N "${HF_OUT[@]}" --warmup 3 --runs "$RUN_RUNS" --export-json "$json" "${cmds[@]}" >&2
	for rt in geedocker runc crun; do
		[ -d "$T/ocirun-state/$rt" ] || continue
		[ -z "$(ls -A "$T/ocirun-state/$rt")" ] || log "warning: $rt left containers behind"
	done
	local stats=$T/ocirun.tsv
	medians "$json" >"$stats"
	md "### OCI runtime run latency"
	md ""
	md "\`<runtime> run\` of one busybox bundle running \`true\` (from \`runc spec\`, no terminal, writable root),"
	md "$RUN_RUNS runs after 3 warmups (hyperfine -N), each through a \`sh\` wrapper that gives it its own id."
	md ""
	hf_table "$stats" geedocker=geedocker-runc runc=runc crun=crun
	md ""
	md "Target: geedocker-runc median at most runc's ($(awk -F'\t' '$1 == "geedocker" { g = $2 } $1 == "runc" { r = $2 } END { print (g <= r ? "met" : "missed") }' "$stats"))."
	md ""
}

# --- part C: exec latency ------------------------------------------------

bench_exec() {
	log "preparing busybox for geedocker and podman"
	gd_busybox "$GD_ROOT"
	podman_busybox
	local gd_c pm_c
	gd_c=$(gd_sleeper)
	pm_c=$(podman_sleeper)

	local json=$W/results/exec.json
	log "exec latency: geedocker, podman (3 warmups, $RUN_RUNS runs each)"
	hyperfine -N "${HF_OUT[@]}" --warmup 3 --runs "$RUN_RUNS" --export-json "$json" \
		-n geedocker "$GD --root $GD_ROOT exec $gd_c true" \
		-n podman "$PODMAN_RUN exec $pm_c true" >&2
	"$GD" --root "$GD_ROOT" rm -f "$gd_c" >/dev/null
	podman_run rm -f -t 0 "$pm_c" >/dev/null

	local stats=$T/exec.tsv
	medians "$json" >"$stats"
	md "### Exec latency"
	md ""
	md "\`exec C true\` into a running \`run -d --network none busybox sleep 1000\` container, one per tool,"
	md "$RUN_RUNS runs after 3 warmups (hyperfine -N)."
	md ""
	hf_table "$stats" geedocker="geedocker exec" podman="podman exec"
	md ""
	md "Target: geedocker median under 30 ms ($(verdict "$stats" geedocker 30)). For reference, the issue's author"
	md "measured podman exec at 154 ms on their machine; here it took $(median_ms "$stats" podman) ms."
	md ""
}

# --- part D: lifecycle of many containers --------------------------------

# summary_row FILE FROM TO COMMAND CONTAINERS OTHERS: a table row of the
# times (µs, one a line) of lines FROM to TO of FILE, in milliseconds
summary_row() {
	"$B" summary -from "$2" -to "$3" -scale 0.001 "$1" |
		awk -F'\t' -v c="$4" -v n="$5" -v o="$6" '{ printf "| %s | %s | %s | %.1f | %.1f | %.1f | %.1f |\n", c, n, o, $3, $2, $4, $5 }' >>"$REPORT"
}
mean_of() { "$B" summary -from "$2" -to "$3" "$1" | cut -f3; }

bench_lifecycle() {
	local n=$LIFECYCLE_N i id t0 t1
	local ids=$W/results/lifecycle-ids.txt starts=$W/results/lifecycle-run-us.txt removes=$W/results/lifecycle-rm-us.txt
	log "preparing busybox for geedocker"
	gd_busybox "$GD_ROOT"
	[ -z "$(ls -A "$GD_ROOT/containers")" ] || die "geedocker's store has containers before the lifecycle part"
	: >"$ids"
	: >"$starts"
	: >"$removes"

	log "lifecycle: ps -a with no container (3 warmups, $RUN_RUNS runs)"
	hyperfine -N "${HF_OUT[@]}" --warmup 3 --runs "$RUN_RUNS" --export-json "$W/results/ps-0.json" \
		-n ps0 "$GD --root $GD_ROOT ps -a" >&2

	log "lifecycle: run -d of $n containers, one after the other, each timed"
	# times in µs from bash's clock ($EPOCHREALTIME without its decimal
	# point), read without starting a process
	for ((i = 1; i <= n; i++)); do
		t0=${EPOCHREALTIME//[!0-9]/}
		"$GD" --root "$GD_ROOT" run -d --network none busybox sleep 1000 >>"$ids" </dev/null
		t1=${EPOCHREALTIME//[!0-9]/}
		echo $((t1 - t0)) >>"$starts"
	done
	cat "$ids" >>"$T/gd-ids"
	[ "$("$GD" --root "$GD_ROOT" ps -q | wc -l)" = "$n" ] || die "not all $n containers are running after the run -d phase"

	log "lifecycle: ps -a with $n containers (3 warmups, $RUN_RUNS runs)"
	hyperfine -N "${HF_OUT[@]}" --warmup 3 --runs "$RUN_RUNS" --export-json "$W/results/ps-n.json" \
		-n psn "$GD --root $GD_ROOT ps -a" >&2

	log "lifecycle: rm -f of the $n containers, in the order they started, each timed"
	local list
	mapfile -t list <"$ids"
	for id in "${list[@]}"; do
		t0=${EPOCHREALTIME//[!0-9]/}
		"$GD" --root "$GD_ROOT" rm -f "$id" >/dev/null </dev/null
		t1=${EPOCHREALTIME//[!0-9]/}
		echo $((t1 - t0)) >>"$removes"
	done

	# what is left of the n containers: records, cgroups, mounts, run state
	local left_c left_g left_m
	left_c=$(ls "$GD_ROOT/containers" | wc -l)
	left_g=0
	for id in "${list[@]}"; do
		for d in /sys/fs/cgroup/*/geedocker/"$id"; do [ ! -d "$d" ] || left_g=$((left_g + 1)); done
	done
	left_m=$(awk -v a="$GD_ROOT/containers/" -v b="$(run_dir "$GD_ROOT")/" 'index($5, a) == 1 || index($5, b) == 1' /proc/self/mountinfo | wc -l)
	[ "$left_c$left_g$left_m" = 000 ] || log "warning: after rm -f: $left_c containers, $left_g cgroups, $left_m mounts left"

	local ps0=$T/ps-0.tsv psn=$T/ps-n.tsv
	medians "$W/results/ps-0.json" >"$ps0"
	medians "$W/results/ps-n.json" >"$psn"
	cat "$psn" >>"$ps0"
	local last=$((n - 9))
	md "### Lifecycle of $n containers"
	md ""
	md "geedocker alone: \`run -d --network none busybox sleep 1000\` of $n containers one after the other, all"
	md "left running, then \`rm -f\` of each in the same order. Every command is timed on its own (wall time of"
	md "the geedocker process, from bash's \`\$EPOCHREALTIME\`); the table compares the first 10 of each phase"
	md "with the last 10, to show whether the cost grows with the containers already there."
	md ""
	md "| command | containers | others present | mean ms | median ms | min ms | max ms |"
	md "|---|---|---|---:|---:|---:|---:|"
	summary_row "$starts" 1 10 "run -d" "1–10" "0–9"
	summary_row "$starts" "$last" "$n" "run -d" "$last–$n" "$((last - 1))–$((n - 1))"
	summary_row "$starts" 1 "$n" "run -d" "all $n" "0–$((n - 1))"
	summary_row "$removes" 1 10 "rm -f" "1–10" "$((n - 1))–$((n - 10))"
	summary_row "$removes" "$last" "$n" "rm -f" "$last–$n" "9–0"
	summary_row "$removes" 1 "$n" "rm -f" "all $n" "$((n - 1))–0"
	md ""
	md "$(awk -v a="$(mean_of "$starts" "$last" "$n")" -v b="$(mean_of "$starts" 1 10)" -v c="$(mean_of "$removes" 1 10)" -v d="$(mean_of "$removes" "$last" "$n")" \
		'BEGIN { printf "Growth (mean with the most containers present / mean with the fewest; 1.00 is none): run -d %.2f, rm -f %.2f.", a/b, c/d }')"
	if [ "$left_c$left_g$left_m" = 000 ]; then
		md "After the last \`rm -f\`: no container record, cgroup or mount of the $n left."
	else
		md "After the last \`rm -f\`: $left_c container records, $left_g cgroups and $left_m mounts were left (removed by the script)."
	fi
	md ""
	md "\`ps -a\`, $RUN_RUNS runs after 3 warmups (hyperfine -N):"
	md ""
	hf_table "$ps0" ps0="ps -a, 0 containers" psn="ps -a, $n containers"
	md ""
}

# --- part E: start latency on the bridge network -------------------------

# what the bridge part must not change in the machine's own namespace
host_net_state() {
	printf 'ip_forward=%s geedocker0=%s table-inet-geedocker=%s geedocker-veths=%s' \
		"$(cat /proc/sys/net/ipv4/ip_forward)" \
		"$(ip link show geedocker0 >/dev/null 2>&1 && echo present || echo absent)" \
		"$(nft list table inet geedocker >/dev/null 2>&1 && echo present || echo absent)" \
		"$(ip -o link show | grep -c 'alias geedocker:' || true)"
}

bench_bridge() {
	local root=$GD_BRIDGE_ROOT before after
	log "preparing busybox for geedocker"
	gd_busybox "$root"
	before=$(host_net_state)
	# every geedocker command of this part runs in this namespace; cleanup
	# deletes it, and with it the bridge, the veths and the nftables table
	NETNS=gdbench-$$
	ip netns add "$NETNS"
	ip -n "$NETNS" link set lo up
	local ns="nsenter --net=/run/netns/$NETNS"

	local json=$W/results/bridge.json
	log "bridge: run --rm on the default bridge and on --network none, in network namespace $NETNS (3 warmups, $RUN_RUNS runs each)"
	hyperfine -N "${HF_OUT[@]}" --warmup 3 --runs "$RUN_RUNS" --export-json "$json" \
		-n bridge "$ns $GD --root $root run --rm busybox true" \
		-n none "$ns $GD --root $root run --rm --network none busybox true" >&2
	ip -n "$NETNS" link show geedocker0 >/dev/null 2>&1 || die "no bridge geedocker0 in $NETNS: the bridge runs did not use the default bridge network"
	[ -z "$(ls -A "$root/containers")" ] || log "warning: geedocker left containers behind: $(ls "$root/containers")"
	ip netns del "$NETNS"
	NETNS=
	after=$(host_net_state)
	[ "$before" = "$after" ] || die "the machine's own network changed during the bridge part: before $before, after $after"

	local stats=$T/bridge.tsv
	medians "$json" >"$stats"
	md "### Start latency on the bridge network"
	md ""
	md "\`run --rm busybox true\` on the default bridge network (a veth on geedocker0, an address, the NAT"
	md "rules) against \`--network none\`, $RUN_RUNS runs after 3 warmups (hyperfine -N). Every geedocker command"
	md "ran inside a network namespace made for this part (\`nsenter --net=/run/netns/gdbench-PID\`, in both"
	md "rows); the machine's own network was checked unchanged: \`$after\`."
	md ""
	hf_table "$stats" bridge="geedocker, bridge" none="geedocker, --network none"
	md "| podman, netavark bridge (not measured in this run) | 342–345 | | | |"
	md ""
	md "The podman row is the issue author's figure, on this kind of machine: this benchmark does not run podman"
	md "on a bridge, which would change the machine's own network."
	md ""
	md "Target: geedocker median on the bridge under 80 ms ($(verdict "$stats" bridge 80))."
	md ""
}

# --- part G: the cost of the seccomp filter ------------------------------

bench_seccomp() {
	log "preparing busybox for geedocker"
	gd_busybox "$GD_ROOT"
	local json=$W/results/seccomp.json
	log "seccomp: run --rm with Docker's default profile and unconfined (3 warmups, $RUN_RUNS runs each)"
	hyperfine -N "${HF_OUT[@]}" --warmup 3 --runs "$RUN_RUNS" --export-json "$json" \
		-n default "$GD --root $GD_ROOT run --rm --network none busybox true" \
		-n unconfined "$GD --root $GD_ROOT run --rm --network none --security-opt seccomp=unconfined busybox true" >&2
	[ -z "$(ls -A "$GD_ROOT/containers" 2>/dev/null)" ] || log "warning: geedocker left containers behind: $(ls "$GD_ROOT/containers")"

	local stats=$T/seccomp.tsv d u
	medians "$json" >"$stats"
	d=$(median_ms "$stats" default)
	u=$(median_ms "$stats" unconfined)
	md "### Seccomp"
	md ""
	md "\`run --rm --network none busybox true\` with Docker's default seccomp profile (evaluated, compiled"
	md "once and then read from the store's cache, installed by the init) against"
	md "\`--security-opt seccomp=unconfined\`, $RUN_RUNS runs after 3 warmups each (hyperfine -N), in one"
	md "hyperfine run."
	md ""
	hf_table "$stats" default="geedocker, default profile" unconfined="geedocker, seccomp=unconfined"
	md ""
	md "$(awk -v d="$d" -v u="$u" 'BEGIN { printf "Cost of the profile: %+.1f ms on the median; target at most 2 ms (%s).", d-u, (d-u <= 2 ? "met" : "missed") }')"
	md ""
}

# --- part H: build -------------------------------------------------------

# build_context DIR: the Dockerfile and 10,000 files of about 100 bytes in
# 100 directories
build_context() {
	local dir=$1 d f
	mkdir -p "$dir/files"
	for d in $(seq -w 0 99); do
		mkdir -p "$dir/files/d$d"
		for f in $(seq -w 0 99); do
			printf 'file %s/%s %0100d\n' "$d" "$f" 0 >"$dir/files/d$d/f$f.txt"
		done
	done
	cat >"$dir/Dockerfile" <<'DOCKERFILE'
FROM busybox
ENV APP=/app MODE=bench
WORKDIR /app
COPY files/ /app/files/
RUN find /app/files -type f | wc -l > /app/count
RUN echo built > /app/built && mkdir -p /var/cache/app
RUN for i in 1 2 3; do echo $i >> /app/log; done
RUN rm -rf /app/files/d00
LABEL bench=yes
CMD ["cat", "/app/count"]
DOCKERFILE
}

bench_build() {
	log "preparing busybox and a build context of 10,000 files"
	gd_busybox "$GD_ROOT"
	podman_busybox
	local ctx=$T/build-ctx json=$W/results/build.json stats=$T/build.tsv runs=${BUILD_RUNS:-10}
	build_context "$ctx"
	# one build each, so that the cached runs find their cache
	"$GD" --root "$GD_ROOT" build -q --network none -t bench "$ctx" >/dev/null
	podman_run build -q --network none --layers -t bench "$ctx" >/dev/null
	log "build: from scratch (--no-cache) and fully cached, geedocker and podman ($runs runs each)"
	hyperfine -N "${HF_OUT[@]}" --warmup 1 --runs "$runs" --export-json "$json" \
		-n gd-cached "$GD --root $GD_ROOT build -q --network none -t bench $ctx" \
		-n podman-cached "$PODMAN_RUN build -q --network none --layers -t bench $ctx" \
		-n gd-nocache "$GD --root $GD_ROOT build -q --network none --no-cache -t bench $ctx" \
		-n podman-nocache "$PODMAN_RUN build -q --network none --layers --no-cache -t bench $ctx" >&2
	[ -z "$(ls -A "$GD_ROOT/containers" 2>/dev/null)" ] || log "warning: geedocker left containers behind: $(ls "$GD_ROOT/containers")"
	[ "$("$GD" --root "$GD_ROOT" run --rm --network none bench)" = 10000 ] || log "warning: the built image does not hold the 10,000 files"

	medians "$json" >"$stats"
	md "### Build"
	md ""
	md "\`build\` of a 10-step Dockerfile (FROM busybox, ENV, WORKDIR, one COPY of 10,000 files of ~110 bytes"
	md "in 100 directories, four RUNs on \`--network none\`, LABEL, CMD), $runs runs after 1 warmup each"
	md "(hyperfine -N): fully cached (every step from the cache; geedocker still hashes the 10,000 files"
	md "for the COPY's key) and from scratch (\`--no-cache\`: the COPY and every RUN executed, each RUN in a"
	md "container). podman builds with \`--layers\` (its cache) and its default isolation."
	md ""
	hf_table "$stats" gd-cached="geedocker, fully cached" podman-cached="podman, fully cached" \
		gd-nocache="geedocker, --no-cache" podman-nocache="podman, --no-cache"
	md ""
	md "Target: fully cached rebuild at most 300 ms ($(verdict "$stats" gd-cached 300.001))."
	md ""
}

# --- part F: memory of the monitors --------------------------------------

# mem_line PID: VmRSS RssAnon RssFile Pss Private (kB), Private being
# Private_Clean + Private_Dirty
mem_line() {
	awk '$1 ~ /^(VmRSS|RssAnon|RssFile):$/ { v[$1] = $2 } END { printf "%d %d %d", v["VmRSS:"], v["RssAnon:"], v["RssFile:"] }' "/proc/$1/status"
	awk '$1 == "Pss:" { p = $2 } $1 ~ /^Private_(Clean|Dirty):$/ { q += $2 } END { printf " %d %d\n", p, q }' "/proc/$1/smaps_rollup"
}

# parent_of PID: field 4 of /proc/PID/stat (after the command name, which may
# hold spaces and parentheses)
parent_of() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f2; }

# mean_mib FILE COLUMN: the mean of a column of kB figures, in MiB
mean_mib() { cut -d' ' -f"$2" "$1" | "$B" summary -scale 0.0009765625 /dev/stdin | awk -F'\t' '{ printf "%.2f", $3 }'; }

# monitor_row LABEL FILE: a table row of the means of FILE's columns, in MiB
monitor_row() {
	local c row
	row="| $1 | $(wc -l <"$2")"
	for c in 1 2 3 4 5; do
		row+=" | $(mean_mib "$2" "$c")"
	done
	md "$row |"
}

bench_monitor() {
	local n=10 i id pid mon
	local gd_mem=$W/results/monitor-geedocker.txt pm_mem=$W/results/monitor-podman.txt
	log "preparing busybox for geedocker and podman"
	gd_busybox "$GD_ROOT"
	podman_busybox
	log "monitor memory: $n detached containers each, geedocker and podman"
	local gd_ids=() pm_ids=()
	for ((i = 0; i < n; i++)); do gd_ids+=("$(gd_sleeper)"); done
	for ((i = 0; i < n; i++)); do pm_ids+=("$(podman_sleeper)"); done
	: >"$gd_mem"
	: >"$pm_mem"
	for id in "${gd_ids[@]}"; do
		pid=$("$GD" --root "$GD_ROOT" inspect -f '{{.State.Pid}}' "$id")
		mon=$(parent_of "$pid")
		if [ "$(readlink "/proc/$mon/exe")" != "$GD-monitor" ] || ! tr '\0' ' ' <"/proc/$mon/cmdline" | grep -q ' container-monitor '; then
			die "the parent ($mon) of geedocker container $id's PID 1 ($pid) is not its container-monitor"
		fi
		mem_line "$mon" >>"$gd_mem"
	done
	for id in "${pm_ids[@]}"; do
		pid=$(podman_run inspect -f '{{.State.Pid}}' "$id")
		mon=$(parent_of "$pid")
		[ "$(cat "/proc/$mon/comm")" = conmon ] || die "the parent ($mon) of podman container $id's PID 1 ($pid) is not conmon"
		mem_line "$mon" >>"$pm_mem"
	done
	"$GD" --root "$GD_ROOT" rm -f "${gd_ids[@]}" >/dev/null
	podman_run rm -f -t 0 "${pm_ids[@]}" >/dev/null

	# run -d (CLI, monitor started, PID 1 running) against the foreground run --rm, and
	# against podman's run -d
	local json=$W/results/detached.json stats=$T/detached.tsv
	log "run -d against run --rm and podman run -d (3 warmups, $RUN_RUNS runs each)"
	hyperfine -N "${HF_OUT[@]}" --warmup 3 --runs "$RUN_RUNS" --export-json "$json" \
		-n detached "$GD --root $GD_ROOT run -d --network none busybox true" \
		-n foreground "$GD --root $GD_ROOT run --rm --network none busybox true" \
		-n podman-detached "$PODMAN_RUN run -d --network none busybox true" >&2
	"$GD" --root "$GD_ROOT" container prune -f >/dev/null
	podman_run container prune -f >/dev/null
	medians "$json" >"$stats"

	local rss priv conmon
	rss=$(mean_mib "$gd_mem" 1)
	priv=$(mean_mib "$gd_mem" 5)
	conmon=$(mean_mib "$pm_mem" 1)
	md "### Monitor memory"
	md ""
	md "The process that holds a detached container, the parent of its PID 1: geedocker's \`geedocker-monitor\`,"
	md "podman's \`conmon\`; $n \`run -d --network none busybox sleep 1000\` containers of each, read once all were"
	md "up. MiB (2^20 bytes), mean over the $n monitors. VmRSS, RssAnon and RssFile (/proc/PID/status) count every"
	md "resident page the process maps, pages of its executable that the other monitors share included; Pss"
	md "(/proc/PID/smaps_rollup) divides each shared page among the processes that map it; private is"
	md "Private_Clean + Private_Dirty, the pages no other process maps: about what each further monitor costs."
	md ""
	md "| monitor | monitors | VmRSS | RssAnon | RssFile | Pss | private |"
	md "|---|---:|---:|---:|---:|---:|---:|"
	monitor_row "geedocker-monitor" "$gd_mem"
	monitor_row "podman conmon" "$pm_mem"
	md ""
	md "Targets: geedocker monitor at most 3 MiB RSS ($(awk -v r="$rss" 'BEGIN { print (r <= 3 ? "met" : "missed") }'): $rss MiB) and"
	md "1 MiB private ($(awk -v r="$priv" 'BEGIN { print (r <= 1 ? "met" : "missed") }'): $priv MiB). The issue's author measured conmon at 2.1 MB; here its RSS was $conmon MiB."
	md ""
	md "\`run -d --network none busybox true\` (returns once PID 1 runs under its monitor) against"
	md "\`run --rm --network none busybox true\` (the whole run in the foreground) and podman's \`run -d\`,"
	md "$RUN_RUNS runs after 3 warmups each, in one hyperfine run:"
	md ""
	hf_table "$stats" detached="geedocker run -d" foreground="geedocker run --rm" podman-detached="podman run -d"
	md ""
	md "$(awk -v d="$(median_ms "$stats" detached)" -v f="$(median_ms "$stats" foreground)" 'BEGIN { printf "run -d / run --rm: %.2f on the median; target at most 1.5 (%s).", d/f, (d/f <= 1.5 ? "met" : "missed") }')"
	md "$(awk -v d="$(median_ms "$stats" detached)" -v p="$(median_ms "$stats" podman-detached)" 'BEGIN { printf "run -d / podman run -d: %.2f on the median; target at most 0.25 (%s).", d/p, (d/p <= 0.25 ? "met" : "missed") }')"
	md ""
}

# --- part G: health checks -----------------------------------------------

# gd_monitor_of ID: the geedocker-monitor holding container ID (its PID 1's parent)
gd_monitor_of() {
	local pid mon
	pid=$("$GD" --root "$GD_ROOT" inspect -f '{{.State.Pid}}' "$1")
	mon=$(parent_of "$pid")
	[ "$(readlink "/proc/$mon/exe")" = "$GD-monitor" ] || die "the parent ($mon) of geedocker container $1's PID 1 ($pid) is not its monitor"
	echo "$mon"
}

bench_health() {
	local n=10 i id c
	local plain_mem=$W/results/monitor-plain.txt hc_mem=$W/results/monitor-health.txt
	log "preparing busybox for geedocker"
	gd_busybox "$GD_ROOT"
	# One probe against one exec; the container's own probes are an hour apart.
	c=$("$GD" --root "$GD_ROOT" run -d --network none --health-cmd true --health-interval 1h busybox sleep 1000)
	echo "$c" >>"$T/gd-ids"
	local json=$W/results/health.json stats=$T/health.tsv
	log "one probe against one exec (3 warmups, $RUN_RUNS runs each)"
	hyperfine -N "${HF_OUT[@]}" --warmup 3 --runs "$RUN_RUNS" --export-json "$json" \
		-n probe "$GD --root $GD_ROOT container-healthcheck $c" \
		-n exec "$GD --root $GD_ROOT exec $c true" >&2
	"$GD" --root "$GD_ROOT" rm -f "$c" >/dev/null
	medians "$json" >"$stats"

	log "monitor memory: $n containers probed every second, $n without a check"
	local plain=() checked=()
	for ((i = 0; i < n; i++)); do plain+=("$(gd_sleeper)"); done
	for ((i = 0; i < n; i++)); do
		id=$("$GD" --root "$GD_ROOT" run -d --network none --health-cmd true --health-interval 1s busybox sleep 1000)
		echo "$id" >>"$T/gd-ids"
		checked+=("$id")
	done
	local deadline=$((SECONDS + 300))
	for id in "${checked[@]}"; do
		until [ "$("$GD" --root "$GD_ROOT" inspect -f '{{len .State.Health.Log}}' "$id")" = 5 ]; do
			[ $SECONDS -lt $deadline ] || die "container $id has not run 5 probes in 300 s"
			sleep 0.2
		done
	done
	: >"$plain_mem"
	: >"$hc_mem"
	for id in "${plain[@]}"; do mem_line "$(gd_monitor_of "$id")" >>"$plain_mem"; done
	for id in "${checked[@]}"; do mem_line "$(gd_monitor_of "$id")" >>"$hc_mem"; done
	"$GD" --root "$GD_ROOT" rm -f "${plain[@]}" "${checked[@]}" >/dev/null

	md "### Health checks"
	md ""
	md "A container's monitor schedules its health checks and runs each probe as the short-lived"
	md "\`geedocker container-healthcheck C\` (an exec of the check in the container, and the record's update)."
	md "One probe of \`--health-cmd true\` against \`exec C true\`, $RUN_RUNS runs after 3 warmups (hyperfine -N):"
	md ""
	hf_table "$stats" probe="geedocker container-healthcheck" exec="geedocker exec"
	md ""
	md "Monitor memory (MiB, mean over $n monitors, columns as in the monitor part) of containers probed"
	md "every second (\`--health-cmd true --health-interval 1s\`), read once each had run 5 probes, against"
	md "containers without a check:"
	md ""
	md "| monitor | monitors | VmRSS | RssAnon | RssFile | Pss | private |"
	md "|---|---:|---:|---:|---:|---:|---:|"
	monitor_row "geedocker-monitor, no health check" "$plain_mem"
	monitor_row "geedocker-monitor, a probe every second" "$hc_mem"
	md ""
}

# --- part J: the Engine API ----------------------------------------------

# await_socket PATH PID: waits until a server listens on the unix socket PATH
# (at most 30 s), or dies with the server PID
await_socket() {
	local i
	for i in $(seq 300); do
		[ -S "$1" ] && docker -H "unix://$1" version >/dev/null 2>&1 && return 0
		kill -0 "$2" 2>/dev/null || die "the server for $1 exited"
		sleep 0.1
	done
	die "nothing listens on $1"
}

bench_api() {
	command -v docker >/dev/null || {
		log "the docker CLI is not installed: the api part is not measured"
		return 0
	}
	log "preparing busybox for geedocker and podman"
	gd_busybox "$GD_ROOT"
	podman_busybox
	# the docker CLI asks for busybox, which podman's Docker API resolves to docker.io/library/busybox
	podman_run tag busybox:latest docker.io/library/busybox:latest >/dev/null
	local gd_sock=$RT/geedocker.sock pm_sock=$RT/podman.sock
	export DOCKER_CONFIG=$T/docker-config # nothing of the user's
	"$GD" --root "$GD_ROOT" serve -H "unix://$gd_sock" 2>>"$T/serve.log" &
	SERVE_PIDS="$SERVE_PIDS $!"
	await_socket "$gd_sock" $!
	$PODMAN_RUN system service --time=0 "unix://$pm_sock" 2>>"$T/podman-service.log" &
	SERVE_PIDS="$SERVE_PIDS $!"
	await_socket "$pm_sock" $!
	local gd_api pm_api
	gd_api=$(docker -H "unix://$gd_sock" version --format '{{.Server.APIVersion}}')
	pm_api=$(docker -H "unix://$pm_sock" version --format '{{.Server.APIVersion}}')

	local json=$W/results/api.json
	log "Engine API: docker ps and docker run through geedocker serve and podman system service (3 warmups, $RUN_RUNS runs each)"
	hyperfine -N "${HF_OUT[@]}" --warmup 3 --runs "$RUN_RUNS" --export-json "$json" \
		-n gd-ps "docker -H unix://$gd_sock ps" \
		-n pm-ps "docker -H unix://$pm_sock ps" \
		-n gd-run "docker -H unix://$gd_sock run --rm --network none busybox true" \
		-n pm-run "docker -H unix://$pm_sock run --rm --network none busybox true" \
		-n gd-cli "$GD --root $GD_ROOT run --rm --network none busybox true" >&2
	[ -z "$(ls -A "$GD_ROOT/containers" 2>/dev/null)" ] || log "warning: geedocker left containers behind: $(ls "$GD_ROOT/containers")"
	[ -z "$(podman_run ps -aq)" ] || log "warning: podman left containers behind"

	local stats=$T/api.tsv
	medians "$json" >"$stats"
	md "### The Engine API"
	md ""
	md "The docker CLI ($(version_of docker --version)) against \`geedocker serve\` (API $gd_api) and against"
	md "\`podman system service\` (API $pm_api), each on a unix socket, both over stores holding the busybox"
	md "image and no container; $RUN_RUNS runs after 3 warmups (hyperfine -N), in one hyperfine run. The last row is"
	md "geedocker's own CLI, for the server's overhead."
	md ""
	hf_table "$stats" gd-ps="docker ps → geedocker serve" pm-ps="docker ps → podman system service" \
		gd-run="docker run --rm --network none busybox true → geedocker serve" \
		pm-run="docker run --rm --network none busybox true → podman system service" \
		gd-cli="geedocker run --rm --network none busybox true (no server)"
	md ""
	md "$(awk -F'\t' '{ m[$1] = $2 } END { printf "docker run through geedocker serve / through podman: %.2f on the median (target at most 0.30: %s); over geedocker'"'"'s own run --rm: %+.1f ms (%.2f×).", m["gd-run"]/m["pm-run"], (m["gd-run"]/m["pm-run"] <= 0.30 ? "met" : "missed"), (m["gd-run"]-m["gd-cli"])*1000, m["gd-run"]/m["gd-cli"] }' "$stats")"
	md ""
	local p
	for p in $SERVE_PIDS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	SERVE_PIDS=
	rm -f "$gd_sock" "$pm_sock"
}

# --- the report ----------------------------------------------------------

if want pull; then bench_pull; fi
if want run; then bench_run; fi
if want exec; then bench_exec; fi
if want lifecycle; then bench_lifecycle; fi
if want bridge; then bench_bridge; fi
if want monitor; then bench_monitor; fi
if want seccomp; then bench_seccomp; fi
if want build; then bench_build; fi
if want ocirun; then bench_ocirun; fi
if want health; then bench_health; fi
if want saveload; then bench_saveload; fi
if want api; then bench_api; fi

{
	echo "## Latest run"
	echo ""
	echo "- date: $DATE_START"
	echo "- machine: $(nproc) cores (nproc), $(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo) memory, kernel $(uname -r), Debian $(cat /etc/debian_version 2>/dev/null || echo '?')"
	echo "- load average (1, 5, 15 min): $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	echo "- $VERSIONS"
	echo ""
	cat "$REPORT"
} >"$T/section.md"
cp "$T/section.md" "$W/results/latest.md"
cat "$T/section.md"

if [ "${BENCH_WRITE:-0}" = 1 ]; then
	{
		echo "# Benchmarks"
		echo ""
		echo "GeeDocker against its peers on one machine, offline: a docker-registry on loopback, images built"
		echo "locally (Debian minbase from the apt mirror, generated files), podman, skopeo and runc from Debian."
		echo "To reproduce, as root on Debian: \`make bench\` (installs the missing tools with apt, caches the"
		echo "images in \`\$GEE_BENCH_WORK\`, default \`/var/tmp/geedocker-bench\`, and cleans up after itself)."
		echo "\`scripts/bench.sh PART...\` runs some of the parts (pull, run, exec, lifecycle, bridge, monitor, seccomp, build, ocirun, health, saveload, api;"
		echo "\`scripts/bench.sh --help\` says what each measures); \`BENCH_WRITE=1\` rewrites this file."
		echo "Figures from a machine that is busy with other work are noisy: note the load average."
		echo ""
		cat "$T/section.md"
	} >"$REPO/docs/benchmarks.md"
	log "wrote docs/benchmarks.md"
fi
