package cli

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// runCLI runs the root command in this process as `geedocker args...` and
// returns what it printed (the commands' stdout, then cobra's own output)
// and the error main would turn into an exit code. Commands print to
// os.Stdout, captured by swapping it while the command runs, so these tests
// must not run in parallel.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stdout
	os.Stdout = f
	defer func() { os.Stdout = old }()

	root := NewRoot()
	var cobraOut bytes.Buffer
	root.SetOut(&cobraOut)
	root.SetErr(&cobraOut)
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	printed, rerr := os.ReadFile(f.Name())
	if rerr != nil {
		t.Fatal(rerr)
	}
	return string(printed) + cobraOut.String(), err
}

// storeArgs points a command at a fresh store and a missing config file.
func storeArgs(t *testing.T) []string {
	dir := t.TempDir()
	return []string{"--root", filepath.Join(dir, "root"), "--config-file", filepath.Join(dir, "config.json")}
}

func TestRootUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string // the start of the error message
		code int
	}{
		// Docker 28's words and codes: a bad flag 125, a wrong number of arguments 1.
		{[]string{"images", "--bogus"}, "unknown flag: --bogus\n\nUsage:  geedocker images [OPTIONS] [REPOSITORY[:TAG]]\n\nRun 'geedocker images --help' for more information", 125},
		{[]string{"images", "-z"}, "unknown shorthand flag: 'z' in -z", 125},
		{[]string{"ps", "--all=maybe"}, `invalid argument "maybe" for "-a, --all" flag`, 125},
		{[]string{"images", "a", "b"}, `geedocker: 'geedocker images' requires at most 1 argument`, 1},
		{[]string{"tag", "busybox"}, `geedocker: 'geedocker tag' requires 2 arguments`, 1},
		{[]string{"rmi"}, "geedocker: 'geedocker rmi' requires at least 1 argument\n\nUsage:  geedocker rmi [OPTIONS] IMAGE [IMAGE...]\n\nSee 'geedocker rmi --help' for more information", 1},
		{[]string{"image", "rm"}, `geedocker: 'geedocker image rm' requires at least 1 argument`, 1},
		{[]string{"ps", "extra"}, `geedocker: 'geedocker ps' accepts no arguments`, 1},
		{[]string{"commit"}, `geedocker: 'geedocker commit' requires at least 1 and at most 2 arguments`, 1},
		{[]string{"images", "--filter", "bogus=1"}, "invalid filter 'bogus'", 125},
		{[]string{"images", "--filter", "dangling=perhaps"}, "invalid filter 'dangling=perhaps'", 125},
		{[]string{"ps", "--filter", "status=sleeping"}, "invalid filter 'status=sleeping'", 125},
		{[]string{"run", "--memory", "10XB", "busybox"}, `invalid argument "10XB" for "-m, --memory" flag`, 125},
		{[]string{"run", "--bogus", "busybox"}, "unknown flag: --bogus", 125},
		{[]string{"import", "-", "--change", "RUN make"}, `invalid --change "RUN make"`, 125},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append(storeArgs(t), tt.args...)
			out, err := runCLI(t, args...)
			if err == nil {
				t.Fatalf("geedocker %s: no error; printed %q", strings.Join(tt.args, " "), out)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error =\n %q\nwant it to start with\n %q", err, tt.want)
			}
			if code := ExitCode(err); code != tt.code {
				t.Errorf("exit code %d, want %d", code, tt.code)
			}
			if IsSilent(err) {
				t.Error("a usage error would not be printed")
			}
		})
	}
}

func TestRootUnknownCommand(t *testing.T) {
	for _, args := range [][]string{{"bogus"}, {"image", "bogus"}, {"container", "bogus"}} {
		_, err := runCLI(t, args...)
		if err == nil || ExitCode(err) == 0 {
			t.Errorf("geedocker %s: error %v, want a usage error and a non-zero exit code", strings.Join(args, " "), err)
		}
	}
}

func TestRootVersion(t *testing.T) {
	out, err := runCLI(t, "--version")
	if err != nil || out != "GeeDocker version "+Version+"\n" {
		t.Errorf("--version = %q, %v", out, err)
	}
	out, err = runCLI(t, "version")
	if err != nil || !strings.HasPrefix(out, "Client: GeeDocker\n Version:    "+Version+"\n") {
		t.Errorf("version = %q, %v", out, err)
	}
}

func TestRootBadConfigFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfg, []byte("{oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := runCLI(t, "--root", filepath.Join(dir, "root"), "--config-file", cfg, "images")
	if err == nil || !strings.Contains(err.Error(), "config file "+cfg) || ExitCode(err) != 1 {
		t.Errorf("images with a broken config file: %v (exit %d)", err, ExitCode(err))
	}
}

