package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"
)

// humanDuration is Docker's (go-units) wording of an age: "2 weeks".
func humanDuration(d time.Duration) string {
	seconds := int(d.Seconds())
	switch {
	case seconds < 1:
		return "Less than a second"
	case seconds == 1:
		return "1 second"
	case seconds < 60:
		return fmt.Sprintf("%d seconds", seconds)
	}
	minutes := int(d.Minutes())
	switch {
	case minutes == 1:
		return "About a minute"
	case minutes < 60:
		return fmt.Sprintf("%d minutes", minutes)
	}
	hours := int(math.Round(d.Hours()))
	switch {
	case hours == 1:
		return "About an hour"
	case hours < 48:
		return fmt.Sprintf("%d hours", hours)
	case hours < 24*7*2:
		return fmt.Sprintf("%d days", hours/24)
	case hours < 24*30*2:
		return fmt.Sprintf("%d weeks", hours/24/7)
	case hours < 24*365*2:
		return fmt.Sprintf("%d months", hours/24/30)
	}
	return fmt.Sprintf("%d years", int(d.Hours())/24/365)
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	return humanDuration(time.Since(t)) + " ago"
}

// humanSize is Docker's decimal size with 3 significant digits: "4.26MB".
func humanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}

// table writes tab-separated rows aligned as Docker's tables are.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
}

// writeFormatted prints each item with --format: "json" (one object per
// line), or a Go template ("{{.Repository}}:{{.Tag}}"). It returns false when
// the format is "" or "table" (the caller prints its table).
func writeFormatted[T any](w io.Writer, format string, items []T) (bool, error) {
	switch format {
	case "", "table":
		return false, nil
	case "json", "{{json .}}":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, it := range items {
			if err := enc.Encode(it); err != nil {
				return true, err
			}
		}
		return true, nil
	}
	if strings.HasPrefix(format, "table ") {
		return false, flagError{fmt.Errorf("--format: table templates are not supported; use a plain template or json")}
	}
	tmpl, err := parseTemplate(format)
	if err != nil {
		return true, err
	}
	for _, it := range items {
		if err := tmpl.Execute(w, it); err != nil {
			return true, fmt.Errorf("executing --format template: %w", err)
		}
		fmt.Fprintln(w)
	}
	return true, nil
}

func parseTemplate(format string) (*template.Template, error) {
	t, err := template.New("format").Funcs(template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"upper": strings.ToUpper, "lower": strings.ToLower,
		"join": strings.Join,
	}).Parse(format)
	if err != nil {
		return nil, flagError{fmt.Errorf("invalid --format template: %w", err)}
	}
	return t, nil
}
