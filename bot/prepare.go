package bot

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/passbot/passbot/internal/ttlcache"
)

// A press of "Yes, reset" needs three Redis moments: Begin, the reset's
// writes before the device call (recordStart: its count, its reset_started
// record, its intent) and the commit after it. When this replica knows the
// conversation as it was at the version the press was made for (it saved
// it), the flow runs ahead on a copy: if the press would reset a device,
// BeginPrepared writes what recordStart would in Begin's round trip, gated
// in Redis on this press having set the marks and the conversation still
// being at that version. The flow decides from the conversation, the press
// and the time alone, so with the same three the real step starts the very
// reset that was prepared. A replica that does not know the conversation,
// and Cluster, take the three round trips.

// local is what one replica keeps in memory beside Redis.
type local struct {
	pending pending
	// recent: the conversations this replica saved, by owner.
	recent *ttlcache.Cache[string, recentConv]
}

type recentConv struct {
	version int64
	data    []byte   // as stored: a copy the flow can run ahead on
	danger  []string // the actions of its Danger buttons
}

// maxRecent bounds the conversations kept for prepared resets; a full
// cache drops the least recently used, costing its press one round trip.
const maxRecent = 10000

func (e *Engine) local() *local { return e.mem }

// remember keeps conv as stored at its version, while its step waits for
// an answer to one of replies' Danger buttons: only a press that does
// something irreversible can start a reset, so only such a press is worth
// running the flow ahead for.
func (e *Engine) remember(conv *Conversation, replies []Reply) {
	var danger []string
	for _, r := range replies {
		for _, b := range r.Buttons {
			if b.Style == Danger {
				name, _, _ := strings.Cut(b.Action, ":")
				danger = append(danger, name)
			}
		}
	}
	if len(danger) == 0 || conv.Expires.IsZero() {
		return
	}
	data, err := json.Marshal(conv)
	if err != nil {
		return // nothing to run ahead on: the press takes the long way
	}
	e.local().recent.Put(conv.Owner.Key(), recentConv{conv.Version, data, danger}, conv.Expires)
}

// ahead is the flow's step for a press, run ahead on the remembered
// conversation.
type ahead struct {
	version int64
	data    []byte // the conversation at version, before the step
	conv    Conversation
	out     Outcome
	// prepared: the writes of the reset the step starts, if it starts one;
	// written: BeginPrepared's answer, when it wrote them.
	prepared *Prepared
	written  *Counted
}

// runAhead runs the flow's step for ev, a press on its owner's Danger
// button (press is its mark), at now, when this replica saved the
// conversation at the press's version.
func (e *Engine) runAhead(ev Event, press string, now time.Time) *ahead {
	a, ok := parseAction(ev.Action)
	if press == "" || !ok {
		return nil
	}
	r, ok := e.local().recent.Get(ev.User.Key(), now)
	if !ok || r.version != a.Version || !slices.Contains(r.danger, a.Name) {
		return nil
	}
	run := &ahead{version: r.version, data: r.data}
	conv := &run.conv
	if json.Unmarshal(r.data, conv) != nil || conv.ID != a.Conv || expired(conv, now) {
		return nil
	}
	conv.Version, conv.Owner = r.version, ev.User
	run.out = e.cfg.Flow.Step(conv, Input{Kind: Pressed, Action: a.Name, Arg: a.Arg}, now)
	if cmds := run.out.Commands; len(cmds) > 0 && cmds[0].Op == OpReset {
		p := e.startWrites(conv, cmds[0], now)
		p.Version = r.version
		run.prepared = &p
	}
	return run
}

// begin is Store.Begin for ev, or BeginPrepared when ev's press would
// start a reset. It returns the step run ahead, for handle, with what
// BeginPrepared wrote, for recordStart (nil when none ran).
func (e *Engine) begin(ctx context.Context, ev Event, delivery, press string, now time.Time) (Begun, *ahead, error) {
	run := e.runAhead(ev, press, now)
	var begun Begun
	var err error
	if run != nil && run.prepared != nil {
		begun, err = e.cfg.Store.BeginPrepared(ctx, ev.User, delivery, press, *run.prepared)
		run.written = begun.Prepared
		if c := begun.Prepared; err == nil && c != nil && c.OK && (begun.Conv == nil || begun.Conv.Version != run.version) {
			// go-redis re-sent the pipeline after its reply was lost, and
			// the conversation moved on in between: the first sending
			// wrote this press's start, so nothing else can start that
			// reset. The press goes on from the step it was written for,
			// as it would have with the first reply.
			var at Conversation
			if json.Unmarshal(run.data, &at) == nil {
				at.Version = run.version
				begun.Conv = &at
			}
		}
	} else {
		begun, err = e.cfg.Store.Begin(ctx, ev.User, delivery, press)
	}
	if err != nil {
		run = nil
	}
	return begun, run, err
}

// stepAhead returns the step run ahead for the event conv was loaded for,
// when it ran on conv as loaded: the same conversation at the same version.
func stepAhead(conv *Conversation) (*ahead, bool) {
	run := conv.ahead
	return run, run != nil && run.conv.ID == conv.ID && run.version == conv.Version
}

// preparedFor returns the writes BeginPrepared made for the reset named
// once (Quota.Once) that this event starts from conv as loaded, and their
// answer, when it made them.
func preparedFor(conv *Conversation, once string) (Prepared, Counted, bool) {
	run, ok := stepAhead(conv)
	if !ok || run.written == nil || run.prepared.Quota.Once != once {
		return Prepared{}, Counted{}, false
	}
	return *run.prepared, *run.written, true
}
