package bot

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"time"
)

// Engine runs events through a flow: dedupe by delivery ID, load the
// conversation, step the flow, save with compare-and-set, then run device
// commands and schedule follow-ups. Its zero value is not usable: set Store,
// Devices and Flow.
type Engine struct {
	Store     Store
	Devices   Devices
	Flow      Flow
	Clock     Clock
	Notifiers map[Platform]Notifier
	Log       *slog.Logger
	Observer  Observer // optional
	// Approval decides helpdesk requests; nil disables them.
	Approval ApprovalFlow
	// Limits caps resets and requests per user and per device.
	Limits Limits
	// Lease is how long a claimed follow-up stays with its claimer before
	// another replica may fire it. Default one minute.
	Lease time.Duration
	// Batch caps the follow-ups one sweep claims. Default 100.
	Batch int
}

// Limits are the abuse limits on resets and helpdesk requests: at most
// PerUser per user and PerDevice per device in each Window. Zero disables.
type Limits struct {
	PerUser, PerDevice int
	Window             time.Duration
}

// maxCommands bounds the command → result → command chain of one event, so a
// flow bug cannot loop forever against a device backend.
const maxCommands = 4

// Handle runs one event and returns the replies for the adapter to send. On
// error the replies already hold a message for the user; the error is for
// the log. A redelivered event returns no replies and no error.
func (e *Engine) Handle(ctx context.Context, ev Event) (replies []Reply, err error) {
	start := time.Now()
	outcome := "ok"
	conv := &Conversation{}
	defer func() {
		took := time.Since(start)
		if e.Observer != nil {
			e.Observer.Handled(ev.User.Platform, ev.Kind, outcome, took)
		}
		// Never the text or the replies: a reply can hold a passcode.
		e.logger().Info("event", "platform", ev.User.Platform, "kind", ev.Kind.String(), "user", ev.User.Key(),
			"delivery", ev.DeliveryID, "conversation", conv.ID, "step", conv.Step, "outcome", outcome, "took", took, "err", err)
	}()
	loaded, dup, err := e.Store.Begin(ctx, e.deliveryKey(ev), ev.User)
	if err != nil {
		outcome = "error"
		e.storeError()
		return e.notice(&Conversation{Owner: ev.User}, ErrCodeUnavailable), fmt.Errorf("engine: load %s: %w", ev.User.Key(), err)
	}
	if dup {
		outcome = "duplicate"
		return nil, nil
	}
	if loaded != nil {
		conv = loaded
	}
	replies, refused, err := e.handle(ctx, ev, conv)
	switch {
	case err != nil:
		outcome = "error"
	case refused:
		outcome = "refused"
	}
	if err != nil && ev.DeliveryID != "" {
		// Nothing was decided: let the platform's redelivery try again.
		if ferr := e.Store.Forget(ctx, e.deliveryKey(ev)); ferr != nil {
			err = errors.Join(err, ferr)
		}
	}
	return replies, err
}

func (e *Engine) deliveryKey(ev Event) string {
	if ev.DeliveryID == "" {
		return ""
	}
	return string(ev.User.Platform) + ":" + ev.DeliveryID
}

// handle reports refused for clicks turned away before the flow ran.
func (e *Engine) handle(ctx context.Context, ev Event, conv *Conversation) (_ []Reply, refused bool, _ error) {
	now := e.now()
	conv.Owner = ev.User
	in := Input{Kind: Text, Text: ev.Text}
	if ev.Kind == Press {
		a, ok := parseAction(ev.Action)
		switch {
		case !ok:
			return e.notice(conv, NoticeUnknown), true, nil
		case a.Owner == anyApprover:
			replies, err := e.decide(ctx, ev, conv, a)
			return replies, false, err
		case a.Owner != ev.User.ID:
			e.audit(ctx, AuditRecord{Actor: ev.User.Key(), Action: "refuse", Outcome: "foreign_click"})
			return e.notice(conv, NoticeForeign), true, nil
		case a.Conv != conv.ID || a.Version != conv.Version || expired(conv, now):
			return e.notice(conv, NoticeStale), true, nil
		}
		in = Input{Kind: Pressed, Action: a.Name, Arg: a.Arg}
	}
	if in.Kind == Text && expired(conv, now) {
		conv.Step, conv.Devices, conv.Device = "", nil, nil
	}
	loaded, before := conv.Version, *conv
	out := e.Flow.Step(conv, in, now)
	replies, err := e.run(ctx, conv, before, out, true)
	if errors.Is(err, ErrConflict) && conv.Version == loaded {
		code := NoticeBusy
		if ev.Kind == Press {
			code = NoticeStale // the same click won elsewhere: a double click
		}
		return e.notice(conv, code), true, nil
	}
	if err != nil {
		e.storeError()
	}
	if err != nil && conv.Version == loaded {
		return e.notice(conv, ErrorCode(err)), false, err
	}
	// Once the first save landed the flow has acted: whatever failed later,
	// the person must still see what happened.
	return replies, false, err
}

