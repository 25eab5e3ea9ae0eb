package cli

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/geedocker/geedocker/internal/container"
)

func TestHumanDuration(t *testing.T) {
	// Expected values are go-units' HumanDuration (what docker ps and
	// docker images print), from its own test table.
	day := 24 * time.Hour
	week := 7 * day
	month := 30 * day
	year := 365 * day
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "Less than a second"},
		{450 * time.Millisecond, "Less than a second"},
		{-5 * time.Second, "Less than a second"},
		{1 * time.Second, "1 second"},
		{1500 * time.Millisecond, "1 second"},
		{45 * time.Second, "45 seconds"},
		{59 * time.Second, "59 seconds"},
		{60 * time.Second, "About a minute"},
		{119 * time.Second, "About a minute"},
		{2 * time.Minute, "2 minutes"},
		{35*time.Minute + 40*time.Second, "35 minutes"},
		{59 * time.Minute, "59 minutes"},
		{1 * time.Hour, "About an hour"},
		{1*time.Hour + 29*time.Minute, "About an hour"},
		{1*time.Hour + 31*time.Minute, "2 hours"},
		{2 * time.Hour, "2 hours"},
		{3*time.Hour + 31*time.Minute, "4 hours"},
		{24 * time.Hour, "24 hours"},
		{1*day + 12*time.Hour, "36 hours"},
		{2 * day, "2 days"},
		{3 * day, "3 days"},
		{13*day + 5*time.Hour, "13 days"},
		{2 * week, "2 weeks"},
		{2*week + 4*day, "2 weeks"},
		{4*week + 3*day, "4 weeks"},
		{1 * month, "4 weeks"},
		{1*month + 2*week, "6 weeks"},
		{2 * month, "2 months"},
		{3*month + 1*week, "3 months"},
		{23 * month, "23 months"},
		{24 * month, "24 months"},
		{24*month + 2*week, "2 years"},
		{3*year + 2*month, "3 years"},
	}
	for _, tt := range tests {
		if got := humanDuration(tt.d); got != tt.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestAgo(t *testing.T) {
	if got := ago(time.Time{}); got != "N/A" {
		t.Errorf("ago(zero) = %q, want N/A", got)
	}
	if got := ago(time.Now().Add(-3 * 24 * time.Hour)); got != "3 days ago" {
		t.Errorf("ago(3 days) = %q", got)
	}
}

func TestHumanSize(t *testing.T) {
	// docker images: go-units HumanSizeWithPrecision(size, 3), decimal units.
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0B"},
		{1, "1B"},
		{999, "999B"},
		{1000, "1kB"},
		{1024, "1.02kB"},
		{1_500, "1.5kB"},
		{4_261_000, "4.26MB"},
		{4_265_000, "4.26MB"},
		{1_980_000, "1.98MB"},
		{77_800_000, "77.8MB"},
		{1_200_000_000, "1.2GB"},
		{5_372_000_000_000, "5.37TB"},
		{2_220_000_000_000_000, "2.22PB"},
	}
	for _, tt := range tests {
		if got := humanSize(tt.n); got != tt.want {
			t.Errorf("humanSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestBinarySize(t *testing.T) {
	// docker stats: go-units BytesSize, binary units with 4 digits.
	const KiB, MiB, GiB, TiB = 1 << 10, 1 << 20, 1 << 30, 1 << 40
	tests := []struct {
		n    uint64
		want string
	}{
		{0, "0B"},
		{1023, "1023B"},
		{KiB, "1KiB"},
		{1536, "1.5KiB"},
		{MiB, "1MiB"},
		{2 * MiB, "2MiB"},
		{3_672_197_038, "3.42GiB"},      // 3.42 GiB
		{5_906_576_464_412, "5.372TiB"}, // 5.372 TiB
		{1234567, "1.177MiB"},
	}
	for _, tt := range tests {
		if got := binarySize(tt.n); got != tt.want {
			t.Errorf("binarySize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestStatusText(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name  string
		state container.State
		want  string
	}{
		{"created", container.State{Status: container.Created}, "Created"},
		{"running", container.State{Status: container.Running, Running: true, StartedAt: now.Add(-2*time.Hour - time.Minute)}, "Up 2 hours"},
		{"running for seconds", container.State{Status: container.Running, Running: true, StartedAt: now.Add(-30*time.Second - 200*time.Millisecond)}, "Up 30 seconds"},
		{"exited 0", container.State{Status: container.Exited, ExitCode: 0, FinishedAt: now.Add(-5*time.Minute - 10*time.Second)}, "Exited (0) 5 minutes ago"},
		{"exited 137", container.State{Status: container.Exited, ExitCode: 137, FinishedAt: now.Add(-3 * 24 * time.Hour)}, "Exited (137) 3 days ago"},
		{"restarting", container.State{Status: container.Restarting, Restarting: true, ExitCode: 1, FinishedAt: now.Add(-10*time.Minute - 5*time.Second)}, "Restarting (1) 10 minutes ago"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusText(&container.Container{State: tt.state}); got != tt.want {
				t.Errorf("statusText = %q, want %q", got, tt.want)
			}
		})
	}
}

func psContainer(path string, args ...string) *container.Container {
	return &container.Container{
		ID: strings.Repeat("0123456789abcdef", 4), Name: "web", Path: path, Args: args,
		ImageName: "busybox", Image: "sha256:" + strings.Repeat("e", 64),
		Created: time.Now().Add(-90 * time.Minute),
		State:   container.State{Status: container.Exited, ExitCode: 0, FinishedAt: time.Now().Add(-time.Hour)},
	}
}

func TestMakePsRow(t *testing.T) {
	tests := []struct {
		name    string
		c       *container.Container
		noTrunc bool
		wantCmd string
		wantID  string
	}{
		{"short command", psContainer("sleep", "1000"), false, `"sleep 1000"`, "0123456789ab"},
		{"exactly 20 characters", psContainer("abcdefghij", "klmnopqrs"), false, `"abcdefghij klmnopqrs"`, "0123456789ab"},
		{"21 characters: ellipsis", psContainer("abcdefghij", "klmnopqrst"), false, `"abcdefghij klmnopqr…"`, "0123456789ab"},
		{"long path", psContainer("/usr/local/bin/entrypoint.sh", "--config=/etc/app.yaml"), false, `"/usr/local/bin/entr…"`, "0123456789ab"},
		{"no command arguments", psContainer("/entrypoint.sh"), false, `"/entrypoint.sh"`, "0123456789ab"},
		{"--no-trunc", psContainer("/usr/local/bin/entrypoint.sh", "--config=/etc/app.yaml"), true,
			`"/usr/local/bin/entrypoint.sh --config=/etc/app.yaml"`, strings.Repeat("0123456789abcdef", 4)},
		{"quotes are escaped", psContainer("echo", `"hi"`), false, `"echo \"hi\""`, "0123456789ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := makePsRow(tt.c, tt.noTrunc)
			if r.Command != tt.wantCmd {
				t.Errorf("COMMAND = %s, want %s", r.Command, tt.wantCmd)
			}
			if r.ID != tt.wantID {
				t.Errorf("CONTAINER ID = %s, want %s", r.ID, tt.wantID)
			}
			if r.Image != "busybox" || r.Names != "web" || r.State != "exited" ||
				r.Status != "Exited (0) About an hour ago" || r.RunningFor != "2 hours ago" {
				t.Errorf("row = %+v", r)
			}
		})
	}
}

func TestMakePsRowLikeDocker(t *testing.T) {
	// Docker's daemon wraps each argument holding a space in single quotes
	// (daemon/list.go), and the CLI truncates the command to 20 columns and
	// only then quotes it (formatter.ContainerContext.Command).
	tests := []struct {
		c    *container.Container
		want string
	}{
		{psContainer("sh", "-c", "sleep 100"), `"sh -c 'sleep 100'"`},
		{psContainer("/bin/sh", "-c", "while true; do sleep 1; done"), `"/bin/sh -c 'while t…"`},
		{psContainer("echo", `"hello"`, `"big"`, `"world"`), `"echo \"hello\" \"big\" …"`},
	}
	for _, tt := range tests {
		if got := makePsRow(tt.c, false).Command; got != tt.want {
			t.Errorf("COMMAND of %s %q = %s, want %s", tt.c.Path, tt.c.Args, got, tt.want)
		}
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"flag error", flagError{errors.New("unknown flag: --bogus")}, 125},
		{"wrapped flag error", fmt.Errorf("images: %w", flagError{errors.New("bad")}), 125},
		{"joined flag error", errors.Join(errors.New("first"), flagError{errors.New("bad")}), 125},
		{"status error", &StatusError{Code: 3}, 3},
		{"status error with a message", &StatusError{Code: 127, Err: errors.New("not found")}, 127},
		{"wrapped status error", fmt.Errorf("run: %w", &StatusError{Code: 137}), 137},
		{"status error around a flag error", &StatusError{Code: 126, Err: flagError{errors.New("x")}}, 126},
		{"any other error", errors.New("No such image: x:latest"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.want {
				t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestStatusErrorAndIsSilent(t *testing.T) {
	silent := &StatusError{Code: 3}
	if !IsSilent(silent) || silent.Error() != "exit status 3" {
		t.Errorf("StatusError{3}: silent %v, %q", IsSilent(silent), silent.Error())
	}
	loud := &StatusError{Code: 125, Err: errors.New("bad")}
	if IsSilent(loud) || loud.Error() != "bad" || !errors.Is(loud, loud.Err) {
		t.Errorf("StatusError with a message: silent %v, %q", IsSilent(loud), loud.Error())
	}
	if IsSilent(errors.New("x")) {
		t.Error("a plain error is silent")
	}
}

type fmtItem struct {
	Repository string
	Tag        string
	List       []string
}

func (f fmtItem) Label(name string) string { return f.Tag + "-lbl" }

func TestPrintFormatted(t *testing.T) {
	items := []fmtItem{{"busybox", "latest", []string{"a", "b"}}, {"<none>", "<none>", nil}}
	const def = "table {{.Repository}}\\t{{.Tag}}"
	tests := []struct {
		format   string
		wantOut  string
		wantErr  string
		wantCode int
	}{
		{"", "REPOSITORY   TAG\nbusybox      latest\n<none>       <none>\n", "", 0},
		{"table", "REPOSITORY   TAG\nbusybox      latest\n<none>       <none>\n", "", 0},
		{"table {{.Tag}}\\t{{.Repository}}", "TAG       REPOSITORY\nlatest    busybox\n<none>    <none>\n", "", 0},
		{"table {{.Repository}}:{{.Tag}}", "REPOSITORY:TAG\nbusybox:latest\n<none>:<none>\n", "", 0},
		{"table {{upper .Repository}}\\t{{json .List}}", "REPOSITORY   LIST\nBUSYBOX      [\"a\",\"b\"]\n<NONE>       null\n", "", 0},
		{"json", `{"Repository":"busybox","Tag":"latest","List":["a","b"]}` + "\n" +
			`{"Repository":"<none>","Tag":"<none>","List":null}` + "\n", "", 0},
		{"{{json .}}", `{"Repository":"busybox","Tag":"latest","List":["a","b"]}` + "\n" +
			`{"Repository":"<none>","Tag":"<none>","List":null}` + "\n", "", 0},
		{"{{.Repository}}:{{.Tag}}", "busybox:latest\n<none>:<none>\n", "", 0},
		{"{{.Repository}}\\t{{.Tag}}", "busybox\tlatest\n<none>\t<none>\n", "", 0},
		{"{{upper .Repository}} {{lower \"X\"}} {{join .List \",\"}}", "BUSYBOX x a,b\n<NONE> x \n", "", 0},
		{"{{title .Tag}}|{{pad .Tag 1 2}}|{{truncate .Repository 3}}|{{index (split \"a:b\" \":\") 1}}", "Latest| latest  |bus|b\n<None>| <none>  |<no|b\n", "", 0},
		{"{{json .List}}", "[\"a\",\"b\"]\nnull\n", "", 0},
		{"table {{.Label \"com.example.build-tier\"}}|{{.Tag}}", "build tier|TAG\nlatest-lbl|latest\n<none>-lbl|<none>\n", "", 0},
		{"tablefoo {{.Tag}}", "tablefoo latest\ntablefoo <none>\n", "", 0},
		{"{{.Repository", "", "template parsing error", 1},
		{"{{.Nope}}", "", "executing --format template", 1},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			err := printFormatted(&buf, tt.format, def, items)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				if ExitCode(err) != tt.wantCode {
					t.Errorf("exit code %d, want %d", ExitCode(err), tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.wantOut {
				t.Errorf("output =\n%q\nwant\n%q", buf.String(), tt.wantOut)
			}
		})
	}
}

type inspectDoc struct {
	ID     string `json:"Id"`
	Memory int64  `json:"Memory"`
	Labels map[string]string
}

func TestPrintInspect(t *testing.T) {
	docs := []any{map[string]any{"Id": "sha256:abc", "Config": map[string]any{"Cmd": []string{"sh"}}}}
	tests := []struct {
		format  string
		docs    []any
		want    string
		wantErr string
	}{
		{"", nil, "[]\n", ""},
		{"", docs, "[\n    {\n        \"Config\": {\n            \"Cmd\": [\n                \"sh\"\n            ]\n        },\n        \"Id\": \"sha256:abc\"\n    }\n]\n", ""},
		{"{{.Id}}", docs, "sha256:abc\n", ""},
		{"{{json .Config.Cmd}}", docs, "[\"sh\"]\n", ""},
		{"{{.Id", docs, "", "template parsing error"},
		{"{{.Memory}}", []any{inspectDoc{ID: "x", Memory: 64 << 20}}, "67108864\n", ""},
		{"{{.Id}} {{.Memory}}", []any{inspectDoc{ID: "x", Memory: 64 << 20}}, "x 67108864\n", ""},
		{"{{.ID}} {{json .Labels}}", []any{&inspectDoc{ID: "x", Labels: map[string]string{"a": "b"}}}, "x {\"a\":\"b\"}\n", ""},
		{"{{.Nope}}", []any{inspectDoc{ID: "x"}}, "", `map has no entry for key "Nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			err := printInspect(&buf, tt.format, tt.docs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v", err)
				}
				return
			}
			if err != nil || buf.String() != tt.want {
				t.Errorf("printInspect = %q, %v; want %q", buf.String(), err, tt.want)
			}
		})
	}
}
