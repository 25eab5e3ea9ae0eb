package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/geedocker/geedocker/internal/engine"
	"github.com/geedocker/geedocker/internal/volume"
)

// newSystemCmd is `system`: events, df, prune and info.
func newSystemCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "system", Short: "Manage GeeDocker"}
	c.AddCommand(newEventsCmd(g), newInfoCmd(g), newSystemDfCmd(g), newSystemPruneCmd(g))
	return c
}

// dfRow is one line of `system df`.
type dfRow struct {
	Active      string
	Reclaimable string
	Size        string
	TotalCount  string `header:"TOTAL"`
	Type        string
}

// dfVolumeRow is one volume of `system df -v`.
type dfVolumeRow struct {
	Links string
	Name  string `header:"VOLUME NAME"`
	Size  string
}

// dfCacheRow is one build cache record of `system df -v`.
type dfCacheRow struct {
	CacheType     string `header:"CACHE TYPE"`
	CreatedSince  string `header:"CREATED"`
	ID            string `header:"CACHE ID"`
	LastUsedSince string `header:"LAST USED"`
	Shared        string
	Size          string
	UsageCount    string `header:"USAGE"`
}

func newSystemDfCmd(g *globals) *cobra.Command {
	var verbose bool
	var format string
	c := &cobra.Command{
		Use:   "df [OPTIONS]",
		Short: "Show GeeDocker disk usage",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := g.engine()
			if err != nil {
				return err
			}
			du, err := e.DiskUsage()
			if err != nil {
				return err
			}
			if verbose {
				return printDfVerbose(g, du, format)
			}
			t := du.Totals()
			withPercent := func(part, whole int64) string {
				if whole > 0 {
					return fmt.Sprintf("%s (%d%%)", humanSize4(part), part*100/whole)
				}
				return humanSize4(part)
			}
			rows := []dfRow{
				{Type: "Images", TotalCount: strconv.Itoa(len(du.Images)), Active: strconv.Itoa(t.ImagesActive),
					Size: humanSize4(du.LayersSize), Reclaimable: withPercent(t.Images, du.LayersSize)},
				{Type: "Containers", TotalCount: strconv.Itoa(len(du.Containers)), Active: strconv.Itoa(t.ContainersActive),
					Size: humanSize4(t.ContainersSize), Reclaimable: withPercent(t.Containers, t.ContainersSize)},
				{Type: "Local Volumes", TotalCount: strconv.Itoa(len(du.Volumes)), Active: strconv.Itoa(t.VolumesActive),
					Size: humanSize4(t.VolumesSize), Reclaimable: withPercent(t.Volumes, t.VolumesSize)},
				{Type: "Build Cache", TotalCount: strconv.Itoa(len(du.BuildCache)), Active: "0",
					Size: humanSize4(t.BuildCacheSize), Reclaimable: humanSize4(t.BuildCache)},
			}
			return printFormatted(g.stdout, format, "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}", rows)
		},
	}
	c.Flags().StringVar(&format, "format", "", formatUsage)
	c.Flags().BoolVarP(&verbose, "verbose", "v", false, "Show detailed information on space usage")
	return c
}

// printDfVerbose prints `system df -v`: a table of each kind, or --format over all of them.
func printDfVerbose(g *globals, du *engine.DiskUsage, format string) error {
	var images []imageRow
	for _, im := range du.Images {
		r := imageRow{Repository: "<none>", Tag: "<none>", ID: strings.TrimPrefix(im.Image.ID, "sha256:")[:12],
			CreatedSince: ago(im.Image.Created), Size: humanSize(im.Image.Size), SharedSize: humanSize4(im.SharedSize),
			UniqueSize: humanSize4(im.Image.Size - im.SharedSize), Containers: strconv.Itoa(im.Containers)}
		if len(im.RepoTags) > 0 {
			r.Repository, r.Tag = im.RepoTags[0].FamiliarName(), im.RepoTags[0].Tag
		}
		images = append(images, r)
	}
	var containers []psRow
	for _, cu := range du.Containers {
		r := makePsRow(cu.Container, false)
		r.Size = humanSize(cu.SizeRw)
		n := 0
		for _, m := range cu.Container.Mounts {
			if m.Type == "volume" {
				n++
			}
		}
		r.LocalVolumes = strconv.Itoa(n)
		containers = append(containers, r)
	}
	var volumes []dfVolumeRow
	for _, v := range du.Volumes {
		volumes = append(volumes, dfVolumeRow{Name: v.Volume.Name, Links: strconv.Itoa(v.RefCount), Size: humanSize4(v.Size)})
	}
	var cache []dfCacheRow
	var cacheSize int64
	for _, b := range du.BuildCache {
		cacheSize += b.Size
		cache = append(cache, dfCacheRow{ID: b.ID[:12], CacheType: "regular", Size: humanSize(b.Size),
			CreatedSince: ago(b.Created), LastUsedSince: ago(b.Created), UsageCount: "0", Shared: strconv.FormatBool(b.Shared)})
	}
	if format != "" && format != "table" {
		if format == "json" {
			format = "{{json .}}"
		}
		src, _ := formatSource(format)
		t, err := parseTemplate(src)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		err = t.Execute(&b, struct {
			Images     []imageRow
			Containers []psRow
			Volumes    []dfVolumeRow
			BuildCache []dfCacheRow
		}{images, containers, volumes, cache})
		if err != nil {
			return fmt.Errorf("executing --format template: %w", err)
		}
		fmt.Fprintln(g.stdout, strings.TrimRight(b.String(), "\n"))
		return nil
	}
	w := g.stdout
	fmt.Fprint(w, "Images space usage:\n\n")
	if err := printFormatted(w, "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}", "", images); err != nil {
		return err
	}
	fmt.Fprint(w, "\nContainers space usage:\n\n")
	if err := printFormatted(w, "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}", "", containers); err != nil {
		return err
	}
	fmt.Fprint(w, "\nLocal Volumes space usage:\n\n")
	if err := printFormatted(w, "table {{.Name}}\t{{.Links}}\t{{.Size}}", "", volumes); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nBuild cache usage: %s\n\n", humanSize4(cacheSize))
	return printFormatted(w, "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}", "", cache)
}

