package console_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/passbot/passbot/adapters/console"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
)

// A line longer than the console reads (a paste gone wrong) is refused with
// a note, and the lines around it are still handled: passbot keeps running.
func TestOverlongLineIsRefusedAndTheChatGoesOn(t *testing.T) {
	for name, end := range map[string]string{"ended by a newline": "\n", "at the end of the input": ""} {
		t.Run(name, func(t *testing.T) {
			h := &enginetest.Scripted{}
			long := strings.Repeat("x", console.MaxLine+1)
			in := strings.NewReader("first\r\n" + long + "\nlast\n" + long + end)
			var out bytes.Buffer
			c := console.New(in, &out, bot.User{ID: "adele.vance@contoso.com"}, h)
			if err := c.Run(t.Context()); err != nil {
				t.Fatalf("Run: %v", err)
			}
			var texts []string
			for _, ev := range h.Seen() {
				texts = append(texts, ev.Text)
			}
			if got := strings.Join(texts, "|"); got != "first|last" {
				t.Errorf("handled %q, want first and last", got)
			}
			if n := strings.Count(out.String(), "-- line ignored: it is longer than 64 KiB\n"); n != 2 {
				t.Errorf("%d notes of a refused line, want 2:\n%.500s", n, out.String())
			}
		})
	}
}
