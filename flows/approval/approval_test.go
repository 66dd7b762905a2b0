package approval

import (
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/bot/eligibility"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

var (
	employee = bot.User{Platform: bot.Slack, ID: "U1", Name: "Adele Vance", UPN: "adele.vance@contoso.com", Locale: "nl-NL"}
	agent    = bot.User{Platform: bot.Slack, ID: "U9", Name: "Hank Helpdesk", Approver: true}
	agent2   = bot.User{Platform: bot.Slack, ID: "U8", Name: "Greta Helpdesk", Approver: true}
	intruder = bot.User{Platform: bot.Slack, ID: "U7", Name: "Mallory"}
)

func request() *bot.Request {
	return &bot.Request{ID: "R1", Requester: employee, State: bot.RequestPending, Created: t0, Reason: "forgot PIN after holiday",
		Device: bot.DeviceRef{ID: "d1", Name: "Contoso Galaxy Tab", Kind: eligibility.AndroidAdmin, OSVersion: "6.0.1", Company: true}}
}

func TestCard(t *testing.T) {
	c := New(Config{}).Card(request(), t0)
	for _, want := range []string{"R1", "Adele Vance", "adele.vance@contoso.com", "Contoso Galaxy Tab", "Android 6.0.1", "company-owned", "forgot PIN after holiday", "2026-11-25 09:00 UTC"} {
		if !strings.Contains(c.Text, want) {
			t.Errorf("card lacks %q:\n%s", want, c.Text)
		}
	}
	if c.Audience != bot.ToHelpdesk || len(c.Buttons) != 2 || c.Buttons[0].Action != "approve" || c.Buttons[1].Action != "deny" || c.Buttons[1].Style != bot.Danger {
		t.Errorf("card %+v", c)
	}
}

func TestDecide(t *testing.T) {
	decided := func(state bot.RequestState, by bot.User) *bot.Request {
		r := request()
		r.State, r.Decider = state, &by
		return r
	}
	cases := []struct {
		name      string
		r         *bot.Request
		actor     bot.User
		action    string
		changed   bool
		approved  bool
		state     bot.RequestState
		actor1    string // text the clicking agent sees
		requester string // text the employee gets, in Dutch
		audit     string
	}{
		{"approver approves", request(), agent, "approve", true, true, bot.RequestApproved, "✅ Approved by Hank Helpdesk", "goedgekeurd", "approve"},
		{"approver denies", request(), agent, "deny", true, false, bot.RequestDenied, "❌ Denied by Hank Helpdesk", "afgewezen", "deny"},
		{"requester approves own request", request(), bot.User{Platform: bot.Slack, ID: "U1", Approver: true}, "approve", false, false, bot.RequestPending, "cannot decide your own request", "", "refuse"},
		{"non-approver clicks", request(), intruder, "approve", false, false, bot.RequestPending, "Only helpdesk approvers", "", "refuse"},
		{"second agent after approval", decided(bot.RequestApproved, agent), agent2, "deny", false, false, bot.RequestApproved, "already approved by Hank Helpdesk", "", ""},
		{"second agent after denial", decided(bot.RequestDenied, agent), agent2, "approve", false, false, bot.RequestDenied, "already denied by Hank Helpdesk", "", ""},
		{"unknown action", request(), agent, "delete", false, false, bot.RequestPending, "do not recognise", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := New(Config{}).Decide(tc.r, tc.actor, tc.action, t0.Add(time.Minute))
			if d.Changed != tc.changed || d.Approved != tc.approved || tc.r.State != tc.state || d.Audit != tc.audit {
				t.Fatalf("decision %+v, state %s", d, tc.r.State)
			}
			if len(d.Actor) != 1 || !strings.Contains(d.Actor[0].Text, tc.actor1) {
				t.Errorf("actor replies %+v, want %q", d.Actor, tc.actor1)
			}
			if tc.changed && (!d.Actor[0].Replace || tc.r.Decider.ID != tc.actor.ID || !tc.r.Decided.Equal(t0.Add(time.Minute))) {
				t.Errorf("the card must be replaced and show the decider: %+v %+v", d.Actor[0], tc.r)
			}
			if !tc.changed && !d.Actor[0].Private {
				t.Error("a refusal must be private")
			}
			if tc.requester == "" && len(d.Requester) != 0 || tc.requester != "" && (len(d.Requester) != 1 || !strings.Contains(d.Requester[0].Text, tc.requester)) {
				t.Errorf("requester replies %+v, want %q", d.Requester, tc.requester)
			}
		})
	}
}

