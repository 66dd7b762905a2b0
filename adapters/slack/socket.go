package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// Reconnect backoff of the Socket Mode loop. slack-go reconnects by itself
// when Slack asks (disconnect frames) and retries failed dials; this loop
// covers the rest.
const (
	backoffMin    = time.Second
	backoffMax    = 2 * time.Minute
	healthyUptime = time.Minute // a connection that lived this long resets the backoff
)

// runSocket holds a Socket Mode connection until ctx ends or the tokens are
// refused.
func (a *Adapter) runSocket(ctx context.Context) error {
	backoff := backoffMin
	for {
		start := a.now()
		err := a.socketOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if fatal(err) {
			return fmt.Errorf("slack: socket mode with PASSBOT_SLACK_APP_TOKEN: %w", err)
		}
		if a.now().Sub(start) >= healthyUptime {
			backoff = backoffMin
		}
		a.log.Warn("slack: socket mode stopped, reconnecting", "err", err, "backoff", backoff)
		if a.sleep(ctx, backoff) != nil {
			return nil
		}
		backoff = min(2*backoff, backoffMax)
	}
}

// socketOnce runs slack-go's Socket Mode client and handles its events until
// it stops.
func (a *Adapter) socketOnce(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer a.connected.Store(false)
	client := socketmode.New(a.api)
	errc := make(chan error, 1)
	go func() { errc <- client.RunContext(ctx) }()
	for {
		select {
		case err := <-errc:
			if err == nil {
				err = errors.New("socket mode client stopped")
			}
			return err
		case ev := <-client.Events:
			a.onSocketEvent(client, ev)
		}
	}
}

// onSocketEvent acknowledges an envelope first (Slack's 3-second rule), then
// hands the work to a tracked goroutine.
func (a *Adapter) onSocketEvent(client *socketmode.Client, ev socketmode.Event) {
	switch ev.Type {
	case socketmode.EventTypeConnected:
		a.connected.Store(true)
		a.log.Info("slack: socket mode connected")
		return
	case socketmode.EventTypeConnecting, socketmode.EventTypeDisconnect:
		a.connected.Store(false)
		return
	case socketmode.EventTypeConnectionError:
		if e, ok := ev.Data.(*slackapi.ConnectionErrorEvent); ok {
			a.log.Warn("slack: socket mode connection failed", "attempt", e.Attempt, "backoff", e.Backoff, "err", e.ErrorObj)
		}
		return
	case socketmode.EventTypeInvalidAuth:
		a.log.Error("slack: socket mode refused the app token (PASSBOT_SLACK_APP_TOKEN)")
		return
	case socketmode.EventTypeErrorBadMessage:
		// Acknowledge what cannot be parsed, or Slack redelivers it forever.
		if e, ok := ev.Data.(*socketmode.ErrorBadMessage); ok {
			var env struct {
				EnvelopeID string `json:"envelope_id"`
				Type       string `json:"type"`
			}
			if json.Unmarshal(e.Message, &env) == nil && env.EnvelopeID != "" {
				_ = client.Ack(socketmode.Request{EnvelopeID: env.EnvelopeID})
			}
			a.log.Warn("slack: unreadable socket mode envelope", "type", env.Type, "envelope", env.EnvelopeID, "err", e.Cause)
		}
		return
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		a.log.Warn("slack: socket mode error", "type", ev.Type)
		return
	case socketmode.EventTypeEventsAPI, socketmode.EventTypeInteractive, socketmode.EventTypeSlashCommand:
	default:
		return
	}
	if ev.Request == nil {
		return
	}
	// A slash command's ack can carry its immediate answer.
	var payload []any
	if c, ok := ev.Data.(slackapi.SlashCommand); ok {
		if r := a.commandAck(c); r != nil {
			payload = append(payload, r)
		}
	}
	if err := client.Ack(*ev.Request, payload...); err != nil {
		a.log.Error("slack: ack envelope", "envelope", ev.Request.EnvelopeID, "err", err)
	}
	var work func(ctx context.Context)
	switch data := ev.Data.(type) {
	case slackevents.EventsAPIEvent:
		work = func(ctx context.Context) { a.onEventsAPI(ctx, data) }
	case slackapi.InteractionCallback:
		work = func(ctx context.Context) { a.onInteraction(ctx, data) }
	case slackapi.SlashCommand:
		work = func(ctx context.Context) { a.onCommand(ctx, data) }
	default:
		return
	}
	if !a.work.Go(work) {
		a.log.Warn("slack: shutting down, event dropped", "envelope", ev.Request.EnvelopeID)
	}
}

// fatal reports errors that reconnecting cannot fix: a refused token.
func fatal(err error) bool {
	if e, ok := errors.AsType[slackapi.SlackErrorResponse](err); ok {
		switch e.Err {
		case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "not_allowed_token_type", "missing_scope":
			return true
		}
	}
	if e, ok := errors.AsType[slackapi.StatusCodeError](err); ok {
		return e.Code == http.StatusNotFound || e.Code == http.StatusUnauthorized
	}
	return false
}
