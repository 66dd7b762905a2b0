// Package discord is passbot's Discord adapter, on bwmarrin/discordgo: a
// gateway session that reads direct messages, the /passcode application
// command, and buttons (message components) that drive the conversation.
//
// Discord gives bots no e-mail address, so a Discord user reaches their
// Intune devices through a link (Discord user ID → UPN) that an approver
// sets with /passcode link, or a static links file. Unlinked users are told
// how to get linked and never reach the engine, unless SelfLink lets them
// link themselves by signing in.
//
// Helpdesk approval cards go to PASSBOT_DISCORD_HELPDESK_CHANNEL. A decision
// replaces the clicked card for the whole channel (type 7), refusals are
// ephemeral, and the agent's next step (the reason for a denial) goes to
// their DM with the bot. Approver roles come with guild interactions; for
// DMs the adapter looks the member's roles up (see isApprover).
//
// The gateway needs only the DIRECT_MESSAGES intent: Discord delivers the
// text of direct messages to a bot without the privileged MESSAGE_CONTENT
// intent, and interactions need no intent at all.
package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/locales"
)

// Intents the gateway session asks for: DMs only. Their text arrives without
// the privileged MESSAGE_CONTENT intent; asking for a privileged intent that
// is not enabled in the Developer Portal closes the gateway with 4014.
const Intents = discordgo.IntentsDirectMessages

// deferAfter is how long an interaction waits for the engine before it is
// acknowledged with a deferred response: Discord drops an interaction not
// answered within 3 seconds.
const deferAfter = 2 * time.Second

// eventTimeout bounds the work on one event. It is not cut short when Run's
// context ends: Run waits for events in flight, so nobody is left without
// an answer by a shutdown.
const eventTimeout = 2 * time.Minute

// Adapter connects passbot to Discord. It implements bot.ChatAdapter.
type Adapter struct {
	cfg       Config
	handler   bot.Handler
	links     Links
	approvers []string
	log       *slog.Logger
	session   *discordgo.Session

	// deferAfter is deferAfter; tests shorten it.
	deferAfter time.Duration
	// connected is true between the gateway's READY (or RESUMED) and a
	// disconnect, for the readiness check.
	connected atomic.Bool

	mu       sync.Mutex
	ctx      context.Context   // Run's, for event handlers
	closing  bool              // Run is returning: no new events
	inflight sync.WaitGroup    // events being handled
	locales  map[string]string // Discord user ID → last interaction locale
	dmByUser map[string]string // Discord user ID → DM channel ID
	appID    string
	// roles caches the approvers' guild roles looked up for DMs, where
	// Discord sends none; helpdeskGuild is the helpdesk channel's guild.
	roles         map[string]memberRoles
	helpdeskGuild string
}

// Ready reports whether the gateway connection is up.
func (a *Adapter) Ready() error {
	if !a.connected.Load() {
		return errors.New("discord: gateway not connected")
	}
	return nil
}

// New checks cfg and returns an adapter; Run connects it. links keeps the
// Discord-user → account links (a *store.Links); approvers are the Discord user
// IDs and role IDs allowed to decide helpdesk requests, list them and use
// /passcode link.
func New(cfg Config, h bot.Handler, links Links, approvers []string, log *slog.Logger) (*Adapter, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if h == nil || links == nil {
		return nil, errors.New("discord: New needs a handler and a links store")
	}
	if log == nil {
		log = slog.Default()
	}
	if cfg.DiscordLinksFile != "" {
		file, err := loadLinksFile(cfg.DiscordLinksFile)
		if err != nil {
			return nil, err
		}
		links = withFile{Links: links, file: file}
	}
	s, err := discordgo.New(cfg.botToken())
	if err != nil {
		return nil, fmt.Errorf("discord: new session: %w", err)
	}
	if cfg.DiscordAPIURL != "" {
		s.Client = &http.Client{Timeout: s.Client.Timeout, Transport: newRebase(cfg.DiscordAPIURL, http.DefaultTransport)}
	}
	// discordgo sends a request answered 502 again, at once, whatever
	// its method (RequestWithLockedBucket): a message Discord took while
	// the gateway in front of it lost the answer would be posted twice,
	// a temporary passcode among them. As with the Teams Connector, a 502
	// is a failure, left to the caller; 429s are still waited out and
	// retried, Discord took nothing then.
	s.MaxRestRetries = 0
	s.Identify.Intents = Intents
	s.StateEnabled = true
	a := &Adapter{
		cfg:        cfg,
		handler:    h,
		links:      links,
		approvers:  slices.Clone(approvers),
		log:        log.With("platform", "discord"),
		session:    s,
		deferAfter: deferAfter,
		ctx:        context.Background(),
		locales:    map[string]string{},
		dmByUser:   map[string]string{},
		roles:      map[string]memberRoles{},
	}
	s.AddHandler(a.onMessage)
	s.AddHandler(a.onInteraction)
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Ready) { a.connected.Store(true) })
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Resumed) {
		a.connected.Store(true)
		a.log.Info("discord: gateway session resumed")
	})
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) {
		a.connected.Store(false)
		a.log.Info("discord: gateway disconnected")
	})
	return a, nil
}

