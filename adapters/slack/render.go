package slack

import (
	"strconv"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/locales"
)

// Block Kit limits Slack enforces with invalid_blocks.
const (
	maxSectionText = 3000
	maxButtonText  = 75
	maxButtons     = 25
)

// Block and action IDs. Every button passbot draws has an action_id starting
// with actionPrefix; the rest of an interaction is somebody else's.
const (
	actionPrefix  = "passbot_"
	actionsBlock  = "passbot_actions"
	textBlock     = "passbot_text"
	startActionID = "passbot_start" // the home tab's Start button
)

// message is a reply rendered for Slack: the notification text and blocks.
type message struct {
	Text   string
	Blocks []slackapi.Block
}

// options returns the chat.* options that send m.
func (m message) options() []slackapi.MsgOption {
	return []slackapi.MsgOption{slackapi.MsgOptionText(m.Text, false), slackapi.MsgOptionBlocks(m.Blocks...)}
}

// render turns a reply into a section with its text and, when it has
// buttons, an actions block. A replacement without buttons therefore removes
// the buttons of the message it replaces.
func render(r bot.Reply) message {
	text := escape(r.Text)
	m := message{Text: truncate(text, maxSectionText)}
	if strings.TrimSpace(text) != "" {
		m.Blocks = append(m.Blocks, slackapi.NewSectionBlock(
			slackapi.NewTextBlockObject(slackapi.MarkdownType, truncate(text, maxSectionText), false, true),
			nil, nil, slackapi.SectionBlockOptionBlockID(textBlock)))
	}
	var elems []slackapi.BlockElement
	for i, b := range r.Buttons {
		if i == maxButtons {
			break
		}
		btn := slackapi.NewButtonBlockElement(actionPrefix+strconv.Itoa(i), b.Action,
			slackapi.NewTextBlockObject(slackapi.PlainTextType, truncate(b.Label, maxButtonText), true, false))
		switch b.Style {
		case bot.Danger:
			btn.Style = slackapi.StyleDanger
		case bot.Primary:
			btn.Style = slackapi.StylePrimary
		}
		elems = append(elems, btn)
	}
	if len(elems) > 0 {
		m.Blocks = append(m.Blocks, slackapi.NewActionBlock(actionsBlock, elems...))
	}
	return m
}

// escape makes text safe for mrkdwn: Slack reads &, < and > as control
// characters (links, mentions), so a device name cannot inject a mention.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// truncate cuts s to at most n characters, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// homeView is the App Home tab, in lang: a short introduction and a Start
// button.
func homeView(lang string) slackapi.HomeTabViewRequest {
	return slackapi.HomeTabViewRequest{
		Type: slackapi.VTHomeTab,
		Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{
			slackapi.NewSectionBlock(slackapi.NewTextBlockObject(slackapi.MarkdownType, locales.Text(lang, "slack.home"), false, false), nil, nil),
			slackapi.NewActionBlock(actionsBlock,
				withStyle(slackapi.NewButtonBlockElement(startActionID, "start",
					slackapi.NewTextBlockObject(slackapi.PlainTextType, locales.Text(lang, "slack.start"), true, false)), slackapi.StylePrimary)),
		}},
	}
}

func withStyle(b *slackapi.ButtonBlockElement, s slackapi.Style) *slackapi.ButtonBlockElement {
	b.Style = s
	return b
}
