// Command udpecho answers every UDP datagram on the port given with
// "echo:" and the datagram: a UDP server for the published-port tests
// (busybox has none). Built statically by the tests.
package main

import (
	"net"
	"os"
)

func main() {
	pc, err := net.ListenPacket("udp", ":"+os.Args[1])
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString("listening\n")
	buf := make([]byte, 1500)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			os.Exit(1)
		}
		pc.WriteTo(append([]byte("echo:"), buf[:n]...), addr)
	}
}
