package slack

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
)

// The helpdesk of the approval tests: Hank is an approver through the
// S0HELPDESK user group; Adele is also configured as an approver by ID, to
// show she still cannot decide her own request.
const (
	hank        = "U0HANK001"
	hankDM      = "D0HANK001"
	helpdeskGrp = "S0HELPDESK"
)

// newApprovalHarness is a harness with approvers configured and Hank in the
// helpdesk user group.
func newApprovalHarness(t *testing.T, mode string) *harness {
	t.Helper()
	h := newHarness(t, mode, "en-US", func(c *Config) { c.Approvers = bot.Approvers{adele, helpdeskGrp} })
	h.fake.addUser(hank, fakeUser{Name: "Hank Helpdesk", Email: "hank@contoso.com", Locale: "en-US"}, hankDM)
	h.fake.setGroup(helpdeskGrp, hank, "U0OTHER01")
	return h
}

// lastTo waits for a message (posted or updated) in channel whose text
// contains substr and returns the last one.
func (h *harness) lastTo(channel, substr string) sentMessage {
	h.t.Helper()
	var found *sentMessage
	h.fake.waitFor(h.t, "a message in "+channel+" containing "+substr, func() bool {
		for _, c := range h.fake.calls {
			if m, ok := c.message(); ok && !c.Limited && m.Channel == channel && strings.Contains(m.Text, substr) {
				found = &m
			}
		}
		return found != nil
	})
	return *found
}

// ephemerals returns the response_url posts that are ephemeral answers (not
// replacements).
func (h *harness) ephemerals() []sentMessage {
	return h.messages(func(m sentMessage) bool { return m.Method == "response_url" && !m.Replace })
}

// requestApproval walks Adele to a helpdesk request for her company-owned
// Galaxy Tab and returns the approval card posted to the helpdesk channel.
func requestApproval(t *testing.T, h *harness) sentMessage {
	t.Helper()
	h.dm(adele, adeleDM, "EvReq1", "reset my passcode", 0)
	list := h.waitPost(adeleDM, "Which device")
	h.click(adele, list, list.button(t, "Contoso Galaxy Tab (Android)"))
	ask := h.lastTo(adeleDM, "ask the helpdesk to approve")
	h.click(adele, ask, ask.button(t, "Ask the helpdesk"))
	h.lastTo(adeleDM, "why you need")
	h.dm(adele, adeleDM, "EvReq2", "Forgot the PIN after my holiday", 0)
	h.lastTo(adeleDM, "is with the helpdesk")

	card := h.waitPost(helpdeskCh, "Forgot the PIN after my holiday")
	if !strings.Contains(card.Text, "adele.vance@contoso.com") || !strings.Contains(card.Text, "Contoso Galaxy Tab") {
		t.Errorf("card %q does not name the requester and device", card.Text)
	}
	var labels []string
	for _, b := range card.Buttons {
		labels = append(labels, b.Text.Text)
	}
	if strings.Join(labels, ",") != "Approve,Deny" {
		t.Fatalf("card buttons %q, want Approve, Deny", labels)
	}
	return card
}

