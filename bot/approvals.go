package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// anyApprover is the owner field of a helpdesk card's button: any approver
// may press it, and the approval flow decides who really may.
const anyApprover = "*"

// requestPrefix marks a card button's conversation field as a request ID.
const requestPrefix = "req:"

// stampRequest turns the approval flow's button names into actions that
// point at the request.
func stampRequest(r *Request, replies []Reply) []Reply {
	c := &Conversation{ID: requestPrefix + r.ID, Owner: User{ID: anyApprover}}
	for i := range replies {
		if len(replies[i].Buttons) > 0 {
			replies[i].Card = r.ID
		}
		for j := range replies[i].Buttons {
			replies[i].Buttons[j].Action = stamp(c, replies[i].Buttons[j].Action)
		}
	}
	return replies
}

// maxRetries bounds compare-and-set retries against a concurrent change.
const maxRetries = 3

// execRequest runs the commands that read or write helpdesk requests and
// the audit trail.
func (e *Engine) execRequest(ctx context.Context, owner User, cmd Command) CommandResult {
	res := CommandResult{Command: cmd}
	now := e.now()
	switch cmd.Op {
	case OpRequest:
		res.Err = e.newRequest(ctx, owner, cmd, now, &res)
	case OpDenyReason:
		res.Err = e.byDecider(ctx, owner, cmd, "reason", now)
	case OpUndeny:
		res.Err = e.byDecider(ctx, owner, cmd, "undeny", now)
	case OpWithdraw:
		res.Requests, res.Err = e.withdraw(ctx, owner, now)
	case OpStatus:
		if res.Requests, res.Err = e.Store.UserRequests(ctx, owner); res.Err == nil {
			res.Audit, res.Err = e.Store.RecentAudit(ctx, owner.Key(), 5)
		}
	case OpPending, OpAudit:
		if !owner.Approver {
			e.audit(ctx, AuditRecord{Actor: owner.Key(), Action: "refuse", Outcome: "not_approver:" + cmd.Op.String()})
			res.Err = &Error{Code: ErrCodeNotApprover}
			break
		}
		if cmd.Op == OpPending {
			res.Requests, res.Err = e.Store.PendingRequests(ctx)
		} else {
			res.Audit, res.Err = e.Store.RecentAudit(ctx, cmd.Text, 20)
		}
	}
	if res.Err != nil && ErrorCode(res.Err) == ErrCodeInternal {
		e.storeError()
		res.Err = &Error{Code: ErrCodeUnavailable, Err: res.Err}
	}
	return res
}

// newRequest stores a new request and posts its card; the audit record and
// the escalation and expiry follow-ups go into res for the engine to write.
func (e *Engine) newRequest(ctx context.Context, owner User, cmd Command, now time.Time, res *CommandResult) error {
	if e.Approval == nil {
		return &Error{Code: ErrCodeUnsupported, Err: errors.New("engine: helpdesk approvals are not configured")}
	}
	rec := AuditRecord{Time: now, Actor: owner.Key(), UPN: owner.UPN, Action: "request", Device: cmd.Device.ID, Name: cmd.Device.Name, Reason: cmd.Text}
	if err := e.allow(ctx, owner, cmd.Device); err != nil {
		rec.Outcome = ErrorCode(err)
		res.audit = append(res.audit, rec)
		return err
	}
	r := &Request{ID: newID(), Requester: owner, Device: cmd.Device, Reason: cmd.Text, Lang: cmd.Lang, State: RequestPending, Created: now}
	if err := e.Store.SaveRequest(ctx, r); err != nil {
		return err
	}
	rec.Request, rec.Outcome = r.ID, "pending"
	res.audit = append(res.audit, rec)
	e.notify(ctx, owner.Platform, stampRequest(r, []Reply{e.Approval.Card(r, now)}))
	for _, f := range e.Approval.FollowUps(r) {
		f.Owner, f.Request = owner, r.ID
		res.follow = append(res.follow, f)
	}
	res.Requests = []Request{*r}
	return nil
}

// byDecider applies the deciding agent's follow-up to their denial: the
// reason they typed (cmd.Text), or taking the denial back.
func (e *Engine) byDecider(ctx context.Context, agent User, cmd Command, action string, now time.Time) error {
	done := false
	_, err := e.applyDecision(ctx, cmd.Request, func(r *Request) Decision {
		if action == "reason" {
			r.DenyReason = cmd.Text
		}
		d := e.Approval.Decide(r, agent, action, now)
		done = d.Changed
		return d
	}, agent, "")
	if err == nil && !done {
		// Not this agent's denial (any more): nothing changed.
		err = &Error{Code: NoticeStale, Err: fmt.Errorf("engine: %s may not %s request %s", agent.Key(), action, cmd.Request)}
	}
	return err
}

