package cli

import (
	"reflect"
	"testing"
)

func TestParsePS(t *testing.T) {
	out := "USER  PID %CPU COMMAND\nroot    1  0.0 /sbin/init splash\nroot   42  0.0 sleep 1000\nnobody 43 0.1 sh -c echo  hi\n"
	titles, rows, err := parsePS(out, []int{42, 43})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"USER", "PID", "%CPU", "COMMAND"}; !reflect.DeepEqual(titles, want) {
		t.Errorf("titles %q", titles)
	}
	want := [][]string{{"root", "42", "0.0", "sleep 1000"}, {"nobody", "43", "0.1", "sh -c echo hi"}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows %q, want %q", rows, want)
	}
	if _, _, err := parsePS("COMMAND\nsleep\n", []int{1}); err == nil || err.Error() != "Couldn't find PID field in ps output" {
		t.Errorf("no PID column: %v", err)
	}
	if _, _, err := parsePS("PID CMD\nx sleep\n", []int{1}); err == nil {
		t.Error("a PID that is not a number: no error")
	}
}
