#!/usr/bin/env bash
# GeeDocker's benchmark against its peers, offline, on loopback, in one run.
#
#   scripts/bench.sh [pull] [run]     (default: both; `make bench` builds first)
#
# pull  Two images in a local docker-registry on a free 127.0.0.1 port: Debian
#       bookworm minbase (one layer) and a four-layer image (the same rootfs
#       split in two, ~30,000 small text files, incompressible random files).
#       Each tool pulls each image 3 times into an empty store: geedocker pull,
#       podman pull, skopeo copy to dir: (download only), and the floor,
#       `zcat LAYER | tar -x` of the same blobs (layers in parallel).
# run   `run --rm --network none busybox true` of geedocker and podman, and
#       `runc run` of a bundle of the same busybox rootfs, in one hyperfine run.
#
# Prints a Markdown section on stdout (progress goes to stderr). With
# BENCH_WRITE=1 it also writes docs/benchmarks.md. Results (hyperfine JSON,
# the Markdown) stay in $GEE_BENCH_WORK/results.
#
# Environment:
#   GEE_BENCH_WORK  data and caches (default /var/tmp/geedocker-bench): the
#                   debootstrap rootfs tarball and the generated layers are
#                   kept there between runs; everything else is removed.
#   PULL_RUNS       runs per pull measurement (default 3)
#   RUN_RUNS        runs per run-latency measurement (default 30, 3 warmups)
#   BENCH_WRITE=1   write docs/benchmarks.md
#   BENCH_REBUILD=1 rebuild the cached rootfs and layers
#   BENCH_VERBOSE=1 show the output of every measured command
#
# Needs root, Debian's apt (missing tools are installed: docker-registry
# skopeo podman runc hyperfine debootstrap busybox-static jq) and Go (to
# build the helper in scripts/bench). crun is not measured: it refuses the
# hybrid cgroup layout of the machine this was written on.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
HELPERS=$REPO/scripts/bench
W=${GEE_BENCH_WORK:-/var/tmp/geedocker-bench}
PULL_RUNS=${PULL_RUNS:-3}
RUN_RUNS=${RUN_RUNS:-30}
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
	pull | run) parts+=("$a") ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown part $a (want pull, run, or nothing for both)" ;;
	esac
done
[ ${#parts[@]} -gt 0 ] || parts=(pull run)
want() { [[ " ${parts[*]} " == *" $1 "* ]]; }

[ "$(id -u)" = 0 ] || die "needs root (containers, mounts, cgroups)"
[ -x "$GD_BUILT" ] || die "$GD_BUILT missing: run make bench (or make build) first"
command -v go >/dev/null || die "go not found (it builds the helper in scripts/bench)"

# --- tools ---------------------------------------------------------------

install_missing() {
	local need=() pair cmd pkg
	for pair in docker-registry:docker-registry skopeo:skopeo podman:podman runc:runc \
		hyperfine:hyperfine debootstrap:debootstrap jq:jq busybox:busybox-static; do
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

T=$(mktemp -d "$W/run.XXXXXX")
RT=$(mktemp -d /run/gdbench.XXXXXX)
REG_PID=
# state the peers create outside their --root (podman's runc keeps its state
# in /run/runc, podman and skopeo a blob cache in /var/lib/containers/cache):
# what this run creates, it removes
EXISTED=$(ls -d /sys/fs/cgroup/*/libpod_parent /run/runc /var/lib/containers/cache /var/lib/containers 2>/dev/null || true)

cleanup() {
	set +e
	if [ -n "$REG_PID" ]; then
		kill "$REG_PID" 2>/dev/null
		wait "$REG_PID" 2>/dev/null
	fi
	if [ -d "$T/runc-state" ]; then
		for id in $(runc --root "$T/runc-state" list -q 2>/dev/null); do
			runc --root "$T/runc-state" delete -f "$id"
		done
	fi
	if [ -d "$T/podman-run" ]; then
		podman_run rm -af >/dev/null 2>&1
	fi
	"$HELPERS/scrub.sh" "$T" "$RT"
	local d
	for d in /sys/fs/cgroup/*/libpod_parent /run/runc /var/lib/containers/cache /var/lib/containers; do
		[ -d "$d" ] || continue
		grep -qxF "$d" <<<"$EXISTED" && continue
		case $d in
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
GD=$T/bin/geedocker

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
VERSIONS="geedocker $("$GD" version 2>/dev/null | awk '/Version:/ { print $2; exit }'), podman $(version_of podman --version) (runtime runc), runc $(version_of runc --version), skopeo $(version_of skopeo --version), docker-registry $(version_of docker-registry --version), GNU tar $(version_of tar --version), gzip $(version_of gzip --version), hyperfine $(version_of hyperfine --version)"

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

if want pull; then
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

# --- part B: run latency -------------------------------------------------

bench_run() {
	log "preparing busybox for geedocker, podman and runc"
	"$REPO/scripts/busybox-rootfs.sh" "$T/busybox.tar"
	"$GD" --root "$T/gd-run" import --change 'CMD ["sh"]' "$T/busybox.tar" busybox:latest >/dev/null
	podman_run import -q "$T/busybox.tar" busybox:latest >/dev/null
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
		-n geedocker "$GD --root $T/gd-run run --rm --network none busybox true" \
		-n podman "$PODMAN_RUN run --rm --network none busybox true" \
		-n runc "$T/runc-run" >&2

	[ -z "$(ls -A "$T/gd-run/containers" 2>/dev/null)" ] || log "warning: geedocker left containers behind: $(ls "$T/gd-run/containers")"
	[ -z "$(podman_run ps -aq)" ] || log "warning: podman left containers behind"
	[ -z "$(runc --root "$T/runc-state" list -q)" ] || log "warning: runc left containers behind"

	local stats=$T/run.tsv tool
	medians "$json" >"$stats"
	md "### Run latency"
	md ""
	md "\`run --rm --network none busybox true\`, $RUN_RUNS runs after 3 warmups (hyperfine -N); runc runs a"
	md "bundle of the same rootfs (writable, no overlay) through a \`sh\` wrapper that gives each run its own id."
	md ""
	md "| command | median ms | mean ± σ ms | min ms | max ms |"
	md "|---|---:|---:|---:|---:|"
	for tool in geedocker podman runc; do
		md "$(awk -F'\t' -v t="$tool" '$1 == t { printf "| %s | %.1f | %.1f ± %.1f | %.1f | %.1f |", t, $2*1000, $3*1000, $4*1000, $5*1000, $6*1000 }' "$stats")"
	done
	md ""
	md "$(awk -F'\t' '$1 == "geedocker" { printf "Target: geedocker median under 40 ms (%s).", $2 < 0.040 ? "met" : "missed" }' "$stats")"
	md ""
}

# --- the report ----------------------------------------------------------

if want pull; then bench_pull; fi
if want run; then bench_run; fi

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
		echo "\`scripts/bench.sh pull\` or \`scripts/bench.sh run\` runs one part; \`BENCH_WRITE=1\` rewrites this file."
		echo "Figures from a machine that is busy with other work are noisy: note the load average."
		echo ""
		cat "$T/section.md"
	} >"$REPO/docs/benchmarks.md"
	log "wrote docs/benchmarks.md"
fi
