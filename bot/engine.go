package bot

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/passbot/passbot/internal/ttlcache"
)

// Engine runs events through a flow: dedupe by delivery ID, load the
// conversation, step the flow, save with compare-and-set, then run device
// commands, send the replies through the event's chat and schedule
// follow-ups. Make it with New; it is complete from then on.
type Engine struct {
	cfg Config
	// chats are the registered chats by platform: where the engine sends
	// what answers no event, and what each platform can do.
	chats map[Platform]ChatAdapter
	mem   *local // see local
}

// Config is what an Engine is made of. Store, Devices and Flow are needed.
type Config struct {
	Store   Store
	Devices Devices
	Flow    Flow
	// Chats are the chat platforms served: each chat adapter is one. The
	// engine's list of platforms (the follow-ups it sweeps, the backlog it
	// reports) is theirs.
	Chats    []ChatAdapter
	Clock    Clock
	Log      *slog.Logger
	Observer Observer // optional
	// Approval decides helpdesk requests; nil disables them.
	Approval ApprovalFlow
	// SignIns hands out the sign-in links a reset waits for; Links
	// remembers the account a sign-in proved (optional).
	SignIns SignIns
	Links   Linker
	// Limits caps resets and requests per user and per device.
	Limits Limits
	// Lease is how long a claimed follow-up stays with its claimer before
	// another replica may fire it. Default one minute.
	Lease time.Duration
	// Batch caps the follow-ups one sweep claims. Default 100.
	Batch int
	// PasscodeTTL is how long a temporary passcode stays in the chat
	// before its message is replaced. Default ten minutes.
	PasscodeTTL time.Duration
	// ResetCallTime is the longest a reset's device call may take, retries
	// and waits included (it is cut off then): a reset starts only while
	// its standing read of the result is at least that far away, so the
	// read never runs during the reset.
	ResetCallTime time.Duration
}

// New makes an engine of c. A chat registered twice for one platform is
// the last one.
func New(c Config) *Engine {
	e := &Engine{cfg: c, chats: map[Platform]ChatAdapter{}, mem: &local{recent: ttlcache.New[string, recentConv](maxRecent)}}
	for _, ch := range c.Chats {
		e.chats[ch.Platform()] = ch
	}
	return e
}

// Platforms are the platforms of the registered chats, sorted.
func (e *Engine) Platforms() []Platform { return slices.Sorted(maps.Keys(e.chats)) }

// Limits are the abuse limits on resets and helpdesk requests: at most
// PerUser per user and PerDevice per device in each Window. Zero disables.
type Limits struct {
	PerUser, PerDevice int
	Window             time.Duration
}

// maxConflictRetries bounds how often Handle runs an event again after
// another event of the same person was saved first. Each lost
// compare-and-set means another event was saved, so a burst of up to this
// many events more from one person is answered in full.
const maxConflictRetries = 5

// maxCommands bounds the command → result → command chain of one event, so a
// flow bug cannot loop forever against a device backend.
const maxCommands = 4

// Handle runs one event and sends its replies through out (see Handler).
// On error the replies already hold a message for the user; the error is
// for the log. A redelivered event gets no replies and no error.
func (e *Engine) Handle(ctx context.Context, ev Event, out Sender) (Handled, error) {
	res, err := e.process(ctx, ev)
	caps := e.caps(ev.User.Platform)
	res.Replies = route(ev, res.Replies, caps)
	done := e.deliver(ctx, ev, out, caps, res.Replies)
	if res.conv != nil && err == nil {
		e.tidy(ctx, out, res.conv, res.moved, res.Replies, done)
	}
	return res, err
}

// caps are what p's registered chat can do; none for a platform without
// one.
func (e *Engine) caps(p Platform) Caps {
	if c, ok := e.chats[p]; ok {
		return c.Caps()
	}
	return Caps{}
}

