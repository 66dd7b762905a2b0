package bot_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
)

var (
	hank  = bot.User{Platform: bot.Slack, ID: "U9", Name: "Hank Helpdesk", Approver: true}
	greta = bot.User{Platform: bot.Slack, ID: "U8", Name: "Greta Helpdesk", Approver: true}
)

// requestReset walks Adele to a helpdesk request for her company tablet and
// returns the approval card posted to the helpdesk.
func (h *harness) requestReset(rec *enginetest.Recorder) bot.Reply {
	h.t.Helper()
	r := h.say(adele, "reset my passcode")
	r = h.click(adele, r, "Contoso Galaxy Tab (Android)")
	if !strings.Contains(enginetest.Text(r), "ask the helpdesk to approve") {
		h.t.Fatalf("card: %q", enginetest.Text(r))
	}
	r = h.click(adele, r, "Ask the helpdesk")
	if !strings.Contains(enginetest.Text(r), "why you need") {
		h.t.Fatalf("reason prompt: %q", enginetest.Text(r))
	}
	r = h.say(adele, "Forgot the PIN after my holiday")
	if !strings.Contains(enginetest.Text(r), "is with the helpdesk") {
		h.t.Fatalf("after the reason: %q", enginetest.Text(r))
	}
	for _, x := range rec.Sent() {
		if x.Audience == bot.ToHelpdesk && strings.Contains(x.Text, "Forgot the PIN after my holiday") {
			return x
		}
	}
	h.t.Fatalf("no approval card in %+v", rec.Sent())
	return bot.Reply{}
}

func TestApprovedRequestResetsAfterTheDeviceCheck(t *testing.T) {
	// One try: the request and the reset it allows count once.
	h, rec := newRecordedHarness(t, withLimits(bot.Limits{PerUser: 1, PerDevice: 1, Window: 24 * time.Hour}))
	card := h.requestReset(rec)
	if h.env.Devices.Resets() != 0 {
		t.Fatal("a request reset the device")
	}
	got := h.click(hank, []bot.Reply{card}, "Approve")
	if len(got) != 1 || !got[0].Replace || !strings.Contains(got[0].Text, "Approved by Hank Helpdesk") || got[0].To.ID != hank.ID {
		t.Fatalf("agent sees %+v", got)
	}
	var toAdele []bot.Reply
	for _, x := range rec.Sent() {
		if x.Audience == bot.ToUser && x.To.ID == adele.ID {
			toAdele = append(toAdele, x)
		}
	}
	if !strings.Contains(enginetest.Text(toAdele), "approved the passcode reset of Contoso Galaxy Tab") || !strings.Contains(enginetest.Text(toAdele), "Reset the passcode of Contoso Galaxy Tab?") {
		t.Fatalf("Adele got %q, want the banner: an approval is not a sign-in", enginetest.Text(toAdele))
	}
	r := h.click(adele, toAdele, "Continue")
	r = h.click(adele, r, "Yes, reset")
	if !strings.Contains(enginetest.Text(r), "Your temporary passcode (letters and numbers) is: ") || h.env.Devices.Resets() != 1 {
		t.Fatalf("after Yes: %q, %d resets", enginetest.Text(r), h.env.Devices.Resets())
	}
	// The approval allowed one reset, not a standing permission.
	r = h.say(adele, "reset my passcode")
	r = h.click(adele, r, "Contoso Galaxy Tab (Android)")
	if strings.Contains(enginetest.Text(r), "Reset Passcode") {
		t.Error("the approval was reusable")
	}

	audit, err := h.env.Store.RecentAudit(context.Background(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action+":"+a.Outcome)
	}
	if got := strings.Join(actions, " "); got != "reset:done reset_started:started approve:ok request:pending" {
		t.Errorf("audit trail %q", got)
	}
	if audit[0].Request == "" || audit[1].Request != audit[0].Request || audit[2].Actor != "slack:U9" || audit[2].Subject != "slack:U1" {
		t.Errorf("audit records %+v", audit)
	}
}

