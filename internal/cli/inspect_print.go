package cli

import (
	"encoding/json"
	"fmt"
	"io"
)

// printInspect prints inspect documents as Docker does: a JSON array, or
// each document through a Go template.
func printInspect(w io.Writer, format string, docs []any) error {
	if format == "" || format == "json" {
		if docs == nil {
			docs = []any{}
		}
		b, err := json.MarshalIndent(docs, "", "    ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	tmpl, err := parseTemplate(format)
	if err != nil {
		return err
	}
	for _, d := range docs {
		// Templates see the JSON shape (field names as printed).
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		var generic any
		if err := json.Unmarshal(b, &generic); err != nil {
			return err
		}
		if err := tmpl.Execute(w, generic); err != nil {
			return fmt.Errorf("executing --format template: %w", err)
		}
		fmt.Fprintln(w)
	}
	return nil
}
