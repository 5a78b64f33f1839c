package gen

import "time"

// ChainVersion is one generated root version.
type ChainVersion struct {
	// File is the signed root file.
	File []byte
	// Payload is the canonical signed object.
	Payload []byte
	// RootKeys are the version's root keys, in role order.
	RootKeys []*Key
	// Sigs maps a key ID to the signature made under it.
	Sigs map[string][]byte
}

// Chain returns root versions 1..n of kind ("ed25519" or "ecdsa") keys.
// Each root role has nkeys keys and the given threshold. From one version to
// the next one key is replaced (a sliding window over the key sequence), and
// every version is signed by all of its own root keys and by the key it
// retired, as a real rotation is.
func Chain(kind string, n, nkeys, threshold int, expires time.Time) []ChainVersion {
	online := Of(kind, 100000)
	out := make([]ChainVersion, 0, n)
	for v := 1; v <= n; v++ {
		keys := make([]*Key, nkeys)
		for i := range keys {
			keys[i] = Of(kind, v-1+i)
		}
		signers := keys
		if v > 1 {
			signers = append([]*Key{Of(kind, v-2)}, keys...)
		}
		signed := Root(int64(v), expires, true, TopRoles(keys, threshold, online))
		payload := Canonical(signed)
		sigs := SignAll(payload, signers...)
		m := make(map[string][]byte, len(sigs))
		for _, s := range sigs {
			m[s.KeyID] = s.Sig
		}
		out = append(out, ChainVersion{File: Envelope(signed, sigs), Payload: payload, RootKeys: keys, Sigs: m})
	}
	return out
}
