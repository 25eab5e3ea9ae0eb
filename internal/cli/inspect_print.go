package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// printInspect prints inspect documents as Docker does: a JSON array, or
// each document through a Go template. The template runs on the typed
// document (numbers stay integers); when it names what the type lacks
// (`.Id` where the field is ID), it runs on the JSON shape instead, with
// numbers kept as written, as Docker's inspect falls back.
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
		var out bytes.Buffer
		if err := tmpl.Execute(&out, d); err != nil {
			out.Reset()
			if err := executeRaw(&out, format, d); err != nil {
				return err
			}
		}
		out.WriteByte('\n')
		if _, err := w.Write(out.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// executeRaw runs the template on the document's JSON shape.
func executeRaw(w io.Writer, format string, doc any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	tmpl, err := parseTemplate(format)
	if err != nil {
		return err
	}
	if err := tmpl.Option("missingkey=error").Execute(w, raw); err != nil {
		return fmt.Errorf("template parsing error: %w", err)
	}
	return nil
}
