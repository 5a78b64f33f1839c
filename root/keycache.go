package root

import (
	"sync"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/tufkey"
)

// Decoding a key (PEM and PKIX parsing, point validation, fingerprint,
// content ID) is most of what Parse spends beyond decoding the JSON, and
// consecutive root versions list mostly the same keys. decodedKeys
// remembers decoded keys by the canonical JSON of their key object: the
// decode is a function of those bytes alone, so a hit gives exactly what
// decoding again would. It is bounded in entries and in object size, and
// cleared when full.
const (
	keyCacheEntries   = 512
	keyCacheMaxObject = 4 << 10
)

var decodedKeys struct {
	sync.Mutex
	m map[string]*keyData
}

// decodeKey decodes the key object obj listed under id.
func decodeKey(id KeyID, obj map[string]any) (Key, error) {
	var buf [1024]byte
	canon, err := cjson.AppendCanonical(buf[:0], obj)
	if err != nil || len(canon) > keyCacheMaxObject {
		return decodeKeyUncached(id, obj)
	}
	decodedKeys.Lock()
	kd, ok := decodedKeys.m[string(canon)]
	decodedKeys.Unlock()
	if ok {
		return Key{k: &keyData{id: id, key: kd.key, contentID: kd.contentID}}, nil
	}
	k, err := decodeKeyUncached(id, obj)
	if err != nil {
		return Key{}, err
	}
	decodedKeys.Lock()
	if decodedKeys.m == nil || len(decodedKeys.m) >= keyCacheEntries {
		decodedKeys.m = make(map[string]*keyData)
	}
	decodedKeys.m[string(canon)] = k.k
	decodedKeys.Unlock()
	return k, nil
}

func decodeKeyUncached(id KeyID, obj map[string]any) (Key, error) {
	tk, err := tufkey.Decode(obj)
	if err != nil {
		return Key{}, err
	}
	return newKeyData(id, tk)
}
