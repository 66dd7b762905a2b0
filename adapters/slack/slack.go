// Package slack connects passbot to Slack with slack-go: events arrive over
// Socket Mode (the default, no public URL) or on HTTP endpoints verified with
// the signing secret; replies are rendered as Block Kit. Every reply to a
// person goes to that person's direct-message channel with the bot (or
// replaces the message whose button they clicked there), so a temporary
// passcode only ever reaches its owner. Helpdesk approval cards go to the
// helpdesk channel; a decision replaces the clicked card there, and a click
// that is turned away is answered ephemerally, to the clicker alone.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/locales"
	"github.com/passbot/passbot/internal/bodyread"
	"github.com/passbot/passbot/internal/inflight"
	"github.com/passbot/passbot/internal/wallclock"
)

// Links finds the company account a Slack user proved by signing in
// (a *store.Links).
type Links interface {
	Get(ctx context.Context, userID string) (bot.Account, error)
}

// Adapter is passbot on Slack. It implements bot.ChatAdapter.
type Adapter struct {
	// Links, when set, names a user's company account where they signed in
	// before, in place of the profile e-mail.
	Links Links

	cfg     Config
	api     *slackapi.Client
	handler bot.Handler
	log     *slog.Logger
	users   *userCache
	groups  *groupCache

	// sleep waits out a rate limit or a reconnect backoff; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time

	selfMu sync.Mutex
	self   *slackapi.AuthTestResponse

	// connected is true while a Socket Mode connection is up, for the
	// readiness check.
	connected atomic.Bool

	// unverified reads the HTTP bodies whose signature is not checked
	// yet (maxUnverified at once).
	unverified *bodyread.Readers

	// work is the events acknowledged and still being handled; its Done,
	// when set, is called after each (tests wait on it).
	work inflight.Group
}

// Ready reports whether Slack can reach this replica: in Socket Mode, the
// connection is up; in HTTP mode Slack calls in, so always.
func (a *Adapter) Ready() error {
	if a.cfg.Mode == ModeSocket && !a.connected.Load() {
		return errors.New("slack: socket mode not connected")
	}
	return nil
}

// New checks cfg and returns an adapter; it does not connect yet.
func New(cfg Config, h bot.Handler, log *slog.Logger) (*Adapter, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("slack: no handler")
	}
	if log == nil {
		log = slog.Default()
	}
	opts := []slackapi.Option{}
	if cfg.AppToken != "" {
		opts = append(opts, slackapi.OptionAppLevelToken(cfg.AppToken))
	}
	if cfg.APIURL != "" {
		opts = append(opts, slackapi.OptionAPIURL(cfg.APIURL))
	}
	a := &Adapter{
		cfg:        cfg,
		handler:    h,
		log:        log.With("platform", "slack"),
		users:      newUserCache(),
		groups:     newGroupCache(),
		sleep:      wallclock.Clock{}.Sleep,
		now:        time.Now,
		unverified: bodyread.New(maxUnverified, maxBody, bodyReadTime),
	}
	// An acknowledged event is finished even if the caller's context
	// ends, within a bound.
	a.work.Timeout = workTimeout
	opts = append(opts, slackapi.OptionRetryConfig(slackapi.RetryConfig{
		MaxRetries: maxRetries,
		Handlers:   []slackapi.RetryHandler{rateLimitWait{a}},
	}))
	a.api = slackapi.New(cfg.BotToken, opts...)
	return a, nil
}

