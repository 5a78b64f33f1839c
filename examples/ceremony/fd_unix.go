//go:build unix

package main

import (
	"fmt"
	"syscall"
)

// checkPINFD reports whether fd is an inherited descriptor a secret can be
// read from: a regular file, a pipe, a terminal or a socket. A number the
// shell did not pass (-pin-fd 3 without 3<pinfile) may name one of the Go
// runtime's own descriptors (epoll, eventfd, the cgroup CPU limit files
// it keeps open); reading it would send
// garbage to the token as a PIN and spend one of its tries.
func checkPINFD(fd int) error {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return fmt.Errorf("file descriptor %d is not open (start the command with %d<PINFILE)", fd, fd)
	}
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFREG, syscall.S_IFIFO, syscall.S_IFCHR, syscall.S_IFSOCK:
		if !runtimeFD(fd) {
			return nil
		}
	}
	return fmt.Errorf("file descriptor %d was not passed to the command (start it with %d<PINFILE)", fd, fd)
}
