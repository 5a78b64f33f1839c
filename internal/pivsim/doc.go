// Package pivsim simulates YubiKey PIV applets for tests, so the real
// piv-go, libpcsclite and pcscd can be exercised without hardware.
//
// A [Card] is one simulated YubiKey (firmware 5.x by default): it answers
// the command APDUs piv-go sends (SELECT, GET VERSION 0xFD, GET SERIAL
// 0xF8, VERIFY with the retry counter, CHANGE REFERENCE, RESET RETRY,
// RESET 0xFB, SET PIN RETRIES 0xFA, SET MANAGEMENT KEY 0xFF, GENERAL
// AUTHENTICATE with a 3DES or AES management key and ECDSA P-256/P-384
// signatures, GENERATE 0x47, ATTEST 0xF9, GET METADATA 0xF7 from
// firmware 5.3, GET and PUT DATA with command chaining and 61xx GET
// RESPONSE, and the management applet's READ CONFIG for the form
// factor). Attestation certificates come from an
// internal/pivattest.Device, so they chain to a test root.
//
// A [Server] speaks vsmartcard's vpcd socket protocol for one reader
// slot: vpcd, configured in client mode, connects to it on 127.0.0.1.
// [Start] runs the whole stack: two servers on 127.0.0.1:35963 and
// :35964, then a private pcscd (pcscd --foreground --config DIR, with one
// vpcd reader named "Yubico YubiKey Virtual"), stopped by [Env.Stop] in
// the order Debian 12's vpcd needs (pcscd first). Start needs root, the
// Debian packages pcscd and vsmartcard-vpcd, and no other pcscd running.
//
// The simulator follows NIST SP 800-73-4, Yubico's published PIV
// extensions and the APDUs piv-go sends. It shows wire compatibility with
// piv-go, not YubiKey firmware behaviour: touch is simulated (counted,
// never waited for), and attestation chains to a test root, never to
// Yubico's. RSA, Ed25519, X25519, ECDH and key import are left out; with
// those exceptions piv-go's own hardware suite (go test
// github.com/go-piv/piv-go/v2/piv -args -wipe-yubikey, run while the
// simulator serves) passes against it.
package pivsim
