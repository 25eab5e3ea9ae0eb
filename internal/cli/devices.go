package cli

import (
	"strings"

	"github.com/geedocker/geedocker/internal/spec"
)

// deviceFlag is --device, repeatable; each value is checked as it is read,
// so a bad one is a flag error (exit 125) naming the flag and the value.
type deviceFlag struct{ list []spec.DeviceMapping }

func (f *deviceFlag) String() string {
	var s []string
	for _, d := range f.list {
		s = append(s, d.PathOnHost+":"+d.PathInContainer+":"+d.CgroupPermissions)
	}
	return strings.Join(s, ",")
}

func (f *deviceFlag) Set(v string) error {
	d, err := spec.ParseDevice(v)
	if err != nil {
		return err
	}
	f.list = append(f.list, d)
	return nil
}

func (f *deviceFlag) Type() string { return "list" }

// deviceRuleFlag is --device-cgroup-rule, repeatable, checked as read.
type deviceRuleFlag struct{ list []string }

func (f *deviceRuleFlag) String() string { return strings.Join(f.list, ",") }

func (f *deviceRuleFlag) Set(v string) error {
	if _, err := spec.ParseDeviceCgroupRule(v); err != nil {
		return err
	}
	f.list = append(f.list, v)
	return nil
}

func (f *deviceRuleFlag) Type() string { return "list" }
