//go:build !linux

package api

func memTotal() int64 { return 0 }