func tarball(t *testing.T, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for n, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	p := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// columns splits a table line on runs of 2+ spaces, as the eye does.
func columns(line string) []string {
	return regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1)
}

func TestImagesImportRmiSession(t *testing.T) {
	sa := storeArgs(t)
	run := func(args ...string) (string, error) { return runCLI(t, append(append([]string{}, sa...), args...)...) }

	imagesHeader := []string{"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"}
	out, err := run("images")
	if err != nil || !reflect.DeepEqual(columns(out), imagesHeader) {
		t.Fatalf("images on an empty store = %q, %v; want the header only", out, err)
	}
	out, err = run("ps", "-a")
	if err != nil || !reflect.DeepEqual(columns(out), []string{"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"}) {
		t.Fatalf("ps -a on an empty store = %q, %v; want the header only", out, err)
	}

	// import prints the new image's ID.
	rootfs := tarball(t, map[string]string{"hello": "hello world\n"})
	out, err = run("import", "--change", `CMD ["/hello"]`, "--message", "made in a test", rootfs, "test/app:v1")
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	id := strings.TrimSpace(out)
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(id) {
		t.Fatalf("import printed %q, want an image ID", out)
	}
	short := strings.TrimPrefix(id, "sha256:")[:12]

	out, err = run("images")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("images =\n%s\nwant a header and one row", out)
	}
	row := columns(lines[1])
	if len(row) != 5 || row[0] != "test/app" || row[1] != "v1" || row[2] != short ||
		!strings.HasSuffix(row[3], " ago") || row[4] != "12B" {
		t.Errorf("images row = %q", row)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"images", "-q"}, short + "\n"},
		{[]string{"images", "--no-trunc", "-q"}, id + "\n"},
		{[]string{"images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}"}, "test/app:v1 12B\n"},
		{[]string{"images", "test/app"}, ""}, // checked for the row below
		{[]string{"images", "--filter", "dangling=true", "-q"}, ""},
		{[]string{"image", "inspect", "--format", "{{.Comment}} {{json .Config.Cmd}}", "test/app:v1"}, "made in a test [\"/hello\"]\n"},
	} {
		out, err := run(tt.args...)
		if err != nil {
			t.Errorf("geedocker %s: %v", strings.Join(tt.args, " "), err)
			continue
		}
		if tt.args[len(tt.args)-1] == "test/app" {
			if !strings.Contains(out, short) {
				t.Errorf("images test/app = %q, want the row", out)
			}
			continue
		}
		if out != tt.want {
			t.Errorf("geedocker %s = %q, want %q", strings.Join(tt.args, " "), out, tt.want)
		}
	}

	if out, err := run("images", "other"); err != nil || !reflect.DeepEqual(columns(out), imagesHeader) {
		t.Errorf("images other = %q, %v; want the header only", out, err)
	}
	if out, err := run("images", "--format", "table {{.ID}}\\t{{.Tag}}", "test/app"); err != nil || out != "IMAGE ID       TAG\n"+short+"   v1\n" {
		t.Errorf("images --format 'table …' = %q, %v", out, err)
	}

	// rmi of a missing image fails with Docker's words and exit 1.
	_, err = run("rmi", "nosuch")
	if err == nil || err.Error() != "No such image: nosuch:latest" || ExitCode(err) != 1 {
		t.Errorf("rmi nosuch = %v (exit %d)", err, ExitCode(err))
	}

	// tag, then rmi the new tag: only untagged.
	if out, err := run("tag", "test/app:v1", "test/app:v2"); err != nil || out != "" {
		t.Fatalf("tag = %q, %v", out, err)
	}
	out, err = run("rmi", "test/app:v2")
	if err != nil || out != "Untagged: test/app:v2\n" {
		t.Errorf("rmi test/app:v2 = %q, %v", out, err)
	}
	// The last tag deletes the image.
	out, err = run("rmi", "test/app:v1")
	if err != nil || out != "Untagged: test/app:v1\nDeleted: "+id+"\n" {
		t.Errorf("rmi test/app:v1 = %q, %v", out, err)
	}
	out, err = run("images", "-q")
	if err != nil || out != "" {
		t.Errorf("images -q after rmi = %q, %v", out, err)
	}
	if entries, _ := os.ReadDir(filepath.Join(sa[1], "layers")); len(entries) != 0 {
		t.Errorf("layers left after rmi: %v", entries)
	}
}

func TestTableHeadersLikeDocker(t *testing.T) {
	sa := storeArgs(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"images"}, "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n"},
		{[]string{"ps", "-a"}, "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n"},
	} {
		out, err := runCLI(t, append(append([]string{}, sa...), tt.args...)...)
		if err != nil || out != tt.want {
			t.Errorf("geedocker %s =\n%q\nwant Docker's\n%q", strings.Join(tt.args, " "), out, tt.want)
		}
	}
}
