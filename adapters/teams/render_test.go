package teams

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/golden"
)

func TestRender(t *testing.T) {
	t.Parallel()
	action := "ABCDEFGH|12|4f2b6c1e-8d3a-4c55-9a6e-1b2c3d4e5f60|"
	t.Run("the sign-out banner", func(t *testing.T) {
		golden.JSON(t, "render_signout", message(bot.Reply{
			Text: "Reset the passcode of Adele's Galaxy S7?\nTo confirm that it is you, you sign out here and sign in again.",
			Buttons: []bot.Button{
				{Label: "Sign out", Action: action + "signout", Style: bot.Danger},
				{Label: "Cancel", Action: action + "cancel"},
			},
		}))
	})
	t.Run("many buttons come in rows, within the limit", func(t *testing.T) {
		var buttons []bot.Button
		for range maxButtons + 3 {
			buttons = append(buttons, bot.Button{Label: strings.Repeat("x", maxTitle+10), Action: action + "device:1", Style: bot.Primary})
		}
		c := render(bot.Reply{Text: "pick", Buttons: buttons})
		n := 0
		for _, e := range c.Body[1:] {
			if e.Type != "ActionSet" || len(e.Actions) > actionsPerRow {
				t.Fatalf("element %+v", e)
			}
			for _, a := range e.Actions {
				if len([]rune(a.Title)) > maxTitle || a.Style != "positive" || a.Data.Action != action+"device:1" {
					t.Fatalf("action %+v", a)
				}
				n++
			}
		}
		if n != maxButtons {
			t.Errorf("%d buttons drawn, want %d", n, maxButtons)
		}
	})
	t.Run("a press hands the action back unchanged", func(t *testing.T) {
		for value, want := range map[string]string{
			`{"action":{"type":"Action.Execute","verb":"v","data":{"action":"` + action + `ok"}}}`: action + "ok",
			`{"action":{"type":"Action.Execute","verb":"` + action + `ok"}}`:                       action + "ok",
			`{"action":{"type":"Action.Submit","data":{"action":"x"}}}`:                            "",
			`[]`: "",
		} {
			got, ok := pressed(json.RawMessage(value))
			if got != want || ok != (want != "") {
				t.Errorf("pressed(%s) = %q, %v", value, got, ok)
			}
		}
	})
}
