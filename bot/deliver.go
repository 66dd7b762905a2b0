package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// followScrub is the follow-up that replaces a message holding a temporary
// passcode once it has been in the chat for PasscodeTTL.
const followScrub = "scrub"

// defaultPasscodeTTL: the guide's "a few minutes".
const defaultPasscodeTTL = 10 * time.Minute

// Delivered tells the engine that an adapter sent r and that it became the
// message ref ("" when the platform gives none, as for an ephemeral one).
// Adapters call it for every reply they sent. The engine drops a reset
// result's standing follow-up (a reply never reported sent is read again
// from the device backend and sent by the sweep), schedules the removal of
// a temporary passcode from the chat, and remembers each copy of an
// approval card so that a decision can update all of them.
func (e *Engine) Delivered(ctx context.Context, r Reply, ref MessageRef) error {
	var errs []error
	var next []FollowUp
	if r.Scrub != "" && ref != "" {
		ttl := e.PasscodeTTL
		if ttl <= 0 {
			ttl = defaultPasscodeTTL
		}
		// The follow-up knows the message and its replacement, never the
		// passcode.
		next = append(next, FollowUp{ID: newID() + newID(), Kind: followScrub, Due: e.now().Add(ttl), Owner: r.owner(), Ref: ref, Text: r.Scrub})
	}
	switch {
	case r.Receipt != "":
		// One round trip: the result's standing read goes, the removal comes.
		if err := e.Store.Ack(ctx, FollowUp{ID: r.Receipt, Owner: r.To}, next...); err != nil {
			errs = append(errs, fmt.Errorf("engine: delivered %s: %w", r.Receipt, err))
		}
	case len(next) > 0:
		if err := e.record(ctx, next, nil); err != nil {
			errs = append(errs, err)
		}
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

// owner is the person a reply is for: a DM's recipient, else its To.
func (r Reply) owner() User {
	if r.Target.Kind == DirectMessage {
		return r.Target.User
	}
	return r.To
}

// send hands replies the engine sends on its own (follow-ups, cards,
// notices) to a platform's notifier and records what they became.
func (e *Engine) send(ctx context.Context, p Platform, replies []Reply) error {
	if len(replies) == 0 {
		return nil
	}
	n, ok := e.Notifiers[p]
	if !ok {
		return fmt.Errorf("no notifier for %s", p)
	}
	replies = routeLater(replies)
	refs, err := n.Notify(ctx, replies)
	for i, ref := range refs {
		if i < len(replies) {
			if derr := e.Delivered(ctx, replies[i], ref); derr != nil {
				e.logger().Error("record a sent message", "platform", p, "err", derr)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("notify: %w", err)
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

// fireScrub replaces a temporary passcode's message with f's text.
func (e *Engine) fireScrub(ctx context.Context, f FollowUp) error {
	err := e.send(ctx, f.Owner.Platform, []Reply{{Text: f.Text, To: f.Owner, Target: Target{Kind: UpdateRef, Ref: f.Ref}}})
	if err != nil {
		return fmt.Errorf("engine: remove passcode %s: %w", f.ID, err)
	}
	return e.Store.Ack(ctx, f)
}
