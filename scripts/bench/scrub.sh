#!/bin/sh
# scrub.sh DIR...: unmounts whatever is mounted at or below each DIR (deepest
# first), then removes DIR. Used between benchmark runs to get an empty store,
# and at the end to clean up.
for d in "$@"; do
	[ -e "$d" ] || continue
	d=$(realpath "$d")
	awk -v d="$d" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
	rm -rf "$d"
done