// process runs one event and returns its outcome and replies, not routed
// yet.
func (e *Engine) process(ctx context.Context, ev Event) (res Handled, err error) {
	start := time.Now()
	conv := &Conversation{}
	defer func() {
		took := time.Since(start)
		if e.cfg.Observer != nil {
			e.cfg.Observer.Handled(ev.User.Platform, ev.Kind, string(res.Outcome), took)
		}
		// Never the text or the replies: a reply can hold a passcode. Debug:
		// one line per event would drown the console demo at info.
		e.logger().Debug("event", "platform", ev.User.Platform, "kind", ev.Kind.String(), "user", ev.User.Key(),
			"delivery", ev.DeliveryID, "conversation", conv.ID, "step", conv.Step, "outcome", res.Outcome, "took", took, "err", err)
	}()
	delivery, press := e.marks(ev)
	now := e.now()
	begun, ahead, err := e.begin(ctx, ev, delivery, press, now)
	if err != nil {
		e.storeError()
		return Handled{Outcome: OutcomeError, Replies: e.notice(&Conversation{Owner: ev.User}, ErrCodeUnavailable)}, fmt.Errorf("engine: load %s: %w", ev.User.Key(), err)
	}
	if begun.Duplicate {
		return Handled{Outcome: OutcomeDuplicate}, nil
	}
	if begun.Conv != nil {
		conv = begun.Conv
		conv.ahead = ahead
	}
	conv.Owner = ev.User
	if begun.Pressed {
		// The same click already ran here or on another replica.
		return Handled{Outcome: OutcomeStale, Replies: e.notice(conv, NoticeStale)}, nil
	}
	loaded := *conv
	res, acted, err := e.handle(ctx, ev, conv, press != "", now)
	for try := 0; errors.Is(err, ErrConflict) && !acted && try < maxConflictRetries; try++ {
		// Another event of this person was saved first (a burst of
		// messages, or two replicas) and this one changed nothing: run it
		// again on what that one saved. A click's version check then turns
		// it away if that save moved its step on.
		again, berr := e.cfg.Store.Begin(ctx, ev.User, "", "")
		if berr != nil {
			break
		}
		conv = again.Conv
		if conv == nil {
			conv = &Conversation{}
		}
		conv.Owner = ev.User
		loaded = *conv
		res, acted, err = e.handle(ctx, ev, conv, press != "", e.now())
	}
	if errors.Is(err, ErrConflict) && !acted {
		res, err = Handled{Outcome: OutcomeRefused, Replies: e.notice(conv, NoticeBusy)}, nil
	}
	if res.Outcome == OutcomeOK && ownStep(ev) {
		// Saved, its buttons of before are stale; else they still work.
		res.conv, res.moved = conv, conv.ID != loaded.ID || conv.Version != loaded.Version
	}
	if err != nil {
		res.Outcome = OutcomeError
		if !acted {
			// Nothing happened: let a redelivery or another click try again.
			if ferr := e.cfg.Store.Forget(ctx, ev.User, delivery, press); ferr != nil {
				err = errors.Join(err, ferr)
			}
		}
	}
	return res, err
}

// marks returns the keys Begin marks for ev: its delivery, and for a click
// on the owner's own conversation button, the button's conversation version.
// A click on someone else's button marks no press, so it cannot use up the
// owner's.
func (e *Engine) marks(ev Event) (delivery, press string) {
	if ev.DeliveryID != "" {
		delivery = string(ev.User.Platform) + ":" + ev.DeliveryID
	}
	if a, ok := parseAction(ev.Action); ev.Kind == Press && ok && a.Owner == ev.User.ID {
		press = ev.User.Key() + ":" + a.Conv + ":" + strconv.FormatInt(a.Version, 10)
	}
	return delivery, press
}

