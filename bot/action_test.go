package bot

import (
	"strings"
	"testing"
)

func FuzzParseAction(f *testing.F) {
	f.Add("ABCDEFGH|3|U123|device:2")
	f.Add("||||")
	f.Add("x|-1|u|a")
	f.Add("x|99999999999999999999|u|a")
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := parseAction(s)
		if !ok {
			return
		}
		if a.Conv == "" || a.Owner == "" || a.Name == "" || a.Version < 0 {
			t.Fatalf("parseAction(%q) accepted %+v", s, a)
		}
		c := &Conversation{ID: a.Conv, Version: a.Version, Owner: User{ID: a.Owner}}
		name := strings.SplitN(s, "|", 4)[3]
		if b, _ := parseAction(stamp(c, name)); b != a {
			t.Fatalf("round trip of %q: %+v != %+v", s, b, a)
		}
	})
}
