package root_test

import (
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/trustroot/trustroot/internal/sharedtestdata"
	"github.com/trustroot/trustroot/root"
)

// BenchmarkParse compares root.Parse, which decodes strictly, checks the
// model round trip and decodes every key, against go-tuf's FromBytes on
// the same file (the anchor); compare the two ns/op figures as a ratio.
func BenchmarkParse(b *testing.B) {
	data := readFile(b, sharedtestdata.Path(b, "prod", "15.root.json"))
	b.Run("anchor=go-tuf-FromBytes", func(b *testing.B) {
		for b.Loop() {
			if _, err := (&metadata.Metadata[metadata.RootType]{}).FromBytes(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("root.Parse", func(b *testing.B) {
		for b.Loop() {
			if _, err := root.Parse(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
