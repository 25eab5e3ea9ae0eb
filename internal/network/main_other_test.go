//go:build !linux

package network

func isolate() (int, bool) { return 0, false }

func osHelper() (int, bool) { return 0, false }
