package root

import (
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/trustroot/trustroot/internal/cjson"
	"github.com/trustroot/trustroot/internal/sharedtestdata"
)

func keyObject(t *testing.T, file string) (string, map[string]any) {
	t.Helper()
	data, err := os.ReadFile(sharedtestdata.Path(t, "prod", file))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := cjson.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	keys := tree.(map[string]any)["signed"].(map[string]any)["keys"].(map[string]any)
	if len(keys) == 0 {
		t.Fatal("no keys")
	}
	id := slices.Min(slices.Collect(maps.Keys(keys)))
	return id, keys[id].(map[string]any)
}

// TestDecodeKeyCache checks that a cached decode is what an uncached one
// gives, under the ID it is listed with, and that any change to the key
// object, however small, misses the cache.
func TestDecodeKeyCache(t *testing.T) {
	id, obj := keyObject(t, "5.root.json")
	first, err := decodeKey(KeyID(id), obj)
	if err != nil {
		t.Fatal(err)
	}
	again, err := decodeKey("other-id", obj)
	if err != nil {
		t.Fatal(err)
	}
	if again.k.key != first.k.key {
		t.Fatal("an identical key object was decoded again")
	}
	fresh, err := decodeKeyUncached("other-id", obj)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID() != "other-id" || again.Fingerprint() != fresh.Fingerprint() || again.IDMatchesContent() != fresh.IDMatchesContent() ||
		again.Scheme() != fresh.Scheme() || again.Holder() != fresh.Holder() {
		t.Fatalf("cached key %+v differs from a fresh decode %+v", again.k, fresh.k)
	}

	_, obj2 := keyObject(t, "5.root.json")
	obj2["x-trustroot-keyholder"] = "someone else"
	k2, err := decodeKey(KeyID(id), obj2)
	if err != nil {
		t.Fatal(err)
	}
	if k2.k.key == first.k.key || k2.Holder() != "someone else" || k2.k.contentID == first.k.contentID {
		t.Fatal("a changed key object was served from the cache")
	}

	// Objects over the size bound are decoded but never cached.
	_, big := keyObject(t, "5.root.json")
	big["x-note"] = strings.Repeat("a", keyCacheMaxObject)
	b1, err := decodeKey(KeyID(id), big)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := decodeKey(KeyID(id), big)
	if err != nil {
		t.Fatal(err)
	}
	if b1.k.key == b2.k.key {
		t.Fatal("an oversized key object was cached")
	}

	// Undecodable objects are refused every time, never cached.
	_, bad := keyObject(t, "5.root.json")
	bad["keyval"] = map[string]any{"public": "not a key"}
	for range 2 {
		if _, err := decodeKey(KeyID(id), bad); err == nil {
			t.Fatal("an undecodable key object was accepted")
		}
	}
	// A float makes the object non-canonical: decoded uncached, and
	// refused as before (the content ID cannot be computed).
	_, float := keyObject(t, "5.root.json")
	float["x-f"] = json.Number("1.5")
	if _, err := decodeKey(KeyID(id), float); err == nil {
		t.Fatal("a key object with a float was accepted")
	}
}

// TestDecodeKeyCacheBounded fills the cache past its bound.
func TestDecodeKeyCacheBounded(t *testing.T) {
	id, obj := keyObject(t, "5.root.json")
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range keyCacheEntries {
				_, o := keyObject(t, "5.root.json")
				o["x-n"] = json.Number(strings.Repeat("1", w+1) + strings.Repeat("0", i%10) + "7")
				o["x-i"] = strings.Repeat("b", i)
				if _, err := decodeKey(KeyID(id), o); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	decodedKeys.Lock()
	n := len(decodedKeys.m)
	decodedKeys.Unlock()
	if n > keyCacheEntries {
		t.Fatalf("cache holds %d entries, more than %d", n, keyCacheEntries)
	}
	if _, err := decodeKey(KeyID(id), obj); err != nil {
		t.Fatal(err)
	}
}