// handle runs the event through the flow. acted reports that a device or
// request was changed, so the replies must reach the person whatever failed
// afterwards. guarded means the click's press mark already makes it act at
// most once.
func (e *Engine) handle(ctx context.Context, ev Event, conv *Conversation, guarded bool, now time.Time) (_ Handled, acted bool, _ error) {
	in := Input{Kind: Text, Text: ev.Text}
	if ev.Kind == Press {
		a, ok := parseAction(ev.Action)
		switch {
		case !ok:
			return Handled{Outcome: OutcomeRefused, Replies: e.notice(conv, NoticeUnknown)}, false, nil
		case a.Owner == anyApprover:
			return e.decide(ctx, ev, conv, a)
		case a.Owner != ev.User.ID:
			e.audit(ctx, AuditRecord{Actor: ev.User.Key(), Action: "refuse", Outcome: "foreign_click"})
			return Handled{Outcome: OutcomeRefused, Replies: e.notice(conv, NoticeForeign)}, false, nil
		case a.Conv != conv.ID || a.Version != conv.Version || expired(conv, now):
			return Handled{Outcome: OutcomeStale, Replies: e.notice(conv, NoticeStale)}, false, nil
		}
		in = Input{Kind: Pressed, Action: a.Name, Arg: a.Arg}
	}
	if in.Kind == Text && expired(conv, now) {
		conv.Step, conv.Devices, conv.Device = "", nil, nil
	}
	before := *conv
	var out Outcome
	if run, ok := stepAhead(conv); ok {
		live := conv.Live
		*conv, out = run.conv, run.out
		conv.Live, conv.ahead = live, run
	} else {
		out = e.cfg.Flow.Step(conv, in, now)
	}
	if slices.ContainsFunc(out.Commands, func(c Command) bool { return c.Op == OpSignIn }) {
		conv.LinkMsg = linkMsg(ev)
	}
	replies, acted, err := e.run(ctx, conv, before, out, saveMode(guarded))
	switch {
	case acted:
		// Whatever failed afterwards, the person must see what happened.
		return Handled{Outcome: OutcomeOK, Replies: replies}, true, err
	case errors.Is(err, ErrConflict):
		return Handled{Outcome: OutcomeRefused}, false, err // Handle runs the event again
	case err != nil:
		return Handled{Outcome: OutcomeError, Replies: e.notice(conv, ErrorCode(err))}, false, err
	}
	return Handled{Outcome: OutcomeOK, Replies: replies}, false, nil
}

// linkMsg is the message a sign-in link asked for by ev is shown in: the
// pressed one, which the link's reply replaces, where all who see it see
// the same (not an ephemeral message, not a helpdesk card).
func linkMsg(ev Event) MessageRef {
	if ev.Kind != Press || ev.ClickedEphemeral || ev.ClickedPublic {
		return ""
	}
	return ev.Clicked
}

func (e *Engine) storeError() {
	if e.cfg.Observer != nil {
		e.cfg.Observer.StoreError()
	}
}

func expired(c *Conversation, now time.Time) bool {
	return !c.Expires.IsZero() && now.After(c.Expires)
}

// save says how run saves the conversation.
type save int

const (
	// noSave: a follow-up's conversation is a stand-in; nothing is saved.
	noSave save = iota
	// saveFirst saves before a command that changes a device or a request:
	// that compare-and-set is what makes the command run at most once.
	saveFirst
	// saveLast saves once, at the end: the click's press mark already
	// makes it act at most once.
	saveLast
)

func saveMode(guarded bool) save {
	if guarded {
		return saveLast
	}
	return saveFirst
}

