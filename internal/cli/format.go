package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
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

// humanSize4 is a size with four significant digits, as Docker's units.HumanSize:
// `system df` and the totals of prune.
func humanSize4(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	return fmt.Sprintf("%.4g%s", f, units[i])
}

// table writes tab-separated rows aligned as Docker's tables are.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
}

// formatUsage is the help of every --format flag, in Docker's words.
const formatUsage = `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`

// printFormatted prints items as --format asks, as Docker's formatter does:
//
//	"", "table"        the command's table (def)
//	"table TEMPLATE"   a header row, then a row per item, aligned in columns
//	"json"             one JSON object per line
//	TEMPLATE           the template per item, one per line
//
// In a template `\t` and `\n` are a tab and a newline. A table's header row
// is the template run on the column names: the `header` tag of each field of
// T, or the field name in capitals.
func printFormatted[T any](w io.Writer, format, def string, items []T) error {
	switch format {
	case "", "table":
		format = def
	case "json":
		format = "{{json .}}"
	}
	src, isTable := formatSource(format)
	tmpl, err := parseTemplate(src)
	if err != nil {
		return err
	}
	// Written at once: a tabwriter writes cell by cell.
	var buf bytes.Buffer
	defer func() { w.Write(buf.Bytes()) }()
	var out io.Writer = &buf
	var tw *tabwriter.Writer
	if isTable {
		tw = newTable(&buf)
		out = tw
		header, err := parseTemplateFuncs(src, headerFuncs)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := header.Execute(&b, headerNames[T]()); err != nil {
			return fmt.Errorf("executing --format template: %w", err)
		}
		if b.Len() > 0 {
			fmt.Fprintln(tw, b.String())
		}
	}
	for _, it := range items {
		var b bytes.Buffer
		if err := tmpl.Execute(&b, it); err != nil {
			return fmt.Errorf("executing --format template: %w", err)
		}
		fmt.Fprintln(out, b.String())
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

// formatSource is the template of a --format value: "table " is cut off
// (and reported), `\t` and `\n` become a tab and a newline.
func formatSource(format string) (string, bool) {
	rest, isTable := strings.CutPrefix(format, "table")
	if isTable && rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		rest, isTable = format, false // "tablefoo" is a template
	}
	if !isTable {
		rest = format
	}
	rest = strings.Trim(rest, " ")
	return strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(rest), isTable
}

// headerMap is what a table's header row is made from: a column name per
// field.
type headerMap map[string]string

// Label is the column name of {{.Label "com.example.tier"}}: "tier", as
// Docker's.
func (headerMap) Label(name string) string {
	parts := strings.Split(name, ".")
	return strings.NewReplacer("-", " ", "_", " ").Replace(parts[len(parts)-1])
}

// headerNames maps each field of the struct T to its column name.
func headerNames[T any]() headerMap {
	names := headerMap{}
	t := reflect.TypeOf((*T)(nil)).Elem()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return names
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		h := f.Tag.Get("header")
		if h == "" {
			h = strings.ToUpper(f.Name)
		}
		names[f.Name] = h
	}
	return names
}

// templateFuncs are Docker's template functions (cli/templates).
var templateFuncs = template.FuncMap{
	"json": func(v any) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(v)
		return strings.TrimSpace(b.String())
	},
	"split": strings.Split,
	"join":  strings.Join,
	"title": strings.Title, //lint:ignore SA1019 Docker's own choice: "hello-world" → "Hello-World"
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"pad": func(s string, prefix, suffix int) string {
		if s == "" {
			return s
		}
		return strings.Repeat(" ", prefix) + s + strings.Repeat(" ", suffix)
	},
	"truncate": func(s string, n int) string {
		if len(s) < n {
			return s
		}
		return s[:n]
	},
}

// headerFuncs are the same functions for a table's header row: each gives
// back the column name.
var headerFuncs = template.FuncMap{
	"json":     func(v string) string { return v },
	"split":    func(v, _ string) string { return v },
	"join":     func(v, _ string) string { return v },
	"title":    func(v string) string { return v },
	"lower":    func(v string) string { return v },
	"upper":    func(v string) string { return v },
	"pad":      func(v string, _, _ int) string { return v },
	"truncate": func(v string, _ int) string { return v },
}

func parseTemplate(format string) (*template.Template, error) {
	return parseTemplateFuncs(format, templateFuncs)
}

func parseTemplateFuncs(format string, funcs template.FuncMap) (*template.Template, error) {
	t, err := template.New("format").Funcs(funcs).Parse(format)
	if err != nil {
		return nil, fmt.Errorf("template parsing error: %w", err)
	}
	return t, nil
}