// Run opens the gateway, registers /passcode and serves until ctx ends, then
// closes the gateway. discordgo reconnects and resumes on its own.
func (a *Adapter) Run(ctx context.Context) error {
	a.mu.Lock()
	a.ctx, a.closing = ctx, false
	a.mu.Unlock()
	if err := a.session.Open(); err != nil {
		return fmt.Errorf("discord: open gateway: %w", err)
	}
	defer a.close()
	if err := a.register(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while registering
		}
		return err
	}
	a.log.Info("discord: connected", "bot", a.botUserID(), "guild", a.cfg.DiscordGuildID)
	<-ctx.Done()
	return nil
}

// close stops the gateway, then waits for the events in flight.
func (a *Adapter) close() {
	if err := a.session.Close(); err != nil {
		a.log.Warn("discord: close gateway", "err", err)
	}
	a.mu.Lock()
	a.closing = true
	a.mu.Unlock()
	a.inflight.Wait()
}

// begin starts the work on one event; ok is false once Run is returning.
// The context keeps Run's values but not its cancellation.
func (a *Adapter) begin() (ctx context.Context, end func(), ok bool) {
	a.mu.Lock()
	if a.closing {
		a.mu.Unlock()
		return nil, nil, false
	}
	a.inflight.Add(1)
	parent := a.ctx
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), eventTimeout)
	return ctx, func() { cancel(); a.inflight.Done() }, true
}

// register replaces the application's commands (in the guild when one is
// configured: instant; globally otherwise) with /passcode.
func (a *Adapter) register(ctx context.Context) error {
	app, err := a.applicationID(ctx)
	if err != nil {
		return err
	}
	cmds := []*discordgo.ApplicationCommand{command()}
	if _, err := a.session.ApplicationCommandBulkOverwrite(app, a.cfg.DiscordGuildID, cmds, discordgo.WithContext(ctx)); err != nil {
		return fmt.Errorf("discord: register /%s: %w", commandName, err)
	}
	return nil
}

// Unregister removes passbot's application commands (guild or global, as
// configured). It works without Run.
func (a *Adapter) Unregister(ctx context.Context) error {
	app, err := a.applicationID(ctx)
	if err != nil {
		return err
	}
	if _, err := a.session.ApplicationCommandBulkOverwrite(app, a.cfg.DiscordGuildID, []*discordgo.ApplicationCommand{}, discordgo.WithContext(ctx)); err != nil {
		return fmt.Errorf("discord: unregister commands: %w", err)
	}
	return nil
}

// applicationID comes from READY when the gateway is open, else from the
// REST API.
func (a *Adapter) applicationID(ctx context.Context) (string, error) {
	a.mu.Lock()
	id := a.appID
	a.mu.Unlock()
	if id != "" {
		return id, nil
	}
	a.session.State.RLock()
	if app := a.session.State.Ready.Application; app != nil {
		id = app.ID
	}
	a.session.State.RUnlock()
	if id == "" {
		var app struct {
			ID string `json:"id"`
		}
		body, err := a.session.RequestWithBucketID("GET", discordgo.EndpointOAuth2Application("@me"), nil,
			discordgo.EndpointOAuth2Application(""), discordgo.WithContext(ctx))
		if err != nil {
			return "", fmt.Errorf("discord: read application ID: %w", err)
		}
		if err := discordgo.Unmarshal(body, &app); err != nil || app.ID == "" {
			return "", fmt.Errorf("discord: read application ID: no id in the answer")
		}
		id = app.ID
	}
	a.mu.Lock()
	a.appID = id
	a.mu.Unlock()
	return id, nil
}