// run runs the outcome's commands, feeding each result back into the flow,
// then saves the conversation if it changed since before (the conversation
// as loaded) together with the follow-ups and audit records, in one round
// trip, and stamps the replies' buttons with the final version. acted
// reports that a command changed a device or a request.
func (e *Engine) run(ctx context.Context, conv *Conversation, before Conversation, out Outcome, mode save) (_ []Reply, acted bool, _ error) {
	replies, follow := out.Replies, out.FollowUps
	pending := out.Commands
	var records []AuditRecord
	if conv.ID == "" {
		conv.ID = newID()
	}
	for i := 0; len(pending) > 0 && i < maxCommands; i++ {
		cmd := pending[0]
		if mode == saveFirst && cmd.Op.mutates() {
			if err := e.cfg.Store.Save(ctx, conv); err != nil {
				return e.finish(conv, replies), acted, fmt.Errorf("engine: save %s: %w", conv.ID, err)
			}
			before = *conv
		}
		var res CommandResult
		if cmd.Op == OpCheckLimits {
			var err error
			if res, err = e.checkLimits(ctx, changedSince(before, conv, mode), conv, follow, records, cmd); err != nil {
				return e.finish(conv, replies), acted, err
			}
			// Committed with the check.
			before, follow, records = *conv, nil, nil
		} else {
			res = e.exec(ctx, conv, cmd)
		}
		acted = acted || cmd.Op.mutates()
		records = append(records, res.audit...)
		follow = append(follow, res.follow...)
		next := e.cfg.Flow.Step(conv, Input{Kind: Result, Result: &res}, e.now())
		if res.intent != nil {
			receipt(res.intent, next)
		}
		replies = append(replies, next.Replies...)
		follow = append(follow, next.FollowUps...)
		pending = append(pending[1:], next.Commands...)
	}
	if err := e.commit(ctx, changedSince(before, conv, mode), conv, follow, records); err != nil {
		if acted {
			e.keep(replies, writes{fs: follow, records: records})
		}
		return e.finish(conv, replies), acted, err
	}
	if mode != noSave {
		e.remember(conv, replies)
	}
	return e.finish(conv, replies), acted, nil
}

// keep holds on to what a failed commit after an action was to write (the
// action's audit record, its reminder): it records what already happened.
// With a reset's result it rides on the reply that carries it, written when
// that is delivered, and the standing read stays until then; otherwise this
// replica's next sweep writes it.
func (e *Engine) keep(replies []Reply, w writes) {
	if i := slices.IndexFunc(replies, func(r Reply) bool { return r.Receipt != "" }); i >= 0 {
		replies[i].unwritten = &w
		return
	}
	e.local().pending.add(w, e.logger())
}

// changedSince is conv when it is to be saved: it changed since before and
// mode saves.
func changedSince(before Conversation, conv *Conversation, mode save) *Conversation {
	if mode == noSave || reflect.DeepEqual(before, *conv) {
		return nil
	}
	return conv
}

func (e *Engine) exec(ctx context.Context, conv *Conversation, cmd Command) CommandResult {
	owner := conv.Owner
	res := CommandResult{Command: cmd}
	start := time.Now()
	switch cmd.Op {
	case OpList:
		res.Devices, res.Err = e.cfg.Devices.ListDevices(ctx, owner.Directory())
	case OpReset:
		if res.intent, res.Err = e.recordStart(ctx, conv, cmd); res.Err == nil {
			res.Reset, res.Err = e.resetPasscode(ctx, cmd.Device.ID)
		}
	case OpResetStatus:
		res.Reset, res.Err = e.cfg.Devices.ResetStatus(ctx, cmd.Device.ID, cmd.Since)
	case OpLock:
		res.Lock, res.Err = e.lock(ctx, cmd.Device)
	case OpLockStatus:
		res.Lock, res.Err = e.cfg.Devices.LockStatus(ctx, cmd.Device.ID, cmd.Since)
	case OpReportLost:
		// Nothing to call: the flow's replies carry the helpdesk notice,
		// and the audit record below is the report.
	case OpSignIn:
		return e.startSignIn(ctx, conv, cmd)
	default:
		return e.desk().exec(ctx, owner, cmd)
	}
	outcome := "ok"
	switch cmd.Op {
	case OpReset, OpResetStatus:
		outcome = string(res.Reset.State)
	case OpLock:
		outcome = string(res.Lock.State)
	}
	if res.Err != nil {
		outcome = ErrorCode(res.Err)
		// The conversation leads to the user when needed; the line itself
		// names no person.
		e.logger().Warn("device operation failed", "op", cmd.Op.String(), "reason", outcome, "device", cmd.Device.ID, "conversation", conv.ID, "err", res.Err)
	}
	if e.cfg.Observer != nil {
		e.cfg.Observer.DeviceOp(cmd.Op, cmd.Device.Kind, outcome, time.Since(start))
	}
	// One line per reset sent and per result read back finished, for the
	// operator who follows resets in the log: no passcode, no person.
	if cmd.Op == OpReset || (cmd.Op == OpResetStatus && res.Err == nil && res.Reset.State.Finished()) {
		step := "sent"
		if cmd.Op == OpResetStatus {
			step = "result"
		}
		e.logger().Info("passcode reset", "step", step, "outcome", outcome,
			"device", cmd.Device.ID, "device_kind", string(cmd.Device.Kind), "conversation", conv.ID, "took_ms", time.Since(start).Milliseconds())
	}
	if cmd.Op == OpReset || cmd.Op == OpLock || cmd.Op == OpReportLost {
		res.audit = append(res.audit, AuditRecord{Time: e.now(), Actor: owner.Key(), UPN: owner.UPN, Action: cmd.Op.String(),
			Device: cmd.Device.ID, Name: cmd.Device.Name, Request: cmd.Request, Outcome: outcome, Verified: cmd.Verified})
	}
	if cmd.Op == OpResetStatus && res.Err == nil && res.Reset.State.Finished() && e.unrecorded(ctx, owner, cmd.Device.ID) {
		// The replica that reset the device died before it recorded the
		// outcome: the read that recovers the result records it.
		res.audit = append(res.audit, AuditRecord{Time: e.now(), Actor: owner.Key(), UPN: owner.UPN, Action: OpReset.String(),
			Device: cmd.Device.ID, Name: cmd.Device.Name, Request: cmd.Request, Outcome: outcome, Reason: "recorded by the recovery read"})
	}
	return res
}

