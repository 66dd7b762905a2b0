package teams

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/passbot/passbot/bot"
)

// Adaptive Card content types: a card attachment, and the invoke response
// that shows a message instead of a card.
const (
	contentTypeCard    = "application/vnd.microsoft.card.adaptive"
	contentTypeMessage = "application/vnd.microsoft.activity.message"
)

// Card limits: Teams draws at most a few actions in a row, and the Bot
// Connector refuses activities above about 28 KB.
const (
	actionsPerRow = 5
	maxButtons    = 25
	maxText       = 8000
	maxTitle      = 64
)

// Card is an Adaptive Card, version 1.5 (the first with Action.Execute,
// Universal Actions: https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/universal-actions-for-adaptive-cards/work-with-universal-actions-for-adaptive-cards).
type Card struct {
	Type    string    `json:"type"`
	Schema  string    `json:"$schema"`
	Version string    `json:"version"`
	Body    []Element `json:"body"`
}

// Element is a TextBlock or an ActionSet of a card's body.
type Element struct {
	Type    string   `json:"type"`
	Text    string   `json:"text,omitempty"`
	Wrap    bool     `json:"wrap,omitempty"`
	Actions []Action `json:"actions,omitempty"`
}

// Action is an Action.Execute: its press comes back as an
// adaptiveCard/action invoke carrying Verb and Data.
type Action struct {
	Type  string     `json:"type"`
	Title string     `json:"title"`
	Verb  string     `json:"verb"`
	Data  actionData `json:"data"`
	Style string     `json:"style,omitempty"`
}

// actionData carries a button's opaque action string back unchanged.
type actionData struct {
	Action string `json:"action"`
}

// render turns a reply into an Adaptive Card: a TextBlock per line (Teams
// joins single line breaks inside one block) and the buttons as rows of
// Action.Execute. A reply without buttons renders without any, so a card
// that replaces one with buttons leaves nothing to press.
func render(r bot.Reply) Card {
	c := Card{Type: "AdaptiveCard", Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Version: "1.5"}
	for line := range strings.SplitSeq(truncate(r.Text, maxText), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		c.Body = append(c.Body, Element{Type: "TextBlock", Text: line, Wrap: true})
	}
	buttons := r.Buttons[:min(len(r.Buttons), maxButtons)]
	for row := range slices.Chunk(buttons, actionsPerRow) {
		set := Element{Type: "ActionSet"}
		for _, b := range row {
			a := Action{Type: "Action.Execute", Title: truncate(b.Label, maxTitle), Verb: b.Action, Data: actionData{Action: b.Action}}
			switch b.Style {
			case bot.Primary:
				a.Style = "positive"
			case bot.Danger:
				a.Style = "destructive"
			}
			set.Actions = append(set.Actions, a)
		}
		c.Body = append(c.Body, set)
	}
	return c
}

// message is a reply as a message activity carrying its card.
func message(r bot.Reply) Activity {
	return Activity{Type: typeMessage, Attachments: []Attachment{{ContentType: contentTypeCard, Content: render(r)}}}
}

// pressed returns the action string of an adaptiveCard/action invoke: the
// data passbot put on the button, else its verb.
func pressed(value json.RawMessage) (string, bool) {
	var v actionValue
	if err := json.Unmarshal(value, &v); err != nil || v.Action.Type != "Action.Execute" {
		return "", false
	}
	var d actionData
	if json.Unmarshal(v.Action.Data, &d) == nil && d.Action != "" {
		return d.Action, true
	}
	return v.Action.Verb, v.Action.Verb != ""
}

// truncate shortens s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