func TestApprovalStory(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{ModeSocket, ModeHTTP} {
		t.Run(mode, func(t *testing.T) {
			h := newApprovalHarness(t, mode)
			card := requestApproval(t, h)
			approve := card.button(t, "Approve")
			adeleBefore := len(h.messages(func(m sentMessage) bool { return m.Channel == adeleDM }))

			// Lieke is no approver: told so, next to the card, only her.
			h.click(lieke, card, approve)
			eph := h.ephemerals()
			if len(eph) != 1 || eph[0].ResponseType != "ephemeral" || !strings.Contains(eph[0].Text, "Only helpdesk approvers") {
				t.Fatalf("Lieke's click answered with %+v, want an ephemeral refusal", eph)
			}
			if got := h.messages(func(m sentMessage) bool { return m.Channel == liekeDM }); len(got) != 0 {
				t.Errorf("the refusal also went to Lieke's DM: %+v", got)
			}

			// Adele is a configured approver, but it is her own request.
			h.click(adele, card, approve)
			eph = h.ephemerals()
			if len(eph) != 2 || eph[1].ResponseType != "ephemeral" || !strings.Contains(eph[1].Text, "cannot decide your own request") {
				t.Fatalf("Adele's click answered with %+v, want an ephemeral refusal", eph)
			}
			if ups := h.updates(helpdeskCh, card.Posted); len(ups) != 0 {
				t.Fatalf("refused clicks changed the card: %+v", ups)
			}
			if n := len(h.messages(func(m sentMessage) bool { return m.Channel == adeleDM })); n != adeleBefore {
				t.Errorf("refused clicks sent Adele %d DM messages", n-adeleBefore)
			}

			// Hank approves through his user group.
			h.click(hank, card, approve)
			ups := h.updates(helpdeskCh, card.Posted)
			if len(ups) != 1 {
				t.Fatalf("%d chat.update of the card, want 1: %s", len(ups), h.fake.summary())
			}
			if u := ups[0]; !strings.Contains(u.Text, "Approved by Hank Helpdesk") || !strings.Contains(u.Text, "Forgot the PIN after my holiday") || len(u.Buttons) != 0 {
				t.Errorf("card updated to %q with %d buttons, want the card text, Approved by Hank and no buttons", u.Text, len(u.Buttons))
			}
			if got := h.messages(func(m sentMessage) bool { return m.Channel == hankDM }); len(got) != 0 {
				t.Errorf("Hank's DM got %+v", got)
			}
			h.lastTo(adeleDM, "approved the passcode reset of Contoso Galaxy Tab")
			// An approval is not a sign-in: Adele confirms from the banner.
			banner := h.lastTo(adeleDM, "Reset the passcode of Contoso Galaxy Tab?")
			h.click(adele, banner, banner.button(t, "Continue"))
			withYou := h.lastTo(adeleDM, "Do you have Contoso Galaxy Tab with you?")

			h.click(adele, withYou, withYou.button(t, "Yes, reset"))
			h.lastTo(adeleDM, "Your passcode was reset successfully")
			codes, where := passcodes(h)
			if len(codes) != 1 {
				t.Fatalf("%d passcode messages, want 1", len(codes))
			}
			if m := where[0]; m.Method != "chat.postMessage" || m.Channel != adeleDM {
				t.Errorf("passcode went by %s to %q, want chat.postMessage to Adele's DM", m.Method, m.Channel)
			}
			n := 0
			for _, c := range h.fake.Calls() {
				if strings.Contains(c.Raw, codes[0]) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("the passcode is in %d requests to Slack, want 1", n)
			}

			// One group lookup served every click: cached.
			var lookups []apiCall
			for _, c := range h.fake.Calls() {
				if c.Method == "usergroups.users.list" {
					lookups = append(lookups, c)
				}
			}
			if len(lookups) != 1 || lookups[0].Form.Get("usergroup") != helpdeskGrp {
				t.Errorf("usergroups.users.list calls %+v, want one for %s", lookups, helpdeskGrp)
			}
		})
	}
}

// The agent who denied can take it back as long as they sent no reason:
// the card gets its buttons back, the employee is told, and the request can
// be approved after all.
func TestDenialCanBeTakenBack(t *testing.T) {
	t.Parallel()
	h := newApprovalHarness(t, ModeSocket)
	card := requestApproval(t, h)
	h.click(hank, card, card.button(t, "Deny"))
	prompt := h.waitPost(hankDM, "Type the reason for denying the request of Adele Vance")
	h.click(hank, prompt, prompt.button(t, "Undo the denial"))

	ups := h.updates(helpdeskCh, card.Posted)
	if len(ups) != 2 || !slices.Equal(buttonLabels(ups[1]), []string{"Approve", "Deny"}) {
		t.Fatalf("card updates %+v, want the denial, then the live card again", ups)
	}
	if got := h.updates(hankDM, prompt.Posted); len(got) != 1 || !strings.Contains(got[0].Text, "You took the denial back") || len(got[0].Buttons) != 0 {
		t.Errorf("the prompt became %+v, want the undo notice without buttons", got)
	}
	h.lastTo(adeleDM, "took back the denial")

	h.click(hank, card, ups[1].button(t, "Approve"))
	if ups := h.updates(helpdeskCh, card.Posted); len(ups) != 3 || !strings.Contains(ups[2].Text, "Approved by Hank Helpdesk") {
		t.Fatalf("after the undo, approving updated the card to %+v", ups)
	}
}

