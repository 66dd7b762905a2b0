// Package teams connects passbot to Microsoft Teams through the Bot
// Framework, written here because no Go Bot Framework SDK is available:
// activities arrive on POST /api/messages, each authenticated by the Bot
// Connector's JWT (go-oidc against the Bot Framework's OpenID metadata);
// replies go to the Connector REST API with the bot's own token
// (azidentity). Replies are Adaptive Cards whose buttons are Action.Execute
// (Universal Actions); a press arrives as an adaptiveCard/action invoke.
// The adapter maps each reply's target, as the engine resolved it, to one
// Connector call or to the invoke's answer, and decides nothing about
// privacy.
package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/locales"
	"github.com/passbot/passbot/internal/bodyread"
	"github.com/passbot/passbot/internal/inflight"
)

// RefusalCounter counts requests refused before they were authenticated,
// by reason (ops.Metrics is one).
type RefusalCounter interface {
	HTTPRefused(reason string)
}

// Limits of an incoming request: Bot Framework activities are a few
// kilobytes, sent at once.
const (
	maxBody = 256 << 10
	// maxReading bounds the bodies being read at once (bodyread: a
	// request that finds them all taken cuts off the one reading
	// longest), so at most 2*maxReading*maxBody bytes of them are held.
	maxReading = 32
	// bodyReadTime bounds reading one body.
	bodyReadTime = 5 * time.Second
	// workTimeout bounds handling one message after it was acknowledged.
	workTimeout = 2 * time.Minute
	// answerAfter is how long a press waits for the engine before its
	// invoke is answered without it; what the engine says later goes
	// through the Connector. An invoke is a synchronous request that Teams
	// gives up on: Microsoft's Universal Actions pages name no limit for
	// adaptiveCard/action, and a message extension's invoke gets 5 seconds
	// ("your code has 5 seconds to provide an HTTP response",
	// https://learn.microsoft.com/microsoftteams/platform/messaging-extensions/how-to/search-commands/respond-to-search),
	// so a press is answered well within that.
	answerAfter = 3 * time.Second
)

// Adapter is passbot on Teams, a bot.ChatAdapter.
type Adapter struct {
	cfg     Config
	handler bot.Handler
	refs    Refs
	conn    *Connector
	verify  *verifier
	log     *slog.Logger
	cache   refCache
	members memberCache

	// bodies reads the bodies of requests whose token verified, before
	// the token is bound to the activity.
	bodies *bodyread.Readers

	// work is the activities acknowledged (or, for a press, being
	// answered) and still being handled; its Done, when set, is called
	// after each (tests wait on it).
	work inflight.Group
	// answerAfter is answerAfter; tests change it.
	answerAfter time.Duration
}

// Option changes how New builds the adapter.
type Option func(*options)

type options struct{ client *http.Client }