// withdraw takes back the pending requests of owner and returns them; the
// helpdesk is told, and each withdrawal is audited.
func (e *Engine) withdraw(ctx context.Context, owner User, now time.Time) ([]Request, error) {
	rs, err := e.Store.UserRequests(ctx, owner)
	if err != nil {
		return nil, err
	}
	var withdrawn []Request
	for _, r := range rs {
		if r.State != RequestPending {
			continue
		}
		took := false
		if _, err := e.applyDecision(ctx, r.ID, func(q *Request) Decision {
			d := e.Approval.Decide(q, owner, "withdraw", now)
			took = d.Changed
			return d
		}, owner, ""); err != nil {
			return withdrawn, err
		}
		if took {
			withdrawn = append(withdrawn, r)
		}
	}
	return withdrawn, nil
}

// applyDecision loads a request, applies step and saves the result with
// compare-and-set, retrying on a concurrent change; then it carries out the
// decision and returns the replies for the actor.
func (e *Engine) applyDecision(ctx context.Context, id string, step func(*Request) Decision, actor User, clicked MessageRef) ([]Reply, error) {
	if e.Approval == nil {
		return nil, &Error{Code: ErrCodeUnsupported, Err: errors.New("engine: helpdesk approvals are not configured")}
	}
	for range maxRetries {
		r, err := e.Store.Request(ctx, id)
		if err != nil {
			return nil, err
		}
		if r == nil {
			return nil, &Error{Code: NoticeStale, Err: fmt.Errorf("engine: request %s: %w", id, errNoRequest)}
		}
		open := r.State == RequestPending
		d := step(r)
		if d.Approved {
			// Before the approval is saved: whatever fails after it, the
			// requester's conversation is resumed.
			if err := e.commit(ctx, nil, &Conversation{Owner: r.Requester}, []FollowUp{resumeFollowUp(r, e.now())}, nil); err != nil {
				return nil, err
			}
		}
		if d.Changed {
			err := e.Store.SaveRequest(ctx, r)
			if errors.Is(err, ErrConflict) {
				continue // decided elsewhere meanwhile: decide again on what is stored
			}
			if err != nil {
				return nil, err
			}
		}
		return e.carryOut(ctx, r, d, actor, clicked, open && r.State != RequestPending), nil
	}
	return nil, &Error{Code: NoticeBusy, Err: fmt.Errorf("engine: request %s kept changing", id)}
}

// carryOut notifies and schedules what a saved decision asks for. clicked
// is the card the decision was made on, if any; closed means the decision
// ended the pending request (a later step on it, such as the deny reason,
// leaves the cards as they are).
func (e *Engine) carryOut(ctx context.Context, r *Request, d Decision, actor User, clicked MessageRef, closed bool) []Reply {
	if d.Changed && (d.Audit == "approve" || d.Audit == "deny") && e.Observer != nil {
		e.Observer.ApprovalDecided(r.Decided.Sub(r.Created))
	}
	var records []AuditRecord
	if d.Audit != "" {
		records = append(records, AuditRecord{Time: e.now(), Actor: actor.Key(), Subject: r.Requester.Key(), UPN: r.Requester.UPN, Action: d.Audit,
			Device: r.Device.ID, Name: r.Device.Name, Request: r.ID, Outcome: d.Outcome, Reason: d.Reason})
	}
	if d.Approved {
		if more, err := e.resume(ctx, r); err != nil {
			e.logger().Error("resume approved request; the sweep retries", "request", r.ID, "user", r.Requester.Key(), "err", err)
		} else {
			d.Requester = append(d.Requester, more...)
			if err := e.Store.Ack(ctx, resumeFollowUp(r, time.Time{})); err != nil {
				e.logger().Warn("resumed approved request; its retry stays queued", "request", r.ID, "err", err)
			}
		}
	}
	for i := range d.Requester {
		d.Requester[i].To = r.Requester
	}
	e.notify(ctx, r.Requester.Platform, d.Requester)
	switch {
	case d.Changed && closed:
		e.updateCards(ctx, r, clicked, e.Approval.Closed(r))
	case d.Reopened:
		e.updateCards(ctx, r, "", stampRequest(r, []Reply{e.Approval.Card(r, e.now())})[0])
	}
	e.notify(ctx, r.Requester.Platform, stampRequest(r, d.Helpdesk))
	for i := range d.FollowUps {
		d.FollowUps[i].Owner, d.FollowUps[i].Request = r.Requester, r.ID
	}
	if err := e.commit(ctx, nil, &Conversation{}, d.FollowUps, records); err != nil {
		e.logger().Error("record request follow-ups and audit", "request", r.ID, "err", err)
	}
	return stampRequest(r, d.Actor)
}

