package slack

import (
	"context"
	"errors"
	"strings"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/locales"
)

// errIgnored marks an event passbot does not act on.
var errIgnored = errors.New("ignored")

// onEventsAPI handles an Events API callback (either transport).
func (a *Adapter) onEventsAPI(ctx context.Context, e slackevents.EventsAPIEvent) {
	if e.Type != slackevents.CallbackEvent {
		return
	}
	id := ""
	if cb, ok := e.Data.(*slackevents.EventsAPICallbackEvent); ok {
		id = cb.EventID
	}
	switch ev := e.InnerEvent.Data.(type) {
	case *slackevents.MessageEvent:
		a.onMessage(ctx, id, ev)
	case *slackevents.AppMentionEvent:
		a.onMention(ctx, ev)
	case *slackevents.AppHomeOpenedEvent:
		a.onHomeOpened(ctx, ev)
	}
}

// onMessage handles a message in a DM with the bot. Slack also delivers the
// bot's own posts, edits and other subtypes: those are ignored.
func (a *Adapter) onMessage(ctx context.Context, eventID string, m *slackevents.MessageEvent) {
	if m.ChannelType != "im" || m.SubType != "" || m.BotID != "" || m.User == "" {
		return
	}
	if a.isSelf(ctx, m.User, m.BotID) {
		return
	}
	a.rememberDM(m.User, m.Channel)
	o := origin{user: bot.User{Platform: bot.Slack, ID: m.User}, dm: m.Channel}
	u, err := a.who(ctx, &o)
	if err != nil {
		return
	}
	a.dispatch(ctx, bot.Event{DeliveryID: deliveryID("event", eventID), Kind: bot.Message, User: u, Channel: m.Channel, Text: m.Text}, o)
}

// locale returns the user's Slack locale, or "" (with a warning logged) when
// users.info fails.
func (a *Adapter) locale(ctx context.Context, userID string) string {
	p, err := a.person(ctx, userID)
	if err != nil {
		a.log.Warn("slack: users.info", "user", userID, "err", err)
		return ""
	}
	return p.user.Locale
}

// onMention answers an @mention in a channel with a pointer to the DM: the
// conversation never happens in a channel.
func (a *Adapter) onMention(ctx context.Context, m *slackevents.AppMentionEvent) {
	if m.BotID != "" || m.User == "" || isDM(m.Channel) || a.isSelf(ctx, m.User, "") {
		return
	}
	text := render(bot.Reply{Text: locales.Text(locales.Lang(a.locale(ctx, m.User)), "slack.mention")})
	if _, err := a.api.PostEphemeralContext(ctx, m.Channel, m.User, text.options()...); err != nil {
		a.log.Error("slack: answer mention", "user", m.User, "channel", m.Channel, "err", err)
	}
}

// onHomeOpened publishes the App Home tab.
func (a *Adapter) onHomeOpened(ctx context.Context, h *slackevents.AppHomeOpenedEvent) {
	if h.Tab != "home" || h.User == "" {
		return
	}
	locale := a.locale(ctx, h.User)
	_, err := a.api.PublishViewContext(ctx, slackapi.PublishViewContextRequest{UserID: h.User, View: homeView(locales.Lang(locale))})
	if err != nil {
		a.log.Error("slack: publish home tab", "user", h.User, "err", err)
	}
}

// onCommand handles /passcode [text]. Replies go to the user's DM with the
// bot wherever the command was typed: a channel (or a DM between two
// people) must not see a device list, let alone a passcode. Where it was
// typed the user sees only the ephemeral pointer of commandAck.
func (a *Adapter) onCommand(ctx context.Context, c slackapi.SlashCommand) {
	o := origin{user: bot.User{Platform: bot.Slack, ID: c.UserID}}
	u, err := a.who(ctx, &o)
	if err != nil {
		return
	}
	if o.dm, err = a.dm(ctx, c.UserID); err != nil {
		a.log.Error("slack: open DM", "user", c.UserID, "err", err)
		return
	}
	a.dispatch(ctx, bot.Event{DeliveryID: deliveryID("command", c.TriggerID), Kind: bot.Message, User: u, Channel: o.dm, Text: strings.TrimSpace(c.Text)}, o)
}

// commandReply is the immediate answer to a slash command: the HTTP
// response body, or the Socket Mode ack payload.
type commandReply struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// commandAck is what /passcode answers at once, before the work runs (the
// 3-second rule). In the user's DM with the bot nothing: the answer appears
// right there. Anywhere else an ephemeral pointer to the DM, so the person is
// not left with nothing where they typed it. The locale is only known from
// the cache (users.info cannot wait), so a person not seen lately gets both
// languages. It returns nil for "no payload".
func (a *Adapter) commandAck(c slackapi.SlashCommand) *commandReply {
	a.users.mu.Lock()
	dm, knownDM := a.users.dms[c.UserID]
	a.users.mu.Unlock()
	if knownDM && dm == c.ChannelID {
		return nil
	}
	locale := ""
	if cached, known := a.users.people.Get(c.UserID, a.now()); known {
		locale = cached.user.Locale
	}
	return &commandReply{ResponseType: slackapi.ResponseTypeEphemeral, Text: locales.ForLocale(locale, "slack.answered")}
}

// onInteraction handles a click on one of passbot's buttons.
func (a *Adapter) onInteraction(ctx context.Context, cb slackapi.InteractionCallback) {
	if cb.Type != slackapi.InteractionTypeBlockActions || cb.User.ID == "" {
		return
	}
	for _, act := range cb.ActionCallback.BlockActions {
		if !strings.HasPrefix(act.ActionID, actionPrefix) {
			continue
		}
		o := origin{user: bot.User{Platform: bot.Slack, ID: cb.User.ID}, responseURL: cb.ResponseURL}
		container := cb.Container
		if container.MessageTs != "" {
			o.clicked = &container
		}
		u, err := a.who(ctx, &o)
		if err != nil {
			return
		}
		// A click has no ID of its own: the clicked message, the click's time
		// and the clicker identify it, so a replayed payload is dropped.
		at := container.MessageTs
		if at == "" {
			at = container.ViewID
		}
		id := deliveryID("action", at, act.ActionTs, cb.User.ID)
		if act.ActionID == startActionID {
			// The home tab's Start button: start a reset in the DM.
			a.dispatch(ctx, bot.Event{DeliveryID: id, Kind: bot.Message, User: u}, o)
			continue
		}
		a.dispatch(ctx, bot.Event{DeliveryID: id, Kind: bot.Press, User: u, Channel: container.ChannelID, Action: act.Value}, o)
	}
}

// who looks up the person of o.user.ID and fills o.user in. Bot users are
// ignored; when Slack does not answer, the person is told to try again.
func (a *Adapter) who(ctx context.Context, o *origin) (bot.User, error) {
	p, err := a.person(ctx, o.user.ID)
	if err != nil {
		a.log.Error("slack: users.info", "user", o.user.ID, "err", err)
		a.identityHint(ctx, *o)
		return bot.User{}, err
	}
	if p.bot {
		return bot.User{}, errIgnored
	}
	u := p.user
	// Per event: a user group change takes effect without a restart.
	u.Approver = a.isApprover(ctx, u.ID)
	o.user = u
	return u, nil
}

// deliveryID joins the parts of a delivery's identity; empty when one is
// missing, which turns dedupe off rather than merging different deliveries.
func deliveryID(kind string, parts ...string) string {
	for _, p := range parts {
		if p == "" {
			return ""
		}
	}
	return kind + ":" + strings.Join(parts, ":")
}
