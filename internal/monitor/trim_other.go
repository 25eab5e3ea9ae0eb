//go:build !linux

package monitor

func trimMemory() {}
