package teams

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/teams/bftest"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
)

// person is a Teams user of the tests.
type person struct {
	ID, OID, UPN, Name, Locale string
}

var (
	// adele's object ID is her userId in the demo fleet: her first device,
	// "Adele's Galaxy S7" (Android 6.0.1), is self-service resettable.
	adele = person{ID: "29:1adele", OID: "4f2b6c1e-8d3a-4c55-9a6e-1b2c3d4e5f60", UPN: "adele.vance@contoso.com", Name: "Adele Vance", Locale: "en-US"}
	// lieke's iPad is hers; she is no approver.
	lieke = person{ID: "29:1lieke", OID: "7a9e3d2c-1b4f-4e8a-b6c5-0d1e2f3a4b5c", UPN: "lieke.devries@contoso.com", Name: "Lieke de Vries", Locale: "nl-NL"}
	// megan is a helpdesk approver (by object ID).
	megan = person{ID: "29:1megan", OID: "0b7d5f31-92c4-4e1a-8f6d-3c2b1a0f9e8d", UPN: "megan.bowen@contoso.com", Name: "Megan Bowen", Locale: "en-US"}
)

const helpdeskChannel = "19:helpdesk0123456789@thread.tacv2"

// harness is the adapter's endpoint on loopback, the Bot Framework
// imitation it talks to, and counters of what it handled.
type harness struct {
	t       *testing.T
	bf      *bftest.Server
	adapter *Adapter
	url     string // the messaging endpoint
	logs    *enginetest.SyncBuffer

	mu      sync.Mutex
	handled int
	changed chan struct{}
	next    int
}

// mapRefs is an in-memory Refs.
type mapRefs struct {
	mu sync.Mutex
	m  map[string]string
}

func (r *mapRefs) Get(_ context.Context, k string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[k], nil
}

func (r *mapRefs) Set(_ context.Context, k, v string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[k] = v
	return nil
}

func (r *mapRefs) Claim(_ context.Context, k, v string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.m[k]; ok {
		return false, nil
	}
	r.m[k] = v
	return true, nil
}

func (r *mapRefs) Delete(_ context.Context, k string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, k)
	return nil
}

