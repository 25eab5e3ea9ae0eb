package engine

import "testing"

func TestParseNetDev(t *testing.T) {
	const netDev = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0:    2048      12    0    0    0     0          0         0      648       8    0    0    0     0       0          0
  eth1:100 1 0 0 0 0 0 0 52 1 0 0 0 0 0 0
`
	tests := []struct {
		in     string
		rx, tx uint64
	}{
		{netDev, 2148, 700},
		{"", 0, 0},
		{"  eth0: garbage\n", 0, 0},
	}
	for _, tt := range tests {
		if rx, tx := parseNetDev(tt.in); rx != tt.rx || tx != tt.tx {
			t.Errorf("parseNetDev = %d, %d; want %d, %d", rx, tx, tt.rx, tt.tx)
		}
	}
}
