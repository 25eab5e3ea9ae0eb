package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// summary describes a series of measurements.
type summary struct {
	Count                  int
	Median, Mean, Min, Max float64
}

// readSeries reads one number a line from r and returns those of lines
// from to to (1-based, inclusive; to 0 means the last line). Blank lines
// count as lines but hold no number, so they are an error in the range.
func readSeries(r io.Reader, from, to int) ([]float64, error) {
	if from < 1 || (to != 0 && to < from) {
		return nil, fmt.Errorf("bad line range %d to %d", from, to)
	}
	var vs []float64
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		if n < from || (to != 0 && n > to) {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(sc.Text()), 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: %q is not a number", n, sc.Text())
		}
		vs = append(vs, v)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if to != 0 && n < to {
		return nil, fmt.Errorf("want lines %d to %d, have %d lines", from, to, n)
	}
	if len(vs) == 0 {
		return nil, errors.New("no numbers in the range")
	}
	return vs, nil
}

// summarize returns the count, median, mean, min and max of vs (not empty).
func summarize(vs []float64) summary {
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return summary{Count: len(s), Median: med, Mean: sum / float64(len(s)), Min: s[0], Max: s[len(s)-1]}
}
