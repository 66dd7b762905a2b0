package slack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/passbot/passbot/internal/enginetest"
)

// fakeSlack is a local Slack: the Web API methods passbot calls, response
// URLs, and the Socket Mode WebSocket that apps.connections.open points to.
// It records every call, answers with the fixtures' shapes and lets tests
// wait for a condition instead of sleeping.
type fakeSlack struct {
	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	calls   []apiCall
	users   map[string]fakeUser
	dms     map[string]string // user → DM channel
	ts      int
	limits  map[string][]int    // method → Retry-After seconds of the next 429s
	fails   map[string]string   // method → error code it answers with
	groups  map[string][]string // user group → members
	conns   []*fakeConn
	// shown is every message of a channel as people see it now, by
	// channel/ts: as posted, then as last updated.
	shown map[string]shownMessage
}

// shownMessage is a message as Slack shows it, and as an interaction on it
// carries it.
type shownMessage struct {
	Text   string
	Blocks []any
}

// live reports whether the message still shows buttons.
func (m shownMessage) live() bool {
	for _, b := range m.Blocks {
		if b, ok := b.(map[string]any); ok && b["type"] == "actions" {
			return true
		}
	}
	return false
}

type fakeUser struct {
	Name, Email, Locale string
	Bot                 bool
}

// apiCall is one request the fake received.
type apiCall struct {
	Method  string // Web API method, or "response_url"
	Limited bool   // answered 429
	Form    url.Values
	JSON    map[string]any
	Raw     string
	Auth    string
	Posted  string // ts the fake gave a posted message
	URL     string // response_url: the URL posted to
}

// fakeConn is one Socket Mode connection.
type fakeConn struct {
	f    *fakeSlack
	ws   *websocket.Conn
	wmu  sync.Mutex
	acks []string // envelope IDs acknowledged, in order
	// ackPayloads holds the payload of each ack that carried one.
	ackPayloads map[string]json.RawMessage
	done        chan struct{}
}

const waitTimeout = 10 * time.Second

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{
		t:       t,
		changed: make(chan struct{}),
		users:   map[string]fakeUser{},
		dms:     map[string]string{},
		limits:  map[string][]int{},
		fails:   map[string]string{},
		groups:  map[string][]string{},
		shown:   map[string]shownMessage{},
		ts:      100,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", f.serveAPI)
	mux.HandleFunc("/response/{id}", f.serveResponseURL)
	mux.HandleFunc("/link/", f.serveSocket)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		f.mu.Lock()
		conns := append([]*fakeConn(nil), f.conns...)
		f.mu.Unlock()
		for _, c := range conns {
			c.ws.Close()
			<-c.done
		}
		f.srv.Close()
	})
	return f
}

// APIURL is the Web API base URL for OptionAPIURL.
func (f *fakeSlack) APIURL() string { return f.srv.URL + "/api/" }

// ResponseURL is an interaction response_url served by the fake.
func (f *fakeSlack) ResponseURL(id string) string { return f.srv.URL + "/response/" + id }

func (f *fakeSlack) addUser(id string, u fakeUser, dm string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = u
	f.dms[id] = dm
}

// limit makes the next calls of method answer 429 with these Retry-After
// seconds, one per call.
func (f *fakeSlack) limit(method string, retryAfter ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limits[method] = append(f.limits[method], retryAfter...)
}

// fail makes every call of method answer {"ok":false,"error":code}; an
// empty code makes it answer normally again.
func (f *fakeSlack) fail(method, code string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if code == "" {
		delete(f.fails, method)
		return
	}
	f.fails[method] = code
}

// setGroup sets the members of a user group (usergroups.users.list).
func (f *fakeSlack) setGroup(id string, members ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups[id] = members
}

// bump wakes up waiters; call with f.mu held.
func (f *fakeSlack) bump() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// notify wakes up waiters from outside.
func (f *fakeSlack) notify() {
	f.mu.Lock()
	f.bump()
	f.mu.Unlock()
}

