package holder

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/geedocker/geedocker/internal/logs/logfile"
	"github.com/geedocker/geedocker/internal/oom"
)

// Report is what the start command of the detached monitor (geedocker-init
// container-start) tells the monitor, on its fd 3, a unix socket: lines of a keyword and
// values (strings quoted as Go quotes them), ended by "end", the container's terminal
// passed with them (SCM_RIGHTS). The command then waits for one byte back before it exits,
// so that PID 1 becomes the monitor's child (a child subreaper's) only once the monitor
// knows it.
//
//	pid PID
//	log "PATH" "DRIVER" MAX-SIZE MAX-FILE
//	oom "DIR" V2(0|1)
//	health INTERVAL TIMEOUT START-PERIOD START-INTERVAL   (nanoseconds)
//	dns "DIR"
//	exit-arg "ARG"                                        (each passed to container-exited)
//	refused "MESSAGE"                                     (PID 1 ran, but was stopped or removed meanwhile)
//	error CODE "MESSAGE"   or   stopped
//	end
type Report struct {
	Pid      int
	LogPath  string
	Log      logfile.Options
	OOM      oom.Cgroup
	Health   *Health
	DNSDir   string
	ExitArgs []string
	// Refused is Started.Refused.
	Refused error
	// Err is the start's failure: a *StartError, or ErrStopped.
	Err error
}

// Encode writes r in the report's format.
func (r *Report) Encode() []byte {
	var b []byte
	line := func(words ...string) {
		b = append(b, strings.Join(words, " ")...)
		b = append(b, '\n')
	}
	q, itoa := strconv.Quote, strconv.Itoa
	switch {
	case errors.Is(r.Err, ErrStopped):
		line("stopped")
	case r.Err != nil:
		line("error", itoa(startCode(r.Err)), q(r.Err.Error()))
	default:
		line("pid", itoa(r.Pid))
		line("log", q(r.LogPath), q(r.Log.Driver), strconv.FormatInt(r.Log.MaxSize, 10), itoa(r.Log.MaxFile))
		v2 := "0"
		if r.OOM.V2 {
			v2 = "1"
		}
		line("oom", q(r.OOM.Dir), v2)
		if hc := r.Health; hc != nil {
			d := func(d time.Duration) string { return strconv.FormatInt(int64(d), 10) }
			line("health", d(hc.Interval), d(hc.Timeout), d(hc.StartPeriod), d(hc.StartInterval))
		}
		if r.DNSDir != "" {
			line("dns", q(r.DNSDir))
		}
		for _, a := range r.ExitArgs {
			line("exit-arg", q(a))
		}
		if r.Refused != nil {
			line("refused", q(r.Refused.Error()))
		}
	}
	line("end")
	return b
}

// ParseReport reads what Encode wrote.
func ParseReport(b []byte) (*Report, error) {
	r := &Report{}
	bad := func(l string) (*Report, error) {
		return nil, errors.New("the start command's report has a bad line " + strconv.Quote(l))
	}
	ended := false
	for _, l := range strings.Split(string(b), "\n") {
		if l == "" {
			continue
		}
		if ended {
			return bad(l)
		}
		words, ok := splitWords(l)
		if !ok || len(words) == 0 {
			return bad(l)
		}
		nums := func(n int) ([]int64, bool) {
			if len(words) != n+1 {
				return nil, false
			}
			out := make([]int64, n)
			for i := range out {
				v, err := strconv.ParseInt(words[i+1], 10, 64)
				if err != nil {
					return nil, false
				}
				out[i] = v
			}
			return out, true
		}
		switch words[0] {
		case "pid":
			n, ok := nums(1)
			if !ok || n[0] <= 0 {
				return bad(l)
			}
			r.Pid = int(n[0])
		case "log":
			if len(words) != 5 {
				return bad(l)
			}
			size, err1 := strconv.ParseInt(words[3], 10, 64)
			files, err2 := strconv.Atoi(words[4])
			if err1 != nil || err2 != nil {
				return bad(l)
			}
			r.LogPath, r.Log = words[1], logfile.Options{Driver: words[2], MaxSize: size, MaxFile: files}
		case "oom":
			if len(words) != 3 {
				return bad(l)
			}
			r.OOM = oom.Cgroup{Dir: words[1], V2: words[2] == "1"}
		case "health":
			n, ok := nums(4)
			if !ok {
				return bad(l)
			}
			r.Health = &Health{Interval: time.Duration(n[0]), Timeout: time.Duration(n[1]),
				StartPeriod: time.Duration(n[2]), StartInterval: time.Duration(n[3])}
		case "dns":
			if len(words) != 2 {
				return bad(l)
			}
			r.DNSDir = words[1]
		case "exit-arg":
			if len(words) != 2 {
				return bad(l)
			}
			r.ExitArgs = append(r.ExitArgs, words[1])
		case "refused":
			if len(words) != 2 {
				return bad(l)
			}
			r.Refused = &StartError{Code: 125, Err: errors.New(words[1])}
		case "stopped":
			r.Err = ErrStopped
		case "error":
			if len(words) != 3 {
				return bad(l)
			}
			code, err := strconv.Atoi(words[1])
			if err != nil {
				return bad(l)
			}
			r.Err = &StartError{Code: code, Err: errors.New(words[2])}
		case "end":
			ended = true
		default:
			return bad(l)
		}
	}
	if !ended {
		return nil, errors.New("the start command ended before its report did")
	}
	if r.Err == nil && r.Pid == 0 {
		return nil, errors.New("the start command's report names no process")
	}
	return r, nil
}

// splitWords splits a line into words separated by single spaces, unquoting quoted ones.
func splitWords(l string) ([]string, bool) {
	var words []string
	for l != "" {
		var w string
		if l[0] == '"' {
			q, err := strconv.QuotedPrefix(l)
			if err != nil {
				return nil, false
			}
			if w, err = strconv.Unquote(q); err != nil {
				return nil, false
			}
			l = l[len(q):]
		} else {
			i := strings.IndexByte(l, ' ')
			if i < 0 {
				i = len(l)
			}
			w, l = l[:i], l[i:]
		}
		words = append(words, w)
		if l != "" {
			if l[0] != ' ' {
				return nil, false
			}
			l = l[1:]
		}
	}
	return words, true
}
