package acceptance

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// crowdSlack is the Slack Web API that the replicas of the crowd test
// call: the methods a direct-message conversation needs, answered with the
// shapes of Slack's documented responses (testdata/slack). It keeps, per
// DM channel, what the employee sees there, and wakes that employee on
// every change.
type crowdSlack struct {
	t        testing.TB
	srv      *httptest.Server
	fixtures map[string][]byte

	mu    sync.Mutex
	ts    int
	dms   map[string]*dmView
	calls map[string]int // method → calls answered
	stale int            // "That button … no longer works" answers
}

// dmView is one employee's DM with the bot as they see it.
type dmView struct {
	seq     int                  // changes so far
	changed chan struct{}        // closed and replaced on every change
	msgs    map[string]*shownMsg // ts → the message as it stands
	codes   []string             // temporary passcodes received, in order
	// recovered counts results read back after a lost answer, which say
	// where to find the passcode instead of showing it.
	recovered int
	// last is the most recently changed message that has buttons: what a
	// person acts on.
	last *shownMsg
	// history is every change, for the report of a failed conversation
	// (a passcode only as its length).
	history []string
}

// shownMsg is a bot message in a DM.
type shownMsg struct {
	ts      string
	text    string
	buttons []crowdButton
	seq     int // the DM's change that last touched it
}

// crowdButton is a Block Kit button as passbot drew it.
type crowdButton struct {
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
	Text     struct {
		Text string `json:"text"`
	} `json:"text"`
}

// passcodeText finds the temporary passcode in the Android answer
// ("… temporary passcode (letters and numbers) is: cy8g93s5").
var passcodeText = regexp.MustCompile(`temporary passcode \(letters and numbers\) is: ([A-Za-z0-9]+)`)

// staleText starts the answer to a click on a button that no longer works
// (notice.stale).
const staleText = "That button is from an earlier step"

// recoveredText is the start of the answer to a reset whose result was read
// back later ("result.passcode.elsewhere").
const recoveredText = "was reset, but I cannot show its temporary passcode here"