func TestDenyReasonGoesToTheEmployee(t *testing.T) {
	f := New(Config{Support: "helpdesk@contoso.com"})
	r := request()
	f.Decide(r, agent, "deny", t0)
	r.DenyReason = "Bring the tablet to the service desk"
	if d := f.Decide(r, agent2, "reason", t0); d.Changed || len(d.Requester) != 0 {
		t.Errorf("another agent's reason was accepted: %+v", d)
	}
	d := f.Decide(r, agent, "reason", t0)
	if !d.Changed || len(d.Requester) != 1 || d.Requester[0].Text != "Reden van Hank Helpdesk: Bring the tablet to the service desk" {
		t.Errorf("decision %+v", d)
	}
}

// Only the agent who denied may take it back, and only before they sent a
// reason: the employee would otherwise hear two contradicting stories.
func TestUndeny(t *testing.T) {
	f := New(Config{ExpireAfter: 2 * time.Hour})
	denied := func() *bot.Request {
		r := request()
		f.Decide(r, agent, "deny", t0)
		return r
	}
	for _, tc := range []struct {
		name string
		r    func() *bot.Request
		by   bot.User
		ok   bool
	}{
		{"the deciding agent", denied, agent, true},
		{"another agent", denied, agent2, false},
		{"after the reason", func() *bot.Request { r := denied(); r.DenyReason = "no"; return r }, agent, false},
		{"a pending request", request, agent, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r()
			before := r.State
			d := f.Decide(r, tc.by, "undeny", t0.Add(time.Minute))
			if !tc.ok {
				if d.Changed || r.State != before || d.Audit != "refuse" {
					t.Errorf("refusal expected: %+v, state %s", d, r.State)
				}
				return
			}
			if !d.Changed || !d.Reopened || r.State != bot.RequestPending || r.Decider != nil || d.Audit != "undeny" ||
				len(d.Requester) != 1 || !strings.Contains(d.Requester[0].Text, "ingetrokken") || len(d.FollowUps) == 0 {
				t.Errorf("decision %+v, request %+v", d, r)
			}
		})
	}
}

func TestEscalationAndExpiry(t *testing.T) {
	f := New(Config{EscalateAfter: 30 * time.Minute, ExpireAfter: 2 * time.Hour})
	r := request()
	fs := f.FollowUps(r)
	if len(fs) != 2 || fs[0].Kind != FollowExpire || !fs[0].Due.Equal(t0.Add(2*time.Hour)) || fs[1].Kind != FollowEscalate || !fs[1].Due.Equal(t0.Add(30*time.Minute)) {
		t.Fatalf("follow-ups %+v", fs)
	}
	now := t0.Add(30 * time.Minute)
	for i := 1; ; i++ {
		d := f.Due(r, bot.FollowUp{Kind: FollowEscalate}, now)
		if !d.Changed || r.Escalations != i || len(d.Helpdesk) != 1 || len(d.Helpdesk[0].Buttons) != 2 || d.Audit != "escalate" {
			t.Fatalf("escalation %d: %+v", i, d)
		}
		if !strings.Contains(d.Helpdesk[0].Text, "Waiting for a decision for") {
			t.Errorf("escalation text %q", d.Helpdesk[0].Text)
		}
		if len(d.FollowUps) == 0 {
			if now.Add(30 * time.Minute).Before(t0.Add(2 * time.Hour)) {
				t.Fatalf("escalation stopped early at %v", now)
			}
			break
		}
		now = d.FollowUps[0].Due
	}
	if r.Escalations != 3 {
		t.Errorf("%d escalations in 2 hours every 30 minutes, want 3", r.Escalations)
	}
	d := f.Due(r, bot.FollowUp{Kind: FollowExpire}, t0.Add(2*time.Hour))
	if !d.Changed || r.State != bot.RequestExpired || len(d.Requester) != 1 || !strings.Contains(d.Requester[0].Text, "gesloten") || d.Audit != "expire" {
		t.Errorf("expiry %+v state %s", d, r.State)
	}
	if d := f.Due(r, bot.FollowUp{Kind: FollowEscalate}, t0.Add(3*time.Hour)); d.Changed || len(d.Helpdesk) != 0 {
		t.Errorf("a closed request was escalated: %+v", d)
	}
}