// resetPasscode is the device call of a reset, held to ResetCallTime with
// its retries and waits (Graph's Retry-After, the write limiter): the
// standing read of its result, due after that, then never runs during it.
// A call cut short may have reached the device backend; the flow reads its
// result rather than telling the person it failed.
func (e *Engine) resetPasscode(ctx context.Context, device string) (ResetResult, error) {
	if e.cfg.ResetCallTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.cfg.ResetCallTime)
		defer cancel()
	}
	return e.cfg.Devices.ResetPasscode(ctx, device)
}

// unrecorded reports whether owner's latest reset of device has its
// reset_started record but no reset record after it. When the trail cannot
// be read it says no: a record missing beats one written twice.
func (e *Engine) unrecorded(ctx context.Context, owner User, device string) bool {
	records, err := e.cfg.Store.RecentAudit(ctx, owner.Key(), 20)
	if err != nil {
		e.storeError()
		return false
	}
	for _, r := range records { // newest first
		if r.Device == device && (r.Action == auditResetStarted || r.Action == OpReset.String()) {
			return r.Action == auditResetStarted
		}
	}
	return false
}

// recordStart counts a reset against the abuse limits and writes, before
// it runs, its "reset_started" audit record and the command's intent
// follow-up, all in one round trip (none when Begin wrote them: see
// prepare): whatever fails after the device call, the audit trail has the
// reset and the follow-up finds out its result. If the limits refuse it, the
// writes fail, or they took until the follow-up could fire during the device
// call, the reset does not run.
func (e *Engine) recordStart(ctx context.Context, conv *Conversation, cmd Command) (*FollowUp, error) {
	p, c, ok := preparedFor(conv, resetOnce(conv, cmd.Device))
	if !ok {
		p = e.startWrites(conv, cmd, e.now())
		c.OK, c.RetryAt, c.Err = e.cfg.Store.CommitCounted(ctx, p.Quota, p.FollowUps, p.Records)
	}
	switch {
	case errors.Is(c.Err, ErrStarted):
		return nil, &Error{Code: NoticeStale, Err: fmt.Errorf("%w: engine: reset in %s: %w", ErrNotStarted, conv.ID, c.Err)}
	case !c.OK && !c.RetryAt.IsZero():
		if c.Err != nil {
			// The refused reset's intent stays queued: its polls find no
			// reset, and the last one tells the person it did not go
			// through.
			e.storeError()
			e.logger().Error("drop the intent of a refused reset", "conversation", conv.ID, "err", c.Err)
		}
		return nil, limitError(c.RetryAt)
	case c.Err != nil:
		e.storeError()
		return nil, &Error{Code: ErrCodeUnavailable, Err: fmt.Errorf("%w: engine: record the start of %s: %w", ErrNotStarted, conv.ID, c.Err)}
	}
	if len(p.FollowUps) == 0 {
		return nil, nil
	}
	intent := &p.FollowUps[0]
	if e.now().Add(e.cfg.ResetCallTime).After(intent.Due) {
		// Writing the start stalled (Redis, the network) until the standing
		// read could fire during the device call: its "cannot show the
		// passcode here" and this reset's passcode, its record and ours.
		// Nothing is reset; the reply saying so carries the read's receipt,
		// so it is dropped once the person has been told.
		return intent, &Error{Code: ErrCodeUnavailable, Err: fmt.Errorf("%w: engine: writing the start of %s took until its result read was due", ErrNotStarted, conv.ID)}
	}
	return intent, nil
}

