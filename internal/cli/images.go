package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// imageRow is one line of `images`, and the object of --format.
type imageRow struct {
	Containers   string
	CreatedAt    string `header:"CREATED AT"`
	CreatedSince string `header:"CREATED"`
	Digest       string
	ID           string `header:"IMAGE ID"`
	Repository   string
	SharedSize   string `header:"SHARED SIZE"`
	Size         string
	Tag          string
	UniqueSize   string `header:"UNIQUE SIZE"`
	VirtualSize  string `header:"VIRTUAL SIZE"`
}

type imagesOptions struct {
	all, quiet, digests, noTrunc bool
	filters                      []string
	format                       string
}

func newImagesCmd(g *globals, use string) *cobra.Command {
	var o imagesOptions
	c := &cobra.Command{
		Use:     use + " [OPTIONS] [REPOSITORY[:TAG]]",
		Short:   "List images",
		Args:    rangeArgs(0, 1),
		Aliases: map[string][]string{"ls": {"list"}}[use],
		RunE: func(c *cobra.Command, args []string) error {
			return runImages(g, o, args)
		},
	}
	f := c.Flags()
	f.BoolVarP(&o.all, "all", "a", false, "Show all images (default hides intermediate images)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Only show image IDs")
	f.BoolVar(&o.digests, "digests", false, "Show digests")
	f.BoolVar(&o.noTrunc, "no-trunc", false, "Don't truncate output")
	f.StringArrayVarP(&o.filters, "filter", "f", nil, "Filter output based on conditions provided (dangling=true|false, reference=PATTERN)")
	f.StringVar(&o.format, "format", "", formatUsage)
	return c
}

func runImages(g *globals, o imagesOptions, args []string) error {
	match, err := imageFilter(o.filters, args)
	if err != nil {
		return err
	}
	e, err := g.engine()
	if err != nil {
		return err
	}
	all, err := e.Images()
	if err != nil {
		return err
	}
	var rows []imageRow
	seen := map[string]bool{}
	for _, s := range all {
		id := s.Image.ID
		if !o.noTrunc {
			id = strings.TrimPrefix(id, "sha256:")[:12]
		}
		digestOf := func(repo string) string {
			for _, d := range s.RepoDigests {
				if d.FamiliarName() == repo {
					return d.Digest
				}
			}
			return "<none>"
		}
		base := imageRow{
			Containers: "N/A", CreatedAt: s.Image.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"),
			CreatedSince: ago(s.Image.Created), ID: id, SharedSize: "N/A", UniqueSize: "N/A",
			Size: humanSize(s.Image.Size), VirtualSize: humanSize(s.Image.Size),
		}
		var cand []imageRow
		for _, t := range s.RepoTags {
			r := base
			r.Repository, r.Tag, r.Digest = t.FamiliarName(), t.Tag, digestOf(t.FamiliarName())
			cand = append(cand, r)
		}
		if len(s.RepoTags) == 0 {
			r := base
			r.Repository, r.Tag, r.Digest = "<none>", "<none>", "<none>"
			if len(s.RepoDigests) > 0 {
				r.Repository, r.Digest = s.RepoDigests[0].FamiliarName(), s.RepoDigests[0].Digest
			}
			cand = append(cand, r)
		}
		for _, r := range cand {
			if !match(r, len(s.RepoTags) == 0) {
				continue
			}
			if o.quiet {
				if !seen[r.ID] {
					seen[r.ID] = true
					fmt.Fprintln(g.stdout, r.ID)
				}
				continue
			}
			rows = append(rows, r)
		}
	}
	if o.quiet {
		return nil
	}
	def := "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
	if o.digests {
		def = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
	}
	return printFormatted(g.stdout, o.format, def, rows)
}

// imageFilter builds the row predicate of --filter and the REPOSITORY[:TAG]
// argument.
func imageFilter(filters, args []string) (func(imageRow, bool) bool, error) {
	var preds []func(imageRow, bool) bool
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, flagError{fmt.Errorf("bad format of filter (expected name=value): %s", f)}
		}
		switch k {
		case "dangling":
			want := v == "true" || v == "1"
			if v != "true" && v != "false" && v != "1" && v != "0" {
				return nil, flagError{fmt.Errorf("invalid filter 'dangling=%s'", v)}
			}
			preds = append(preds, func(_ imageRow, dangling bool) bool { return dangling == want })
		case "reference":
			preds = append(preds, refMatcher(v))
		default:
			return nil, flagError{fmt.Errorf("invalid filter '%s'", k)}
		}
	}
	if len(args) == 1 {
		preds = append(preds, refMatcher(args[0]))
	}
	return func(r imageRow, dangling bool) bool {
		for _, p := range preds {
			if !p(r, dangling) {
				return false
			}
		}
		return true
	}, nil
}

func refMatcher(pattern string) func(imageRow, bool) bool {
	// The tag follows the last colon, unless a slash follows it (a
	// registry port: 127.0.0.1:5000/busybox).
	repo, tag, hasTag := pattern, "", false
	if i := strings.LastIndex(pattern, ":"); i >= 0 && !strings.Contains(pattern[i:], "/") {
		repo, tag, hasTag = pattern[:i], pattern[i+1:], true
	}
	return func(r imageRow, _ bool) bool {
		if ok, _ := pathMatch(repo, r.Repository); !ok {
			return false
		}
		if hasTag {
			ok, _ := pathMatch(tag, r.Tag)
			return ok
		}
		return true
	}
}