// waitFor waits until cond (called with f.mu held) holds.
func (f *fakeSlack) waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	ok := enginetest.Await(waitTimeout, func() (bool, <-chan struct{}) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return cond(), f.changed
	})
	if !ok {
		t.Fatalf("timed out waiting for %s; calls so far: %s", what, f.summary())
	}
}

// Calls returns a copy of the calls so far (answered 429 or not).
func (f *fakeSlack) Calls() []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiCall(nil), f.calls...)
}

// Messages returns the messages passbot sent successfully, in order.
func (f *fakeSlack) Messages() []sentMessage {
	var out []sentMessage
	for _, c := range f.Calls() {
		if m, ok := c.message(); ok && !c.Limited {
			out = append(out, m)
		}
	}
	return out
}

func (f *fakeSlack) summary() string {
	var b strings.Builder
	for _, c := range f.Calls() {
		fmt.Fprintf(&b, "\n  %s limited=%v", c.Method, c.Limited)
		if m, ok := c.message(); ok {
			fmt.Fprintf(&b, " channel=%s ts=%s text=%.60q buttons=%d", m.Channel, m.TS, m.Text, len(m.Buttons))
		}
	}
	return b.String()
}

// sentMessage is a chat.* call or response_url post, decoded.
type sentMessage struct {
	Method  string
	Channel string
	User    string // chat.postEphemeral
	TS      string // chat.update: the message replaced
	Text    string
	Buttons []sentButton
	Replace bool // response_url with replace_original
	// ResponseType is a response_url post's response_type ("ephemeral").
	ResponseType string
	Raw          string
	Posted       string // chat.postMessage: the new message's ts
}

type sentButton struct {
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
	Style    string `json:"style"`
	Text     struct {
		Text string `json:"text"`
	} `json:"text"`
}

