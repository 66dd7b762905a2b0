package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// followScrub is the follow-up that replaces a message holding a temporary
// passcode once it has been in the chat for PasscodeTTL.
const followScrub = "scrub"

// defaultPasscodeTTL: the guide's "a few minutes".
const defaultPasscodeTTL = 10 * time.Minute

// sent is how sending one reply went: ok when its chat took it, and the
// message it became ("" when the platform names none, as for an ephemeral
// one).
type sent struct {
	ok  bool
	ref MessageRef
}

// deliver sends the replies to ev through out, in order, each where route
// put it, and records what each became. A reply its chat does not take
// goes where fallback says, once; one that reaches nobody is logged (a
// reset's result keeps its receipt, so the sweep reads it again and sends
// it).
func (e *Engine) deliver(ctx context.Context, ev Event, out Sender, caps Caps, replies []Reply) []sent {
	done := make([]sent, len(replies))
	for i := range replies {
		r := &replies[i]
		ref, err := out.Send(ctx, *r)
		if err != nil {
			if t, ok := fallback(ev, *r, caps); ok {
				e.logger().Warn("reply not taken: sending it elsewhere", "platform", ev.User.Platform, "user", ev.User.Key(), "target", r.Target.Kind.String(), "instead", t.Kind.String(), "err", err)
				r.Target = t
				ref, err = out.Send(ctx, *r)
			}
		}
		if err == nil {
			done[i] = sent{ok: true, ref: ref}
			err = e.delivered(ctx, *r, ref)
		}
		if err != nil {
			// Never the text: a reply can hold a passcode.
			e.logger().Error("send reply", "platform", ev.User.Platform, "user", ev.User.Key(), "delivery", ev.DeliveryID, "reply", i, "target", r.Target.Kind.String(), "err", err)
		}
	}
	return done
}

// ownStep reports whether ev is its person's own step in their
// conversation: a message, or a press of their own conversation's button
// (not a helpdesk card's, not someone else's).
func ownStep(ev Event) bool {
	if ev.Kind == Message {
		return true
	}
	a, ok := parseAction(ev.Action)
	return ok && a.Owner == ev.User.ID
}

// tidy keeps the invariant that no message with live buttons is left
// behind a conversation that moved on: when the step moved it on, each
// message of conv.Live (those with buttons before this step) that the
// step's replies neither replaced nor sent again loses its buttons,
// through out, and says the step is over (its text is not kept: Redis holds
// only the references). A step that did not move it on (a question in
// between) leaves the buttons of before, which still work, and so does a
// step none of whose replies was sent: nothing is "below". The messages the
// replies sent with buttons join the conversation's live set. done is how
// sending each reply went.
func (e *Engine) tidy(ctx context.Context, out Sender, conv *Conversation, moved bool, replies []Reply, done []sent) {
	add, touched, reached := liveOf(conv.Owner, replies, done)
	if !reached {
		return
	}
	var drop []MessageRef
	for _, ref := range conv.Live {
		switch {
		case slices.Contains(touched, ref.message()):
			// By the message, not the reference: the one a reply
			// replaced may come back under a newer name.
			drop = append(drop, ref)
		case moved:
			drop = append(drop, ref)
			over := e.notice(conv, NoticeOver)[0]
			over.Target = Target{Kind: UpdateRef, Ref: ref}
			if _, err := out.Send(ctx, over); err != nil {
				// Gone, or its platform no longer lets it change (an
				// ephemeral message after its interaction's token): a
				// press on it is answered as stale. Never the error's
				// text: a reference can hold a token.
				e.logger().Warn("take the buttons off a message of a step that is over", "user", conv.Owner.Key(), "platform", conv.Owner.Platform)
			}
		}
	}
	e.updateLive(ctx, conv.Owner, add, drop)
}

// liveOf returns what owner's replies sent with buttons, the messages (by
// message()) they became, and whether any reached owner at all (an
// ephemeral one is shown without a name).
func liveOf(owner User, replies []Reply, done []sent) (live []MessageRef, touched []string, reached bool) {
	for i, r := range replies {
		if !done[i].ok || r.Card != "" || !r.isFor(owner) {
			continue
		}
		reached = true
		if ref := done[i].ref; ref != "" {
			touched = append(touched, ref.message())
			if len(r.Buttons) > 0 {
				live = append(live, ref)
			}
		}
	}
	return live, touched, reached
}

// updateLive writes a change of owner's live messages, unless there is
// none (a step that replaced its message in place).
func (e *Engine) updateLive(ctx context.Context, owner User, add, drop []MessageRef) {
	if slices.Equal(add, drop) {
		return
	}
	if err := e.cfg.Store.UpdateLive(ctx, owner, add, drop); err != nil {
		e.storeError()
		e.logger().Warn("remember the messages with buttons", "user", owner.Key(), "err", err)
	}
}