// resume puts the requester's conversation at the approved device's next
// step (the flow decides which) and returns the replies for them.
func (e *Engine) resume(ctx context.Context, r *Request) ([]Reply, error) {
	var err error
	for range maxRetries {
		var begun Begun
		if begun, err = e.Store.Begin(ctx, r.Requester, "", ""); err != nil {
			break
		}
		conv := begun.Conv
		if conv == nil {
			conv = &Conversation{Owner: r.Requester}
		}
		before := *conv
		out := e.Flow.Step(conv, Input{Kind: Approved, Request: r}, e.now())
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

// followResume is the follow-up that resumes an approved request's
// conversation when doing so right after the approval failed.
const followResume = "resume"

// resumeRetry is when that follow-up first fires.
const resumeRetry = time.Minute

// resumeFollowUp is r's resume follow-up; its ID is fixed, so writing it
// again (a retried approval) replaces it.
func resumeFollowUp(r *Request, now time.Time) FollowUp {
	return FollowUp{ID: r.ID + ":" + followResume, Kind: followResume, Due: now.Add(resumeRetry),
		Owner: r.Requester, Lang: r.Lang, Request: r.ID, Device: r.Device}
}

// fireResume resumes the conversation of an approved request unless that
// already happened: the conversation is at the request, or a reset ran
// under it.
func (e *Engine) fireResume(ctx context.Context, f FollowUp) error {
	r, err := e.Store.Request(ctx, f.Request)
	if err != nil {
		return err
	}
	if r != nil && r.State == RequestApproved {
		done, err := e.resumed(ctx, r)
		if err != nil {
			return err
		}
		if !done {
			replies, err := e.resume(ctx, r)
			if err != nil {
				return err
			}
			for i := range replies {
				replies[i].To = r.Requester
			}
			if err := e.send(ctx, r.Requester.Platform, replies); err != nil {
				return fmt.Errorf("engine: resume request %s: %w", r.ID, err)
			}
		}
	}
	return e.Store.Ack(ctx, f)
}

// resumed reports whether r's conversation was resumed already.
func (e *Engine) resumed(ctx context.Context, r *Request) (bool, error) {
	begun, err := e.Store.Begin(ctx, r.Requester, "", "")
	if err != nil {
		return false, err
	}
	if begun.Conv != nil && begun.Conv.Request == r.ID {
		return true, nil
	}
	records, err := e.Store.RecentAudit(ctx, r.Requester.Key(), 20)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(records, func(a AuditRecord) bool {
		return a.Request == r.ID && (a.Action == auditResetStarted || a.Action == OpReset.String())
	}), nil
}

// decide handles a click on a helpdesk card.
func (e *Engine) decide(ctx context.Context, ev Event, conv *Conversation, a action) (Handled, bool, error) {
	now := e.now()
	id := strings.TrimPrefix(a.Conv, requestPrefix)
	if !strings.HasPrefix(a.Conv, requestPrefix) || id == "" {
		return Handled{OutcomeRefused, e.notice(conv, NoticeUnknown)}, false, nil
	}
	var denied *Request
	changed := false
	replies, err := e.applyDecision(ctx, id, func(r *Request) Decision {
		denied = nil // a retry after a lost compare-and-set decides afresh
		d := e.Approval.Decide(r, ev.User, a.Name, now)
		changed = d.Changed
		if d.Changed && r.State == RequestDenied {
			denied = r
		}
		return d
	}, ev.User, ev.Clicked)
	if err != nil {
		code := ErrorCode(err)
		if code == ErrCodeInternal {
			e.storeError()
			code = ErrCodeUnavailable
		}
		return Handled{OutcomeError, e.notice(conv, code)}, false, err
	}
	res := Handled{OutcomeOK, replies}
	if !changed {
		res.Outcome = OutcomeRefused
	}
	if denied != nil {
		// The agent's next line is the reason for the employee.
		before := *conv
		out := e.Flow.Step(conv, Input{Kind: Denied, Request: denied}, now)
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

// fireRequest handles an escalation or expiry follow-up of a request.
func (e *Engine) fireRequest(ctx context.Context, f FollowUp, now time.Time) error {
	if e.Approval == nil {
		return nil
	}
	_, err := e.applyDecision(ctx, f.Request, func(r *Request) Decision {
		return e.Approval.Due(r, f, now)
	}, User{Platform: f.Owner.Platform, ID: "passbot"}, "")
	if errors.Is(err, errNoRequest) {
		return nil // the request is gone: nothing left to do
	}
	return err
}

// errNoRequest is a request that no longer exists (expired from Redis).
var errNoRequest = errors.New("no such request")

// Digest posts the pending requests to each platform's helpdesk channel. It
// runs on every replica's cron; only the first of each day posts.
func (e *Engine) Digest(ctx context.Context) error {
	if e.Approval == nil {
		return nil
	}
	now := e.now()
	first, err := e.Store.Allow(ctx, 24*time.Hour, now, map[string]int{"digest:" + now.UTC().Format(time.DateOnly): 1})
	if err != nil || !first {
		return err
	}
	pending, err := e.Store.PendingRequests(ctx)
	if err != nil {
		return fmt.Errorf("engine: digest: %w", err)
	}
	byPlatform := map[Platform][]Request{}
	for _, r := range pending {
		byPlatform[r.Requester.Platform] = append(byPlatform[r.Requester.Platform], r)
	}
	for p, rs := range byPlatform {
		e.notify(ctx, p, []Reply{e.Approval.Digest(rs, now)})
	}
	return nil
}

// notify sends replies through a platform's notifier, logging failures: the
// state change they report is already saved.
func (e *Engine) notify(ctx context.Context, p Platform, replies []Reply) {
	if err := e.send(ctx, p, replies); err != nil {
		e.logger().Error("notify", "platform", p, "err", err)
	}
}
