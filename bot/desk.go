package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The engine's side of the helpdesk: it holds the helpdesk (approvals.go),
// offers it the host seam, and does the conversation work that requests
// bring: an agent's click on a card, an approved request's conversation
// resuming.

// desk is the engine's helpdesk, made from its configuration.
func (e *Engine) desk() *helpdesk {
	return &helpdesk{flow: e.cfg.Approval, store: e.cfg.Store, host: e, now: e.now, log: e.logger(), obs: e.cfg.Observer}
}

// Digest posts the pending requests to each platform's helpdesk channel. It
// runs on every replica's cron; only the first of each day posts.
func (e *Engine) Digest(ctx context.Context) error {
	return e.desk().digest(ctx)
}

// decide handles a click on a helpdesk card: the helpdesk applies it to
// the request; a denial then has the deciding agent's conversation ask for
// the reason.
func (e *Engine) decide(ctx context.Context, ev Event, conv *Conversation, a action) (Handled, bool, error) {
	now := e.now()
	id := strings.TrimPrefix(a.Conv, requestPrefix)
	if !strings.HasPrefix(a.Conv, requestPrefix) || id == "" {
		return Handled{Outcome: OutcomeRefused, Replies: e.notice(conv, NoticeUnknown)}, false, nil
	}
	replies, changed, denied, err := e.desk().decide(ctx, id, ev.User, a.Name, ev.Clicked, now)
	if err != nil {
		code := ErrorCode(err)
		if code == ErrCodeInternal {
			e.storeError()
			code = ErrCodeUnavailable
		}
		return Handled{Outcome: OutcomeError, Replies: e.notice(conv, code)}, false, err
	}
	res := Handled{Outcome: OutcomeOK, Replies: replies}
	if !changed {
		res.Outcome = OutcomeRefused
	}
	if denied != nil {
		// The agent's next line is the reason for the employee.
		before := *conv
		out := e.cfg.Flow.Step(conv, Input{Kind: Denied, Request: denied}, now)
		more, _, err := e.run(ctx, conv, before, out, saveFirst)
		res.Replies = append(res.Replies, more...)
		if err != nil {
			return res, true, err
		}
	}
	for i := range res.Replies {
		if res.Replies[i].To.ID == "" {
			res.Replies[i].To = ev.User
		}
	}
	return res, true, nil
}

// record implements host: follow-ups and audit records of no conversation.
func (e *Engine) record(ctx context.Context, fs []FollowUp, records []AuditRecord) error {
	return e.commit(ctx, nil, &Conversation{}, fs, records)
}

// resume implements host.
func (e *Engine) resume(ctx context.Context, r *Request) ([]Reply, error) {
	var err error
	for range maxRetries {
		var begun Begun
		if begun, err = e.cfg.Store.Begin(ctx, r.Requester, "", ""); err != nil {
			break
		}
		conv := begun.Conv
		if conv == nil {
			conv = &Conversation{Owner: r.Requester}
		}
		before := *conv
		out := e.cfg.Flow.Step(conv, Input{Kind: Approved, Request: r}, e.now())
		var replies []Reply
		replies, _, err = e.run(ctx, conv, before, out, saveFirst)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			break
		}
		return replies, nil
	}
	return nil, fmt.Errorf("engine: resume request %s of %s: %w", r.ID, r.Requester.Key(), err)
}

// resumed implements host: the conversation is at the request, or a reset
// ran under it.
func (e *Engine) resumed(ctx context.Context, r *Request) (bool, error) {
	begun, err := e.cfg.Store.Begin(ctx, r.Requester, "", "")
	if err != nil {
		return false, err
	}
	if begun.Conv != nil && begun.Conv.Request == r.ID {
		return true, nil
	}
	records, err := e.cfg.Store.RecentAudit(ctx, r.Requester.Key(), 20)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(records, func(a AuditRecord) bool {
		return a.Request == r.ID && (a.Action == auditResetStarted || a.Action == OpReset.String())
	}), nil
}