// confirm asks question on stdout and reads the answer: yes only for "y" or "Y", as
// Docker's prompt.
func confirm(g *globals, question string) bool {
	fmt.Fprint(g.stdout, question+" [y/N] ")
	line, _ := bufio.NewReader(g.stdin).ReadString('\n')
	answer := strings.TrimSpace(line)
	return answer == "y" || answer == "Y"
}

func newSystemPruneCmd(g *globals) *cobra.Command {
	var all, volumes, force bool
	var filterArgs []string
	c := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused data",
		Args:  exactArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			raw := map[string][]string{}
			var shown []string // as Docker's prompt lists them
			for _, f := range filterArgs {
				k, v, ok := strings.Cut(f, "=")
				if !ok {
					return flagError{fmt.Errorf("bad format of filter (expected name=value): %s", f)}
				}
				k = strings.ToLower(strings.TrimSpace(k))
				raw[k] = append(raw[k], v)
				if k == "label" || k == "label!" || k == "until" {
					shown = append(shown, k+"="+v)
				}
			}
			sort.Strings(shown)
			if volumes && len(raw["until"]) > 0 {
				return errors.New(`ERROR: The "until" filter is not supported with "--volumes"`)
			}
			pf, err := engine.ParsePruneFilter(raw, time.Now())
			if err != nil {
				return err
			}
			e, err := g.engine()
			if err != nil {
				return err
			}
			if !force {
				warnings := []string{"all stopped containers", "all networks not used by at least one container"}
				if volumes {
					warnings = append(warnings, "all anonymous volumes not used by at least one container")
				}
				if all {
					warnings = append(warnings, "all images without at least one container associated to them", "all build cache")
				} else {
					warnings = append(warnings, "all dangling images", "unused build cache")
				}
				msg := "WARNING! This will remove:\n  - " + strings.Join(warnings, "\n  - ") + "\n"
				if len(shown) > 0 {
					msg += "\n  Items to be pruned will be filtered with:\n  - " + strings.Join(shown, "\n  - ") + "\n"
				}
				msg += "\nAre you sure you want to continue?"
				if !confirm(g, msg) {
					return nil
				}
			}
			var total int64
			w := g.stdout
			section := func(title string, lines []string) {
				if len(lines) > 0 {
					fmt.Fprintf(w, "%s\n%s\n\n", title, strings.Join(lines, "\n"))
				}
			}
			ids, space, err := e.PruneContainersFiltered(pf)
			if err != nil {
				return err
			}
			section("Deleted Containers:", ids)
			total += space
			names, err := e.PruneNetworksFiltered(pf)
			if err != nil {
				return err
			}
			section("Deleted Networks:", names)
			if volumes {
				names, space, err := e.PruneVolumes(false, func(v *volume.Volume) bool { return pf.Match(v.CreatedAt, v.Labels) })
				if err != nil {
					return err
				}
				section("Deleted Volumes:", names)
				total += space
			}
			res, space, err := e.PruneImagesFiltered(all, pf)
			if err != nil {
				return err
			}
			section("Deleted Images:", res)
			total += space
			keys, space, err := e.PruneBuildCacheSpace(pf)
			if err != nil {
				return err
			}
			section("Deleted build cache objects:", keys)
			total += space
			fmt.Fprintln(w, "Total reclaimed space: "+humanSize4(total))
			return nil
		},
	}
	fl := c.Flags()
	fl.BoolVarP(&all, "all", "a", false, "Remove all unused images not just dangling ones")
	fl.StringArrayVar(&filterArgs, "filter", nil, `Provide filter values (e.g. "label=<key>=<value>")`)
	fl.BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	fl.BoolVar(&volumes, "volumes", false, "Prune anonymous volumes")
	return c
}