type sentBlock struct {
	Type     string       `json:"type"`
	BlockID  string       `json:"block_id"`
	Elements []sentButton `json:"elements"`
	Text     *struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"text"`
}

func (c apiCall) message() (sentMessage, bool) {
	m := sentMessage{Method: c.Method, Raw: c.Raw, Posted: c.Posted}
	var blocks []sentBlock
	switch c.Method {
	case "chat.postMessage", "chat.update", "chat.postEphemeral":
		m.Channel, m.User, m.TS, m.Text = c.Form.Get("channel"), c.Form.Get("user"), c.Form.Get("ts"), c.Form.Get("text")
		if raw := c.Form.Get("blocks"); raw != "" {
			if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
				return m, false
			}
		}
	case "response_url":
		m.Text, _ = c.JSON["text"].(string)
		m.Replace, _ = c.JSON["replace_original"].(bool)
		m.ResponseType, _ = c.JSON["response_type"].(string)
		raw, _ := json.Marshal(c.JSON["blocks"])
		_ = json.Unmarshal(raw, &blocks)
	default:
		return m, false
	}
	for _, b := range blocks {
		if b.Type == "actions" {
			m.Buttons = append(m.Buttons, b.Elements...)
		}
	}
	return m, true
}

// messageTS is the ts of the Slack message m is: the one it posted, or the
// one it replaced.
func (m sentMessage) messageTS() string {
	if m.Posted != "" {
		return m.Posted
	}
	return m.TS
}

// buttonLabels are the labels of the message's buttons, in order.
func buttonLabels(m sentMessage) []string {
	var out []string
	for _, b := range m.Buttons {
		out = append(out, b.Text.Text)
	}
	return out
}

// button returns the message's button whose label starts with prefix.
func (m sentMessage) button(t testing.TB, prefix string) sentButton {
	t.Helper()
	for _, b := range m.Buttons {
		if strings.HasPrefix(b.Text.Text, prefix) {
			return b
		}
	}
	t.Fatalf("no button %q in %s %q (buttons %+v)", prefix, m.Method, m.Text, m.Buttons)
	return sentButton{}
}

func (f *fakeSlack) serveAPI(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := apiCall{Method: r.PathValue("method"), Raw: string(body), Auth: r.Header.Get("Authorization")}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(body, &c.JSON)
	} else {
		c.Form, _ = url.ParseQuery(string(body))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.bump()
	if q := f.limits[c.Method]; len(q) > 0 {
		f.limits[c.Method] = q[1:]
		c.Limited = true
		f.calls = append(f.calls, c)
		w.Header().Set("Retry-After", strconv.Itoa(q[0]))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write(fixture(f.t, "error_ratelimited_response.json"))
		return
	}
	f.calls = append(f.calls, c)
	var resp map[string]any
	if _, ok := f.fails[c.Method]; ok {
		c.Method = "failing"
	}
	switch c.Method {
	case "auth.test":
		resp = fixtureMap(f.t, "auth_test_response_bot.json")
	case "users.info":
		u, ok := f.users[c.Form.Get("user")]
		if !ok {
			resp = fixtureMap(f.t, "users_info_error_user_not_found.json")
			break
		}
		resp = fixtureMap(f.t, "users_info_response.json")
		user := resp["user"].(map[string]any)
		profile := user["profile"].(map[string]any)
		user["id"], user["name"], user["real_name"], user["is_bot"] = c.Form.Get("user"), u.Name, u.Name, u.Bot
		profile["real_name"], profile["display_name"] = u.Name, u.Name
		profile["email"] = u.Email
		if u.Email == "" {
			delete(profile, "email")
		}
		delete(user, "locale")
		if c.Form.Get("include_locale") == "true" && u.Locale != "" {
			user["locale"] = u.Locale
		}
	case "conversations.open":
		users := c.Form.Get("users")
		dm, ok := f.dms[users]
		if !ok {
			resp = map[string]any{"ok": false, "error": "user_not_found"}
			break
		}
		resp = map[string]any{"ok": true, "channel": map[string]any{"id": dm, "is_im": true, "user": users}}
	case "chat.postMessage":
		f.ts++
		resp = fixtureMap(f.t, "chat_postMessage_response.json")
		resp["channel"], resp["ts"] = c.Form.Get("channel"), fmt.Sprintf("1700000000.%06d", f.ts)
		resp["message"].(map[string]any)["ts"] = resp["ts"]
		f.calls[len(f.calls)-1].Posted = resp["ts"].(string)
		f.show(c.Form.Get("channel"), resp["ts"].(string), c.Form)
	case "chat.update":
		resp = fixtureMap(f.t, "chat_update_response.json")
		resp["channel"], resp["ts"] = c.Form.Get("channel"), c.Form.Get("ts")
		f.show(c.Form.Get("channel"), c.Form.Get("ts"), c.Form)
	case "chat.postEphemeral":
		f.ts++
		resp = fixtureMap(f.t, "chat_postEphemeral_response.json")
		resp["message_ts"] = fmt.Sprintf("1700000000.%06d", f.ts)
	case "usergroups.users.list":
		members, ok := f.groups[c.Form.Get("usergroup")]
		if !ok {
			resp = map[string]any{"ok": false, "error": "no_such_subteam"}
			break
		}
		resp = map[string]any{"ok": true, "users": append([]string{}, members...)}
	case "views.publish":
		resp = map[string]any{"ok": true, "view": map[string]any{"id": "V0HOME", "type": "home"}}
	case "apps.connections.open":
		if !strings.HasPrefix(c.Auth, "Bearer xapp-") {
			resp = map[string]any{"ok": false, "error": "not_allowed_token_type"}
			break
		}
		resp = fixtureMap(f.t, "apps_connections_open_response.json")
		resp["url"] = "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/link/?ticket=" + strconv.Itoa(len(f.conns)+1) + "&app_id=A0PNCHHK2"
	case "failing":
		resp = map[string]any{"ok": false, "error": f.fails[r.PathValue("method")]}
	default:
		resp = map[string]any{"ok": false, "error": "unknown_method"}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// show records what the message channel/ts shows after a post or update
// with form; call with f.mu held.
func (f *fakeSlack) show(channel, ts string, form url.Values) {
	m := shownMessage{Text: form.Get("text")}
	_ = json.Unmarshal([]byte(form.Get("blocks")), &m.Blocks)
	f.shown[channel+"/"+ts] = m
}

// message returns the message channel/ts as people see it now.
func (f *fakeSlack) message(channel, ts string) (shownMessage, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.shown[channel+"/"+ts]
	return m, ok
}

// liveIn returns the ts of every message in channel that still shows
// buttons, sorted.
func (f *fakeSlack) liveIn(channel string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k, m := range f.shown {
		if ch, ts, _ := strings.Cut(k, "/"); ch == channel && m.live() {
			out = append(out, ts)
		}
	}
	slices.Sort(out)
	return out
}

// serveResponseURL takes an interaction's answer; fail("response_url",
// code) makes it answer as Slack does once the URL is used up or expired.
func (f *fakeSlack) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := apiCall{Method: "response_url", Raw: string(body), URL: f.srv.URL + r.URL.Path}
	_ = json.Unmarshal(body, &c.JSON)
	f.mu.Lock()
	f.calls = append(f.calls, c)
	code, failing := f.fails[c.Method]
	f.bump()
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if failing {
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": code})
		return
	}
	_, _ = io.WriteString(w, `{"ok":true}`)
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (f *fakeSlack) serveSocket(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &fakeConn{f: f, ws: ws, done: make(chan struct{}), ackPayloads: map[string]json.RawMessage{}}
	c.send(f.t, fixture(f.t, "socket_mode_hello.json"))
	f.mu.Lock()
	f.conns = append(f.conns, c)
	f.bump()
	f.mu.Unlock()
	stop := make(chan struct{})
	go func() { // Slack pings; slack-go reconnects after 30 s without one.
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				_ = ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
			}
		}
	}()
	go func() {
		defer close(c.done)
		defer close(stop)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var ack struct {
				EnvelopeID string          `json:"envelope_id"`
				Payload    json.RawMessage `json:"payload"`
			}
			if json.Unmarshal(data, &ack) == nil && ack.EnvelopeID != "" {
				f.mu.Lock()
				c.acks = append(c.acks, ack.EnvelopeID)
				if len(ack.Payload) > 0 {
					c.ackPayloads[ack.EnvelopeID] = ack.Payload
				}
				f.bump()
				f.mu.Unlock()
			}
		}
	}()
}

// conn waits for the n-th Socket Mode connection (1-based).
func (f *fakeSlack) conn(t testing.TB, n int) *fakeConn {
	t.Helper()
	f.waitFor(t, fmt.Sprintf("socket mode connection #%d", n), func() bool { return len(f.conns) >= n })
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns[n-1]
}

// latest waits for a Socket Mode connection and returns the newest.
func (f *fakeSlack) latest(t testing.TB) *fakeConn {
	t.Helper()
	f.waitFor(t, "a socket mode connection", func() bool { return len(f.conns) > 0 })
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns[len(f.conns)-1]
}

func (c *fakeConn) send(t testing.TB, frame []byte) {
	t.Helper()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.WriteMessage(websocket.TextMessage, frame); err != nil {
		t.Fatalf("socket mode send: %v", err)
	}
}

// waitAck waits until the envelope was acknowledged on this connection and
// returns the ack's payload (nil without one).
func (c *fakeConn) waitAck(t testing.TB, envelopeID string) json.RawMessage {
	t.Helper()
	c.f.waitFor(t, "ack of "+envelopeID, func() bool {
		for _, a := range c.acks {
			if a == envelopeID {
				return true
			}
		}
		return false
	})
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	return c.ackPayloads[envelopeID]
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

func fixtureMap(t testing.TB, name string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(fixture(t, name), &m); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return m
}