// Run serves Slack until ctx ends. In socket mode it holds the Socket Mode
// connection, reconnecting with backoff; in http mode events arrive through
// HTTPHandler and Run only waits. Either way it returns after the events in
// flight were handled. It fails at once on a bad token.
func (a *Adapter) Run(ctx context.Context) error {
	defer a.work.Close()
	if _, err := a.identity(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if a.cfg.Mode == ModeHTTP {
		<-ctx.Done()
		return nil
	}
	return a.runSocket(ctx)
}

// identity is the bot's own auth.test answer, asked once.
func (a *Adapter) identity(ctx context.Context) (*slackapi.AuthTestResponse, error) {
	a.selfMu.Lock()
	defer a.selfMu.Unlock()
	if a.self != nil {
		return a.self, nil
	}
	res, err := a.api.AuthTestContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("slack: auth.test with PASSBOT_SLACK_BOT_TOKEN: %w", err)
	}
	a.self = res
	return res, nil
}

// isSelf reports whether a user or bot ID is passbot's own.
func (a *Adapter) isSelf(ctx context.Context, userID, botID string) bool {
	me, err := a.identity(ctx)
	if err != nil {
		return false
	}
	return userID != "" && userID == me.UserID || botID != "" && botID == me.BotID
}

// origin is where an event came from, so replies can go back there.
type origin struct {
	user bot.User
	// dm is the user's DM channel with the bot, when the event says so.
	dm string
	// clicked is the message whose button was pressed.
	clicked *slackapi.Container
	// responseURL answers the interaction (ephemeral messages).
	responseURL string
}

// dispatch hands ev to the engine, which sends its replies through the
// event's outbox. Errors are logged with what identifies the event, never
// with reply text: a reply can hold a temporary passcode.
func (a *Adapter) dispatch(ctx context.Context, ev bot.Event, o origin) {
	if c := o.clicked; c != nil && c.MessageTs != "" {
		ev.Clicked = ref(c.ChannelID, c.MessageTs)
		ev.ClickedPublic = o.channelClick() != ""
		ev.ClickedEphemeral = c.IsEphemeral
	}
	h, err := a.handler.Handle(ctx, ev, outbox{a: a, o: o})
	if err != nil {
		a.log.Error("slack: handle event", "reason", bot.ErrorCode(err), "outcome", h.Outcome, "delivery", ev.DeliveryID, "user", ev.User.ID, "kind", ev.Kind.String(), "err", err)
	}
}

// outbox is one event's way of answering: it knows where the event came
// from. A target it cannot reach is an error, never another place: where a
// reply goes instead is the engine's choice (bot.fallback).
type outbox struct {
	a *Adapter
	o origin
}

// Send implements bot.Sender: it maps a reply's target to a Slack call and
// returns the message it became ("" for an ephemeral one).
func (b outbox) Send(ctx context.Context, r bot.Reply) (bot.MessageRef, error) {
	switch r.Target.Kind {
	case bot.Chat:
		return b.a.postTo(ctx, b.o, r)
	case bot.ReplaceClicked:
		return b.a.replace(ctx, b.o, r)
	case bot.Ephemeral:
		return b.a.ephemeral(ctx, b.o, r)
	}
	return b.a.Send(ctx, r)
}

// Platform implements bot.ChatAdapter.
func (a *Adapter) Platform() bot.Platform { return bot.Slack }

// Caps implements bot.ChatAdapter: a person's DM with the bot is private
// enough for a private reply.
func (a *Adapter) Caps() bot.Caps { return bot.Caps{} }

// Send implements bot.ChatAdapter: what answers no event (follow-ups,
// helpdesk cards, notices), and an event's updates of earlier messages.
func (a *Adapter) Send(ctx context.Context, r bot.Reply) (bot.MessageRef, error) {
	switch r.Target.Kind {
	case bot.DirectMessage:
		return a.postDM(ctx, r.Target.User.ID, r)
	case bot.HelpdeskChannel:
		if a.cfg.HelpdeskChannel == "" {
			return "", errors.New("slack: helpdesk reply but PASSBOT_HELPDESK_CHANNEL is not set")
		}
		return a.post(ctx, a.cfg.HelpdeskChannel, render(r))
	case bot.UpdateRef:
		channel, ts, ok := strings.Cut(string(r.Target.Ref), "/")
		if !ok {
			return "", fmt.Errorf("slack: not a Slack message reference: %q", r.Target.Ref)
		}
		return r.Target.Ref, a.update(ctx, channel, ts, render(r))
	}
	return "", fmt.Errorf("slack: a %s reply answers an event, and this one answers none", r.Target.Kind)
}