func TestGroupLookupFailureNeverGrants(t *testing.T) {
	t.Parallel()
	h := newApprovalHarness(t, ModeSocket)
	card := requestApproval(t, h)
	h.fake.fail("usergroups.users.list", "ratelimited_forever")
	h.click(hank, card, card.button(t, "Approve"))
	if eph := h.ephemerals(); len(eph) != 1 || !strings.Contains(eph[0].Text, "Only helpdesk approvers") {
		t.Fatalf("with the group lookup failing, Hank's click answered with %+v", eph)
	}
	if ups := h.updates(helpdeskCh, card.Posted); len(ups) != 0 {
		t.Fatalf("the card changed: %+v", ups)
	}
	if !strings.Contains(h.logs.String(), "usergroups.users.list") {
		t.Errorf("the failed lookup was not logged")
	}

	// The failure was not cached: once Slack answers, Hank's next click counts.
	h.fake.fail("usergroups.users.list", "")
	h.click(hank, card, card.button(t, "Approve"))
	if ups := h.updates(helpdeskCh, card.Posted); len(ups) != 1 || !strings.Contains(ups[0].Text, "Approved by Hank Helpdesk") {
		t.Fatalf("card updates %+v, want Approved by Hank", ups)
	}
}

// The immediate answer to /passcode (the answer itself goes to the DM, see
// TestEachTargetIsOneSlackCall): where it was typed an ephemeral pointer to
// the DM, in the person's language as far as it is known without asking
// Slack; in the DM itself nothing, the answer appears right there.
func TestSlashCommandAnswersWhereTyped(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{ModeSocket, ModeHTTP} {
		t.Run(mode, func(t *testing.T) {
			h := newScriptedHarness(t, mode, &enginetest.Scripted{})
			decode := func(raw []byte) commandReply {
				t.Helper()
				var r commandReply
				if err := json.Unmarshal(raw, &r); err != nil {
					t.Fatalf("command answer %q: %v", raw, err)
				}
				return r
			}

			// Not seen before: the locale is unknown at ack time, so both.
			first := decode(h.command(lieke, channelID, "", "trigger.1"))
			if first.ResponseType != "ephemeral" || !strings.Contains(first.Text, "I answered in your DM") || !strings.Contains(first.Text, "Ik heb geantwoord in uw privébericht") {
				t.Errorf("first answer %+v", first)
			}

			// Known now: her language only.
			second := decode(h.command(lieke, channelID, "help", "trigger.2"))
			if second.ResponseType != "ephemeral" || second.Text != "Ik heb geantwoord in uw privébericht." {
				t.Errorf("second answer %+v", second)
			}

			if raw := h.command(lieke, liekeDM, "help", "trigger.3"); len(raw) != 0 {
				t.Errorf("a command in the DM was answered with %q", raw)
			}
		})
	}
}