// WithHTTPClient sends the token requests, the OpenID metadata reads and
// the Connector calls through c (tests: a client that trusts the
// imitation's certificate).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// New checks cfg and returns the adapter; refs keeps the conversation
// references.
func New(cfg Config, h bot.Handler, refs Refs, log *slog.Logger, opts ...Option) (*Adapter, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if h == nil || refs == nil {
		return nil, errors.New("teams: no handler or no reference store")
	}
	if log == nil {
		log = slog.Default()
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	conn, err := newConnector(cfg, o.client)
	if err != nil {
		return nil, err
	}
	client := o.client
	if client == nil {
		client = http.DefaultClient
	}
	a := &Adapter{
		cfg: cfg, handler: h, refs: refs, conn: conn, log: log.With("platform", "teams"),
		verify:  &verifier{appID: cfg.TeamsAppID, metadataURL: cfg.TeamsOpenIDURL, client: client, now: time.Now},
		cache:   refCache{m: map[string]string{}},
		members: newMemberCache(),
		bodies:  bodyread.New(maxReading, maxBody, bodyReadTime),

		answerAfter: answerAfter,
	}
	// A message is answered at once (202) and handled afterwards, within
	// a bound: the Connector does not wait for the bot's replies.
	a.work.Timeout = workTimeout
	return a, nil
}

// Ready reports whether Teams can reach this replica: it calls in, so
// always.
func (a *Adapter) Ready() error { return nil }

// Run waits until ctx ends, then for the messages still being handled.
func (a *Adapter) Run(ctx context.Context) error {
	<-ctx.Done()
	a.work.Close()
	return nil
}

// Routes are the adapter's endpoints for the public server:
// POST /api/messages, the bot's messaging endpoint.
func (a *Adapter) Routes(refused RefusalCounter) map[string]http.Handler {
	return map[string]http.Handler{"POST /api/messages": a.endpoint(refused)}
}

func (a *Adapter) endpoint(refused RefusalCounter) http.HandlerFunc {
	refuse := func(w http.ResponseWriter, status int, reason string) {
		if refused != nil {
			refused.HTTPRefused(reason)
		}
		bodyread.LeaveUnread(w)
		http.Error(w, http.StatusText(status), status)
	}
	unauthorized := func(w http.ResponseWriter, err error) {
		// Counted, and logged at debug only: a flood of forged requests
		// must not become a flood of log lines.
		a.log.Debug("teams: activity refused", "reason", "unauthorized", "err", err)
		refuse(w, http.StatusUnauthorized, "unauthorized")
	}
	return func(w http.ResponseWriter, r *http.Request) {
		// The token first: a request without a good one costs no read of
		// its body.
		tok, err := a.verify.verify(r.Context(), r.Header.Get("Authorization"))
		if err != nil {
			unauthorized(w, err)
			return
		}
		body, err := a.bodies.Read(w, r)
		if err != nil {
			reason, status := bodyread.Refusal(err)
			refuse(w, status, reason)
			return
		}
		var act Activity
		if json.Unmarshal(body, &act) != nil || act.Conversation == nil || act.Type == "" {
			http.Error(w, "not an activity", http.StatusBadRequest)
			return
		}
		// The serviceUrl claim must name the activity's: checked before
		// anything of the activity is believed.
		if err := tok.vouchesFor(act.ChannelID, act.ServiceURL); err != nil {
			unauthorized(w, err)
			return
		}
		if act.ChannelID != channelTeams {
			// The Bot Framework signs every channel of the bot alike (Web
			// Chat, Direct Line): only Teams vouches for aadObjectId.
			a.log.Debug("teams: activity of another channel refused", "channel", act.ChannelID)
			refuse(w, http.StatusForbidden, "foreign_channel")
			return
		}
		if tenant := act.tenant(); !strings.EqualFold(tenant, a.cfg.TeamsTenantID) {
			// A single-tenant bot: another tenant's activity, or one that
			// names none, is not ours.
			a.log.Debug("teams: activity of another tenant refused", "tenant", tenant)
			refuse(w, http.StatusForbidden, "foreign_tenant")
			return
		}
		if personalChange(&act, a.botID(), installRemove) {
			// Learning from the removal would save the chat it closes.
			a.forget(r.Context(), &act)
		} else if err := a.learn(r.Context(), &act); err != nil {
			a.log.Error("teams: save conversation reference", "conversation", act.Conversation.ID, "err", err)
		}
		var queued bool
		switch act.Type {
		case typeInvoke:
			if act.Name == invokeAdaptiveCardAction {
				a.press(w, r, &act)
				return
			}
			w.WriteHeader(http.StatusOK)
			return
		case typeMessage:
			queued = a.work.Go(func(ctx context.Context) { a.message(ctx, &act) })
		case typeInstallationUpdate, typeConversationUpdate:
			queued = a.work.Go(func(ctx context.Context) { a.installed(ctx, &act) })
		default:
			w.WriteHeader(http.StatusOK)
			return
		}
		if !queued {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// origin is where an event came from, so that replies can go back there.
type origin struct {
	user       bot.User
	serviceURL string
	conv       string
	shared     bool
	// answer is the invoke's answer of a press, nil for a message.
	answer  *answer
	clicked bot.MessageRef
	// notTheirs: the members API says the personal chat is not the
	// sender's.
	notTheirs bool
}

// ownChat reports whether the event's conversation is its person's
// personal chat: a message there comes from its one member, unless Teams
// says otherwise. A press proves nothing of the kind: a forwarded or
// crafted card names its owner's chat.
func (o *origin) ownChat() bool { return !o.shared && o.answer == nil && !o.notTheirs }

var mention = regexp.MustCompile(`<at>[^<]*</at>`)

// event turns an authenticated activity into an event; ok is false when
// Teams names no Entra account for its sender (a guest of another
// directory, an anonymous participant).
func (a *Adapter) event(ctx context.Context, act *Activity) (bot.Event, *origin, bool) {
	o := &origin{serviceURL: act.ServiceURL, conv: act.Conversation.ID, shared: act.Conversation.ConversationType != convPersonal}
	if act.From == nil || act.From.AADObjectID == "" {
		return bot.Event{}, o, false
	}
	oid := act.From.AADObjectID
	var upn string
	upn, o.notTheirs = a.upn(ctx, act)
	o.user = bot.User{Platform: bot.Teams, ID: oid, OID: oid, UPN: upn, Name: act.From.Name, Locale: act.Locale,
		TZ: act.LocalTimezone, Approver: a.isApprover(ctx, act)}
	ev := bot.Event{
		// Activity IDs are unique within a conversation only.
		DeliveryID: act.Conversation.ID + "/" + act.ID,
		Kind:       bot.Message,
		User:       o.user,
		Channel:    act.Conversation.ID,
		Text:       strings.TrimSpace(mention.ReplaceAllString(act.Text, "")),
		Shared:     o.shared,
	}
	return ev, o, true
}

// message handles a message activity.
func (a *Adapter) message(ctx context.Context, act *Activity) {
	ev, o, ok := a.event(ctx, act)
	if !ok {
		a.noAccount(ctx, o, act.Locale)
		return
	}
	a.run(ctx, ev, o)
}

// press answers an Action.Execute press: with what the engine says for
// the clicker if it says it within answerAfter, else with a note that it
// is working, and the engine's replies still to come go through the
// Connector (see origin.answer).
func (a *Adapter) press(w http.ResponseWriter, r *http.Request, act *Activity) {
	action, valid := pressed(act.Value)
	if !valid {
		writeJSON(w, InvokeResponse{StatusCode: http.StatusBadRequest, Type: "application/vnd.microsoft.error", Value: map[string]string{"code": "BadRequest", "message": "not a passbot action"}})
		return
	}
	ans := &answer{}
	done := make(chan struct{})
	if !a.work.Go(func(ctx context.Context) { defer close(done); a.click(ctx, act, action, ans) }) {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	timer := time.NewTimer(a.answerAfter)
	defer timer.Stop()
	finished := false
	select {
	case <-done:
		finished = true
	case <-timer.C:
		a.log.Info("teams: press answered before the engine finished: its replies follow through the Connector", "activity", act.ID, "after", a.answerAfter)
	case <-r.Context().Done():
	}
	writeJSON(w, ans.close(finished, act.Locale))
}

// click hands a press to the engine and sends its replies.
func (a *Adapter) click(ctx context.Context, act *Activity, action string, ans *answer) {
	ev, o, ok := a.event(ctx, act)
	o.answer = ans
	if !ok {
		if !ans.add(both("teams.noaccount", act.Locale), nil) {
			a.noAccount(ctx, o, act.Locale)
		}
		return
	}
	ev.Kind, ev.Action = bot.Press, action
	o.clicked = msgRef(act.Conversation.ID, act.ReplyToID)
	ev.Clicked = o.clicked
	ev.ClickedPublic = o.shared
	a.run(ctx, ev, o)
}

// answer is the answer to a press's invoke while it is open: the texts
// shown to the clicker alone, or the card that replaces the clicked one
// for them. Once it is sent (closed) it takes nothing more: the engine
// sends what was meant for it to the clicker's personal chat.
type answer struct {
	mu       sync.Mutex
	closed   bool
	messages []string
	card     *Card
}

// add puts a text or a card into the answer and reports whether it could:
// false once the answer was sent.
func (ans *answer) add(text string, card *Card) bool {
	ans.mu.Lock()
	defer ans.mu.Unlock()
	if ans.closed {
		return false
	}
	if card != nil {
		ans.card = card
	} else {
		ans.messages = append(ans.messages, text)
	}
	return true
}

// close ends the answer and returns it. finished tells whether the
// engine is done: an answer with nothing in it then says so, else that
// more follows.
func (ans *answer) close(finished bool, locale string) InvokeResponse {
	ans.mu.Lock()
	defer ans.mu.Unlock()
	ans.closed = true
	switch {
	case len(ans.messages) > 0:
		return InvokeResponse{StatusCode: http.StatusOK, Type: contentTypeMessage, Value: strings.Join(ans.messages, "\n\n")}
	case ans.card != nil:
		return InvokeResponse{StatusCode: http.StatusOK, Type: contentTypeCard, Value: *ans.card}
	case finished:
		return InvokeResponse{StatusCode: http.StatusOK, Type: contentTypeMessage, Value: locales.Text(locales.Lang(locale), "teams.done")}
	}
	return InvokeResponse{StatusCode: http.StatusOK, Type: contentTypeMessage, Value: locales.Text(locales.Lang(locale), "teams.working")}
}

// both returns a text in the person's language, or in both when Teams sent
// no locale.
func both(key, locale string) string {
	if locale == "" {
		return locales.Text(locales.EN, key) + "\n\n" + locales.Text(locales.NL, key)
	}
	return locales.Text(locales.Lang(locale), key)
}

// noAccount tells a sender without an Entra account why nothing happens.
func (a *Adapter) noAccount(ctx context.Context, o *origin, locale string) {
	if _, err := a.conn.SendToConversation(ctx, o.serviceURL, o.conv, message(bot.Reply{Text: both("teams.noaccount", locale)})); err != nil {
		a.log.Error("teams: send no-account notice", "conversation", o.conv, "err", err)
	}
}

// run hands ev to the engine, which sends its replies through the event's
// outbox. Errors are logged with what identifies the event, never with
// reply text: a reply can hold a temporary passcode.
func (a *Adapter) run(ctx context.Context, ev bot.Event, o *origin) {
	if _, err := a.handler.Handle(ctx, ev, outbox{a, o}); err != nil {
		a.log.Error("teams: handle event", "reason", bot.ErrorCode(err), "delivery", ev.DeliveryID, "user", ev.User.ID, "kind", ev.Kind.String(), "err", err)
	}
}

// outbox is the bot.Sender of one event: it answers where the event came
// from (see Adapter.send).
type outbox struct {
	a *Adapter
	o *origin
}

// Send implements bot.Sender.
func (b outbox) Send(ctx context.Context, r bot.Reply) (bot.MessageRef, error) {
	return b.a.send(ctx, b.o, r)
}

// Platform implements bot.ChatAdapter.
func (a *Adapter) Platform() bot.Platform { return bot.Teams }

// Caps implements bot.ChatAdapter: the personal chat with the bot is
// private enough; private does not mean ephemeral.
func (a *Adapter) Caps() bot.Caps { return bot.Caps{} }

// Send implements bot.ChatAdapter: what answers no event goes to a
// person's personal chat, to the helpdesk channel, or updates a message
// sent before.
func (a *Adapter) Send(ctx context.Context, r bot.Reply) (bot.MessageRef, error) {
	return a.send(ctx, nil, r)
}

// send makes the one Connector call (or invoke answer) of a reply's
// target, or fails: the engine decides where a reply goes instead. o is
// the event's origin; nil outside an event.
func (a *Adapter) send(ctx context.Context, o *origin, r bot.Reply) (bot.MessageRef, error) {
	t := r.Target
	switch {
	case t.Kind == bot.DirectMessage:
		return a.direct(ctx, t.User, r)
	case t.Kind == bot.HelpdeskChannel:
		return a.helpdesk(ctx, r)
	case t.Kind == bot.UpdateRef:
		return t.Ref, a.update(ctx, "", t.Ref, r)
	case o == nil:
		return "", fmt.Errorf("teams: target %s outside an event", t.Kind)
	case t.Kind == bot.Chat && o.ownChat():
		return a.post(ctx, o.serviceURL, o.conv, r)
	case t.Kind == bot.Chat:
		// Someone wrote in a channel, or pressed a button: their chat
		// with the bot is the personal one they have.
		return a.direct(ctx, o.user, r)
	case t.Kind == bot.Ephemeral && o.answer != nil && o.answer.add(r.Text, nil):
		return "", nil
	case t.Kind == bot.Ephemeral && o.ownChat():
		// A personal chat has no one else to hide from.
		return a.post(ctx, o.serviceURL, o.conv, r)
	case t.Kind == bot.Ephemeral:
		// Teams has no ephemeral message outside an invoke's open answer;
		// a press's chat may be someone else's (a forwarded card).
		return "", errors.New("teams: ephemeral reply without an open invoke answer")
	case t.Kind == bot.ReplaceClicked && o.clicked != "":
		// The update replaces the card for everyone in the conversation;
		// the invoke's answer shows it to the clicker at once (an answer
		// card alone replaces it for the clicker only).
		if err := a.update(ctx, o.serviceURL, o.clicked, r); err != nil {
			return "", err
		}
		card := render(r)
		o.answer.add("", &card)
		return o.clicked, nil
	}
	return "", fmt.Errorf("teams: target %s not possible here", t.Kind)
}

// msgRef names a message: "conversation/activity".
func msgRef(conv, activity string) bot.MessageRef { return bot.MessageRef(conv + "/" + activity) }

// splitRef undoes msgRef. Activity IDs hold no slash; conversation IDs might.
func splitRef(r bot.MessageRef) (conv, activity string, ok bool) {
	i := strings.LastIndex(string(r), "/")
	if i <= 0 || i == len(r)-1 {
		return "", "", false
	}
	return string(r[:i]), string(r[i+1:]), true
}

// post sends a reply as a new message in a conversation.
func (a *Adapter) post(ctx context.Context, serviceURL, conv string, r bot.Reply) (bot.MessageRef, error) {
	id, err := a.conn.SendToConversation(ctx, serviceURL, conv, message(r))
	if err != nil {
		return "", err
	}
	return msgRef(conv, id), nil
}

// update replaces a message the bot sent. serviceURL "" is the tenant's.
func (a *Adapter) update(ctx context.Context, serviceURL string, msg bot.MessageRef, r bot.Reply) error {
	conv, id, ok := splitRef(msg)
	if !ok {
		return fmt.Errorf("teams: update: %q names no message", msg)
	}
	if serviceURL == "" {
		// Outside an event (a follow-up): the chat may have been left since.
		gone, err := a.refs.Get(ctx, removedKey(conv))
		if err != nil {
			return err
		}
		if gone != "" {
			return fmt.Errorf("teams: update %s: the app was removed from that chat; it is updated once the app is back", msg)
		}
		if serviceURL, err = a.tenantService(ctx); err != nil {
			return err
		}
	}
	return a.conn.UpdateActivity(ctx, serviceURL, conv, id, message(r))
}

// tenantService is the service URL of the tenant's Connector, as the
// latest activity named it.
func (a *Adapter) tenantService(ctx context.Context) (string, error) {
	s, err := a.ref(ctx, serviceKey)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", errors.New("teams: no activity has named the Connector's service URL yet: install the app in the helpdesk team or write to the bot once")
	}
	return s, nil
}

// helpdesk posts a reply in the helpdesk channel.
func (a *Adapter) helpdesk(ctx context.Context, r bot.Reply) (bot.MessageRef, error) {
	if a.cfg.TeamsHelpdeskChannel == "" {
		return "", errors.New("teams: helpdesk reply but PASSBOT_TEAMS_HELPDESK_CHANNEL is not set")
	}
	s, err := a.tenantService(ctx)
	if err != nil {
		return "", err
	}
	return a.post(ctx, s, a.cfg.TeamsHelpdeskChannel, r)
}

// direct posts a reply in a person's personal chat with the bot, opening
// it from their stored reference when the bot has not chatted with them
// yet (they met it in a channel). A stored chat the Connector says they
// are not a member of is not theirs: it is dropped and theirs opened.
func (a *Adapter) direct(ctx context.Context, u bot.User, r bot.Reply) (bot.MessageRef, error) {
	oid := u.OID
	if oid == "" {
		oid = u.ID
	}
	p, ok, err := a.person(ctx, oid)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("teams: no conversation reference for %s: they have not written to the bot or installed it", oid)
	}
	for opened := false; ; opened = true {
		if p.Conversation == "" {
			if p, err = a.open(ctx, oid, p); err != nil {
				return "", err
			}
		}
		ref, err := a.post(ctx, p.ServiceURL, p.Conversation, r)
		if opened || !notMember(err) {
			return ref, err
		}
		a.log.Warn("teams: the stored personal chat is not this person's: dropped", "user", oid, "conversation", p.Conversation, "err", err)
		if err := a.dropChat(ctx, oid, p.Conversation); err != nil {
			return "", fmt.Errorf("teams: drop the personal chat of %s that is not theirs: %w", oid, err)
		}
		p.Conversation = ""
	}
}

// open opens the personal chat of the person p reaches, and saves it.
func (a *Adapter) open(ctx context.Context, oid string, p convRef) (convRef, error) {
	conv, err := a.conn.CreateConversation(ctx, p.ServiceURL, ConversationParameters{
		Bot:      &Account{ID: a.botID()},
		Members:  []Account{{ID: p.User}},
		TenantID: a.cfg.TeamsTenantID,
		// Teams reads the tenant from channelData.
		ChannelData: json.RawMessage(fmt.Sprintf(`{"tenant":{"id":%q}}`, a.cfg.TeamsTenantID)),
	})
	if cerr := (*ConnectorError)(nil); errors.As(err, &cerr) && cerr.Status == http.StatusForbidden {
		// Teams opens a chat only while the app is installed for the
		// person: they removed it, or never had it.
		return p, fmt.Errorf("teams: %s does not have passbot installed (removed it?); Teams refuses a personal chat: %w", oid, err)
	}
	if err != nil {
		return p, fmt.Errorf("teams: open the personal chat of %s: %w", oid, err)
	}
	p.Conversation = conv.ID
	if err := a.savePerson(ctx, oid, p); err != nil {
		a.log.Warn("teams: save personal chat", "user", oid, "err", err)
	}
	return p, nil
}
