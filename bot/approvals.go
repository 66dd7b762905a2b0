package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// helpdesk runs helpdesk requests from asking to closing: it stores them,
// has the ApprovalFlow decide them, posts their approval cards and keeps
// every copy of a card in step with its request, and audits each step.
// Conversations are the engine's: the helpdesk reaches the engine only
// through host.
type helpdesk struct {
	// flow decides requests; nil when approvals are not configured.
	flow  ApprovalFlow
	store requestStore
	host  host
	now   func() time.Time
	log   *slog.Logger
	obs   Observer // optional
}

// requestStore is the part of the Store the helpdesk uses: the requests
// and their card copies, the audit trail it reads (status and audit
// commands), the digest's once-a-day mark, and the acknowledgement of its
// follow-ups.
type requestStore interface {
	Requests
	Auditor
	Limiter
	Ack(ctx context.Context, f FollowUp, next ...FollowUp) error
}

// host is what the helpdesk needs of the engine that holds it.
type host interface {
	// send hands replies to a platform's chat (routed for later: a DM,
	// the helpdesk channel, an update of a known message) and records
	// what they became.
	send(ctx context.Context, p Platform, replies []Reply) error
	// notify is send for replies whose state change is saved already:
	// what cannot be sent now is queued and sent again later.
	notify(ctx context.Context, p Platform, replies []Reply) []sent
	// record queues follow-ups and appends audit records, in one round
	// trip; audit appends one record, logging a failure.
	record(ctx context.Context, fs []FollowUp, records []AuditRecord) error
	audit(ctx context.Context, r AuditRecord)
	// allow counts one more request of d by owner against the abuse limits.
	allow(ctx context.Context, owner User, d DeviceRef) error
	// resume puts the requester's conversation at the approved device's
	// next step and returns the replies for them; resumed reports whether
	// that happened already.
	resume(ctx context.Context, r *Request) ([]Reply, error)
	resumed(ctx context.Context, r *Request) (bool, error)
}

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

// errNotConfigured refuses a request where approvals are not configured.
var errNotConfigured = errors.New("engine: helpdesk approvals are not configured")

// exec runs the commands that read or write helpdesk requests and the
// audit trail.
func (h *helpdesk) exec(ctx context.Context, owner User, cmd Command) CommandResult {
	res := CommandResult{Command: cmd}
	now := h.now()
	switch cmd.Op {
	case OpRequest:
		res.Err = h.newRequest(ctx, owner, cmd, now, &res)
	case OpDenyReason:
		res.Err = h.byDecider(ctx, owner, cmd, "reason", now)
	case OpUndeny:
		res.Err = h.byDecider(ctx, owner, cmd, "undeny", now)
	case OpWithdraw:
		res.Requests, res.Err = h.withdraw(ctx, owner, now)
	case OpStatus:
		if res.Requests, res.Err = h.store.UserRequests(ctx, owner); res.Err == nil {
			res.Audit, res.Err = h.store.RecentAudit(ctx, owner.Key(), 5)
		}
	case OpPending, OpAudit:
		if !owner.Approver {
			h.host.audit(ctx, AuditRecord{Actor: owner.Key(), Action: "refuse", Outcome: "not_approver:" + cmd.Op.String()})
			res.Err = &Error{Code: ErrCodeNotApprover}
			break
		}
		if cmd.Op == OpPending {
			res.Requests, res.Err = h.store.PendingRequests(ctx)
		} else {
			res.Audit, res.Err = h.store.RecentAudit(ctx, cmd.Text, 20)
		}
	}
	if res.Err != nil && ErrorCode(res.Err) == ErrCodeInternal {
		h.storeError()
		res.Err = &Error{Code: ErrCodeUnavailable, Err: res.Err}
	}
	return res
}

// newRequest stores a new request and posts its card; the audit record and
// the escalation and expiry follow-ups go into res for the engine to write.
func (h *helpdesk) newRequest(ctx context.Context, owner User, cmd Command, now time.Time, res *CommandResult) error {
	if h.flow == nil {
		return &Error{Code: ErrCodeUnsupported, Err: errNotConfigured}
	}
	rec := AuditRecord{Time: now, Actor: owner.Key(), UPN: owner.UPN, Action: "request", Device: cmd.Device.ID, Name: cmd.Device.Name, Reason: cmd.Text}
	if err := h.host.allow(ctx, owner, cmd.Device); err != nil {
		rec.Outcome = ErrorCode(err)
		res.audit = append(res.audit, rec)
		return err
	}
	r := &Request{ID: newID(), Requester: owner, Device: cmd.Device, Reason: cmd.Text, Lang: cmd.Lang, State: RequestPending, Created: now}
	if err := h.store.SaveRequest(ctx, r); err != nil {
		return err
	}
	rec.Request, rec.Outcome = r.ID, "pending"
	res.audit = append(res.audit, rec)
	h.host.notify(ctx, owner.Platform, stampRequest(r, []Reply{h.flow.Card(r, now)}))
	for _, f := range h.flow.FollowUps(r) {
		f.Owner, f.Request = owner, r.ID
		res.follow = append(res.follow, f)
	}
	res.Requests = []Request{*r}
	return nil
}