func (e *Engine) storeError() {
	if e.Observer != nil {
		e.Observer.StoreError()
	}
}

func expired(c *Conversation, now time.Time) bool {
	return !c.Expires.IsZero() && now.After(c.Expires)
}

// run saves the conversation, runs the outcome's commands feeding each
// result back into the flow, records follow-ups and audit records, and
// stamps the replies' buttons with the final conversation version.
//
// Saves cost Redis round trips, so run saves only what changed since before
// (the conversation as loaded), and always before a command that changes a
// device or a request: that save is what makes such a command run at most
// once. With save unset (follow-ups), nothing is saved.
func (e *Engine) run(ctx context.Context, conv *Conversation, before Conversation, out Outcome, save bool) ([]Reply, error) {
	replies, follow := out.Replies, out.FollowUps
	pending := out.Commands
	var records []AuditRecord
	for i := 0; ; i++ {
		if conv.ID == "" {
			conv.ID = newID()
		}
		last := len(pending) == 0 || i == maxCommands
		if save && (!last && pending[0].Op.mutates() || last && !reflect.DeepEqual(before, *conv)) {
			if err := e.Store.Save(ctx, conv); err != nil {
				return e.finish(conv, replies), fmt.Errorf("engine: save %s: %w", conv.ID, err)
			}
			before = *conv
		}
		if last {
			break
		}
		res := e.exec(ctx, conv, pending[0])
		records = append(records, res.audit...)
		follow = append(follow, res.follow...)
		next := e.Flow.Step(conv, Input{Kind: Result, Result: &res}, e.now())
		replies = append(replies, next.Replies...)
		follow = append(follow, next.FollowUps...)
		pending = append(pending[1:], next.Commands...)
	}
	if err := e.record(ctx, conv, follow, records); err != nil {
		return e.finish(conv, replies), err
	}
	return e.finish(conv, replies), nil
}

func (e *Engine) exec(ctx context.Context, conv *Conversation, cmd Command) CommandResult {
	owner := conv.Owner
	res := CommandResult{Command: cmd}
	start := time.Now()
	switch cmd.Op {
	case OpList:
		res.Devices, res.Err = e.Devices.ListDevices(ctx, owner.UPN)
	case OpReset:
		if res.Err = e.allow(ctx, owner, cmd.Device); res.Err == nil {
			res.Reset, res.Err = e.Devices.ResetPasscode(ctx, cmd.Device.ID)
		}
	case OpResetStatus:
		res.Reset, res.Err = e.Devices.ResetStatus(ctx, cmd.Device.ID)
	case OpLock:
		res.Err = e.Devices.RemoteLock(ctx, cmd.Device.ID)
	default:
		return e.execRequest(ctx, owner, cmd)
	}
	outcome := "ok"
	if cmd.Op == OpReset || cmd.Op == OpResetStatus {
		outcome = string(res.Reset.State)
	}
	if res.Err != nil {
		outcome = ErrorCode(res.Err)
		e.logger().Warn("device operation failed", "op", cmd.Op.String(), "device", cmd.Device.ID, "user", owner.Key(), "conversation", conv.ID, "err", res.Err)
	}
	if e.Observer != nil {
		e.Observer.DeviceOp(cmd.Op, cmd.Device.Kind, outcome, time.Since(start))
	}
	if cmd.Op == OpReset || cmd.Op == OpLock {
		res.audit = append(res.audit, AuditRecord{Time: e.now(), Actor: owner.Key(), UPN: owner.UPN, Action: cmd.Op.String(),
			Device: cmd.Device.ID, Name: cmd.Device.Name, Request: cmd.Request, Outcome: outcome})
	}
	return res
}

// allow applies the abuse limits to one more reset or request.
func (e *Engine) allow(ctx context.Context, owner User, d DeviceRef) error {
	l := e.Limits
	if l.Window <= 0 {
		return nil
	}
	limits := map[string]int{}
	if l.PerUser > 0 {
		limits["user:"+owner.Key()] = l.PerUser
	}
	if l.PerDevice > 0 {
		limits["device:"+d.ID] = l.PerDevice
	}
	ok, err := e.Store.Allow(ctx, l.Window, e.now(), limits)
	if err != nil {
		e.storeError()
		return &Error{Code: ErrCodeUnavailable, Err: err}
	}
	if !ok {
		return &Error{Code: ErrCodeRateLimited, Err: fmt.Errorf("engine: %s or device %s over the limit per %s", owner.Key(), d.ID, l.Window)}
	}
	return nil
}