func TestOnlyOtherApproversDecide(t *testing.T) {
	h, rec := newRecordedHarness(t)
	card := h.requestReset(rec)
	approve := enginetest.Button(t, []bot.Reply{card}, "Approve")
	cases := []struct {
		who  bot.User
		want string
	}{
		{bot.User{Platform: bot.Slack, ID: "U7", Name: "Mallory"}, "Only helpdesk approvers"},
		{bot.User{Platform: bot.Slack, ID: adele.ID, UPN: adele.UPN, Approver: true}, "cannot decide your own request"},
	}
	for _, tc := range cases {
		got := h.send(bot.Event{Kind: bot.Press, User: tc.who, Action: approve})
		if len(got) != 1 || !got[0].Private || !strings.Contains(got[0].Text, tc.want) {
			t.Errorf("%s: %+v", tc.who.ID, got)
		}
	}
	pending, _ := h.env.Store.PendingRequests(context.Background())
	if len(pending) != 1 {
		t.Errorf("%d pending after refusals, want 1", len(pending))
	}
}

func TestTwoAgentsClickingAtOnceMakeOneDecision(t *testing.T) {
	h, rec := newRecordedHarness(t)
	card := h.requestReset(rec)
	clicks := []bot.Event{
		{Kind: bot.Press, User: hank, Action: enginetest.Button(t, []bot.Reply{card}, "Approve"), DeliveryID: "h"},
		{Kind: bot.Press, User: greta, Action: enginetest.Button(t, []bot.Reply{card}, "Deny"), DeliveryID: "g"},
	}
	replies := make([][]bot.Reply, 2)
	var wg sync.WaitGroup
	for i, ev := range clicks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, _ := h.env.Engine.Handle(context.Background(), ev, &enginetest.Recorder{})
			replies[i] = res.Replies
		}()
	}
	wg.Wait()
	all := enginetest.Text(replies[0]) + enginetest.Text(replies[1])
	decided := strings.Count(all, "Approved by") + strings.Count(all, "Denied by")
	if decided != 1 || !strings.Contains(all, "already") {
		t.Errorf("replies %q: want one decision and one 'already decided'", all)
	}
	if n := enginetest.Decisions(t, h.env.Store); n != 1 {
		t.Errorf("%d decisions audited, want 1", n)
	}
}

func TestDeniedRequestCarriesTheAgentsReason(t *testing.T) {
	h, rec := newRecordedHarness(t)
	card := h.requestReset(rec)
	got := h.click(hank, []bot.Reply{card}, "Deny")
	if !strings.Contains(enginetest.Text(got), "Denied by Hank Helpdesk") || !strings.Contains(enginetest.Text(got), "Type the reason") {
		t.Fatalf("agent sees %q", enginetest.Text(got))
	}
	// A command typed meanwhile runs; it is not the reason.
	if got := enginetest.Text(h.say(hank, "pending")); !strings.Contains(got, "No requests are waiting") {
		t.Fatalf("pending while the reason is asked: %q", got)
	}
	got = h.say(hank, "Please bring the tablet to the service desk")
	if !strings.Contains(enginetest.Text(got), "sent your reason") {
		t.Fatalf("after the reason: %q", enginetest.Text(got))
	}
	var toAdele string
	for _, x := range rec.Sent() {
		if x.To.ID == adele.ID {
			toAdele += x.Text + "\n"
		}
	}
	for _, want := range []string{"denied the passcode reset of Contoso Galaxy Tab", "Reason from Hank Helpdesk: Please bring the tablet to the service desk"} {
		if !strings.Contains(toAdele, want) {
			t.Errorf("Adele got %q, want %q", toAdele, want)
		}
	}
	if h.env.Devices.Resets() != 0 {
		t.Error("a denied request reset the device")
	}
	// The audit trail keeps both reasons: the employee's and the agent's.
	audit, err := h.env.Store.RecentAudit(context.Background(), "", 20)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, a := range audit {
		reasons[a.Action] = a.Reason
	}
	if reasons["request"] != "Forgot the PIN after my holiday" || reasons["deny_reason"] != "Please bring the tablet to the service desk" {
		t.Errorf("audit reasons %q", reasons)
	}
}

