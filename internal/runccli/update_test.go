package runccli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/geedocker/geedocker/internal/cgroups"
)

func TestUpdateResources(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		flags   UpdateFlags
		check   func(t *testing.T, got string)
		wantErr bool
	}{
		{"json only", `{"memory":{"limit":1048576},"pids":{"limit":5}}`, UpdateFlags{}, func(t *testing.T, got string) {
			if !strings.Contains(got, `"limit":1048576`) || !strings.Contains(got, `"pids":{"limit":5}`) {
				t.Errorf("got %s", got)
			}
		}, false},
		{"flags win over json", `{"pids":{"limit":5}}`, UpdateFlags{PidsLimit: "7", CPUShares: "512", CpusetCpus: "0"}, func(t *testing.T, got string) {
			if !strings.Contains(got, `"pids":{"limit":7}`) || !strings.Contains(got, `"shares":512`) || !strings.Contains(got, `"cpus":"0"`) {
				t.Errorf("got %s", got)
			}
		}, false},
		{"no json", "", UpdateFlags{Memory: "100", MemoryReservation: "50", BlkioWeight: "300"}, func(t *testing.T, got string) {
			if !strings.Contains(got, `"limit":100`) || !strings.Contains(got, `"reservation":50`) || !strings.Contains(got, `"weight":300`) {
				t.Errorf("got %s", got)
			}
		}, false},
		{"bad number", "", UpdateFlags{Memory: "1g"}, nil, true},
		{"bad json", "{", UpdateFlags{}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in *strings.Reader
			if tt.json != "" {
				in = strings.NewReader(tt.json)
			}
			var res any
			var err error
			if in != nil {
				res, err = tt.flags.Resources(in)
			} else {
				res, err = tt.flags.Resources(nil)
			}
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(res)
			tt.check(t, string(b))
		})
	}
}

func TestStatsEvent(t *testing.T) {
	b, err := json.Marshal(statsEvent("c1", cgroups.Stats{CPUUsage: 5, MemoryUsage: 6, MemoryLimit: 7, Pids: 2}))
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Type, ID string
		Data     struct {
			CPU struct {
				Usage struct{ Total uint64 }
			}
			Memory struct {
				Usage struct{ Usage, Limit uint64 }
			}
			Pids struct{ Current uint64 }
		}
	}
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != "stats" || ev.ID != "c1" || ev.Data.CPU.Usage.Total != 5 || ev.Data.Memory.Usage.Usage != 6 ||
		ev.Data.Memory.Usage.Limit != 7 || ev.Data.Pids.Current != 2 {
		t.Errorf("event %s", b)
	}
}
