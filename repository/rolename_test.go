package repository

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// TestValidRoleNameMatchesPattern: the loop accepts exactly what the
// pattern it replaces accepts.
func TestValidRoleNameMatchesPattern(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	names := []string{"", "a", "A", "0", "-a", ".a", "_a", "a-b.c_d", "a/b", "a b", "a\n", "é", "aé",
		strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("a", 65), "a\x00"}
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "aZ09._-/ \n\x00é"
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(70) {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		names = append(names, b.String())
	}
	for _, n := range names {
		if got, want := validRoleName(n), re.MatchString(n); got != want {
			t.Fatalf("validRoleName(%q) = %v, the pattern says %v", n, got, want)
		}
	}
}
