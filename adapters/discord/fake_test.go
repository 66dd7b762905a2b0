package discord

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
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

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
	"github.com/passbot/passbot/internal/enginetest"
)

// fakeDiscord speaks Discord's REST API and gateway protocol over httptest
// and gorilla/websocket, with payloads shaped after testdata/ (copied from
// Discord's documentation), and records what the bot sent.
type fakeDiscord struct {
	t   *testing.T
	srv *httptest.Server

	mu           sync.Mutex
	changed      chan struct{} // closed and replaced on every change
	calls        []restCall
	frames       []gatewayFrame // what the bot sent over the gateway
	conn         *fakeConn      // the live session's connection; nil between connections
	conns        []*fakeConn
	seq          int64
	session      string
	backlog      [][]byte // dispatches made while no connection was live, replayed on RESUME
	identifies   int
	resumes      int
	heartbeats   int
	interactions map[string]*interactionInfo // by token
	payloads     map[string]map[string]any   // INTERACTION_CREATE d by interaction ID, for replays
	answered     map[string][]int            // interaction ID → callback types, in order
	messages     map[string]*fakeMessage
	order        []string
	nextID       int64
	limits       []*rateLimit
	lostAnswers  []*rateLimit      // calls carried out and then answered 502
	members      map[string]person // guild members by user ID: everyone the tests let act
	failMembers  int               // member lookups still to fail with a 500
	blocked      map[string]bool   // DM channels of users who take no DMs from server members
}

const (
	testToken    = "test-token"
	testApp      = "1110000000000000001" // application and bot user ID of gateway_ready.json
	testGuild    = "290926798626357999"
	guildChannel = "645027906669510667"
	// helpdeskChannel is the guild's channel for approval cards.
	helpdeskChannel = "645027906669510777"
)

// guildChannels are the text channels of testGuild.
var guildChannels = map[string]bool{guildChannel: true, helpdeskChannel: true}

var apiPrefix = "/api/v" + discordgo.APIVersion + "/"

type restCall struct {
	Method string
	Path   string // after /api/v9/
	Query  url.Values
	Auth   string
	Body   []byte
	Status int
}

// decode returns the call's JSON body.
func (c restCall) decode() map[string]any {
	var m map[string]any
	json.Unmarshal(c.Body, &m)
	return m
}

type gatewayFrame struct {
	Op  int             `json:"op"`
	D   json.RawMessage `json:"d"`
	Raw string          `json:"-"`
}

type fakeConn struct {
	ws  *websocket.Conn
	wmu sync.Mutex
}

func (c *fakeConn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// fakeMessage is a message as Discord would hold it.
type fakeMessage struct {
	ID, ChannelID, GuildID string
	Content                string
	Flags                  int
	Components             []any
	Interaction            string // the interaction whose response or follow-up it is
	Deleted                bool
	Edits                  int // PATCHes after it was posted
}

type interactionInfo struct {
	ID, Token, ChannelID, GuildID string
	ClickedID                     string // the message whose button was clicked
	OriginalID                    string // the message @original refers to
}

type rateLimit struct {
	method, prefix string
	n              int
	retryAfter     float64
}

func newFakeDiscord(t *testing.T) *fakeDiscord {
	t.Helper()
	f := &fakeDiscord{
		t:            t,
		changed:      make(chan struct{}),
		interactions: map[string]*interactionInfo{},
		payloads:     map[string]map[string]any{},
		answered:     map[string][]int{},
		messages:     map[string]*fakeMessage{},
		members:      map[string]person{},
		nextID:       1200000000000000000,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/gateway", f.serveGateway)
	mux.HandleFunc("/gateway/", f.serveGateway) // discordgo adds a slash
	mux.HandleFunc(apiPrefix, f.serveREST)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		f.mu.Lock()
		for _, c := range f.conns {
			c.ws.Close()
		}
		f.mu.Unlock()
		f.srv.Close()
	})
	return f
}