func (a *Adapter) botUserID() string {
	a.session.State.RLock()
	defer a.session.State.RUnlock()
	if a.session.State.User == nil {
		return ""
	}
	return a.session.State.User.ID
}

func (a *Adapter) rememberLocale(userID string, l discordgo.Locale) {
	if l == "" {
		return
	}
	a.mu.Lock()
	a.locales[userID] = string(l)
	a.mu.Unlock()
}

func (a *Adapter) locale(userID string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.locales[userID]
}

// user turns a Discord user into the engine's user; upn is filled in later.
func user(u *discordgo.User, locale string) bot.User {
	name := u.GlobalName
	if name == "" {
		name = u.Username
	}
	return bot.User{Platform: bot.Discord, ID: u.ID, Name: name, Locale: locale}
}

// account looks up the link of a Discord user. When the user cannot go on,
// the account is empty and refusal tells them what to do: get linked, or
// try again later when the store failed. An unlinked approver goes on
// without an account, for the helpdesk's commands and cards.
func (a *Adapter) account(ctx context.Context, u bot.User, approver bool) (acc bot.Account, refusal string) {
	acc, err := a.links.Get(ctx, u.ID)
	switch {
	case err != nil:
		a.log.Error("discord: read link", "user", u.ID, "err", err)
		return bot.Account{}, locales.ForLocale(u.Locale, "error.unavailable")
	case acc == bot.Account{} && !approver && !a.cfg.SelfLink:
		a.log.Info("discord: user is not linked to a work account", "user", u.ID)
		return bot.Account{}, locales.ForLocale(u.Locale, "discord.unlinked", "id", u.ID)
	}
	return acc, ""
}

// handle runs the engine, which sends the replies through out, and logs
// its error; the replies already carry a message for the user. Reply text
// is never logged: it can hold a temporary passcode.
func (a *Adapter) handle(ctx context.Context, ev bot.Event, out bot.Sender) bot.Handled {
	h, err := a.handler.Handle(ctx, ev, out)
	if err != nil {
		a.log.Error("discord: handle event", "reason", bot.ErrorCode(err), "outcome", h.Outcome, "user", ev.User.ID, "delivery", ev.DeliveryID, "err", err)
	}
	return h
}

// onMessage handles a direct message (MESSAGE_CREATE in a DM channel).
func (a *Adapter) onMessage(s *discordgo.Session, m *discordgo.MessageCreate) {
	if m.Author == nil || m.Author.Bot || m.Author.ID == a.botUserID() || m.GuildID != "" {
		return
	}
	ctx, end, ok := a.begin()
	if !ok {
		return
	}
	defer end()
	u := user(m.Author, a.locale(m.Author.ID))
	u.Approver = a.isApprover(ctx, nil, u.ID)
	acc, refusal := a.account(ctx, u, u.Approver)
	// Failures are logged; there is nobody else to tell.
	if refusal != "" {
		_, _ = a.sendTo(ctx, m.ChannelID, bot.Reply{Text: refusal})
		return
	}
	u = acc.Of(u)
	ev := bot.Event{DeliveryID: m.ID, Kind: bot.Message, User: u, Channel: m.ChannelID, Text: m.Content}
	a.handle(ctx, ev, dmOutbox{a: a, channel: m.ChannelID})
}

// dmOutbox is the bot.Sender of a direct message: it answers in the DM
// channel the message came from.
type dmOutbox struct {
	a       *Adapter
	channel string
}

// Send implements bot.Sender.
func (o dmOutbox) Send(ctx context.Context, r bot.Reply) (bot.MessageRef, error) {
	if r.Target.Kind == bot.Chat || r.Target.Kind == bot.Ephemeral {
		// A DM message has no interaction to answer ephemerally; the DM
		// is seen by its person only.
		return o.a.sendTo(ctx, o.channel, r)
	}
	return o.a.Send(ctx, r)
}

