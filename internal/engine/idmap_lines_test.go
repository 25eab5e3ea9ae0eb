package engine

import "testing"

func TestHostID(t *testing.T) {
	tests := []struct {
		idMap  string
		id     uint32
		want   uint32
		wantOK bool
	}{
		{"         0          0 4294967295\n", 999, 999, true},
		{"         0     100000      65536\n", 0, 100000, true},
		{"         0     100000      65536\n", 999, 100999, true},
		{"         0     100000      65536\n", 65536, 0, false},
		{"0 1000 1\n1 200000 1000\n", 1, 200000, true},
		{"0 1000 1\n1 200000 1000\n", 0, 1000, true},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		got, ok := hostID(tt.idMap, tt.id)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("hostID(%q, %d) = %d, %v; want %d, %v", tt.idMap, tt.id, got, ok, tt.want, tt.wantOK)
		}
	}
}
