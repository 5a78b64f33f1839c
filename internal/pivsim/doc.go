// Package pivsim simulates YubiKey PIV applets for tests and ceremony
// rehearsals, so the real piv-go, libpcsclite and pcscd can be exercised
// without hardware.
//
// # Cards
//
// A [Card] is one simulated YubiKey (firmware 5.7.1 unless configured).
// It answers the command APDUs of NIST SP 800-73-4 and Yubico's PIV
// extensions that piv-go, ykman and yubico-piv-tool send:
//
//   - SELECT, GET VERSION (0xFD), GET SERIAL (0xF8), the management
//     applet's READ CONFIG (form factor) and the OTP applet's serial;
//   - VERIFY with the retry counter, CHANGE REFERENCE, RESET RETRY,
//     RESET (0xFB), SET PIN RETRIES (0xFA);
//   - SET MANAGEMENT KEY (0xFF, 3DES or AES, optionally touch-protected)
//     and the GENERAL AUTHENTICATE challenge-response with it;
//   - GENERATE (0x47) and IMPORT (0xFE) of RSA 1024/2048/3072/4096, ECDSA
//     P-256/P-384, Ed25519 and X25519 keys, with PIN and touch policies;
//   - GENERAL AUTHENTICATE with a slot key: ECDSA and Ed25519 signatures,
//     the raw RSA private operation (signature or decryption, the host
//     pads), and ECDH (tag 0x85) on P-256, P-384 and X25519;
//   - ATTEST (0xF9), GET METADATA (0xF7), GET and PUT DATA with command
//     chaining and 61xx GET RESPONSE.
//
// It behaves as the YubiKey documentation and Yubico's own libraries
// describe it:
//
//   - Firmware gates follow Yubico's yubikit feature table: P-384 and
//     PIN/touch policies from 4.0, cached touch and attestation from 4.3,
//     no RSA generation on 4.2.0 to 4.3.4 (ROCA), GET SERIAL from 5.0,
//     GET METADATA from 5.3, AES management keys from 5.4, RSA 3072/4096,
//     Ed25519 and X25519 from 5.7 (the factory management key is AES-192
//     from 5.7). A card configured at an older firmware refuses what that
//     firmware lacks. A FIPS card (form factor bit 0x80) refuses RSA
//     1024, X25519 and PIN policy never, as ykman does.
//   - A key generated or imported without policies gets the slot's
//     defaults: PIN policy once, but always for 9c and never for 9e; touch
//     never.
//   - Touch: an operation on a key with touch policy always or cached (or
//     a touch-protected management key) waits for the [Toucher] in
//     [Config], and fails with 6982 if it is not touched within
//     [TouchTimeout] (15 s). A touch satisfies cached-policy keys for
//     [TouchCache] (15 s). Time comes from [Config.Clock], so tests inject
//     a [FakeClock] and never sleep. The touch cache survives power cycles
//     of the simulated card; whether a YubiKey's does is not documented.
//   - Attestation certificates come from an internal/pivattest.Device, so
//     they chain to a test root, never to Yubico's; only generated keys
//     are attested.
//
// Not simulated: YubiKey Bio (match PIN policies), MOVE and DELETE KEY
// (0xF6, firmware 5.7), secure messaging (SCP11), and attestation
// of X25519 keys (Go's crypto/x509 cannot issue a certificate for one;
// ATTEST answers 6985). A YubiKey's limits on message sizes (Ed25519
// signs the whole message on the card) are not known here; the simulator
// takes chained commands up to 16 KiB.
//
// # Readers
//
// A [Server] speaks vsmartcard's vpcd socket protocol for one reader
// slot: vpcd, configured in client mode, connects to it on 127.0.0.1.
// [Start] runs the whole stack for one to [MaxCards] cards: one server
// per slot on 127.0.0.1:35963 onwards, then a private pcscd (pcscd
// --foreground --config DIR) with one vpcd reader per two slots, stopped
// by [Env.Stop] in the order Debian 12's vpcd needs (pcscd first). Start
// needs root, the Debian packages pcscd and vsmartcard-vpcd, and no other
// pcscd running. [Server.Insert] swaps or unplugs a card; an unplugged
// slot holds a card that is not a YubiKey (it answers no YubiKey
// instruction), because Debian 12's vpcd aborts pcscd when a card
// connection closes, so a reader cannot be shown empty.
//
// The command internal/pivsim/cmd/pivsim runs the stack as a program: for
// piv-go's own test suite (scripts/pivgo-suite.sh) and for ceremony
// rehearsals on simulated YubiKeys.
//
// # What it shows
//
// The simulator shows wire compatibility with piv-go and behaviour as
// documented, not YubiKey firmware behaviour: a hardware tier remains
// for what only a real key can show (Yubico's attestation chain, real
// touch, firmware quirks). piv-go's own hardware suite (scripts/
// pivgo-suite.sh) passes against it except the test that needs Yubico's
// attestation root and the YubiKey Bio tests.
package pivsim