// startWrites are what recordStart writes for cmd at now.
func (e *Engine) startWrites(conv *Conversation, cmd Command, now time.Time) Prepared {
	owner := conv.Owner
	rec := AuditRecord{Time: now, Actor: owner.Key(), UPN: owner.UPN, Action: auditResetStarted,
		Device: cmd.Device.ID, Name: cmd.Device.Name, Request: cmd.Request, Outcome: "started"}
	var fs []FollowUp
	if cmd.Intent != nil {
		fs = append(fs, *cmd.Intent)
	}
	e.address(conv, fs)
	var q Quota
	if cmd.Request == "" {
		// An approved request was counted when it was made: its reset is
		// the same try.
		q = e.quota(owner, cmd.Device, now)
	}
	q.Once = resetOnce(conv, cmd.Device)
	return Prepared{Quota: q, FollowUps: fs, Records: []AuditRecord{rec}}
}

// resetOnce names the reset of d that conv confirms (Quota.Once): one reset
// per confirmation, since a button's press mark and a typed answer's
// compare-and-set guard each path, not one against the other.
func resetOnce(conv *Conversation, d DeviceRef) string {
	return conv.ID + ":" + d.ID
}

// auditResetStarted is the audit action written before a reset runs; the
// "reset" record with its outcome follows once the result is known.
const auditResetStarted = "reset_started"

// receipt marks the reply that carries a reset's result with the ID of the
// reset's intent follow-up, unless the flow scheduled that follow-up again
// (a pending reset is polled under the same ID): the intent stays queued
// until the reply is delivered. The reply is the private one, with the
// passcode, where there is one.
func receipt(intent *FollowUp, out Outcome) {
	if len(out.Replies) == 0 || slices.ContainsFunc(out.FollowUps, func(f FollowUp) bool { return f.ID == intent.ID }) {
		return
	}
	i := slices.IndexFunc(out.Replies, func(r Reply) bool { return r.Private })
	if i < 0 {
		i = len(out.Replies) - 1
	}
	out.Replies[i].Receipt, out.Replies[i].receiptDue = intent.ID, intent.Due
}

// allow applies the abuse limits to one more request.
func (e *Engine) allow(ctx context.Context, owner User, d DeviceRef) error {
	q := e.quota(owner, d, e.now())
	if len(q.Limits) == 0 {
		return nil
	}
	ok, err := e.cfg.Store.Allow(ctx, q.Window, q.Now, q.Limits)
	if err != nil {
		e.storeError()
		return &Error{Code: ErrCodeUnavailable, Err: fmt.Errorf("%w: %w", ErrNotStarted, err)}
	}
	if !ok {
		return e.limited(ctx, owner, d)
	}
	return nil
}

// audit appends to the audit trail. A failure is logged, not returned: the
// action it records has already happened.
func (e *Engine) audit(ctx context.Context, r AuditRecord) {
	if r.Time.IsZero() {
		r.Time = e.now()
	}
	if err := e.cfg.Store.Audit(ctx, r); err != nil {
		e.storeError()
		e.logger().Error("audit", "action", r.Action, "actor", r.Actor, "err", err)
	}
}

