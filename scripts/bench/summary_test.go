package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadSeries(t *testing.T) {
	const in = "10\n20\n 30 \n40\n50\n"
	for _, tc := range []struct {
		from, to int
		want     []float64
		err      string
	}{
		{from: 1, to: 0, want: []float64{10, 20, 30, 40, 50}},
		{from: 2, to: 3, want: []float64{20, 30}},
		{from: 5, to: 5, want: []float64{50}},
		{from: 4, to: 0, want: []float64{40, 50}},
		{from: 0, to: 2, err: "bad line range"},
		{from: 3, to: 2, err: "bad line range"},
		{from: 4, to: 6, err: "have 5 lines"},
		{from: 6, to: 0, err: "no numbers"},
	} {
		got, err := readSeries(strings.NewReader(in), tc.from, tc.to)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("lines %d-%d: error %v, want one with %q", tc.from, tc.to, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("lines %d-%d: got %v, %v; want %v", tc.from, tc.to, got, err, tc.want)
		}
	}
	if _, err := readSeries(strings.NewReader("1\nabc\n3\n"), 1, 0); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("error %v, want one naming line 2", err)
	}
	if got, err := readSeries(strings.NewReader("1\nabc\n3\n"), 3, 3); err != nil || !reflect.DeepEqual(got, []float64{3}) {
		t.Errorf("a bad line outside the range: got %v, %v", got, err)
	}
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want summary
	}{
		{[]float64{5}, summary{1, 5, 5, 5, 5}},
		{[]float64{3, 1, 2}, summary{3, 2, 2, 1, 3}},
		{[]float64{4, 1, 3, 2}, summary{4, 2.5, 2.5, 1, 4}},
		{[]float64{1, 1, 1, 9}, summary{4, 1, 3, 1, 9}},
	} {
		in := append([]float64(nil), tc.in...)
		if got := summarize(tc.in); got != tc.want {
			t.Errorf("summarize(%v) = %+v, want %+v", tc.in, got, tc.want)
		}
		if !reflect.DeepEqual(in, tc.in) {
			t.Errorf("summarize changed its input to %v", tc.in)
		}
	}
}

func TestSummaryCommand(t *testing.T) {
	p := filepath.Join(t.TempDir(), "times")
	os.WriteFile(p, []byte("1000\n2000\n3000\n9000\n"), 0o644)
	var out bytes.Buffer
	if err := run([]string{"summary", "-from", "2", "-to", "4", "-scale", "0.001", p}, &out); err != nil {
		t.Fatal(err)
	}
	if want := "3\t3.000000\t4.666667\t2.000000\t9.000000\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
	if err := run([]string{"summary", p, p}, &out); err == nil {
		t.Error("no error for two files")
	}
	if err := run([]string{"summary", filepath.Join(t.TempDir(), "missing")}, &out); err == nil {
		t.Error("no error for a missing file")
	}
}
