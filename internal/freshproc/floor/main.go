// Command floor makes the signature checks listed in a file, once, and
// exits: 0 if every check passed, 1 otherwise. It links the standard
// library's signature code only. It is a benchmark subject (see package
// freshproc).
//
//	floor -checks FILE
//
// FILE holds records: a kind byte ('e' Ed25519, 'p' ECDSA P-256 over
// SHA-256) and three fields, each a 4-byte big-endian length and the
// bytes: the public key (32 bytes, or an uncompressed P-256 point), the
// signed payload and the signature (ASN.1 DER for ECDSA).
package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
)

func main() {
	file := flag.String("checks", "", "the `file` of checks")
	flag.Parse()
	n, err := run(*file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	if n == 0 {
		fmt.Fprintln(os.Stderr, "floor: no checks")
		os.Exit(1)
	}
}

func run(file string) (int, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	n := 0
	for len(data) > 0 {
		kind := data[0]
		data = data[1:]
		var f [3][]byte
		for i := range f {
			if len(data) < 4 {
				return n, errors.New("truncated record")
			}
			l := binary.BigEndian.Uint32(data)
			data = data[4:]
			if uint64(len(data)) < uint64(l) {
				return n, errors.New("truncated field")
			}
			f[i], data = data[:l], data[l:]
		}
		pub, payload, sig := f[0], f[1], f[2]
		switch kind {
		case 'e':
			if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(ed25519.PublicKey(pub), payload, sig) {
				return n, fmt.Errorf("check %d: bad Ed25519 signature", n)
			}
		case 'p':
			k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pub)
			if err != nil {
				return n, fmt.Errorf("check %d: %v", n, err)
			}
			d := sha256.Sum256(payload)
			if !ecdsa.VerifyASN1(k, d[:], sig) {
				return n, fmt.Errorf("check %d: bad ECDSA signature", n)
			}
		default:
			return n, fmt.Errorf("check %d: unknown kind %q", n, kind)
		}
		n++
	}
	return n, nil
}
