package slack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
)

// People of the tests. Adele's e-mail is a demo-fleet user; her first device,
// "Adele's Galaxy S7" (Android 6.0.1), is self-service resettable.
const (
	adele      = "U2147483697"
	adeleDM    = "D024BE91L"
	lieke      = "U0LIEKE01"
	liekeDM    = "D0LIEKE01"
	botUser    = "U0BOT1234" // auth_test_response_bot.json
	secret     = "8f742231b10e8888abcd99yyyzzz85a5"
	appToken   = "xapp-1-A0PNCHHK2-1-test"
	botToken   = "xoxb-test"
	channelID  = "C0GENERAL1"
	helpdeskCh = "C0HELPDESK"
)

// harness runs the real adapter against the fake Slack, over a real engine
// (Redis, demo fleet, fake clock) or over a scripted handler.
type harness struct {
	t       testing.TB
	mode    string
	env     *enginetest.Env // nil over a scripted handler
	fake    *fakeSlack
	a       *Adapter
	handler *countingHandler
	logs    *enginetest.SyncBuffer
	log     *slog.Logger // writes to logs

	handled atomic.Int64 // events the adapter finished
	sent    int64        // events the test sent
	actionN int          // makes each click's action_ts unique

	waitMu sync.Mutex
	waits  []time.Duration // rate-limit and backoff waits asked for
}

type countingHandler struct {
	h bot.Handler
	n atomic.Int64
}

func (c *countingHandler) Handle(ctx context.Context, ev bot.Event, out bot.Sender) (bot.Handled, error) {
	c.n.Add(1)
	return c.h.Handle(ctx, ev, out)
}

// newHarness starts the adapter in mode over a real engine (Redis, demo
// fleet, fake clock) with Adele (locale adeleLocale) and Lieke known to the
// fake; opts change the adapter's configuration.
func newHarness(t testing.TB, mode, adeleLocale string, opts ...func(*Config)) *harness {
	t.Helper()
	return newEngineHarness(t, mode, adeleLocale, nil, opts...)
}

// newEngineHarness is newHarness with the engine made with engine's options
// besides the adapter's chat (the sign-in, say).
func newEngineHarness(t testing.TB, mode, adeleLocale string, engine []enginetest.Option, opts ...func(*Config)) *harness {
	t.Helper()
	var h *harness
	// As main wires it: the adapter takes the engine's Handle before the
	// engine, made with the adapter's chat, exists.
	handle := bot.HandlerFunc(func(ctx context.Context, ev bot.Event, out bot.Sender) (bot.Handled, error) {
		return h.env.Engine.Handle(ctx, ev, out)
	})
	h = newAdapterHarness(t, mode, adeleLocale, handle, opts...)
	engine = append([]enginetest.Option{
		enginetest.WithChat(bot.Slack, nil),
		enginetest.WithConfig(func(c *bot.Config) { c.Log = h.log }),
	}, engine...)
	h.env = enginetest.New(t, engine...)
	h.env.Chats[bot.Slack].Use(h.a)
	h.run()
	return h
}

// newScriptedHarness starts the adapter in mode over s in place of the
// engine: the tests of what the adapter itself does with an event and with
// the replies it is handed.
func newScriptedHarness(t *testing.T, mode string, s *enginetest.Scripted) *harness {
	t.Helper()
	h := newAdapterHarness(t, mode, "en-US", s)
	h.run()
	return h
}

// newAdapterHarness makes the adapter over handler against a fresh fake
// Slack; run starts it.
func newAdapterHarness(t testing.TB, mode, adeleLocale string, handler bot.Handler, opts ...func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, mode: mode, fake: newFakeSlack(t), logs: &enginetest.SyncBuffer{}}
	h.fake.addUser(adele, fakeUser{Name: "Adele Vance", Email: "adele.vance@contoso.com", Locale: adeleLocale}, adeleDM)
	h.fake.addUser(lieke, fakeUser{Name: "Lieke de Vries", Email: "lieke.devries@contoso.com", Locale: "nl-NL"}, liekeDM)
	h.log = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.handler = &countingHandler{h: handler}
	cfg := Config{BotToken: botToken, AppToken: appToken, SigningSecret: secret, Mode: mode, APIURL: h.fake.APIURL(), HelpdeskChannel: helpdeskCh}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := New(cfg, h.handler, h.log)
	if err != nil {
		t.Fatal(err)
	}
	a.sleep = func(ctx context.Context, d time.Duration) error {
		h.waitMu.Lock()
		h.waits = append(h.waits, d)
		h.waitMu.Unlock()
		return ctx.Err()
	}
	a.work.Done = func() {
		h.handled.Add(1)
		h.fake.notify()
	}
	h.a = a
	return h
}