func TestApproverGroupsAreCachedAndNeverGrantOnError(t *testing.T) {
	t.Parallel()
	f := newFakeSlack(t)
	f.setGroup(helpdeskGrp, hank)
	logs := &enginetest.SyncBuffer{}
	a, err := New(Config{BotToken: botToken, AppToken: appToken, APIURL: f.APIURL(), Approvers: bot.Approvers{"W0DIRECT1", helpdeskGrp, "1234567890"}},
		&countingHandler{}, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	ctx := context.Background()
	lookups := func() int {
		n := 0
		for _, c := range f.Calls() {
			if c.Method == "usergroups.users.list" {
				n++
			}
		}
		return n
	}
	check := func(step, user string, want bool, wantLookups int) {
		t.Helper()
		if got := a.isApprover(ctx, user); got != want {
			t.Errorf("%s: isApprover(%s) = %v, want %v", step, user, got, want)
		}
		if n := lookups(); n != wantLookups {
			t.Errorf("%s: %d lookups, want %d", step, n, wantLookups)
		}
	}

	check("direct entry", "W0DIRECT1", true, 0)
	check("group member", hank, true, 1)
	check("not a member", lieke, false, 1)
	check("empty ID", "", false, 1)
	now = now.Add(4 * time.Minute)
	check("within the TTL", hank, true, 1)

	f.setGroup(helpdeskGrp, lieke)
	now = now.Add(2 * time.Minute)
	check("removed, after the TTL", hank, false, 2)
	check("added, after the TTL", lieke, true, 2)

	f.setGroup(helpdeskGrp, hank)
	f.fail("usergroups.users.list", "internal_error")
	now = now.Add(6 * time.Minute)
	check("lookup fails", hank, false, 3)
	check("lookup fails again (not cached)", hank, false, 4)
	check("direct entry needs no lookup", "W0DIRECT1", true, 4)
	if !strings.Contains(logs.String(), "internal_error") {
		t.Errorf("the failed lookup was not logged: %s", logs)
	}
	f.fail("usergroups.users.list", "")
	check("Slack answers again", hank, true, 5)
}

// After a decision no copy of an approval card keeps a live button: the
// card and its escalation each get one chat.update to the decided card
// (the clicked one through the click), the digest and the notices none.
func TestDecisionClosesEveryCopyOfTheCard(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		decide func(t *testing.T, h *harness, card, escalation sentMessage)
		want   string
	}{
		{"approve on the escalation", func(t *testing.T, h *harness, _, escalation sentMessage) {
			h.click(hank, escalation, escalation.button(t, "Approve"))
		}, "Approved by Hank Helpdesk"},
		{"deny on the card, then the reason", func(t *testing.T, h *harness, card, _ sentMessage) {
			h.click(hank, card, card.button(t, "Deny"))
			h.dm(hank, hankDM, "EvReason", "Please bring the tablet to the service desk", 0)
			h.waitPost(hankDM, "I sent your reason")
		}, "Denied by Hank Helpdesk"},
		{"withdrawal", func(_ *testing.T, h *harness, _, _ sentMessage) {
			h.dm(adele, adeleDM, "EvCancel", "cancel", 0)
			h.waitPost(adeleDM, "was withdrawn")
		}, "Withdrawn by the employee"},
		{"expiry", func(t *testing.T, h *harness, _, _ sentMessage) {
			h.env.Sweep(t, 8*time.Hour)
			h.waitPost(helpdeskCh, "expired without a decision")
		}, "Closed without a decision"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newApprovalHarness(t, ModeSocket)
			card := requestApproval(t, h)
			h.env.Sweep(t, 31*time.Minute)
			escalation := h.waitPost(helpdeskCh, "Waiting for a decision")
			if err := h.env.Engine.Digest(context.Background()); err != nil {
				t.Fatal(err)
			}
			h.waitPost(helpdeskCh, "waiting for a decision:")

			tc.decide(t, h, card, escalation)
			// The expiry's sweep may post one more escalation first: it is
			// a copy like the others.
			copies := h.messages(func(m sentMessage) bool {
				return m.Method == "chat.postMessage" && m.Channel == helpdeskCh && len(m.Buttons) > 0
			})
			if len(copies) < 2 {
				t.Fatalf("%d copies of the card posted, want the card and its escalation", len(copies))
			}
			for _, c := range copies {
				ups := h.updates(helpdeskCh, c.Posted)
				if len(ups) != 1 {
					t.Errorf("copy %s got %d chat.update, want 1: %s", c.Posted, len(ups), h.fake.summary())
					continue
				}
				if u := ups[0]; !strings.Contains(u.Text, tc.want) || !strings.Contains(u.Text, "Forgot the PIN after my holiday") || len(u.Buttons) != 0 {
					t.Errorf("copy %s updated to %q with %d buttons, want the card, %q, no buttons", c.Posted, u.Text, len(u.Buttons), tc.want)
				}
			}
			if n := len(h.messages(func(m sentMessage) bool { return m.Method == "chat.update" && m.Channel == helpdeskCh })); n != len(copies) {
				t.Errorf("%d chat.update in the helpdesk channel, want one per copy of the card (%d): %s", n, len(copies), h.fake.summary())
			}
		})
	}
}
