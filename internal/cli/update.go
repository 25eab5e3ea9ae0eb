package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/geedocker/geedocker/internal/engine"
)

// updateFlags are `docker update`'s options.
type updateFlags struct {
	cpus                           cpusValue
	cpuShares, cpuPeriod, cpuQuota int64
	cpusetCpus                     string
	memory, memorySwap, memoryRes  bytesValue
	pidsLimit                      int64
	blkioWeight                    uint16
	restart                        string
}

func newUpdateCmd(g *globals) *cobra.Command {
	var o updateFlags
	c := &cobra.Command{
		Use:   "update [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Update configuration of one or more containers",
		Args:  minArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runUpdate(c, g, &o, args)
		},
	}
	f := c.Flags()
	f.Uint16Var(&o.blkioWeight, "blkio-weight", 0, "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)")
	f.Int64Var(&o.cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	f.Int64Var(&o.cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	f.Int64VarP(&o.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	f.Var(&o.cpus, "cpus", "Number of CPUs")
	f.StringVar(&o.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	f.VarP(&o.memory, "memory", "m", "Memory limit")
	f.Var(&o.memoryRes, "memory-reservation", "Memory soft limit")
	f.Var(&o.memorySwap, "memory-swap", "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
	f.Int64Var(&o.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	f.StringVar(&o.restart, "restart", "", "Restart policy to apply when a container exits")
	return c
}

func runUpdate(c *cobra.Command, g *globals, o *updateFlags, args []string) error {
	changed := 0
	c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			changed++
		}
	})
	if changed == 0 {
		return errors.New("you must provide one or more flags when using this command")
	}
	uo := engine.UpdateOptions{Restart: o.restart}
	r := &uo.Resources
	r.NanoCPUs, r.CPUShares, r.CPUPeriod, r.CPUQuota = o.cpus.nano, o.cpuShares, o.cpuPeriod, o.cpuQuota
	r.CpusetCpus, r.BlkioWeight = o.cpusetCpus, o.blkioWeight
	r.Memory, r.MemorySwap, r.MemoryReservation = o.memory.n, o.memorySwap.n, o.memoryRes.n
	if c.Flags().Changed("pids-limit") {
		uo.PidsLimit = &o.pidsLimit
	}
	e, err := g.engine()
	if err != nil {
		return err
	}
	// As Docker's CLI: each container's name on success, the warnings, then the errors.
	var warnings, errs []string
	for _, ref := range args {
		w, err := e.Update(ref, uo)
		if err != nil {
			errs = append(errs, err.Error())
		} else {
			fmt.Fprintln(g.stdout, ref)
		}
		warnings = append(warnings, w...)
	}
	if len(warnings) > 0 {
		fmt.Fprintln(g.stdout, strings.Join(warnings, "\n"))
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}