// Send no reason closes the prompt: the employee hears nothing more, and
// the trail says the agent chose to give none.
func TestDenialWithoutAReasonIsAudited(t *testing.T) {
	h, rec := newRecordedHarness(t)
	card := h.requestReset(rec)
	prompt := h.click(hank, []bot.Reply{card}, "Deny")
	before := len(rec.Sent())
	got := h.click(hank, prompt, "Send no reason")
	if len(got) != 1 || !got[0].Replace || !strings.Contains(got[0].Text, "Denied without a reason") || len(got[0].Buttons) != 0 {
		t.Fatalf("after Send no reason the agent sees %+v", got)
	}
	if sent := rec.Sent()[before:]; len(sent) != 0 {
		t.Errorf("sent after Send no reason: %+v", sent)
	}
	audit, err := h.env.Store.RecentAudit(context.Background(), "", 5)
	if err != nil || len(audit) == 0 || audit[0].Action != "deny_reason" || audit[0].Outcome != "none" || audit[0].Actor != hank.Key() {
		t.Errorf("audit %+v, %v; want deny_reason:none by Hank on top", audit, err)
	}
	// The prompt's buttons are spent.
	if got := enginetest.Text(h.click(hank, prompt, "Undo the denial")); !strings.Contains(got, "earlier step") {
		t.Errorf("undo after Send no reason: %q", got)
	}
}

