//go:build unix && !linux

package main

// runtimeFD reports whether fd is one the Go runtime opened; only checked
// on Linux.
func runtimeFD(fd int) bool { return false }