// byDecider applies the deciding agent's follow-up to their denial: the
// reason they typed (cmd.Text), or taking the denial back.
func (h *helpdesk) byDecider(ctx context.Context, agent User, cmd Command, action string, now time.Time) error {
	done := false
	_, err := h.applyDecision(ctx, cmd.Request, func(r *Request) Decision {
		if action == "reason" {
			r.DenyReason = cmd.Text
		}
		d := h.flow.Decide(r, agent, action, now)
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
func (h *helpdesk) withdraw(ctx context.Context, owner User, now time.Time) ([]Request, error) {
	rs, err := h.store.UserRequests(ctx, owner)
	if err != nil {
		return nil, err
	}
	var withdrawn []Request
	for _, r := range rs {
		if r.State != RequestPending {
			continue
		}
		took := false
		if _, err := h.applyDecision(ctx, r.ID, func(q *Request) Decision {
			d := h.flow.Decide(q, owner, "withdraw", now)
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

// decide applies actor's click of action on the card of request id
// (clicked, when the platform names that message). changed reports that the
// request changed; denied is the request when the click denied it.
func (h *helpdesk) decide(ctx context.Context, id string, actor User, action string, clicked MessageRef, now time.Time) (replies []Reply, changed bool, denied *Request, err error) {
	replies, err = h.applyDecision(ctx, id, func(r *Request) Decision {
		denied = nil // a retry after a lost compare-and-set decides afresh
		d := h.flow.Decide(r, actor, action, now)
		changed = d.Changed
		if d.Changed && r.State == RequestDenied {
			denied = r
		}
		return d
	}, actor, clicked)
	return replies, changed, denied, err
}

// applyDecision loads a request, applies step and saves the result with
// compare-and-set, retrying on a concurrent change; then it carries out the
// decision and returns the replies for the actor.
func (h *helpdesk) applyDecision(ctx context.Context, id string, step func(*Request) Decision, actor User, clicked MessageRef) ([]Reply, error) {
	if h.flow == nil {
		return nil, &Error{Code: ErrCodeUnsupported, Err: errNotConfigured}
	}
	for range maxRetries {
		r, err := h.store.Request(ctx, id)
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
			if err := h.host.record(ctx, []FollowUp{resumeFollowUp(r, h.now())}, nil); err != nil {
				return nil, err
			}
		}
		if d.Changed {
			err := h.store.SaveRequest(ctx, r)
			if errors.Is(err, ErrConflict) {
				continue // decided elsewhere meanwhile: decide again on what is stored
			}
			if err != nil {
				return nil, err
			}
		}
		return h.carryOut(ctx, r, d, actor, clicked, open && r.State != RequestPending), nil
	}
	return nil, &Error{Code: NoticeBusy, Err: fmt.Errorf("engine: request %s kept changing", id)}
}

// carryOut notifies and schedules what a saved decision asks for. clicked
// is the card the decision was made on, if any; closed means the decision
// ended the pending request (a later step on it, such as the deny reason,
// leaves the cards as they are).
func (h *helpdesk) carryOut(ctx context.Context, r *Request, d Decision, actor User, clicked MessageRef, closed bool) []Reply {
	if d.Changed && (d.Audit == "approve" || d.Audit == "deny") && h.obs != nil {
		h.obs.ApprovalDecided(r.Decided.Sub(r.Created))
	}
	var records []AuditRecord
	if d.Audit != "" {
		records = append(records, AuditRecord{Time: h.now(), Actor: actor.Key(), Subject: r.Requester.Key(), UPN: r.Requester.UPN, Action: d.Audit,
			Device: r.Device.ID, Name: r.Device.Name, Request: r.ID, Outcome: d.Outcome, Reason: d.Reason})
	}
	if d.Approved {
		if more, err := h.host.resume(ctx, r); err != nil {
			h.log.Error("resume approved request; the sweep retries", "request", r.ID, "user", r.Requester.Key(), "err", err)
		} else {
			d.Requester = append(d.Requester, more...)
			if err := h.store.Ack(ctx, resumeFollowUp(r, time.Time{})); err != nil {
				h.log.Warn("resumed approved request; its retry stays queued", "request", r.ID, "err", err)
			}
		}
	}
	for i := range d.Requester {
		d.Requester[i].To = r.Requester
	}
	h.host.notify(ctx, r.Requester.Platform, d.Requester)
	switch {
	case d.Changed && closed:
		h.updateCards(ctx, r, clicked, h.flow.Closed(r))
	case d.Reopened:
		h.updateCards(ctx, r, "", stampRequest(r, []Reply{h.flow.Card(r, h.now())})[0])
	}
	h.host.notify(ctx, r.Requester.Platform, stampRequest(r, d.Helpdesk))
	for i := range d.FollowUps {
		d.FollowUps[i].Owner, d.FollowUps[i].Request = r.Requester, r.ID
	}
	if err := h.host.record(ctx, d.FollowUps, records); err != nil {
		h.log.Error("record request follow-ups and audit", "request", r.ID, "err", err)
	}
	return stampRequest(r, d.Actor)
}

// remember keeps ref, a posted copy of request id's approval card, so that
// a decision updates it too; a copy posted while the request was being
// decided is closed at once.
func (h *helpdesk) remember(ctx context.Context, id string, ref MessageRef) error {
	if err := h.store.AddCard(ctx, id, ref); err != nil {
		return fmt.Errorf("engine: remember card of request %s: %w", id, err)
	}
	return h.closeLate(ctx, id, ref)
}

// closeLate closes a card copy posted while its request was being decided
// (an escalation on one replica, a click on another): the decision may have
// read the copies before this one was added, and would leave it live.
func (h *helpdesk) closeLate(ctx context.Context, id string, ref MessageRef) error {
	r, err := h.store.Request(ctx, id)
	if err != nil {
		return fmt.Errorf("engine: recheck request %s of a posted card: %w", id, err)
	}
	if r == nil || r.State == RequestPending || h.flow == nil {
		return nil
	}
	closed := h.flow.Closed(r)
	closed.Target = Target{Kind: UpdateRef, Ref: ref}
	h.host.notify(ctx, r.Requester.Platform, []Reply{closed})
	return nil
}

// updateCards replaces every posted copy of r's approval card but skip (the
// one the decision was clicked on, replaced already) with card: the decided
// card, so no copy anywhere keeps a live button, or the live one again.
func (h *helpdesk) updateCards(ctx context.Context, r *Request, skip MessageRef, card Reply) {
	refs, err := h.store.Cards(ctx, r.ID)
	if err != nil {
		h.storeError()
		h.log.Error("load approval card copies", "request", r.ID, "err", err)
		return
	}
	card.Card = "" // a copy already known: not to be remembered twice
	var updates []Reply
	for _, ref := range refs {
		if ref != skip {
			u := card
			u.Target = Target{Kind: UpdateRef, Ref: ref}
			updates = append(updates, u)
		}
	}
	h.host.notify(ctx, r.Requester.Platform, updates)
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
func (h *helpdesk) fireResume(ctx context.Context, f FollowUp) error {
	r, err := h.store.Request(ctx, f.Request)
	if err != nil {
		return err
	}
	if r != nil && r.State == RequestApproved {
		done, err := h.host.resumed(ctx, r)
		if err != nil {
			return err
		}
		if !done {
			replies, err := h.host.resume(ctx, r)
			if err != nil {
				return err
			}
			for i := range replies {
				replies[i].To = r.Requester
			}
			if err := h.host.send(ctx, r.Requester.Platform, replies); err != nil {
				return fmt.Errorf("engine: resume request %s: %w", r.ID, err)
			}
		}
	}
	return h.store.Ack(ctx, f)
}

// fire handles an escalation or expiry follow-up of a request.
func (h *helpdesk) fire(ctx context.Context, f FollowUp, now time.Time) error {
	if h.flow == nil {
		return nil
	}
	_, err := h.applyDecision(ctx, f.Request, func(r *Request) Decision {
		return h.flow.Due(r, f, now)
	}, User{Platform: f.Owner.Platform, ID: "passbot"}, "")
	if errors.Is(err, errNoRequest) {
		return nil // the request is gone: nothing left to do
	}
	return err
}

// errNoRequest is a request that no longer exists (expired from Redis).
var errNoRequest = errors.New("no such request")

// digest posts the pending requests to each platform's helpdesk channel,
// once a day however many replicas ask.
func (h *helpdesk) digest(ctx context.Context) error {
	if h.flow == nil {
		return nil
	}
	now := h.now()
	first, err := h.store.Allow(ctx, 24*time.Hour, now, map[string]int{"digest:" + now.UTC().Format(time.DateOnly): 1})
	if err != nil || !first {
		return err
	}
	pending, err := h.store.PendingRequests(ctx)
	if err != nil {
		return fmt.Errorf("engine: digest: %w", err)
	}
	byPlatform := map[Platform][]Request{}
	for _, r := range pending {
		byPlatform[r.Requester.Platform] = append(byPlatform[r.Requester.Platform], r)
	}
	for p, rs := range byPlatform {
		h.host.notify(ctx, p, []Reply{h.flow.Digest(rs, now)})
	}
	return nil
}

func (h *helpdesk) storeError() {
	if h.obs != nil {
		h.obs.StoreError()
	}
}