// run runs the adapter until the test ends.
func (h *harness) run() {
	t := h.t
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(waitTimeout):
			t.Errorf("Run did not return after cancel")
		}
	})
}

// settle waits until the adapter finished every event sent so far.
func (h *harness) settle() {
	h.t.Helper()
	want := h.sent
	h.fake.waitFor(h.t, fmt.Sprintf("%d handled events", want), func() bool { return h.handled.Load() >= want })
}

// --- sending events, over Socket Mode or signed HTTP -----------------------

// dm sends a message.im event from user, waits until it was handled and
// returns its immediate answer.
func (h *harness) dm(user, dm, eventID, text string, retry int) []byte {
	h.t.Helper()
	env := fixtureMap(h.t, "socket_mode_events_api_envelope.json")
	payload := env["payload"].(map[string]any)
	ev := payload["event"].(map[string]any)
	ev["user"], ev["channel"], ev["text"] = user, dm, text
	payload["event_id"] = eventID
	env["envelope_id"] = fmt.Sprintf("env-%s-%d", eventID, retry)
	env["retry_attempt"] = retry
	return h.deliver(env, "/slack/events", payload, retry)
}

// click sends a block_actions interaction on a button of message m.
func (h *harness) click(user string, m sentMessage, b sentButton) map[string]any {
	h.t.Helper()
	p, _ := h.press(user, m.Channel, m.messageTS(), false, b)
	return p
}

// press sends a block_actions interaction on button b of the message ts in
// channel (an ephemeral one: only the presser saw it) and returns its payload
// and its immediate answer. The payload shows the message as the fake
// Slack shows it (the fixture's for one it does not know), and, as Slack,
// none for an ephemeral one.
func (h *harness) press(user, channel, ts string, ephemeral bool, b sentButton) (payload map[string]any, answer []byte) {
	h.t.Helper()
	h.actionN++
	p := fixtureMap(h.t, "interaction_block_actions.json")
	p["user"].(map[string]any)["id"] = user
	container := p["container"].(map[string]any)
	container["message_ts"], container["channel_id"], container["is_ephemeral"] = ts, channel, ephemeral
	p["channel"].(map[string]any)["id"] = channel
	shown := p["message"].(map[string]any)
	shown["ts"] = ts
	if m, ok := h.fake.message(channel, ts); ok {
		shown["text"], shown["blocks"] = m.Text, m.Blocks
	}
	if ephemeral {
		delete(p, "message")
	}
	p["response_url"] = h.fake.ResponseURL(strconv.Itoa(h.actionN))
	act := p["actions"].([]any)[0].(map[string]any)
	act["action_id"], act["value"], act["block_id"] = b.ActionID, b.Value, actionsBlock
	act["text"].(map[string]any)["text"] = b.Text.Text
	act["action_ts"] = fmt.Sprintf("1700000100.%06d", h.actionN)
	return p, h.interact(p)
}

// interact sends an interaction payload as is (a replay sends it twice)
// and returns its immediate answer.
func (h *harness) interact(p map[string]any) []byte {
	h.t.Helper()
	h.actionN++
	env := fixtureMap(h.t, "socket_mode_interactive_envelope.json")
	env["payload"], env["envelope_id"] = p, fmt.Sprintf("env-click-%d", h.actionN)
	return h.deliver(env, "/slack/interactions", p, 0)
}

// command sends /passcode text from user in channel and returns its
// immediate answer: the Socket Mode ack payload or the HTTP response body.
func (h *harness) command(user, channel, text, trigger string) []byte {
	h.t.Helper()
	env := fixtureMap(h.t, "socket_mode_slash_commands_envelope.json")
	p := env["payload"].(map[string]any)
	p["user_id"], p["channel_id"], p["text"], p["trigger_id"] = user, channel, text, trigger
	p["response_url"] = h.fake.ResponseURL("cmd-" + trigger)
	env["envelope_id"] = "env-cmd-" + trigger
	return h.deliver(env, "/slack/commands", p, 0)
}