// newHarness starts the adapter over h; configure, when given, changes the
// adapter before it serves.
func newHarness(t *testing.T, h bot.Handler, refs Refs, configure ...func(*Adapter)) *harness {
	t.Helper()
	bf := bftest.New(t)
	for _, p := range []person{adele, lieke, megan} {
		bf.AddMember(p.ID, p.OID, p.UPN, p.Name)
	}
	if refs == nil {
		refs = &mapRefs{m: map[string]string{}}
	}
	logs := &enginetest.SyncBuffer{}
	cfg := testConfig(bf)
	cfg.TeamsHelpdeskChannel = helpdeskChannel
	cfg.Approvers = bot.Approvers{megan.OID}
	a, err := New(cfg, h, refs, slog.New(slog.NewJSONHandler(logs, nil)), WithHTTPClient(bf.Client()))
	if err != nil {
		t.Fatal(err)
	}
	a.conn.sleep = (&sleeps{}).sleep
	// The engine answers every press in time, however slow the machine;
	// the tests of slow presses shorten this.
	a.answerAfter = time.Minute
	for _, c := range configure {
		c(a)
	}
	hs := &harness{t: t, bf: bf, adapter: a, logs: logs, changed: make(chan struct{})}
	a.work.Done = func() {
		hs.mu.Lock()
		hs.handled++
		close(hs.changed)
		hs.changed = make(chan struct{})
		hs.mu.Unlock()
	}
	mux := http.NewServeMux()
	for p, h := range a.Routes(nil) {
		mux.Handle(p, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	hs.url = srv.URL + "/api/messages"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return hs
}

// activity is an activity of p in their personal chat (or in conv).
func (h *harness) activity(p person, typ, conv string) Activity {
	h.mu.Lock()
	h.next++
	id := strconv.Itoa(1800000000000 + h.next)
	h.mu.Unlock()
	ctype := convPersonal
	if conv == "" {
		conv = "a:personal-" + p.ID
	} else {
		ctype = convChannel
	}
	return Activity{
		Type: typ, ID: id, ServiceURL: h.bf.ServiceURL, ChannelID: "msteams", Locale: p.Locale,
		From:         &Account{ID: p.ID, Name: p.Name, AADObjectID: p.OID},
		Recipient:    &Account{ID: "28:" + h.bf.AppID, Name: "passbot"},
		Conversation: &ConversationAccount{ID: conv, ConversationType: ctype, TenantID: h.bf.TenantID},
	}
}

// say sends a message of p and waits until it was handled.
func (h *harness) say(p person, conv, text string) Activity {
	h.t.Helper()
	act := h.activity(p, typeMessage, conv)
	act.Text = text
	h.deliver(act, http.StatusAccepted)
	return act
}

// deliver posts act with a valid token, waits until the work it queued
// (a message, an installation event, a press) was handled, and returns the
// answer's body.
func (h *harness) deliver(act Activity, want int) []byte {
	h.t.Helper()
	h.mu.Lock()
	before := h.handled
	h.mu.Unlock()
	status, body, err := h.bf.Deliver(h.t.Context(), h.url, act, "")
	if err != nil || status != want {
		h.t.Fatalf("deliver %s: %d %s, %v; want %d", act.Type, status, body, err, want)
	}
	if status == http.StatusAccepted || queuedPress(act, status, body) {
		h.awaitHandled(before)
	}
	return body
}

// queuedPress reports whether the adapter handed a press to the engine:
// an answered adaptiveCard/action invoke whose action it took.
func queuedPress(act Activity, status int, body []byte) bool {
	var res InvokeResponse
	return act.Type == typeInvoke && act.Name == invokeAdaptiveCardAction && status == http.StatusOK &&
		json.Unmarshal(body, &res) == nil && res.StatusCode == http.StatusOK
}

// awaitHandled waits until more than before activities were handled.
func (h *harness) awaitHandled(before int) {
	h.t.Helper()
	ok := enginetest.Await(10*time.Second, func() (bool, <-chan struct{}) {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.handled > before, h.changed
	})
	if !ok {
		h.t.Fatal("the activity was not handled")
	}
}

// press presses the button titled title on the card of post (an activity
// the bot sent to conv), as p, and returns the invoke's answer.
func (h *harness) press(p person, post bftest.Post, title string) InvokeResponse {
	h.t.Helper()
	body := h.deliver(h.pressing(p, post, title), http.StatusOK)
	var res InvokeResponse
	if err := json.Unmarshal(body, &res); err != nil {
		h.t.Fatalf("invoke answer %s: %v", body, err)
	}
	return res
}

// pressing is p's invoke of pressing the button titled title on post.
func (h *harness) pressing(p person, post bftest.Post, title string) Activity {
	h.t.Helper()
	var btn *bftest.Button
	for _, b := range post.Buttons() {
		if b.Title == title {
			btn = &b
		}
	}
	if btn == nil {
		h.t.Fatalf("no button %q in %q", title, post.Text())
	}
	conv := post.Conversation
	act := h.activity(p, typeInvoke, "")
	if conv != act.Conversation.ID {
		act.Conversation.ID, act.Conversation.ConversationType = conv, convChannel
	}
	act.Name = invokeAdaptiveCardAction
	act.ReplyToID = post.ActivityID
	act.Value, _ = json.Marshal(map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": btn.Verb, "data": btn.Data}, "trigger": "manual"})
	return act
}

// posts returns the Connector calls so far.
func (h *harness) posts() []bftest.Post {
	p, _ := h.bf.Posts()
	return p
}

// last returns the latest post (not update) in conv.
func (h *harness) last(conv string) bftest.Post {
	h.t.Helper()
	posts := h.posts()
	for i := len(posts) - 1; i >= 0; i-- {
		if posts[i].Conversation == conv && posts[i].Method == http.MethodPost && posts[i].Activity != nil {
			return posts[i]
		}
	}
	h.t.Fatalf("nothing posted in %s: %+v", conv, posts)
	return bftest.Post{}
}

func personal(p person) string { return "a:personal-" + p.ID }
