package slack

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSigningHelperMatchesSlacksExample(t *testing.T) {
	t.Parallel()
	// signing_example.md: Slack's second vector over slash_command_form.txt.
	got := sign(secret, "1700000000", fixture(t, "slash_command_form.txt"))
	if want := "v0=e26e1f91e63509e306ce4193d97f88bff1dfcde458715fded4cdd2cc8a22de4d"; got != want {
		t.Fatalf("sign = %s, want %s", got, want)
	}
}

func TestHTTPRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ModeHTTP, "en-US")
	im := fixtureMap(t, "events_api_message_im.json")
	im["event"].(map[string]any)["text"] = "reset my passcode"
	event, _ := json.Marshal(im)
	tampered := []byte(strings.Replace(string(event), "reset my passcode", "reset my passcodes", 1))
	command := fixture(t, "slash_command_form.txt")
	now := time.Now()

	for _, tc := range []struct {
		name, path string
		body       []byte
		at         time.Time
		key        string
		mutate     func(r map[string]string)
		want       int
	}{
		{name: "signed with another secret", path: "/slack/events", body: event, at: now, key: "not-the-secret", want: http.StatusUnauthorized},
		{name: "body changed after signing", path: "/slack/events", body: tampered, at: now, want: http.StatusUnauthorized,
			mutate: func(r map[string]string) {
				r["X-Slack-Signature"] = sign(secret, strconv.FormatInt(now.Unix(), 10), event)
			}},
		{name: "signature missing", path: "/slack/commands", body: command, at: now, want: http.StatusUnauthorized,
			mutate: func(r map[string]string) { r["X-Slack-Signature"] = "" }},
		{name: "timestamp 6 minutes old", path: "/slack/events", body: event, at: now.Add(-6 * time.Minute), want: http.StatusUnauthorized},
		{name: "timestamp 6 minutes ahead", path: "/slack/commands", body: command, at: now.Add(6 * time.Minute), want: http.StatusUnauthorized},
		{name: "Slack's published example (2018)", path: "/slack/commands", body: command, at: time.Unix(1700000000, 0), want: http.StatusUnauthorized},
		{name: "malformed event JSON", path: "/slack/events", body: []byte(`{"type":"event_callback","event":`), at: now, want: http.StatusBadRequest},
		{name: "interaction without payload", path: "/slack/interactions", body: []byte("payload=%7Bnot+json"), at: now, want: http.StatusBadRequest},
		{name: "command without user", path: "/slack/commands", body: []byte("command=%2Fpasscode&text=reset"), at: now, want: http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := tc.key
			if key == "" {
				key = secret
			}
			rec := h.postWith(tc.path, tc.body, tc.at, key, tc.mutate)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tc.want, rec.Body)
			}
		})
	}
	if n := h.handler.n.Load(); n != 0 {
		t.Errorf("refused requests reached the engine %d times", n)
	}
	if calls := h.fake.Calls(); len(calls) > 1 || len(calls) == 1 && calls[0].Method != "auth.test" {
		t.Errorf("refused requests called Slack: %s", h.fake.summary())
	}
	if h.handled.Load() != 0 {
		t.Errorf("refused requests queued work")
	}

	// The same event, properly signed, is accepted: the refusals changed nothing.
	if rec := h.post("/slack/events", event, now, secret, 0); rec.Code != http.StatusOK {
		t.Fatalf("valid event: %d", rec.Code)
	}
	h.sent++
	h.settle()
	h.waitPost(adeleDM, "Which device")
}

func TestURLVerification(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ModeHTTP, "en-US")
	rec := h.post("/slack/events", fixture(t, "events_api_url_verification.json"), time.Now(), secret, 0)
	if rec.Code != http.StatusOK || rec.Body.String() != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("url_verification: %d %q", rec.Code, rec.Body)
	}
	// Unsigned, it is refused like anything else.
	rec = h.postWith("/slack/events", fixture(t, "events_api_url_verification.json"), time.Now(), "wrong", nil)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("unsigned url_verification: %d", rec.Code)
	}
}

func TestHTTPOnlyAcceptsPOST(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ModeHTTP, "en-US")
	for _, path := range []string{"/slack/events", "/slack/interactions", "/slack/commands"} {
		r, _ := http.NewRequest(http.MethodGet, path, nil)
		rec := newRecorder()
		h.a.HTTPHandler(nil).ServeHTTP(rec, r)
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("GET %s: %d", path, rec.Code)
		}
	}
}

func TestHTTPUnknownEventIsAcknowledged(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ModeHTTP, "en-US")
	body := []byte(`{"type":"event_callback","event_id":"EvX","event":{"type":"reaction_added","user":"U1"}}`)
	if rec := h.post("/slack/events", body, time.Now(), secret, 0); rec.Code != http.StatusOK {
		t.Fatalf("unknown event type: %d, want 200 so Slack does not retry", rec.Code)
	}
	if n := h.handler.n.Load(); n != 0 {
		t.Errorf("an unknown event reached the engine")
	}
}
