package cgroups

import "testing"

func TestParseBlockIO(t *testing.T) {
	tests := []struct {
		name        string
		parse       func(string) (uint64, uint64)
		in          string
		read, write uint64
	}{
		{"v2 empty", parseIOStat, "", 0, 0},
		{"v2 two devices", parseIOStat, "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n253:0 rbytes=1000 wbytes=24 rios=1 wios=1 dbytes=5 dios=1\n", 5096, 8216},
		{"v2 garbage", parseIOStat, "8:0 rbytes=x wbytes=10\n", 0, 10},
		{"v1", parseBlkioBytes, "8:0 Read 4096\n8:0 Write 512\n8:0 Sync 0\n8:0 Async 4608\n8:0 Discard 0\n8:0 Total 4608\n8:16 Read 4\nTotal 4612\n", 4100, 512},
		{"v1 empty", parseBlkioBytes, "Total 0\n", 0, 0},
	}
	for _, tt := range tests {
		if r, w := tt.parse(tt.in); r != tt.read || w != tt.write {
			t.Errorf("%s: = %d, %d; want %d, %d", tt.name, r, w, tt.read, tt.write)
		}
	}
}
