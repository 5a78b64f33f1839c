package tufkey

import (
	"bytes"
	"sync"

	"github.com/trustroot/trustroot/internal/cjson"
)

// Decoding a key (PEM and PKIX parsing, point validation, fingerprint) is
// most of what parsing a root costs beyond reading its JSON, and
// consecutive root versions list mostly the same keys. The cache remembers
// decoded keys by their canonical key object: the decode is a function of
// those bytes alone, so a hit gives exactly what decoding again would.
// It is bounded in entries and object size, and cleared when full.
const (
	cacheEntries   = 512
	cacheMaxObject = 4 << 10
)

var cache struct {
	sync.Mutex
	m map[string]*Key
}

// DecodeCached is Decode through a bounded cache shared by the process.
// The Key it returns is shared: treat it as read-only.
func DecodeCached(obj cjson.Raw) (*Key, error) {
	if len(obj) > cacheMaxObject {
		return Decode(obj)
	}
	cache.Lock()
	k, ok := cache.m[string(obj)]
	cache.Unlock()
	if ok {
		return k, nil
	}
	// A copy, so the cache never keeps the file obj was read from.
	k, err := Decode(bytes.Clone(obj))
	if err != nil {
		return nil, err
	}
	cache.Lock()
	if cache.m == nil || len(cache.m) >= cacheEntries {
		cache.m = make(map[string]*Key)
	}
	cache.m[string(obj)] = k
	cache.Unlock()
	return k, nil
}

// ResetCache empties the decoded-key cache, so a benchmark can measure a
// process that has decoded no key yet. Nothing else needs it: the cache
// never changes what a decode returns.
func ResetCache() {
	cache.Lock()
	cache.m = nil
	cache.Unlock()
}
