package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// maxBody bounds a request body from Slack; real ones are a few kilobytes.
const maxBody = 1 << 20

// HTTPHandler serves Slack's HTTP endpoints, for main's HTTP server in http
// mode: POST /slack/events (Events API, including url_verification),
// /slack/interactions (button clicks) and /slack/commands (/passcode). Every
// request must carry a valid v0 signature made with the signing secret
// within the last 5 minutes. Slack gets its 200 at once; the work runs after,
// tracked so Run can wait for it.
func (a *Adapter) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/events", a.serveEvents)
	mux.HandleFunc("POST /slack/interactions", a.serveInteractions)
	mux.HandleFunc("POST /slack/commands", a.serveCommands)
	return mux
}

// verified reads the body and checks its signature; on failure it has
// answered the request and returns false.
func (a *Adapter) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		http.Error(w, "cannot read request", http.StatusBadRequest)
		return nil, false
	}
	if a.cfg.SigningSecret == "" {
		a.log.Error("slack: HTTP request but PASSBOT_SLACK_SIGNING_SECRET is not set", "path", r.URL.Path)
		http.Error(w, "not configured", http.StatusServiceUnavailable)
		return nil, false
	}
	v, err := slackapi.NewSecretsVerifier(r.Header, a.cfg.SigningSecret)
	if err == nil {
		_, _ = v.Write(body)
		err = v.Ensure()
	}
	if err != nil {
		reason := "bad_signature"
		switch {
		case errors.Is(err, slackapi.ErrExpiredTimestamp):
			reason = "stale"
		case errors.Is(err, slackapi.ErrMissingHeaders):
			reason = "unsigned"
		}
		a.log.Warn("slack: refused request", "reason", reason, "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
		http.Error(w, "invalid signature", http.StatusUnauthorized)
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

func (a *Adapter) serveEvents(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r)
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
		a.accepted(w, a.goWork(func(ctx context.Context) { a.onEventsAPI(ctx, e) }))
	default:
		w.WriteHeader(http.StatusOK)
	}
}

func (a *Adapter) serveInteractions(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r)
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
	a.accepted(w, a.goWork(func(ctx context.Context) { a.onInteraction(ctx, cb) }))
}

func (a *Adapter) serveCommands(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r)
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
	queued := a.goWork(func(ctx context.Context) { a.onCommand(ctx, c) })
	if !queued || ack == nil {
		a.accepted(w, queued)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(ack)
}
