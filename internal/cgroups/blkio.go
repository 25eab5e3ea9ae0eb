package cgroups

import (
	"strconv"
	"strings"
)

// parseIOStat sums the bytes read and written over the devices of a v2
// io.stat ("8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0").
func parseIOStat(s string) (read, written uint64) {
	for _, line := range strings.Split(s, "\n") {
		for _, kv := range strings.Fields(line) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				continue
			}
			switch k {
			case "rbytes":
				read += n
			case "wbytes":
				written += n
			}
		}
	}
	return read, written
}

// parseBlkioBytes sums the bytes read and written over the devices of a v1
// blkio.throttle.io_service_bytes_recursive ("8:0 Read 4096" lines).
func parseBlkioBytes(s string) (read, written uint64) {
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		n, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			continue
		}
		switch f[1] {
		case "Read":
			read += n
		case "Write":
			written += n
		}
	}
	return read, written
}
