package reset

import (
	"testing"
	"unicode/utf8"

	"github.com/passbot/passbot/bot"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{"reset my passcode", "wachtwoordcode vergeten", "language nl", "", "\x00\xff", "taal", "🔒 pin"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		c := parse(line)
		if c.lang != "" && c.lang != "en" && c.lang != "nl" {
			t.Fatalf("parse(%q) lang %q", line, c.lang)
		}
		// Whatever the line, a step answers with valid text and never panics.
		conv := &bot.Conversation{Owner: bot.User{ID: "u", UPN: "a@b"}}
		out := newFlow().Step(conv, bot.Input{Kind: bot.Text, Text: line}, t0)
		for _, r := range out.Replies {
			if !utf8.ValidString(r.Text) && utf8.ValidString(line) {
				t.Fatalf("invalid reply text for %q", line)
			}
		}
	})
}
