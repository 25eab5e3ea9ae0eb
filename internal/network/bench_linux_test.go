package network

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// BenchmarkAttach measures Attach and Publish of one container to a
// network whose bridge and rules exist, as for every `run` but the first,
// and Detach and Unpublish. The container namespaces are made outside the
// timer.
func BenchmarkAttach(b *testing.B) {
	host := newNS(b, "host")
	n, _ := NewNetwork(DefaultName, "", netip.MustParsePrefix("172.17.0.0/16"), false)
	host.do(b, func() error { return EnsureNAT(n) })
	var attach, publish, detach time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		ctr := newNS(b, "ctr")
		owner := fmt.Sprintf("%08x", i)
		ip := netip.AddrFrom4([4]byte{172, 17, byte(i / 250), byte(2 + i%250)})
		b.StartTimer()
		host.do(b, func() error {
			t0 := time.Now()
			if _, err := Attach(n, ctr.path, owner, ip); err != nil {
				return err
			}
			t1 := time.Now()
			if _, err := Publish(owner, ip, []PortMapping{{ContainerPort: 80, Proto: "tcp"}}); err != nil {
				return err
			}
			t2 := time.Now()
			if err := Unpublish(owner); err != nil {
				return err
			}
			if err := Detach(owner); err != nil {
				return err
			}
			attach += t1.Sub(t0)
			publish += t2.Sub(t1)
			detach += time.Since(t2)
			return nil
		})
	}
	b.ReportMetric(float64(attach.Microseconds())/float64(b.N)/1000, "ms/attach")
	b.ReportMetric(float64(publish.Microseconds())/float64(b.N)/1000, "ms/publish")
	b.ReportMetric(float64(detach.Microseconds())/float64(b.N)/1000, "ms/unpublish+detach")
}