func newCrowdSlack(t testing.TB) *crowdSlack {
	f := &crowdSlack{t: t, fixtures: map[string][]byte{}, dms: map[string]*dmView{}, calls: map[string]int{}, ts: 100}
	for _, name := range []string{"auth_test_response_bot", "users_info_response", "chat_postMessage_response",
		"chat_update_response", "chat_postEphemeral_response", "events_api_message_im", "interaction_block_actions"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "slack", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("fixture %s: %v", name, err)
		}
		f.fixtures[name] = b
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", f.serveAPI)
	mux.HandleFunc("/response/{id}", f.serveResponseURL)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// fixture returns a fresh copy of a fixture, decoded (newCrowdSlack made
// sure each decodes).
func (f *crowdSlack) fixture(name string) map[string]any {
	var m map[string]any
	_ = json.Unmarshal(f.fixtures[name], &m)
	return m
}

// dm returns the view of a DM channel; call with f.mu held.
func (f *crowdSlack) dm(channel string) *dmView {
	d, ok := f.dms[channel]
	if !ok {
		d = &dmView{changed: make(chan struct{}), msgs: map[string]*shownMsg{}}
		f.dms[channel] = d
	}
	return d
}

// show records what a chat.postMessage or chat.update put in a DM.
func (f *crowdSlack) show(channel, ts, text, blocks string) {
	var parsed []struct {
		Type     string        `json:"type"`
		Elements []crowdButton `json:"elements"`
	}
	_ = json.Unmarshal([]byte(blocks), &parsed)
	var buttons []crowdButton
	for _, b := range parsed {
		if b.Type == "actions" {
			buttons = append(buttons, b.Elements...)
		}
	}
	d := f.dm(channel)
	d.seq++
	m := &shownMsg{ts: ts, text: text, buttons: buttons, seq: d.seq}
	d.msgs[ts] = m
	d.history = append(d.history, fmt.Sprintf("%s %s %.70q %d buttons", time.Now().Format("15:04:05.000"), ts, passcodeText.ReplaceAllString(text, "temporary passcode ****"), len(buttons)))
	switch code := passcodeText.FindStringSubmatch(text); {
	case code != nil:
		d.codes = append(d.codes, code[1])
	case strings.Contains(text, recoveredText):
		d.recovered++
	case strings.HasPrefix(text, staleText):
		f.stale++
	case len(buttons) > 0:
		d.last = m
	}
	if d.last != nil && d.last.ts == ts && len(buttons) == 0 {
		d.last = nil // replaced by a message without buttons ("Resetting…")
	}
	close(d.changed)
	d.changed = make(chan struct{})
}

// apiLatency is how long the fake takes to answer a Web API call, drawn
// per call up to this: Slack answers in tens of milliseconds, and that time
// is what keeps a replica's work in flight when it is killed.
const apiLatency = 100 * time.Millisecond

func (f *crowdSlack) serveAPI(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	select {
	case <-time.After(rand.N(apiLatency)):
	case <-r.Context().Done():
		return // the replica died waiting
	}
	form, _ := url.ParseQuery(string(body))
	method := r.PathValue("method")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[method]++
	var resp map[string]any
	switch method {
	case "auth.test":
		resp = f.fixture("auth_test_response_bot")
	case "users.info":
		n, ok := employeeOf(form.Get("user"))
		if !ok {
			resp = map[string]any{"ok": false, "error": "user_not_found"}
			break
		}
		resp = f.fixture("users_info_response")
		user := resp["user"].(map[string]any)
		profile := user["profile"].(map[string]any)
		user["id"], user["name"], user["real_name"] = form.Get("user"), employeeName(n), employeeName(n)
		profile["email"], profile["real_name"], profile["display_name"] = employeeUPN(n), employeeName(n), employeeName(n)
		if form.Get("include_locale") != "true" {
			delete(user, "locale")
		}
	case "conversations.open":
		n, ok := employeeOf(form.Get("users"))
		if !ok {
			resp = map[string]any{"ok": false, "error": "user_not_found"}
			break
		}
		resp = map[string]any{"ok": true, "channel": map[string]any{"id": employeeDM(n), "is_im": true, "user": form.Get("users")}}
	case "chat.postMessage":
		f.ts++
		ts := fmt.Sprintf("1700000000.%06d", f.ts)
		resp = f.fixture("chat_postMessage_response")
		resp["channel"], resp["ts"] = form.Get("channel"), ts
		resp["message"].(map[string]any)["ts"] = ts
		f.show(form.Get("channel"), ts, form.Get("text"), form.Get("blocks"))
	case "chat.update":
		resp = f.fixture("chat_update_response")
		resp["channel"], resp["ts"] = form.Get("channel"), form.Get("ts")
		f.show(form.Get("channel"), form.Get("ts"), form.Get("text"), form.Get("blocks"))
	case "chat.postEphemeral":
		f.ts++
		resp = f.fixture("chat_postEphemeral_response")
		resp["message_ts"] = fmt.Sprintf("1700000000.%06d", f.ts)
	default:
		resp = map[string]any{"ok": false, "error": "unknown_method"}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// serveResponseURL takes an interaction's response_url posts. The crowd's
// conversations stay in DMs, where passbot replaces messages with
// chat.update: these are only counted.
func (f *crowdSlack) serveResponseURL(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	f.calls["response_url"]++
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
}

// snapshot is what an employee sees in their DM at one moment.
type snapshot struct {
	seq       int
	last      *shownMsg // latest message with buttons, nil if none
	codes     []string
	recovered int
	changed   <-chan struct{}
}

func (f *crowdSlack) look(channel string) snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.dm(channel)
	s := snapshot{seq: d.seq, codes: append([]string(nil), d.codes...), recovered: d.recovered, changed: d.changed}
	if d.last != nil {
		m := *d.last
		s.last = &m
	}
	return s
}

// transcript is what happened in a DM, one change a line.
func (f *crowdSlack) transcript(channel string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.dm(channel).history, "\n")
}

// count returns how often a method was called.
func (f *crowdSlack) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

// staleAnswers returns how often a click was answered that its button no
// longer works.
func (f *crowdSlack) staleAnswers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stale
}

// Employees of the crowd: Slack user U0EMP0001 has DM D0EMP0001, is
// user001@contoso.com and owns device crowd-0001.
func employeeID(n int) string   { return fmt.Sprintf("U0EMP%04d", n) }
func employeeDM(n int) string   { return fmt.Sprintf("D0EMP%04d", n) }
func employeeUPN(n int) string  { return fmt.Sprintf("user%03d@contoso.com", n) }
func employeeName(n int) string { return fmt.Sprintf("Employee %03d", n) }
func deviceOf(n int) string     { return fmt.Sprintf("crowd-%04d", n) }

func employeeOf(id string) (int, bool) {
	rest, ok := strings.CutPrefix(id, "U0EMP")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}
