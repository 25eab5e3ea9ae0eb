package api

import (
	"net/http"
	"testing"

	"github.com/creack/pty"
)

func TestExecResize(t *testing.T) {
	s, h := newTestServer(t)
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pty here: %v", err)
	}
	defer master.Close()
	defer slave.Close()
	running := &execSession{ID: "tty", started: true, running: true, console: master}
	plain := &execSession{ID: "plain", started: true, running: true}
	created := &execSession{ID: "created"}
	s.mu.Lock()
	for _, ex := range []*execSession{running, plain, created} {
		s.execs[ex.ID] = ex
	}
	s.mu.Unlock()

	cases := []struct {
		path string
		code int
	}{
		{"/exec/tty/resize?h=40&w=100", http.StatusOK},
		{"/v1.41/exec/plain/resize?h=40&w=100", http.StatusOK}, // no terminal: nothing to size
		{"/exec/created/resize?h=40&w=100", http.StatusConflict},
		{"/exec/nope/resize?h=40&w=100", http.StatusNotFound},
		{"/exec/tty/resize?h=x&w=100", http.StatusBadRequest},
		{"/exec/tty/resize?h=40", http.StatusBadRequest},
		{"/exec/tty/resize?h=70000&w=100", http.StatusBadRequest},
	}
	for _, c := range cases {
		if w := do(h, "POST", c.path, ""); w.Code != c.code {
			t.Errorf("POST %s: %d %s, want %d", c.path, w.Code, w.Body, c.code)
		}
	}
	ws, err := pty.GetsizeFull(slave)
	if err != nil {
		t.Fatal(err)
	}
	if ws.Rows != 40 || ws.Cols != 100 {
		t.Errorf("terminal size after resize: %dx%d, want 40x100", ws.Rows, ws.Cols)
	}
}