// delivered records that r was sent and became the message ref ("" when
// the platform gives none, as for an ephemeral one). It drops a reset
// result's standing follow-up (a reply never sent is read again from the
// device backend and sent by the sweep), schedules the removal of a
// temporary passcode from the chat, and remembers each copy of an approval
// card so that a decision can update all of them.
func (e *Engine) delivered(ctx context.Context, r Reply, ref MessageRef) error {
	var errs []error
	var next []FollowUp
	if r.Scrub != "" && ref != "" {
		ttl := e.cfg.PasscodeTTL
		if ttl <= 0 {
			ttl = defaultPasscodeTTL
		}
		// The follow-up knows the message and its replacement, never the
		// passcode.
		next = append(next, FollowUp{ID: newID() + newID(), Kind: followScrub, Due: e.now().Add(ttl), Owner: r.owner(), Ref: ref, Text: r.Scrub})
	}
	w := writes{fs: next}
	if r.unwritten != nil {
		w.fs, w.records = append(w.fs, r.unwritten.fs...), r.unwritten.records
	}
	if r.Receipt != "" {
		// The result's standing read goes only with the writes the result
		// brings: until then it is what records the reset.
		w.ack = &FollowUp{ID: r.Receipt, Owner: r.To, Due: r.receiptDue}
	}
	if err := e.write(ctx, &w); err != nil {
		errs = append(errs, fmt.Errorf("engine: delivered %s: %w", r.Receipt, err))
		// The passcode is in the chat now: its removal must not be lost
		// with this write. The next sweep of this replica writes it.
		e.local().pending.add(w, e.logger())
	}
	if r.Card != "" && ref != "" {
		if err := e.desk().remember(ctx, r.Card, ref); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		e.storeError()
	}
	return errors.Join(errs...)
}

// isFor reports whether r went to u's chat with the bot: not to someone
// else's DM, not to the helpdesk channel.
func (r Reply) isFor(u User) bool {
	switch r.Target.Kind {
	case DirectMessage:
		return r.Target.User.Key() == u.Key()
	case HelpdeskChannel:
		return false
	}
	return !r.forOther(u)
}

// owner is the person a reply is for: a DM's recipient, else its To.
func (r Reply) owner() User {
	if r.Target.Kind == DirectMessage {
		return r.Target.User
	}
	return r.To
}

// send sends replies the engine sends on its own (follow-ups, cards,
// notices) through p's chat and records what they became.
func (e *Engine) send(ctx context.Context, p Platform, replies []Reply) error {
	_, _, err := e.sendSome(ctx, p, replies)
	return err
}

// sendSome is send that also returns how sending each reply went and the
// replies that were not sent.
func (e *Engine) sendSome(ctx context.Context, p Platform, replies []Reply) ([]sent, []Reply, error) {
	if len(replies) == 0 {
		return nil, nil, nil
	}
	replies = routeLater(replies)
	done := make([]sent, len(replies))
	chat, ok := e.chats[p]
	if !ok {
		return done, replies, fmt.Errorf("no chat for %s", p)
	}
	var unsent []Reply
	var errs []error
	for i, r := range replies {
		ref, err := chat.Send(ctx, r)
		if err != nil {
			// Not sent: a result's receipt stays, so it is read and sent
			// again.
			unsent = append(unsent, r)
			errs = append(errs, fmt.Errorf("%s: send (%s): %w", p, r.Target.Kind, err))
			continue
		}
		done[i] = sent{ok: true, ref: ref}
		if err := e.delivered(ctx, r, ref); err != nil {
			e.logger().Error("record a sent message", "platform", p, "err", err)
		}
	}
	// A step sent on its own (a follow-up, an approved request's next
	// step, a notice again) leaves its buttons to be taken off later.
	for _, owner := range owners(replies) {
		if add, _, _ := liveOf(owner, replies, done); len(add) > 0 {
			e.updateLive(ctx, owner, add, nil)
		}
	}
	return done, unsent, errors.Join(errs...)
}

// owners are the people replies went to by DM, each once.
func owners(replies []Reply) []User {
	var us []User
	for _, r := range replies {
		if u := r.Target.User; r.Target.Kind == DirectMessage && !slices.ContainsFunc(us, func(o User) bool { return o.Key() == u.Key() }) {
			us = append(us, u)
		}
	}
	return us
}

// followResend carries a notice the chat did not take (a card, a decision
// for the requester, the digest): the sweep sends it again.
const followResend = "resend"

// resendTries bounds the tries of a follow-up the chat does not take (a
// notice, a passcode's removal, a reminder); resendAfter is the first wait,
// doubled after each failure (1, 2, 4 … minutes: about 8.5 hours in all).
const (
	resendTries = 10
	resendAfter = time.Minute
)

// notify sends replies whose state change is saved already. What the chat
// does not take now is queued and sent again later, so a platform outage
// loses no decision or card.
func (e *Engine) notify(ctx context.Context, p Platform, replies []Reply) []sent {
	done, unsent, err := e.sendSome(ctx, p, replies)
	if err == nil {
		return done
	}
	var fs []FollowUp
	for _, r := range unsent {
		if r.Receipt != "" || r.Scrub != "" {
			continue // a reset's result: its own follow-up sends it again, and it is never stored
		}
		fs = append(fs, resend(p, r, e.now()))
	}
	e.logger().Error("notify; sending again later", "platform", p, "unsent", len(fs), "err", err)
	if err := e.commit(ctx, nil, &Conversation{}, fs, nil); err != nil {
		e.logger().Error("queue unsent notices: they are lost", "platform", p, "unsent", len(fs), "err", err)
	}
	return done
}

