package dns

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sync/atomic"
	"syscall"
	"time"
)

// Main is the resolver program: its one argument is the records
// directory. It handles SIGHUP (reload) before Run writes the pid file
// that tells writers where to send it, and ends on SIGINT or SIGTERM or
// when no network has a container left. It returns the exit code; its
// output goes nowhere (Ensure gives it /dev/null), so errors are in the
// code only.
func Main(args []string) int {
	if len(args) != 1 {
		return 2
	}
	reload := make(chan os.Signal, 1)
	signal.Notify(reload, syscall.SIGHUP)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, args[0], reload); err != nil {
		return 1
	}
	return 0
}

// served is the server of one container, and what it was made from.
type served struct {
	srv       *Server
	netns     string
	ino       uint64
	upstreams []string
}

// resolver is the process that serves the DNS of every container of a
// store on a user network.
type resolver struct {
	ctx     context.Context
	dir     string
	state   atomic.Pointer[state]
	servers map[string]*served // by container ID
}

// Run is the resolver: it writes its pid file, then loads the records of
// dir and listens at Addr in the namespace of every container they name,
// again at each value on reload (SIGHUP), until ctx is done or no network
// has a container left. The caller installs the SIGHUP handler before it
// calls Run: the pid file tells writers that signals are safe to send.
func Run(ctx context.Context, dir string, reload <-chan os.Signal) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := writePid(dir, os.Getpid()); err != nil {
		return err
	}
	r := &resolver{ctx: ctx, dir: dir, servers: map[string]*served{}}
	defer r.closeAll()
	defer removeOwnPid(dir)
	retry := time.NewTimer(0)
	<-retry.C
	delay := retryFirst
	for {
		n, retrying := r.load()
		if n == 0 {
			// Exit, unless a writer added records meanwhile: writers hold the
			// lock while they write and look for a resolver.
			unlock, err := lock(dir)
			if err == nil {
				if n, retrying = r.load(); n == 0 {
					removeOwnPid(dir)
					unlock()
					return nil
				}
				unlock()
			}
		}
		if retrying {
			retry.Reset(delay)
			delay = min(2*delay, retryMax)
		} else {
			retry.Stop()
			delay = retryFirst
		}
		select {
		case <-ctx.Done():
			return nil
		case <-reload:
		case <-retry.C:
		}
	}
}

// How soon a load that found an address in use is tried again, doubling.
const (
	retryFirst = 20 * time.Millisecond
	retryMax   = 2 * time.Second
)

// load reads the records, swaps the state queries are answered from, and
// closes and opens servers to match; it returns how many containers the
// records name, and whether some address was in use (to be tried again).
func (r *resolver) load() (int, bool) {
	st, serial, err := loadState(r.dir)
	if st == nil {
		st = buildState(nil)
	}
	status := Status{Serial: serial, Pid: os.Getpid(), Errors: map[string]string{}, Retrying: map[string]string{}}
	if err != nil {
		status.Errors[""] = err.Error()
	}
	r.state.Store(st)
	for id, s := range r.servers {
		m := st.members[id]
		keep := m != nil && m.netns == s.netns && slices.Equal(m.upstreams, s.upstreams)
		if keep {
			ino, err := netnsIno(m.netns)
			keep = err == nil && ino == s.ino // the same path, another namespace: restarted
		}
		if !keep {
			s.srv.Close()
			delete(r.servers, id)
		}
	}
	for id, m := range st.members {
		if _, ok := r.servers[id]; ok {
			continue
		}
		srv, ino, err := listen(m.netns, r.lookupFor(id), m.upstreams)
		if errors.Is(err, syscall.EADDRINUSE) {
			status.Retrying[id] = err.Error()
			continue
		}
		if err != nil {
			status.Errors[id] = err.Error()
			continue
		}
		go srv.Serve(r.ctx)
		r.servers[id] = &served{srv: srv, netns: m.netns, ino: ino, upstreams: m.upstreams}
	}
	writeStatus(r.dir, status)
	return len(st.members), len(status.Retrying) > 0
}

// lookupFor answers container id's queries from the current state.
func (r *resolver) lookupFor(id string) func(string) []netip.Addr {
	return func(name string) []netip.Addr { return r.state.Load().lookup(id, name) }
}

func (r *resolver) closeAll() {
	for id, s := range r.servers {
		s.srv.Close()
		delete(r.servers, id)
	}
}

// removeOwnPid removes the pid file if it names this process.
func removeOwnPid(dir string) {
	if pid, ok := readPid(dir); ok && pid == os.Getpid() {
		os.Remove(filepath.Join(dir, pidFile))
	}
}
