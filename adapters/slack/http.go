package slack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/passbot/passbot/internal/bodyread"
)

// Limits on requests whose signature is not yet verified: anyone can send
// them, so they may cost little. Real Slack bodies are a few kilobytes
// (an interaction carries its message: tens at most).
const (
	// maxBody bounds a request body.
	maxBody = 256 << 10
	// maxUnverified bounds the bodies being read at once, before their
	// signature could be checked: at most maxUnverified*maxBody bytes of
	// them are held. A request that finds them all taken cuts off the one
	// reading longest (bodyread), so slow uploads cannot keep Slack out.
	maxUnverified = 32
	// bodyReadTime bounds reading one body: Slack sends it at once, and
	// gives up on the answer after 3 seconds
	// (https://docs.slack.dev/tools/bolt-python/concepts/acknowledge), so a body
	// slower than that would be answered too late anyway.
	bodyReadTime = 3 * time.Second
	// maxSkew is how far a request's timestamp may be from now, either way
	// (Slack's replay window).
	maxSkew = 5 * time.Minute
)

// Reasons a request is refused, the label of passbot_http_refused_total;
// bodyread.Refusal names those of a body not read (too_large, busy,
// cut_off, unreadable).
const (
	refusedUnsigned  = "unsigned"      // no or malformed signature or timestamp header
	refusedStale     = "stale"         // timestamp older than maxSkew
	refusedFuture    = "future"        // timestamp more than maxSkew ahead
	refusedSignature = "bad_signature" // the signature does not match the body
)

// RefusalCounter counts the HTTP requests refused before their signature
// was verified, by reason. They are counted, not logged one by one: a flood
// of forged requests must not become a flood of log lines.
type RefusalCounter interface {
	HTTPRefused(reason string)
}

// HTTPHandler serves Slack's HTTP endpoints, for main's HTTP server in http
// mode: POST /slack/events (Events API, including url_verification),
// /slack/interactions (button clicks) and /slack/commands (/passcode). Every
// request must carry a valid v0 signature made with the signing secret
// within 5 minutes of now. Slack gets its 200 at once; the work runs after,
// tracked so Run can wait for it. refused, when not nil, counts the
// requests turned away.
func (a *Adapter) HTTPHandler(refused RefusalCounter) http.Handler {
	mux := http.NewServeMux()
	h := &httpEndpoints{a: a, refused: refused}
	mux.HandleFunc("POST /slack/events", h.serveEvents)
	mux.HandleFunc("POST /slack/interactions", h.serveInteractions)
	mux.HandleFunc("POST /slack/commands", h.serveCommands)
	return mux
}

// httpEndpoints is one HTTPHandler's endpoints and their refusal counter.
type httpEndpoints struct {
	a       *Adapter
	refused RefusalCounter
}

func (h *httpEndpoints) refuse(w http.ResponseWriter, r *http.Request, reason string, status int) {
	if h.refused != nil {
		h.refused.HTTPRefused(reason)
	}
	h.a.log.Debug("slack: refused request", "path", r.URL.Path, "reason", reason)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	bodyread.LeaveUnread(w)
	http.Error(w, http.StatusText(status), status)
}

// checkHeaders looks at the signature headers before any of the body is
// read: a request without them, or outside the replay window, costs nothing
// more. It returns the refusal reason, or "".
func (h *httpEndpoints) checkHeaders(r *http.Request) string {
	sig := r.Header.Get("X-Slack-Signature")
	mac, ok := strings.CutPrefix(sig, "v0=")
	if _, err := hex.DecodeString(mac); !ok || err != nil || len(mac) != 2*sha256.Size {
		return refusedUnsigned
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-Slack-Request-Timestamp"), 10, 64)
	if err != nil {
		return refusedUnsigned
	}
	switch age := h.a.now().Sub(time.Unix(ts, 0)); {
	case age > maxSkew:
		return refusedStale
	case age < -maxSkew:
		return refusedFuture
	}
	return ""
}

// verified reads the body and checks its signature; on failure it has
// answered the request and returns false.
func (h *httpEndpoints) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	a := h.a
	if a.cfg.SigningSecret == "" {
		a.log.Error("slack: HTTP request but PASSBOT_SLACK_SIGNING_SECRET is not set", "path", r.URL.Path)
		http.Error(w, "not configured", http.StatusServiceUnavailable)
		return nil, false
	}
	if reason := h.checkHeaders(r); reason != "" {
		h.refuse(w, r, reason, http.StatusUnauthorized)
		return nil, false
	}
	body, err := a.unverified.Read(w, r)
	if err != nil {
		reason, status := bodyread.Refusal(err)
		h.refuse(w, r, reason, status)
		return nil, false
	}
	v, err := slackapi.NewSecretsVerifier(r.Header, a.cfg.SigningSecret)
	if err == nil {
		_, _ = v.Write(body)
		err = v.Ensure()
	}
	if err != nil {
		h.refuse(w, r, refusedSignature, http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}

// accepted answers 200 once the work is queued, 503 while shutting down (so
// Slack retries with another replica).
func (a *Adapter) accepted(w http.ResponseWriter, queued bool) {
	if !queued {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (h *httpEndpoints) serveEvents(w http.ResponseWriter, r *http.Request) {
	a := h.a
	body, ok := h.verified(w, r)
	if !ok {
		return
	}
	if !json.Valid(body) {
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	e, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		// Well-formed but not an event passbot knows (another subscription):
		// a 400 would only make Slack retry it.
		a.log.Warn("slack: unreadable event", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	switch e.Type {
	case slackevents.URLVerification:
		var v slackevents.ChallengeResponse
		if err := json.Unmarshal(body, &v); err != nil || v.Challenge == "" {
			http.Error(w, "malformed url_verification", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, v.Challenge)
	case slackevents.CallbackEvent:
		a.accepted(w, a.work.Go(func(ctx context.Context) { a.onEventsAPI(ctx, e) }))
	default:
		w.WriteHeader(http.StatusOK)
	}
}

func (h *httpEndpoints) serveInteractions(w http.ResponseWriter, r *http.Request) {
	a := h.a
	body, ok := h.verified(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	var cb slackapi.InteractionCallback
	if err == nil {
		err = json.Unmarshal([]byte(form.Get("payload")), &cb)
	}
	if err != nil {
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	a.accepted(w, a.work.Go(func(ctx context.Context) { a.onInteraction(ctx, cb) }))
}

func (h *httpEndpoints) serveCommands(w http.ResponseWriter, r *http.Request) {
	a := h.a
	body, ok := h.verified(w, r)
	if !ok {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c, err := slackapi.SlashCommandParse(r)
	if err != nil || c.UserID == "" || c.Command == "" {
		http.Error(w, "malformed command", http.StatusBadRequest)
		return
	}
	// The answer comes as a DM; the response body only points there, and
	// only the user sees it (an empty 200 shows nothing).
	ack := a.commandAck(c) // before the work can change what it sees
	queued := a.work.Go(func(ctx context.Context) { a.onCommand(ctx, c) })
	if !queued || ack == nil {
		a.accepted(w, queued)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(ack)
}