func TestDecidedRequestsNeitherEscalateNorExpire(t *testing.T) {
	f := New(Config{})
	r := request()
	f.Decide(r, agent, "approve", t0)
	for _, kind := range []string{FollowEscalate, FollowExpire} {
		if d := f.Due(r, bot.FollowUp{Kind: kind}, t0.Add(9*time.Hour)); d.Changed || r.State != bot.RequestApproved {
			t.Errorf("%s changed a decided request: %+v", kind, d)
		}
	}
}

func TestDigestOfOneRequestSaysRequestOnce(t *testing.T) {
	for lang, want := range map[string]string{"en": "📋 1 passcode reset request is waiting for a decision:", "nl": "📋 1 aanvraag voor het opnieuw instellen van een wachtwoordcode wacht op een beslissing:"} {
		d := New(Config{Lang: lang}).Digest([]bot.Request{*request()}, t0.Add(90*time.Minute))
		if !strings.Contains(d.Text, want) || !strings.Contains(d.Text, map[string]string{"en": "waiting 1 hour", "nl": "wacht 1 uur"}[lang]) {
			t.Errorf("%s digest:\n%s", lang, d.Text)
		}
	}
}

func TestDigest(t *testing.T) {
	r1, r2 := request(), request()
	r2.ID, r2.Device.Name, r2.Created = "R2", "Work iPhone", t0.Add(2*time.Hour)
	d := New(Config{Lang: "nl"}).Digest([]bot.Request{*r1, *r2}, t0.Add(5*time.Hour))
	for _, want := range []string{"2 aanvragen", "Contoso Galaxy Tab, wacht 5 uur (aanvraag R1)", "Work iPhone, wacht 3 uur (aanvraag R2)"} {
		if !strings.Contains(d.Text, want) {
			t.Errorf("digest lacks %q:\n%s", want, d.Text)
		}
	}
	if d.Audience != bot.ToHelpdesk {
		t.Error("digest not for the helpdesk")
	}
}

func TestNoSelfApprovalThroughAnotherAccount(t *testing.T) {
	const adeleOID = "4f2b6c1e-8d3a-4c55-9a6e-1b2c3d4e5f60"
	cases := []struct {
		name      string
		requester bot.User // the request's, after the employee's own account
		second    bot.User
		self      bool
	}{
		{"the same UPN on another platform", employee,
			bot.User{Platform: bot.Discord, ID: "999", UPN: "Adele.Vance@contoso.com", Approver: true}, true},
		// The alias account signed in once: its link names Adele's object ID.
		{"an alias address linked to the owner's object ID", employee,
			bot.User{Platform: bot.Slack, ID: "U5", UPN: "adele.vance@contoso.com", OID: adeleOID, Approver: true}, true},
		{"an alias address, the device owner's object ID from Teams", employee,
			bot.User{Platform: bot.Teams, ID: "29:a", UPN: "a.vance@contoso.com", OID: "4F2B6C1E-8D3A-4C55-9A6E-1B2C3D4E5F60", Approver: true}, true},
		{"a plus address of the requester's mailbox, never signed in", employee,
			bot.User{Platform: bot.Slack, ID: "U6", UPN: "adele.vance+admin@contoso.com", Approver: true}, true},
		{"a requester known by object ID, the approver too", bot.User{Platform: bot.Teams, ID: "29:b", OID: adeleOID},
			bot.User{Platform: bot.Discord, ID: "998", OID: adeleOID, Approver: true}, true},
		// The requester's account names another mailbox (a Teams UPN changed, a
		// linked Discord account): the device's owner is still the approver.
		{"the device owner's mailbox, the request from another account", bot.User{Platform: bot.Teams, ID: "29:c", UPN: "a.vance@contoso.com"},
			bot.User{Platform: bot.Slack, ID: "U7", UPN: "adele.vance+ops@contoso.com", Approver: true}, true},
		{"another person's object ID", employee,
			bot.User{Platform: bot.Slack, ID: "U9", UPN: "hank@contoso.com", OID: "7a9e3d2c-1b4f-4e8a-b6c5-0d1e2f3a4b5c", Approver: true}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := request()
			r.Requester, r.Device.OwnerID, r.Device.OwnerUPN = tc.requester, adeleOID, "adele.vance@contoso.com"
			d := New(Config{}).Decide(r, tc.second, "approve", t0)
			if self := !d.Changed && d.Outcome == "self_approval"; self != tc.self {
				t.Errorf("decision %+v, want self-approval refused: %v", d, tc.self)
			}
		})
	}
}
