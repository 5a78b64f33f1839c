package pivsim

import (
	"net"
	"syscall"
)

// quickAck asks the kernel to acknowledge the next segments at once.
// vpcd sends a message's length and payload in two writes; with Nagle's
// algorithm on its side and delayed ACKs on ours, every command would
// otherwise wait about 40 ms. Linux clears the flag as it pleases, so
// the server sets it again before each read.
func quickAck(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	raw.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