func TestUnansweredRequestEscalatesThenExpires(t *testing.T) {
	h, rec := newRecordedHarness(t)
	h.requestReset(rec)
	ctx := context.Background()
	cards := func() (n int) {
		for _, x := range rec.Sent() {
			if x.Audience == bot.ToHelpdesk && len(x.Buttons) == 2 {
				n++
			}
		}
		return n
	}
	h.env.Clock.Advance(31 * time.Minute)
	if _, err := h.env.Engine.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if cards() != 2 {
		t.Fatalf("%d cards after 31 minutes, want the first and one escalation", cards())
	}
	for range 16 { // eight hours in half hours
		h.env.Clock.Advance(30 * time.Minute)
		if _, err := h.env.Engine.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var expired bool
	for _, x := range rec.Sent() {
		expired = expired || x.To.ID == adele.ID && strings.Contains(x.Text, "got no decision in time")
	}
	if !expired {
		t.Error("Adele was not told that her request expired")
	}
	if pending, _ := h.env.Store.PendingRequests(ctx); len(pending) != 0 {
		t.Errorf("%d still pending", len(pending))
	}
	if n, _ := h.env.Store.Pending(ctx); n != 0 {
		t.Errorf("%d follow-ups left", n)
	}
}

func TestHelpdeskCommandsAreForApprovers(t *testing.T) {
	h, rec := newRecordedHarness(t)
	h.requestReset(rec)
	if got := enginetest.Text(h.say(adele, "pending")); !strings.Contains(got, "Only helpdesk approvers") {
		t.Errorf("employee's pending: %q", got)
	}
	if got := enginetest.Text(h.say(hank, "pending")); !strings.Contains(got, "1 passcode reset request is waiting") || !strings.Contains(got, "adele.vance@contoso.com: Contoso Galaxy Tab") {
		t.Errorf("approver's pending: %q", got)
	}
	if got := enginetest.Text(h.say(hank, "audit adele.vance@contoso.com")); !strings.Contains(got, "slack:U1 request Contoso Galaxy Tab pending") {
		t.Errorf("approver's audit: %q", got)
	}
	if got := enginetest.Text(h.say(adele, "status")); !strings.Contains(got, "Contoso Galaxy Tab: waiting for the helpdesk") {
		t.Errorf("employee's status: %q", got)
	}
}

func TestDailyDigestPostsOncePerDay(t *testing.T) {
	h, rec := newRecordedHarness(t)
	h.requestReset(rec)
	replica := newReplica(t, h.env).Engine
	digests := func() (n int) {
		for _, x := range rec.Sent() {
			if strings.Contains(x.Text, "waiting for a decision:") {
				n++
			}
		}
		return n
	}
	for _, e := range []*bot.Engine{h.env.Engine, replica, h.env.Engine} {
		if err := e.Digest(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if digests() != 1 {
		t.Errorf("%d digests from three replicas' crons, want 1", digests())
	}
	h.env.Clock.Advance(24 * time.Hour)
	replica.Digest(context.Background())
	if digests() != 2 {
		t.Errorf("%d digests after a day, want 2", digests())
	}
}

func TestLimitsAreToldWhenTheDeviceIsPicked(t *testing.T) {
	h := newHarness(t, withLimits(bot.Limits{PerUser: 2, PerDevice: 5, Window: 24 * time.Hour}))
	for range 2 {
		h.click(adele, h.toWithYou(), "Yes, reset")
	}
	if n := h.env.Devices.Resets(); n != 2 {
		t.Fatalf("%d resets, want 2", n)
	}
	for trigger, want := range map[string]string{
		"reset my passcode":       "You can try again after 2026-11-26 00:00 UTC (in 15 hours).",
		"wachtwoordcode vergeten": "U kunt het opnieuw proberen na 2026-11-26 00:00 UTC (over 15 uur).",
	} {
		r := h.say(adele, trigger)
		r = h.click(adele, r, "Adele's Galaxy S7 (Android)")
		if !strings.Contains(enginetest.Text(r), want) {
			t.Errorf("card: %q lacks %q", enginetest.Text(r), want)
		}
		if len(r) != 1 || len(r[0].Buttons) != 3 {
			t.Errorf("%q: want only Report it lost, Back and Cancel over the limit, got %+v", trigger, r)
		}
		h.say(adele, "cancel")
	}
	// The window ends at midnight UTC: the limit lifts.
	h.env.Clock.Advance(15 * time.Hour)
	r := h.say(adele, "reset my passcode")
	r = h.click(adele, r, "Adele's Galaxy S7 (Android)")
	enginetest.Button(t, r, "Reset Passcode")
}

// An employee takes back a request still waiting for the helpdesk: the
// helpdesk is told, the request leaves the pending list, and a later click
// on its card is told it was withdrawn.
func TestEmployeeWithdrawsARequest(t *testing.T) {
	h, rec := newRecordedHarness(t)
	card := h.requestReset(rec)
	got := enginetest.Text(h.say(adele, "cancel"))
	if !strings.Contains(got, "Your request for Contoso Galaxy Tab was withdrawn") {
		t.Fatalf("cancel answered %q", got)
	}
	var notice string
	for _, x := range rec.Sent() {
		if x.Audience == bot.ToHelpdesk && strings.Contains(x.Text, "withdrawn by the employee") {
			notice = x.Text
		}
	}
	if notice == "" {
		t.Errorf("the helpdesk was not told: %+v", rec.Sent())
	}
	if got := enginetest.Text(h.say(hank, "pending")); !strings.Contains(got, "No requests are waiting") {
		t.Errorf("pending after the withdrawal: %q", got)
	}
	if got := enginetest.Text(h.click(hank, []bot.Reply{card}, "Approve")); !strings.Contains(got, "already withdrawn by") {
		t.Errorf("a click on the card: %q", got)
	}
	if got := enginetest.Text(h.say(adele, "cancel")); !strings.Contains(got, "no open request") {
		t.Errorf("a second cancel: %q", got)
	}
	audit, err := h.env.Store.RecentAudit(context.Background(), adele.Key(), 10)
	if err != nil || len(audit) == 0 || audit[0].Action != "withdraw" || audit[0].Outcome != "ok" {
		t.Errorf("audit %+v, %v", audit, err)
	}
}

// After a decision no copy of an approval card keeps a live button: every
// copy the decision was not clicked on (the card, its escalations) is
// replaced once by the decided card; the clicked one only by the answer to
// the click. Notices without buttons are never tracked as copies.
func TestDecisionClosesEveryCopyOfTheCard(t *testing.T) {
	cases := []struct {
		name string
		// clicked is the copy the decision is clicked on (-1: none).
		clicked int
		decide  func(h *harness, card bot.Reply, clicked bot.MessageRef) []bot.Reply
		want    string
	}{
		{"approve on an escalation", 1, func(h *harness, card bot.Reply, clicked bot.MessageRef) []bot.Reply {
			return h.send(bot.Event{Kind: bot.Press, User: hank, Action: enginetest.Button(h.t, []bot.Reply{card}, "Approve"), Clicked: clicked, ClickedPublic: true})
		}, "Approved by Hank Helpdesk"},
		{"deny on the first card", 0, func(h *harness, card bot.Reply, clicked bot.MessageRef) []bot.Reply {
			got := h.send(bot.Event{Kind: bot.Press, User: hank, Action: enginetest.Button(h.t, []bot.Reply{card}, "Deny"), Clicked: clicked, ClickedPublic: true})
			// The reason that follows decides nothing new about the card.
			h.say(hank, "Please bring the tablet to the service desk")
			return got
		}, "Denied by Hank Helpdesk"},
		{"withdrawal", -1, func(h *harness, _ bot.Reply, _ bot.MessageRef) []bot.Reply {
			return h.say(adele, "cancel")
		}, "Withdrawn by the employee"},
		{"expiry", -1, func(h *harness, _ bot.Reply, _ bot.MessageRef) []bot.Reply {
			h.env.Sweep(h.t, 8*time.Hour)
			return nil
		}, "Closed without a decision"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, rec := newRecordedHarness(t)
			card := h.requestReset(rec)
			for range 2 { // two escalations: three copies
				h.env.Sweep(t, 31*time.Minute)
			}
			if err := h.env.Engine.Digest(context.Background()); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(enginetest.Text(rec.Sent()), "waiting for a decision:") {
				t.Fatal("no digest was posted")
			}
			copies := func() []bot.MessageRef {
				var refs []bot.MessageRef
				for i, x := range rec.Sent() {
					switch {
					case x.Audience == bot.ToHelpdesk && len(x.Buttons) > 0 && x.Card == "":
						t.Errorf("helpdesk reply %d has buttons but is not tracked: %+v", i, x)
					case len(x.Buttons) == 0 && x.Card != "":
						t.Errorf("reply %d without buttons is tracked as a card: %+v", i, x)
					case x.Card != "":
						refs = append(refs, bot.MessageRef("rec:"+strconv.Itoa(i)))
					}
				}
				return refs
			}
			posted := copies()
			if len(posted) != 3 {
				t.Fatalf("%d copies of the card, want the card and two escalations", len(posted))
			}
			var clicked bot.MessageRef
			if tc.clicked >= 0 {
				clicked = posted[tc.clicked]
			}
			before := len(rec.Sent())
			got := tc.decide(h, card, clicked)
			// The expiry's sweep may post one more escalation first: it is
			// a copy like the others.
			want := slices.DeleteFunc(copies(), func(ref bot.MessageRef) bool { return ref == clicked })
			if tc.clicked >= 0 {
				if len(got) == 0 || got[0].Target.Kind != bot.ReplaceClicked || !strings.Contains(got[0].Text, tc.want) || len(got[0].Buttons) != 0 {
					t.Errorf("the clicked card is answered with %+v, want it replaced by the decided card", got)
				}
			}
			var updated []bot.MessageRef
			for _, x := range rec.Sent()[before:] {
				if x.Target.Kind != bot.UpdateRef {
					continue
				}
				updated = append(updated, x.Target.Ref)
				if !strings.Contains(x.Text, tc.want) || !strings.Contains(x.Text, "Forgot the PIN after my holiday") || len(x.Buttons) != 0 || x.Card != "" {
					t.Errorf("%s updated to %q with %d buttons (card %q), want the card, %q, no buttons", x.Target.Ref, x.Text, len(x.Buttons), x.Card, tc.want)
				}
			}
			if !slices.Equal(updated, want) {
				t.Errorf("updated copies %q, want each copy but the clicked one once: %q", updated, want)
			}
		})
	}
}

// decidingChat records what it is sent and runs decide, once, while the
// first escalated card is on its way: a decision on another replica
// between the escalation's save and its card's post.
type decidingChat struct {
	*enginetest.Recorder
	decide func()
}

func (n *decidingChat) Send(ctx context.Context, r bot.Reply) (bot.MessageRef, error) {
	if d := n.decide; d != nil && r.Card != "" && strings.Contains(r.Text, "Waiting for a decision") {
		n.decide = nil
		d()
	}
	return n.Recorder.Send(ctx, r)
}

// A card copy posted while its request was decided does not stay live: the
// decision read the copies before it was added, so the engine closes it
// once its chat has posted it.
func TestCardPostedDuringTheDecisionIsClosed(t *testing.T) {
	n := &decidingChat{Recorder: &enginetest.Recorder{}}
	h := newHarness(t, enginetest.WithChat(bot.Slack, n))
	card := h.requestReset(n.Recorder)
	n.decide = func() { h.click(hank, []bot.Reply{card}, "Approve") }
	h.env.Sweep(t, 31*time.Minute)
	sent := n.Sent()
	escalation := slices.IndexFunc(sent, func(r bot.Reply) bool { return r.Card != "" && strings.Contains(r.Text, "Waiting for a decision") })
	if escalation < 0 || n.decide != nil {
		t.Fatalf("no escalation, or no decision during it: %+v", sent)
	}
	ref := bot.MessageRef("rec:" + strconv.Itoa(escalation))
	var updates []bot.Reply
	for _, r := range sent {
		if r.Target.Kind == bot.UpdateRef && r.Target.Ref == ref {
			updates = append(updates, r)
		}
	}
	if len(updates) != 1 || !strings.Contains(updates[0].Text, "Approved by Hank Helpdesk") || len(updates[0].Buttons) != 0 {
		t.Errorf("the escalation posted during the approval was updated by %+v, want once to the approved card", updates)
	}
}

// flaky fails its first fails sends (the chat is down), then passes them on.
type flaky struct {
	mu    sync.Mutex
	fails int
	next  bot.Sender
}

func (f *flaky) Send(ctx context.Context, r bot.Reply) (bot.MessageRef, error) {
	f.mu.Lock()
	down := f.fails > 0
	f.fails--
	f.mu.Unlock()
	if down {
		return "", errChatDown
	}
	return f.next.Send(ctx, r)
}

var errChatDown = errors.New("chat not reachable")

// A decision the chat does not take (Slack down for a while) is not lost:
// the notice to the employee and the update of the card are queued and
// sent again, with a growing wait, until the chat takes them; once each.
func TestNoticesTheChatRefusesAreSentAgain(t *testing.T) {
	h, rec := newRecordedHarness(t)
	card := h.requestReset(rec)
	before := len(rec.Sent())
	h.env.Chats[bot.Slack].Use(&flaky{fails: 3, next: rec})

	h.click(hank, []bot.Reply{card}, "Deny") // the notice and the card update fail
	if got := rec.Sent()[before:]; len(got) != 0 {
		t.Fatalf("sent while the chat is down: %+v", got)
	}
	h.env.Sweep(t, time.Minute) // one more failure: that notice waits two minutes more
	h.env.Sweep(t, 2*time.Minute)
	h.env.Sweep(t, time.Hour) // nothing left to send

	var notices, updates int
	for _, x := range rec.Sent()[before:] {
		switch {
		case x.Target.Kind == bot.DirectMessage && x.Target.User.ID == adele.ID && strings.Contains(x.Text, "denied the passcode reset of Contoso Galaxy Tab"):
			notices++
		case x.Target.Kind == bot.UpdateRef && strings.Contains(x.Text, "Denied by Hank Helpdesk") && len(x.Buttons) == 0:
			updates++
		default:
			t.Errorf("unexpected %+v", x)
		}
	}
	if notices != 1 || updates != 1 {
		t.Errorf("%d denial notices and %d card updates reached the chat, want one each", notices, updates)
	}
	if n, _ := h.env.Store.Pending(context.Background()); n != 1 {
		t.Errorf("%d follow-ups pending, want only the request's expiry", n)
	}
}

// The step an approval resumes is sent on its own, to the requester's DM:
// its buttons join the conversation's live messages, so the next step that
// moves the conversation on (here: cancel) takes them off.
func TestAResumedStepsButtonsAreTakenOffLater(t *testing.T) {
	h, rec := newRecordedHarness(t)
	card := h.requestReset(rec)
	sent := len(rec.Sent())
	h.click(hank, []bot.Reply{card}, "Approve")
	banner := bot.MessageRef("")
	for i, x := range rec.Sent()[sent:] {
		if x.To.ID == adele.ID && len(x.Buttons) > 0 {
			banner = bot.MessageRef("rec:" + strconv.Itoa(sent+i))
		}
	}
	if banner == "" || !slices.Contains(conversation(t, h).Live, banner) {
		t.Fatalf("live %v; want the resumed banner %q among them", conversation(t, h).Live, banner)
	}
	h.say(adele, "cancel")
	if live := conversation(t, h).Live; len(live) != 0 {
		t.Errorf("live %v after cancel; want the banner taken off", live)
	}
}