// commit saves changed (when not nil) and writes follow-ups and audit
// records of conv, in one round trip.
func (e *Engine) commit(ctx context.Context, changed, conv *Conversation, fs []FollowUp, records []AuditRecord) error {
	if changed == nil && len(fs) == 0 && len(records) == 0 {
		return nil
	}
	e.address(conv, fs)
	return e.committed(conv, e.cfg.Store.Commit(ctx, changed, fs, records))
}

// address gives the follow-ups of conv an ID, their owner and conv's ID.
func (e *Engine) address(conv *Conversation, fs []FollowUp) {
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
}

// committed is the error of a commit of conv: a lost compare-and-set is
// no store failure.
func (e *Engine) committed(conv *Conversation, err error) error {
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrConflict) {
		e.storeError()
	}
	return fmt.Errorf("engine: commit %s: %w", conv.ID, err)
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
	r := e.cfg.Flow.Notice(conv, code)
	r.Private = true
	r.To = conv.Owner
	return []Reply{r}
}

// lease is Lease, or its default of a minute.
func (e *Engine) lease() time.Duration {
	if e.cfg.Lease <= 0 {
		return time.Minute
	}
	return e.cfg.Lease
}

// Sweep fires the follow-ups due now for the platforms it has a chat
// for, and returns how many it fired. Run it on every replica: the store's
// claim hands each follow-up to one of those that can deliver it.
func (e *Engine) Sweep(ctx context.Context) (int, error) {
	lease, batch := e.lease(), e.cfg.Batch
	if batch <= 0 {
		batch = 100
	}
	now := e.now()
	var errs []error
	if err := e.writePending(ctx); err != nil {
		errs = append(errs, fmt.Errorf("engine: write follow-ups that waited for Redis: %w", err))
	}
	// Only what this replica can deliver: another replica serves the rest.
	platforms := e.Platforms()
	due, err := e.cfg.Store.Claim(ctx, platforms, now, lease, batch)
	if err != nil {
		e.storeError()
		errs = append(errs, fmt.Errorf("engine: claim follow-ups: %w", err))
	}
	fired := 0
	for _, f := range due {
		if e.cfg.Observer != nil {
			e.cfg.Observer.Fired(f.Kind, now.Sub(f.Due))
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
	switch f.Kind {
	case followResume:
		return e.desk().fireResume(ctx, f)
	case followScrub:
		return e.fireScrub(ctx, f)
	case followResend:
		return e.fireResend(ctx, f)
	}
	if f.Request != "" {
		if err := e.desk().fire(ctx, f, now); err != nil {
			return err
		}
		return e.cfg.Store.Ack(ctx, f)
	}
	conv := &Conversation{ID: f.ConvID, Owner: f.Owner, Lang: f.Lang}
	out := e.cfg.Flow.Step(conv, Input{Kind: Due, FollowUp: &f}, now)
	replies, _, err := e.run(ctx, conv, *conv, out, noSave)
	if err != nil {
		return err
	}
	// A chat that does not take it now (an outage, a person who blocked the
	// bot) gets it again after 1, 2, 4 … minutes, as notices do.
	sent := e.send(ctx, f.Owner.Platform, replies)
	if err := e.settle(ctx, f, sent); err != nil {
		return fmt.Errorf("engine: follow-up %s: %w", f.ID, err)
	}
	if sent != nil {
		return fmt.Errorf("engine: follow-up %s, sent again later: %w", f.ID, sent)
	}
	return nil
}

func (e *Engine) now() time.Time {
	if e.cfg.Clock == nil {
		return time.Now()
	}
	return e.cfg.Clock.Now()
}

func (e *Engine) logger() *slog.Logger {
	if e.cfg.Log == nil {
		return slog.Default()
	}
	return e.cfg.Log
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns a short random ID (8 characters, 40 bits): enough to tell a
// user's conversations apart and to keep follow-up IDs unique.
func newID() string {
	b := make([]byte, 5)
	rand.Read(b)
	return idEncoding.EncodeToString(b)
}