// ref names a Slack message.
func ref(channel, ts string) bot.MessageRef { return bot.MessageRef(channel + "/" + ts) }

// channelClick returns the channel of the clicked message when it is a
// (non-ephemeral) message in a channel rather than a DM: a helpdesk card.
func (o origin) channelClick() string {
	c := o.clicked
	if c == nil || c.IsEphemeral || c.MessageTs == "" || c.ChannelID == "" || isDM(c.ChannelID) {
		return ""
	}
	return c.ChannelID
}

// ephemeral shows a reply to the clicker only, in the channel of the click,
// through the click's response_url: unlike chat.postEphemeral it works for
// someone who reads a public channel without being a member.
func (a *Adapter) ephemeral(ctx context.Context, o origin, r bot.Reply) (bot.MessageRef, error) {
	if o.responseURL == "" {
		return "", errors.New("slack: an ephemeral reply but no response_url")
	}
	_, _, err := a.api.PostMessageContext(ctx, "", append(render(r).options(), slackapi.MsgOptionResponseURL(o.responseURL, slackapi.ResponseTypeEphemeral))...)
	return "", err
}

// postTo posts a reply in the user's DM with the bot.
func (a *Adapter) postTo(ctx context.Context, o origin, r bot.Reply) (bot.MessageRef, error) {
	if o.dm != "" {
		return a.post(ctx, o.dm, render(r))
	}
	return a.postDM(ctx, o.user.ID, r)
}

// postDM posts a reply in the user's DM with the bot, opening it if needed.
func (a *Adapter) postDM(ctx context.Context, userID string, r bot.Reply) (bot.MessageRef, error) {
	ch, err := a.dm(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("open DM: %w", err)
	}
	return a.post(ctx, ch, render(r))
}

func (a *Adapter) post(ctx context.Context, channel string, m message) (bot.MessageRef, error) {
	ch, ts, err := a.api.PostMessageContext(ctx, channel, m.options()...)
	if err != nil {
		return "", err
	}
	return ref(ch, ts), nil
}

// replace puts r in place of the clicked message: the interaction's
// response_url for an ephemeral message (chat.update cannot change one),
// else chat.update.
func (a *Adapter) replace(ctx context.Context, o origin, r bot.Reply) (bot.MessageRef, error) {
	c, m := o.clicked, render(r)
	switch {
	case c == nil:
		return "", errors.New("slack: no clicked message to replace")
	case !c.IsEphemeral:
		return ref(c.ChannelID, c.MessageTs), a.update(ctx, c.ChannelID, c.MessageTs, m)
	case o.responseURL == "":
		return "", errors.New("slack: an ephemeral message to replace but no response_url")
	}
	_, _, err := a.api.PostMessageContext(ctx, "", append(m.options(), slackapi.MsgOptionReplaceOriginal(o.responseURL))...)
	return "", err
}

func (a *Adapter) update(ctx context.Context, channel, ts string, m message) error {
	_, _, _, err := a.api.UpdateMessageContext(ctx, channel, ts, m.options()...)
	return err
}

// identityHint tells a person passbot could not look them up just now.
func (a *Adapter) identityHint(ctx context.Context, o origin) {
	text := locales.ForLocale("", "slack.identity") // unknown: the look-up of their locale is what failed
	if _, err := a.postTo(ctx, o, bot.Reply{Text: text, Private: true}); err != nil {
		a.log.Error("slack: send identity hint", "user", o.user.ID, "err", err)
	}
}

// isDM reports whether a channel ID is a direct-message channel.
func isDM(channel string) bool { return strings.HasPrefix(channel, "D") }