// ref names a Discord message.
func ref(channelID, messageID string) bot.MessageRef {
	return bot.MessageRef(channelID + "/" + messageID)
}

// sendTo posts a reply in a channel.
func (a *Adapter) sendTo(ctx context.Context, channelID string, r bot.Reply) (bot.MessageRef, error) {
	msg := render(r, a.log)
	m, err := a.session.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{
		Content:         msg.Content,
		Components:      msg.Components,
		AllowedMentions: noMentions(),
	}, discordgo.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("discord: send message to %s: %w", channelID, err)
	}
	return ref(m.ChannelID, m.ID), nil
}

// Platform implements bot.ChatAdapter.
func (a *Adapter) Platform() bot.Platform { return bot.Discord }

// Caps implements bot.ChatAdapter: an ephemeral message is the private
// place on Discord, even in a DM (issue 4).
func (a *Adapter) Caps() bot.Caps { return bot.Caps{EphemeralPrivacy: true} }

// Send implements bot.ChatAdapter: a reply that answers no interaction
// (a follow-up, a helpdesk card, a notice) is a DM, a helpdesk message, or
// an update of a message posted before.
func (a *Adapter) Send(ctx context.Context, r bot.Reply) (bot.MessageRef, error) {
	switch t := r.Target; t.Kind {
	case bot.DirectMessage:
		if t.User.ID == "" || (t.User.Platform != "" && t.User.Platform != bot.Discord) {
			return "", fmt.Errorf("discord: reply addressed to %q, not a Discord user", t.User.Key())
		}
		ch, err := a.dmChannel(ctx, t.User.ID)
		if err != nil {
			return "", err
		}
		return a.sendTo(ctx, ch, r)
	case bot.HelpdeskChannel:
		if a.cfg.DiscordHelpdeskChannel == "" {
			a.log.Warn("discord: a helpdesk notice was dropped: PASSBOT_DISCORD_HELPDESK_CHANNEL is empty")
			return "", errors.New("discord: helpdesk reply dropped: PASSBOT_DISCORD_HELPDESK_CHANNEL is empty")
		}
		return a.sendTo(ctx, a.cfg.DiscordHelpdeskChannel, r)
	case bot.UpdateRef:
		return t.Ref, a.update(ctx, t.Ref, render(r, a.log))
	}
	return "", fmt.Errorf("discord: no way to send a reply for %s", r.Target.Kind)
}

// update changes a message posted before: in a channel by its ID, an
// ephemeral one through the webhook of the interaction it answered.
func (a *Adapter) update(ctx context.Context, ref bot.MessageRef, msg message) error {
	var err error
	if hook, ok := strings.CutPrefix(string(ref), webhookRef); ok {
		parts := strings.Split(hook, "/") // application, interaction token, message
		if len(parts) != 3 {
			return errors.New("discord: not a message reference") // never the reference: it holds a token
		}
		_, err = a.session.WebhookMessageEdit(parts[0], parts[1], parts[2], &discordgo.WebhookEdit{
			Content: &msg.Content, Components: &msg.Components, AllowedMentions: noMentions(),
		}, discordgo.WithContext(ctx))
	} else if channelID, id, ok := strings.Cut(string(ref), "/"); ok {
		_, err = a.session.ChannelMessageEditComplex(&discordgo.MessageEdit{
			ID: id, Channel: channelID, Content: &msg.Content, Components: &msg.Components, AllowedMentions: noMentions(),
		}, discordgo.WithContext(ctx))
	} else {
		err = errors.New("not a message reference")
	}
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		// Its URL holds an ephemeral message's interaction token.
		err = fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	if err != nil {
		return fmt.Errorf("discord: update message: %w", err)
	}
	return nil
}

// dmChannel opens (or finds) the DM channel with a user; Discord returns the
// existing one, and the adapter remembers it.
func (a *Adapter) dmChannel(ctx context.Context, userID string) (string, error) {
	a.mu.Lock()
	ch := a.dmByUser[userID]
	a.mu.Unlock()
	if ch != "" {
		return ch, nil
	}
	c, err := a.session.UserChannelCreate(userID, discordgo.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("discord: open DM with %s: %w", userID, err)
	}
	a.mu.Lock()
	a.dmByUser[userID] = c.ID
	a.mu.Unlock()
	return c.ID, nil
}
