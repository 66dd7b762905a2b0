package slack

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/golden"
)

func TestRender(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		reply bot.Reply
	}{
		{"banner", bot.Reply{
			Text: "Reset the passcode of Adele's Galaxy S7?\nYou will be signed out.",
			Buttons: []bot.Button{
				{Label: "Sign out", Action: "CONV|3|U1|signout", Style: bot.Danger},
				{Label: "Cancel", Action: "CONV|3|U1|cancel"},
			},
		}},
		{"primary_and_long_label", bot.Reply{
			Text: "Pick one",
			Buttons: []bot.Button{
				{Label: "Reset Passcode", Action: "C|1|U|reset", Style: bot.Primary},
				{Label: strings.Repeat("a very long device name ", 5), Action: "C|1|U|device:0"},
			},
		}},
		{"text_only_escaped", bot.Reply{Text: "Tom & Jerry's <@U123> phone > yours", Replace: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := render(tc.reply)
			golden.JSON(t, "render_"+tc.name, map[string]any{"text": m.Text, "blocks": m.Blocks})
		})
	}
}

func TestRenderLimits(t *testing.T) {
	t.Parallel()
	var buttons []bot.Button
	for range 30 {
		buttons = append(buttons, bot.Button{Label: strings.Repeat("é", 100), Action: "x"})
	}
	m := render(bot.Reply{Text: strings.Repeat("x", 5000), Buttons: buttons})
	raw, _ := json.Marshal(m.Blocks)
	var blocks []sentBlock
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(blocks[0].Text.Text)); n > maxSectionText {
		t.Errorf("section text %d characters", n)
	}
	if n := len(blocks[1].Elements); n != maxButtons {
		t.Errorf("%d buttons, want %d", n, maxButtons)
	}
	seen := map[string]bool{}
	for _, b := range blocks[1].Elements {
		if n := len([]rune(b.Text.Text)); n > maxButtonText {
			t.Errorf("button text %d characters", n)
		}
		if seen[b.ActionID] {
			t.Errorf("duplicate action_id %s", b.ActionID)
		}
		seen[b.ActionID] = true
	}
}
