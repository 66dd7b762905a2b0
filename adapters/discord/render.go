package discord

import (
	"log/slog"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"github.com/passbot/passbot/bot"
)

// Discord's message limits.
const (
	maxCustomID   = 100
	maxLabel      = 80
	maxContent    = 2000
	maxRows       = 5
	maxRowButtons = 5
)

// message is a bot.Reply rendered for Discord.
type message struct {
	Content    string
	Components []discordgo.MessageComponent // never nil: an empty list clears old buttons
}

// render turns a reply into content and action rows. A button whose action
// does not fit in a custom_id is dropped with an error in the log, since
// Discord would refuse the whole message; so are buttons past the 25 a
// message can hold. Neither text nor labels are logged.
func render(r bot.Reply, log *slog.Logger) message {
	m := message{Content: truncate(r.Text, maxContent), Components: []discordgo.MessageComponent{}}
	var row discordgo.ActionsRow
	for i, b := range r.Buttons {
		if len(b.Action) > maxCustomID {
			log.Error("discord: button dropped: its action is longer than a custom_id may be",
				"len", len(b.Action), "max", maxCustomID, "button", i)
			continue
		}
		if len(m.Components) == maxRows {
			log.Error("discord: button dropped: a message holds at most 25 buttons", "button", i, "buttons", len(r.Buttons))
			continue
		}
		label := truncate(b.Label, maxLabel)
		if label == "" {
			label = "…"
		}
		row.Components = append(row.Components, discordgo.Button{
			Label:    label,
			Style:    style(b.Style),
			CustomID: b.Action,
		})
		if len(row.Components) == maxRowButtons {
			m.Components = append(m.Components, row)
			row = discordgo.ActionsRow{}
		}
	}
	if len(row.Components) > 0 && len(m.Components) < maxRows {
		m.Components = append(m.Components, row)
	}
	return m
}

func style(s bot.Style) discordgo.ButtonStyle {
	switch s {
	case bot.Danger:
		return discordgo.DangerButton
	case bot.Primary:
		return discordgo.PrimaryButton
	}
	return discordgo.SecondaryButton
}

// truncate cuts s to at most max runes, marking the cut with an ellipsis.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// noMentions keeps the bot's texts from pinging anyone, even when they
// contain <@id>.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}