// audit appends to the audit trail. A failure is logged, not returned: the
// action it records has already happened.
func (e *Engine) audit(ctx context.Context, r AuditRecord) {
	if r.Time.IsZero() {
		r.Time = e.now()
	}
	if err := e.Store.Audit(ctx, r); err != nil {
		e.storeError()
		e.logger().Error("audit", "action", r.Action, "actor", r.Actor, "err", err)
	}
}

// record writes follow-ups and audit records in one round trip.
func (e *Engine) record(ctx context.Context, conv *Conversation, fs []FollowUp, records []AuditRecord) error {
	if len(fs) == 0 && len(records) == 0 {
		return nil
	}
	for i := range fs {
		f := &fs[i]
		if f.ID == "" {
			f.ID = newID() + newID() // 80 bits: unique among millions queued
		}
		if f.Owner.ID == "" {
			f.Owner = conv.Owner
		}
		if f.ConvID == "" {
			f.ConvID = conv.ID
		}
	}
	if err := e.Store.Record(ctx, fs, records); err != nil {
		e.storeError()
		return fmt.Errorf("engine: record follow-ups and audit of %s: %w", conv.ID, err)
	}
	return nil
}

// finish addresses replies to the conversation's owner and stamps buttons
// with the conversation ID and version they are valid for.
func (e *Engine) finish(conv *Conversation, replies []Reply) []Reply {
	for i := range replies {
		r := &replies[i]
		if r.Audience == ToUser && r.To.ID == "" {
			r.To = conv.Owner
		}
		for j := range r.Buttons {
			r.Buttons[j].Action = stamp(conv, r.Buttons[j].Action)
		}
	}
	return replies
}

func (e *Engine) notice(conv *Conversation, code string) []Reply {
	r := e.Flow.Notice(conv, code)
	r.Private = true
	r.To = conv.Owner
	return []Reply{r}
}

// Sweep fires the follow-ups due now and returns how many it fired. Run it
// on every replica: the store's claim hands each follow-up to one of them.
func (e *Engine) Sweep(ctx context.Context) (int, error) {
	lease, batch := e.Lease, e.Batch
	if lease <= 0 {
		lease = time.Minute
	}
	if batch <= 0 {
		batch = 100
	}
	now := e.now()
	due, err := e.Store.Claim(ctx, now, lease, batch)
	if err != nil {
		e.storeError()
		return 0, fmt.Errorf("engine: claim follow-ups: %w", err)
	}
	var errs []error
	fired := 0
	for _, f := range due {
		if e.Observer != nil {
			e.Observer.Fired(f.Kind, now.Sub(f.Due))
		}
		if err := e.fire(ctx, f, now); err != nil {
			// Not acknowledged: it fires again when its lease runs out.
			errs = append(errs, err)
			continue
		}
		fired++
	}
	return fired, errors.Join(errs...)
}

func (e *Engine) fire(ctx context.Context, f FollowUp, now time.Time) error {
	if f.Request != "" {
		if err := e.fireRequest(ctx, f, now); err != nil {
			return err
		}
		return e.Store.Ack(ctx, f)
	}
	conv := &Conversation{ID: f.ConvID, Owner: f.Owner, Lang: f.Lang}
	out := e.Flow.Step(conv, Input{Kind: Due, FollowUp: &f}, now)
	replies, err := e.run(ctx, conv, *conv, out, false)
	if err != nil {
		return err
	}
	if len(replies) > 0 {
		n, ok := e.Notifiers[f.Owner.Platform]
		if !ok {
			return fmt.Errorf("engine: follow-up %s: no notifier for %s", f.ID, f.Owner.Platform)
		}
		if err := n.Notify(ctx, replies); err != nil {
			return fmt.Errorf("engine: follow-up %s: notify: %w", f.ID, err)
		}
	}
	if err := e.Store.Ack(ctx, f); err != nil {
		return fmt.Errorf("engine: ack follow-up %s: %w", f.ID, err)
	}
	return nil
}

func (e *Engine) now() time.Time {
	if e.Clock == nil {
		return time.Now()
	}
	return e.Clock.Now()
}

func (e *Engine) logger() *slog.Logger {
	if e.Log == nil {
		return slog.Default()
	}
	return e.Log
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns a short random ID (8 characters, 40 bits): enough to tell a
// user's conversations apart and to keep follow-up IDs unique.
func newID() string {
	b := make([]byte, 5)
	rand.Read(b)
	return idEncoding.EncodeToString(b)
}
