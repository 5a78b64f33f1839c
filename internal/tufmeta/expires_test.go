package tufmeta

import (
	"testing"
	"time"
)

// referenceExpires is ParseExpires as the time package states it: what
// UnmarshalText reads must be what MarshalText writes.
func referenceExpires(s string) (time.Time, bool) {
	var t time.Time
	if err := t.UnmarshalText([]byte(s)); err != nil {
		return time.Time{}, false
	}
	again, err := t.MarshalText()
	if err != nil || string(again) != s {
		return time.Time{}, false
	}
	return t, true
}

func TestParseExpiresMatchesMarshalText(t *testing.T) {
	for _, s := range []string{
		"2030-01-01T00:00:00Z",
		"2021-12-18T13:28:12.99008-06:00",
		"2021-12-18T13:28:12.990080-06:00",
		"2030-01-01T00:00:00.5Z",
		"2030-01-01T00:00:00.50Z",
		"2030-01-01T00:00:00+00:00",
		"2030-01-01T00:00:00-00:00",
		"2030-01-01T00:00:00+23:59",
		"2030-01-01T00:00:00+24:00",
		"2030-01-01T00:00:00+99:00",
		"2030-01-01t00:00:00z",
		"2030-01-01 00:00:00Z",
		"0000-01-01T00:00:00Z",
		"9999-12-31T23:59:59Z",
		"10000-01-01T00:00:00Z",
		"2030-02-30T00:00:00Z",
		"2030-01-01T24:00:00Z",
		"2030-01-01T00:00:60Z",
		"2030-01-01T00:00:00",
		"2030-01-01T00:00:00.Z",
		"",
		"x",
	} {
		want, wantOK := referenceExpires(s)
		got, err := ParseExpires(s)
		if (err == nil) != wantOK || !got.Equal(want) || got.Location().String() != want.Location().String() {
			t.Errorf("ParseExpires(%q) = %v, %v; MarshalText round trip says %v, %v", s, got, err, want, wantOK)
		}
	}
}

func FuzzParseExpires(f *testing.F) {
	f.Add("2030-01-01T00:00:00Z")
	f.Add("2021-12-18T13:28:12.99008-06:00")
	f.Add("2030-01-01T00:00:00+24:00")
	f.Fuzz(func(t *testing.T, s string) {
		want, wantOK := referenceExpires(s)
		got, err := ParseExpires(s)
		if (err == nil) != wantOK || !got.Equal(want) {
			t.Fatalf("ParseExpires(%q) = %v, %v; MarshalText round trip says %v, %v", s, got, err, want, wantOK)
		}
	})
}
