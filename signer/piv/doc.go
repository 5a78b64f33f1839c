// Package piv keeps trustroot keys on YubiKeys, through the PIV applet and
// piv-go.
//
// A keyholder first enrols: [Enrol] generates a key on the token (slot 9c,
// ECDSA P-256, PIN policy always and touch policy always unless told
// otherwise), has the token attest it, verifies the attestation and
// returns an [Enrolment] holding what the ceremony publishes: the public
// key, the slot and device attestation certificates, the serial and the
// policies. Slots, policies, firmware versions and form factors are
// package attestation's types (attestation.SlotSignature,
// attestation.PINPolicyAlways, ...), the same ones attestation.Verify
// reports when anyone checks the published certificates.
// policies. [EnrolOptions].Algorithm picks ECDSA P-384 or Ed25519 instead
// (Ed25519 needs firmware 5.7 or later; the token signs the whole
// message, so a root's signing payload travels to it in chained APDUs).
//
//	e, err := piv.Enrol(ctx, piv.EnrolOptions{
//		Serial:        12345678,
//		ManagementKey: mgmKey, // never the factory default unless AllowDefaultManagementKey
//	})
//
// Later the keyholder signs: [New] opens the token, checks the slot holds
// the key the root lists ([Options].Expected) before anyone types a PIN,
// and returns a [Signer], which implements signer.Signer:
//
//	s, err := piv.New(ctx, piv.Options{
//		Serial:   12345678,
//		Expected: key.Public(),
//		PIN:      func(ctx context.Context) ([]byte, error) { return readPIN(ctx) },
//		Touch:    func() { fmt.Println("touch the YubiKey") },
//	})
//	defer s.Close()
//	sigs, err := r.Sign(ctx, s, prev)
//
// Before each PIN attempt the signer reads the token's retry counter; it
// refuses to spend the last try unless [Options].ForceLastPINTry is set.
// Errors wrap the sentinels of package signer (signer.ErrWrongPIN as a
// *signer.PINError with the tries left, signer.ErrPINBlocked,
// signer.ErrKeyNotFound, signer.ErrWrongKey) and of this package
// ([ErrTokenRemoved], [ErrTokenBusy], [ErrSeveralTokens], ...). No error
// holds a PIN or a management key, and the package never stores either.
//
// # Building
//
// Talking to a YubiKey needs cgo and pcsc-lite (on Debian: libpcsclite-dev
// and pkg-config to build, pcscd to run), so the real backend is only
// built with cgo and the pivkey build tag:
//
//	CGO_ENABLED=1 go build -tags pivkey ./...
//
// Without them the package still compiles with the same API, and every
// entry point returns an error wrapping [ErrNotSupported].
//
// # Testing
//
// Three tiers test the package:
//
//   - Unit tests drive the logic against an in-memory fake card; they run
//     whenever the package is built with the pivkey tag.
//
//   - The simulator tier runs the real piv-go, libpcsclite, pcscd and
//     vsmartcard's vpcd driver against a YubiKey PIV simulator written in
//     Go (internal/pivsim), listening on 127.0.0.1:35963 and :35964. It
//     runs when PIV_SIM=1 and then fails, rather than skips, if pcscd or
//     the vpcd driver is missing; it must run as root (pcscd creates
//     /run/pcscd) and with no other pcscd running:
//
//     PIV_SIM=1 CGO_ENABLED=1 go test -tags pivkey -race -v -count=1 ./signer/piv/... ./internal/pivsim/...
//
//     (signer/piv/testdata/run-sim-tests.sh runs exactly that). Through
//     the simulator the tests enrol, attest, sign, count wrong PINs down
//     to a blocked PIN, refuse the last try, pick tokens by serial, run
//     the signertest conformance suite and a whole 3-of-5 root ceremony
//     on five simulated YubiKeys. Unplugging a token is only unit-tested:
//     Debian 12's vpcd brings pcscd down when a card connection drops.
//
//   - Hardware tests (build tag yubikey) check what only a real YubiKey
//     shows: Yubico's attestation chain, touch, real PIN policy
//     enforcement. They wipe the PIV applet of the key whose serial is in
//     YUBIKEY_TEST_SERIAL, and skip when it is unset:
//
//     YUBIKEY_TEST_SERIAL=12345678 go test -tags pivkey,yubikey -run Hardware -v ./signer/piv/
package piv