// notify wakes waiters; call with f.mu held.
func (f *fakeDiscord) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeDiscord) newID() string {
	f.nextID++
	return strconv.FormatInt(f.nextID, 10)
}

// waitFor waits until cond, evaluated with f.mu held, is true.
func (f *fakeDiscord) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ok := enginetest.Await(10*time.Second, func() (bool, <-chan struct{}) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return cond(), f.changed
	})
	if !ok {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// ---- gateway ----

func fixture(t testing.TB, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func (f *fakeDiscord) wsURL() string {
	return "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/gateway"
}

func (f *fakeDiscord) serveGateway(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &fakeConn{ws: ws}
	f.mu.Lock()
	f.conns = append(f.conns, c)
	f.mu.Unlock()
	defer ws.Close()
	hello, _ := json.Marshal(fixture(f.t, "gateway_hello.json"))
	if c.write(hello) != nil {
		return
	}
	for {
		_, data, err := ws.ReadMessage()
		f.mu.Lock()
		if err != nil {
			if f.conn == c {
				f.conn = nil
			}
			f.notify()
			f.mu.Unlock()
			return
		}
		var fr gatewayFrame
		json.Unmarshal(data, &fr)
		fr.Raw = string(data)
		f.frames = append(f.frames, fr)
		switch fr.Op {
		case 1: // heartbeat
			f.heartbeats++
			ack, _ := json.Marshal(fixture(f.t, "gateway_heartbeat_ack.json"))
			c.write(ack)
		case 2: // identify
			f.identifies++
			f.session = fmt.Sprintf("session-%d", f.identifies)
			f.seq, f.backlog, f.conn = 0, nil, c
			ready := fixture(f.t, "gateway_ready.json")
			f.seq++
			ready["s"] = f.seq
			d := ready["d"].(map[string]any)
			d["session_id"] = f.session
			d["resume_gateway_url"] = f.wsURL()
			b, _ := json.Marshal(ready)
			c.write(b)
		case 6: // resume
			var d struct {
				SessionID string `json:"session_id"`
				Seq       int64  `json:"seq"`
			}
			json.Unmarshal(fr.D, &d)
			if d.SessionID != f.session {
				c.write([]byte(`{"op":9,"d":false}`))
				break
			}
			f.resumes++
			f.conn = c
			// Discord replays what the session missed, then sends RESUMED.
			for _, b := range f.backlog {
				c.write(b)
			}
			f.backlog = nil
			resumed := fixture(f.t, "gateway_resumed.json")
			f.seq++
			resumed["s"] = f.seq
			b, _ := json.Marshal(resumed)
			c.write(b)
		}
		f.notify()
		f.mu.Unlock()
	}
}

// dispatch sends an op 0 event, or keeps it for the resumed session when no
// connection is live.
func (f *fakeDiscord) dispatch(event string, d any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	b, err := json.Marshal(map[string]any{"op": 0, "s": f.seq, "t": event, "d": d})
	if err != nil {
		f.t.Errorf("dispatch %s: %v", event, err)
		return
	}
	if f.conn == nil || f.conn.write(b) != nil {
		f.backlog = append(f.backlog, b)
	}
}

// reconnect asks the bot to reconnect (op 7); events dispatched until it
// resumes are replayed then.
func (f *fakeDiscord) reconnect(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn == nil {
		t.Fatal("reconnect: no live gateway connection")
	}
	b, _ := json.Marshal(fixture(t, "gateway_reconnect.json"))
	if err := f.conn.write(b); err != nil {
		t.Fatal(err)
	}
	f.conn = nil
}

// ---- REST ----

func (f *fakeDiscord) serveREST(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.notify()
	call := restCall{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, apiPrefix), Query: r.URL.Query(), Auth: r.Header.Get("Authorization"), Body: body}
	status, resp := f.route(w, &call)
	if status/100 == 2 && takeOne(f.lostAnswers, call.Method, call.Path) {
		// Discord took the call; the gateway in front of it lost the answer.
		status, resp = http.StatusBadGateway, apiError(0, "502: Bad Gateway")
	}
	call.Status = status
	f.calls = append(f.calls, call)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if resp != nil {
		json.NewEncoder(w).Encode(resp)
	}
}

func apiError(code int, msg string) map[string]any {
	return map[string]any{"code": code, "message": msg}
}

func (f *fakeDiscord) route(w http.ResponseWriter, c *restCall) (int, any) {
	if c.Auth != "Bot "+testToken {
		return http.StatusUnauthorized, apiError(0, "401: Unauthorized")
	}
	for _, l := range f.limits {
		if l.n > 0 && c.Method == l.method && strings.HasPrefix(c.Path, l.prefix) {
			l.n--
			body := fixture(f.t, "rest_rate_limited_429.json")
			body["retry_after"] = l.retryAfter
			after := strconv.FormatFloat(l.retryAfter, 'f', -1, 64)
			w.Header().Set("Retry-After", "1")
			w.Header().Set("X-RateLimit-Limit", "5")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset-After", after)
			w.Header().Set("X-RateLimit-Bucket", "abcd1234")
			w.Header().Set("X-RateLimit-Scope", "user")
			return http.StatusTooManyRequests, body
		}
	}
	seg := strings.Split(c.Path, "/")
	route := c.Method + " " + c.Path
	switch {
	case route == "GET gateway" || route == "GET gateway/bot":
		g := fixture(f.t, "gateway_get_gateway_bot_response.json")
		g["url"] = f.wsURL()
		return http.StatusOK, g
	case route == "GET oauth2/applications/@me":
		return http.StatusOK, map[string]any{"id": testApp, "name": "passbot", "bot_public": false}
	case route == "POST users/@me/channels":
		var req struct {
			RecipientID string `json:"recipient_id"`
		}
		json.Unmarshal(c.Body, &req)
		ch := fixture(f.t, "rest_create_dm_channel_response.json")
		ch["id"] = dmChannel(req.RecipientID)
		ch["recipients"] = []any{map[string]any{"id": req.RecipientID, "username": "someone", "discriminator": "0"}}
		return http.StatusOK, ch
	case c.Method == "POST" && len(seg) == 3 && seg[0] == "channels" && seg[2] == "messages":
		guild := ""
		if guildChannels[seg[1]] {
			guild = testGuild
		}
		if f.blocked[seg[1]] {
			return http.StatusForbidden, apiError(50007, "Cannot send messages to this user")
		}
		m := f.store(seg[1], guild, c.decode(), "")
		return http.StatusOK, f.messageJSON(m)
	case c.Method == "GET" && len(seg) == 2 && seg[0] == "channels":
		if !guildChannels[seg[1]] {
			return http.StatusNotFound, apiError(10003, "Unknown Channel")
		}
		return http.StatusOK, map[string]any{"id": seg[1], "type": 0, "guild_id": testGuild, "name": "it-helpdesk", "position": 0}
	case c.Method == "GET" && len(seg) == 4 && seg[0] == "guilds" && seg[2] == "members":
		if f.failMembers > 0 {
			f.failMembers--
			return http.StatusInternalServerError, apiError(0, "500: Internal Server Error")
		}
		p, ok := f.members[seg[3]]
		if seg[1] != testGuild || !ok {
			return http.StatusNotFound, apiError(10007, "Unknown Member")
		}
		return http.StatusOK, map[string]any{"user": p.userJSON(), "roles": append([]string{}, p.Roles...),
			"joined_at": "2017-03-13T19:19:14.040000+00:00", "deaf": false, "mute": false, "flags": 0}
	case c.Method == "PUT" && seg[0] == "applications" && seg[len(seg)-1] == "commands" && (len(seg) == 3 || len(seg) == 5):
		if seg[1] != testApp {
			return http.StatusNotFound, apiError(10002, "Unknown Application")
		}
		var cmds []map[string]any
		json.Unmarshal(c.Body, &cmds)
		for _, cmd := range cmds {
			cmd["id"], cmd["application_id"], cmd["version"] = f.newID(), testApp, "1"
		}
		if cmds == nil {
			cmds = []map[string]any{}
		}
		return http.StatusOK, cmds
	case c.Method == "POST" && len(seg) == 4 && seg[0] == "interactions" && seg[3] == "callback":
		return f.callback(seg[1], seg[2], c)
	case c.Method == "POST" && len(seg) == 3 && seg[0] == "webhooks":
		info := f.interactions[seg[2]]
		if info == nil || seg[1] != testApp || len(f.answered[info.ID]) == 0 {
			return http.StatusNotFound, apiError(10015, "Unknown Webhook")
		}
		m := f.store(info.ChannelID, info.GuildID, c.decode(), info.ID)
		if c.Query.Get("wait") != "true" {
			return http.StatusNoContent, nil
		}
		return http.StatusOK, f.messageJSON(m)
	case len(seg) == 5 && seg[0] == "webhooks" && seg[3] == "messages" && seg[4] == "@original":
		info := f.interactions[seg[2]]
		if info == nil || info.OriginalID == "" {
			return http.StatusNotFound, apiError(10008, "Unknown Message")
		}
		m := f.messages[info.OriginalID]
		switch c.Method {
		case "GET":
			return http.StatusOK, f.messageJSON(m)
		case "PATCH":
			f.edit(m, c)
			return http.StatusOK, f.messageJSON(m)
		case "DELETE":
			m.Deleted = true
			return http.StatusNoContent, nil
		}
	case c.Method == "PATCH" && len(seg) == 5 && seg[0] == "webhooks" && seg[3] == "messages":
		// An interaction's response or follow-up, ephemeral ones included,
		// while its token lives.
		info := f.interactions[seg[2]]
		m := f.messages[seg[4]]
		if info == nil || seg[1] != testApp || m == nil || m.Interaction != info.ID {
			return http.StatusNotFound, apiError(10008, "Unknown Message")
		}
		f.edit(m, c)
		return http.StatusOK, f.messageJSON(m)
	case c.Method == "PATCH" && len(seg) == 4 && seg[0] == "channels" && seg[2] == "messages":
		m := f.messages[seg[3]]
		if m == nil || m.ChannelID != seg[1] || m.Flags&64 != 0 {
			// Ephemeral messages cannot be edited through the channel.
			return http.StatusNotFound, apiError(10008, "Unknown Message")
		}
		f.edit(m, c)
		return http.StatusOK, f.messageJSON(m)
	}
	return http.StatusNotFound, apiError(0, "404: Not Found")
}

func (f *fakeDiscord) callback(id, token string, c *restCall) (int, any) {
	info := f.interactions[token]
	if info == nil || info.ID != id {
		return http.StatusNotFound, apiError(10062, "Unknown interaction")
	}
	var cb struct {
		Type int            `json:"type"`
		Data map[string]any `json:"data"`
	}
	json.Unmarshal(c.Body, &cb)
	f.answered[id] = append(f.answered[id], cb.Type)
	if len(f.answered[id]) > 1 {
		return http.StatusBadRequest, apiError(40060, "Interaction has already been acknowledged.")
	}
	switch cb.Type {
	case 4, 5:
		info.OriginalID = f.store(info.ChannelID, info.GuildID, cb.Data, id).ID
	case 6:
		info.OriginalID = info.ClickedID
	case 7:
		info.OriginalID = info.ClickedID
		m := f.messages[info.ClickedID]
		m.Content, _ = cb.Data["content"].(string)
		m.Components, _ = cb.Data["components"].([]any)
	default:
		return http.StatusBadRequest, apiError(50035, "Invalid Form Body")
	}
	return http.StatusNoContent, nil
}

// store keeps a new message from a create-message, callback or webhook body.
func (f *fakeDiscord) store(channelID, guildID string, body map[string]any, interaction string) *fakeMessage {
	m := &fakeMessage{ID: f.newID(), ChannelID: channelID, GuildID: guildID, Interaction: interaction}
	m.Content, _ = body["content"].(string)
	if fl, ok := body["flags"].(float64); ok {
		m.Flags = int(fl)
	}
	m.Components, _ = body["components"].([]any)
	f.messages[m.ID] = m
	f.order = append(f.order, m.ID)
	return m
}

// edit applies a PATCH of a message's content and components.
func (f *fakeDiscord) edit(m *fakeMessage, c *restCall) {
	edit := c.decode()
	if v, ok := edit["content"].(string); ok {
		m.Content = v
	}
	if v, ok := edit["components"].([]any); ok {
		m.Components = v
	}
	m.Edits++
}

func (f *fakeDiscord) messageJSON(m *fakeMessage) map[string]any {
	j := fixture(f.t, "rest_create_message_response.json")
	j["id"], j["channel_id"], j["content"], j["flags"] = m.ID, m.ChannelID, m.Content, m.Flags
	j["components"] = m.Components
	if m.Components == nil {
		j["components"] = []any{}
	}
	return j
}

// ---- what the tests do and read ----

type person struct {
	ID, Name, Locale string
	Roles            []string
}

func dmChannel(userID string) string { return "dm-" + userID }

func (p person) userJSON() map[string]any {
	return map[string]any{"id": p.ID, "username": p.Name, "global_name": p.Name, "discriminator": "0", "avatar": nil, "public_flags": 0}
}

// sendDM delivers a direct message from p (MESSAGE_CREATE).
func (f *fakeDiscord) sendDM(p person, text string) string {
	ev := fixture(f.t, "gateway_message_create_dm.json")["d"].(map[string]any)
	f.mu.Lock()
	id := f.newID()
	f.members[p.ID] = p
	f.mu.Unlock()
	ev["id"], ev["channel_id"], ev["author"], ev["content"] = id, dmChannel(p.ID), p.userJSON(), text
	f.dispatch("MESSAGE_CREATE", ev)
	return id
}

// slash runs /passcode with options for p, in the guild channel or in the
// bot's DM.
func (f *fakeDiscord) slash(p person, inGuild bool, options []any, resolved map[string]any) string {
	name := "gateway_interaction_create_command_dm.json"
	if inGuild {
		name = "gateway_interaction_create_command.json"
	}
	d := fixture(f.t, name)["d"].(map[string]any)
	data := d["data"].(map[string]any)
	data["options"] = options
	if options == nil {
		delete(data, "options")
	}
	if resolved != nil {
		data["resolved"] = resolved
	}
	return f.interact(p, d, inGuild, "")
}

// click presses the button labelled label on m, as p.
func (f *fakeDiscord) click(t *testing.T, p person, m fakeMessage, label string) string {
	t.Helper()
	customID := ""
	for _, row := range m.Components {
		for _, b := range row.(map[string]any)["components"].([]any) {
			if b := b.(map[string]any); b["label"] == label {
				customID = b["custom_id"].(string)
			}
		}
	}
	if customID == "" {
		t.Fatalf("no button %q on message %q (buttons: %v)", label, m.Content, labels(m))
	}
	d := fixture(t, "gateway_interaction_create_component.json")["d"].(map[string]any)
	d["data"].(map[string]any)["custom_id"] = customID
	msg := d["message"].(map[string]any)
	msg["id"], msg["channel_id"], msg["content"], msg["flags"], msg["components"] = m.ID, m.ChannelID, m.Content, m.Flags, m.Components
	return f.interact(p, d, m.GuildID != "", m.ID)
}

func labels(m fakeMessage) []string {
	var out []string
	for _, row := range m.Components {
		for _, b := range row.(map[string]any)["components"].([]any) {
			out = append(out, fmt.Sprint(b.(map[string]any)["label"]))
		}
	}
	return out
}

// interact fills in who, where and the IDs, and dispatches INTERACTION_CREATE.
func (f *fakeDiscord) interact(p person, d map[string]any, inGuild bool, clicked string) string {
	f.mu.Lock()
	id := f.newID()
	info := &interactionInfo{ID: id, Token: "token-" + id, ClickedID: clicked}
	f.members[p.ID] = p
	channel := guildChannel // a command is typed in the general channel
	if m := f.messages[clicked]; m != nil && m.GuildID != "" {
		channel = m.ChannelID // a click happens where the message is
	}
	f.mu.Unlock()
	d["id"], d["token"], d["application_id"], d["locale"] = id, info.Token, testApp, p.Locale
	if inGuild {
		info.ChannelID, info.GuildID = channel, testGuild
		delete(d, "user")
		member, _ := d["member"].(map[string]any)
		if member == nil {
			member = map[string]any{"joined_at": "2017-03-13T19:19:14.040000+00:00", "deaf": false, "mute": false}
		}
		member["user"], member["roles"] = p.userJSON(), append([]string{}, p.Roles...)
		d["member"], d["guild_id"], d["context"] = member, testGuild, 0
		d["channel"] = map[string]any{"id": channel, "type": 0, "guild_id": testGuild, "name": "it-helpdesk"}
	} else {
		info.ChannelID = dmChannel(p.ID)
		delete(d, "member")
		delete(d, "guild_id")
		delete(d, "guild_locale")
		d["user"], d["context"] = p.userJSON(), 1
		d["channel"] = map[string]any{"id": info.ChannelID, "type": 1}
	}
	d["channel_id"] = info.ChannelID
	f.mu.Lock()
	f.interactions[info.Token] = info
	f.payloads[id] = d
	f.mu.Unlock()
	f.dispatch("INTERACTION_CREATE", d)
	return id
}

// replay delivers an interaction again, same ID and token.
func (f *fakeDiscord) replay(t *testing.T, id string) {
	t.Helper()
	f.mu.Lock()
	d := maps.Clone(f.payloads[id])
	f.mu.Unlock()
	if d == nil {
		t.Fatalf("replay: no interaction %s", id)
	}
	f.dispatch("INTERACTION_CREATE", d)
}

// loseAnswerOnce makes the next call of method to a path starting with
// prefix be carried out and answered 502 Bad Gateway.
func (f *fakeDiscord) loseAnswerOnce(method, prefix string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lostAnswers = append(f.lostAnswers, &rateLimit{method: method, prefix: prefix, n: 1})
}

// takeOne uses up one of the matching limits, if any is left.
func takeOne(limits []*rateLimit, method, path string) bool {
	for _, l := range limits {
		if l.n > 0 && method == l.method && strings.HasPrefix(path, l.prefix) {
			l.n--
			return true
		}
	}
	return false
}

func (f *fakeDiscord) rateLimitOnce(method, prefix string, retryAfter float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limits = append(f.limits, &rateLimit{method: method, prefix: prefix, n: 1, retryAfter: retryAfter})
}

// awaitMessage waits for a live message matching match and returns a copy.
func (f *fakeDiscord) awaitMessage(t *testing.T, what string, match func(m fakeMessage) bool) fakeMessage {
	t.Helper()
	var found fakeMessage
	f.waitFor(t, what, func() bool {
		for _, id := range slices.Backward(f.order) {
			if m := f.messages[id]; !m.Deleted && match(*m) {
				found = *m
				return true
			}
		}
		return false
	})
	return found
}

// callbacks returns the callback types sent for an interaction.
func (f *fakeDiscord) callbacks(id string) []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.answered[id])
}

func (f *fakeDiscord) allCalls() []restCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeDiscord) allMessages() []fakeMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeMessage
	for _, id := range f.order {
		out = append(out, *f.messages[id])
	}
	return out
}

func (f *fakeDiscord) allFrames() []gatewayFrame {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.frames)
}

// memberLookups counts the bot's GET guilds/{guild}/members/{user} calls for
// a user.
func (f *fakeDiscord) memberLookups(userID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c.Method == "GET" && strings.HasSuffix(c.Path, "/members/"+userID) {
			n++
		}
	}
	return n
}