// event sends an Events API callback fixture as is.
func (h *harness) event(payload map[string]any, eventID string) {
	h.t.Helper()
	payload["event_id"] = eventID
	env := fixtureMap(h.t, "socket_mode_events_api_envelope.json")
	env["payload"], env["envelope_id"] = payload, "env-"+eventID
	h.deliver(env, "/slack/events", payload, 0)
}

// deliver sends one thing Slack delivers and waits until it was handled:
// over Socket Mode the envelope (and its ack), over HTTP a signed request.
// It returns the ack's payload or the response body.
func (h *harness) deliver(envelope map[string]any, path string, payload map[string]any, retry int) []byte {
	h.t.Helper()
	h.sent++
	var answer []byte
	if h.mode == ModeSocket {
		frame, _ := json.Marshal(envelope)
		c := h.fake.latest(h.t)
		c.send(h.t, frame)
		answer = c.waitAck(h.t, envelope["envelope_id"].(string))
	} else {
		var body []byte
		switch path {
		case "/slack/events":
			body, _ = json.Marshal(payload)
		case "/slack/interactions":
			js, _ := json.Marshal(payload)
			body = []byte("payload=" + url.QueryEscape(string(js)))
		case "/slack/commands":
			form := url.Values{}
			for k, v := range payload {
				form.Set(k, fmt.Sprint(v))
			}
			body = []byte(form.Encode())
		}
		rec := h.post(path, body, time.Now(), secret, retry)
		if rec.Code != http.StatusOK {
			h.t.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body)
		}
		answer = rec.Body.Bytes()
	}
	h.settle()
	return answer
}

// post sends a signed request to the adapter's HTTP handler.
func (h *harness) post(path string, body []byte, at time.Time, key string, retry int) *httptest.ResponseRecorder {
	h.t.Helper()
	return h.postWith(path, body, at, key, func(hdr map[string]string) {
		if retry > 0 {
			hdr["X-Slack-Retry-Num"] = strconv.Itoa(retry)
			hdr["X-Slack-Retry-Reason"] = "http_timeout"
		}
	})
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

// postWith signs body at time at with key, lets mutate change the headers
// (an empty value removes one) and serves the request.
func (h *harness) postWith(path string, body []byte, at time.Time, key string, mutate func(map[string]string)) *httptest.ResponseRecorder {
	h.t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	if strings.HasSuffix(path, "/events") {
		r.Header.Set("Content-Type", "application/json")
	} else {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	hdr := map[string]string{"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign(key, ts, body)}
	if mutate != nil {
		mutate(hdr)
	}
	for k, v := range hdr {
		if v != "" {
			r.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	h.a.HTTPHandler(nil).ServeHTTP(rec, r)
	return rec
}

// sign computes Slack's v0 signature.
func sign(key, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(key))
	fmt.Fprintf(mac, "v0:%s:", ts)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// --- reading what passbot sent ---------------------------------------------

// waitPost waits for a chat.postMessage to channel whose text contains
// substr and returns the last such message.
func (h *harness) waitPost(channel, substr string) sentMessage {
	h.t.Helper()
	var found sentMessage
	h.fake.waitFor(h.t, fmt.Sprintf("a post to %s containing %q", channel, substr), func() bool {
		for _, c := range h.fake.calls {
			if m, ok := c.message(); ok && !c.Limited && m.Method == "chat.postMessage" && m.Channel == channel && strings.Contains(m.Text, substr) {
				found = m
			}
		}
		return found.Posted != ""
	})
	return found
}

// messages returns the sent messages matching pred.
func (h *harness) messages(pred func(sentMessage) bool) []sentMessage {
	var out []sentMessage
	for _, m := range h.fake.Messages() {
		if pred(m) {
			out = append(out, m)
		}
	}
	return out
}

func (h *harness) updates(channel, ts string) []sentMessage {
	return h.messages(func(m sentMessage) bool { return m.Method == "chat.update" && m.Channel == channel && m.TS == ts })
}

func (h *harness) count(method string) int {
	n := 0
	for _, c := range h.fake.Calls() {
		if c.Method == method && !c.Limited {
			n++
		}
	}
	return n
}
