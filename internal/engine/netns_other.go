//go:build !linux

package engine

import "errors"

func newNetns(string) error { return errors.New("network namespaces need Linux") }

func pinNetns(string, int) error { return errors.New("network namespaces need Linux") }

func removeNetns(string) {}
