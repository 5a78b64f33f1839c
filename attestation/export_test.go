package attestation

// Hooks for the external tests (package attestation_test, which needs
// internal/pivattest, which imports this package).

// ParseSlotCertificate reads the Yubico extensions, slot and key of a slot
// certificate without checking its chain.
var ParseSlotCertificate = parseYubicoAttestation

// The Yubico extension OIDs.
var (
	OIDYubicoFirmware   = oidYubicoFirmware
	OIDYubicoSerial     = oidYubicoSerial
	OIDYubicoPolicy     = oidYubicoPolicy
	OIDYubicoFormFactor = oidYubicoFormFactor
)