// resend is the follow-up that sends r again.
func resend(p Platform, r Reply, now time.Time) FollowUp {
	owner := r.owner()
	if owner.ID == "" {
		owner = User{ID: "helpdesk"}
	}
	owner.Platform = p
	return FollowUp{ID: newID() + newID(), Kind: followResend, Owner: owner, Tries: 1,
		Due: now.Add(resendAfter), Resend: &r}
}

// fireResend sends a queued notice again.
func (e *Engine) fireResend(ctx context.Context, f FollowUp) error {
	if f.Resend == nil {
		return e.cfg.Store.Ack(ctx, f)
	}
	_, _, err := e.sendSome(ctx, f.Owner.Platform, []Reply{*f.Resend})
	return e.settle(ctx, f, err)
}

// settle acknowledges a fired follow-up. After a failed try it queues the
// next one in the same round trip, after a wait that doubles each time, and
// gives up after resendTries: a message deleted meanwhile, an interaction
// whose token expired or a person who blocked the bot never takes it.
func (e *Engine) settle(ctx context.Context, f FollowUp, err error) error {
	if err == nil {
		return e.cfg.Store.Ack(ctx, f)
	}
	if f.Tries+1 >= resendTries {
		e.logger().Error("follow-up failed after all tries: dropped", "kind", f.Kind, "platform", f.Owner.Platform, "tries", resendTries, "err", err)
		return e.cfg.Store.Ack(ctx, f)
	}
	e.logger().Warn("follow-up failed: trying again later", "kind", f.Kind, "platform", f.Owner.Platform, "try", f.Tries+1, "err", err)
	next := f
	next.Tries++
	next.Due = e.now().Add(resendAfter << (next.Tries - 1))
	return e.cfg.Store.Ack(ctx, f, next)
}

// fireScrub replaces a temporary passcode's message with f's text.
func (e *Engine) fireScrub(ctx context.Context, f FollowUp) error {
	err := e.send(ctx, f.Owner.Platform, []Reply{{Text: f.Text, To: f.Owner, Target: Target{Kind: UpdateRef, Ref: f.Ref}}})
	return e.settle(ctx, f, err)
}

// writes are follow-ups and audit records to write and a follow-up to
// acknowledge with them, when Redis was away at the moment they arose.
type writes struct {
	fs      []FollowUp
	records []AuditRecord
	ack     *FollowUp
}

func (w writes) empty() bool { return len(w.fs) == 0 && len(w.records) == 0 && w.ack == nil }

// write writes w: the records first, then the acknowledgement with the
// follow-ups. Each part done is dropped from w, so a write tried again after
// a failure never appends a record twice.
func (e *Engine) write(ctx context.Context, w *writes) error {
	if w.ack != nil && len(w.records) > 0 && !w.ack.Due.IsZero() && !e.now().Add(e.lease()).Before(w.ack.Due) {
		// Redis was away until the standing read could fire, here or on
		// another replica: it records the reset itself ("recorded by the
		// recovery read"), so these records and its acknowledgement would
		// be the same reset twice. What it cannot know (the passcode
		// message's removal, the reminder) is still written.
		w.ack, w.records = nil, nil
	}
	if len(w.records) > 0 || w.ack == nil && len(w.fs) > 0 {
		var fs []FollowUp
		if w.ack == nil {
			fs = w.fs
		}
		if err := e.record(ctx, fs, w.records); err != nil {
			return err
		}
		w.records = nil
		if w.ack == nil {
			w.fs = nil
		}
	}
	if w.ack != nil {
		if err := e.cfg.Store.Ack(ctx, *w.ack, w.fs...); err != nil {
			return err
		}
		w.ack, w.fs = nil, nil
	}
	return nil
}

// pending holds writes that failed while Redis was away: the removal of a
// passcode just shown, the record of a reset whose commit failed. This
// replica's next sweep writes them; should the replica die first, a reset's
// standing read, not acknowledged yet, records the reset in their place.
type pending struct {
	mu sync.Mutex
	ws []writes
}

// maxPending bounds what waits in memory for Redis.
const maxPending = 10000

func (p *pending) add(w writes, log *slog.Logger) {
	if w.empty() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ws = append(p.ws, w)
	if over := len(p.ws) - maxPending; over > 0 {
		log.Error("too many writes waiting for Redis: the oldest are lost", "lost", over)
		p.ws = slices.Clone(p.ws[over:])
	}
}

// writePending writes what waits for Redis; what still fails waits again.
func (e *Engine) writePending(ctx context.Context) error {
	p := &e.local().pending
	p.mu.Lock()
	ws := p.ws
	p.ws = nil
	p.mu.Unlock()
	var errs []error
	for _, w := range ws {
		if err := e.write(ctx, &w); err != nil {
			errs = append(errs, err)
			p.add(w, e.logger())
		}
	}
	return errors.Join(errs...)
}
