package discord

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/internal/enginetest"
)

// The helpdesk of the approval tests. mason (approver role, unlinked) and
// grace (approver role, unlinked) decide; lieke is a linked employee without
// the role; nellyAgent is nelly (Adele) holding the approver role too, to
// show that she still cannot decide her own request.
var (
	grace      = person{ID: "53908232506183681", Name: "grace", Locale: "en-US", Roles: []string{"111", approverRole}}
	lieke      = person{ID: "90000000000000002", Name: "lieke", Locale: "en-US", Roles: []string{"111"}}
	nellyAgent = person{ID: nelly.ID, Name: nelly.Name, Locale: nelly.Locale, Roles: []string{approverRole}}
)

const tablet = "Contoso Galaxy Tab (Android)"

// startHelpdesk starts the adapter with a helpdesk channel and links lieke.
func startHelpdesk(t *testing.T, guild string) *harness {
	t.Helper()
	h := start(t, options{guild: guild, helpdesk: helpdeskChannel})
	if err := h.links.Set(t.Context(), "test", lieke.ID, "lieke.devries@contoso.com"); err != nil {
		t.Fatal(err)
	}
	return h
}

// inDM matches a message in p's DM channel containing s.
func inDM(p person, s string) func(m fakeMessage) bool {
	return func(m fakeMessage) bool { return m.ChannelID == dmChannel(p.ID) && strings.Contains(m.Content, s) }
}

// answer waits for the message that answers interaction id.
func answer(t *testing.T, h *harness, id, what string) fakeMessage {
	t.Helper()
	return h.fake.awaitMessage(t, what, func(m fakeMessage) bool { return m.Interaction == id })
}

// requestApproval walks nelly (Adele) in her DM to a helpdesk request for
// her company-owned Galaxy Tab and returns the approval card the bot posted
// in the helpdesk channel.
func requestApproval(t *testing.T, h *harness) fakeMessage {
	t.Helper()
	h.fake.sendDM(nelly, "reset my passcode")
	list := h.fake.awaitMessage(t, "the device list", inDM(nelly, "Which device"))
	h.fake.click(t, nelly, list, tablet)
	ask := h.fake.awaitMessage(t, "the ask-the-helpdesk card", inDM(nelly, "ask the helpdesk to approve"))
	h.fake.click(t, nelly, ask, "Ask the helpdesk")
	h.fake.awaitMessage(t, "the reason prompt", inDM(nelly, "why you need"))
	h.fake.sendDM(nelly, "Forgot the PIN after my holiday")
	h.fake.awaitMessage(t, "the request confirmation", inDM(nelly, "is with the helpdesk"))

	card := h.fake.awaitMessage(t, "the approval card", func(m fakeMessage) bool {
		return m.ChannelID == helpdeskChannel && strings.Contains(m.Content, "Forgot the PIN after my holiday")
	})
	if card.Interaction != "" || card.GuildID != testGuild || card.Flags != 0 {
		t.Errorf("card: interaction %q guild %q flags %d; want a plain channel message", card.Interaction, card.GuildID, card.Flags)
	}
	for _, want := range []string{adeleUPN, "Contoso Galaxy Tab"} {
		if !strings.Contains(card.Content, want) {
			t.Errorf("card %q does not name %q", card.Content, want)
		}
	}
	if got := labels(card); !slices.Equal(got, []string{"Approve", "Deny"}) {
		t.Fatalf("card buttons %v, want Approve, Deny", got)
	}
	posts := 0
	for _, c := range h.fake.allCalls() {
		if c.Method == "POST" && c.Path == "channels/"+helpdeskChannel+"/messages" {
			posts++
		}
	}
	if posts != 1 {
		t.Errorf("%d REST posts to the helpdesk channel, want 1", posts)
	}
	return card
}

// refused checks that click id was answered with one ephemeral message
// (type 4) containing want.
func refused(t *testing.T, h *harness, id, want string) {
	t.Helper()
	m := answer(t, h, id, "the refusal")
	if m.Flags&64 == 0 || !strings.Contains(m.Content, want) || m.ChannelID != helpdeskChannel {
		t.Errorf("refusal in %s flags %d: %q, want an ephemeral %q", m.ChannelID, m.Flags, m.Content, want)
	}
	if got := h.fake.callbacks(id); !slices.Equal(got, []int{4}) {
		t.Errorf("refused click answered with callbacks %v, want [4]", got)
	}
}

// messageByID returns the current state of a message.
func messageByID(h *harness, id string) fakeMessage {
	h.fake.mu.Lock()
	defer h.fake.mu.Unlock()
	return *h.fake.messages[id]
}

func countMessages(h *harness, match func(m fakeMessage) bool) int {
	n := 0
	for _, m := range h.fake.allMessages() {
		if match(m) {
			n++
		}
	}
	return n
}

func TestApprovalStory(t *testing.T) {
	t.Parallel()
	h := startHelpdesk(t, "") // global commands: the roles' guild comes from the helpdesk channel
	card := requestApproval(t, h)
	inNellyDM := func(m fakeMessage) bool { return m.ChannelID == dmChannel(nelly.ID) }
	before := countMessages(h, inNellyDM)

	// lieke has no approver role: told so, only her, the card unchanged.
	refused(t, h, h.fake.click(t, lieke, card, "Approve"), "Only helpdesk approvers")
	// nelly holds the role, but it is her own request.
	refused(t, h, h.fake.click(t, nellyAgent, card, "Approve"), "cannot decide your own request")
	if now := messageByID(h, card.ID); now.Content != card.Content || !slices.Equal(labels(now), []string{"Approve", "Deny"}) {
		t.Fatalf("refused clicks changed the card to %q %v", now.Content, labels(now))
	}
	if n := countMessages(h, inNellyDM); n != before {
		t.Errorf("refused clicks sent nelly %d DM messages", n-before)
	}

	// mason approves through his role: the card shows the decision to the
	// whole channel, without buttons.
	id := h.fake.click(t, mason, card, "Approve")
	decided := h.fake.awaitMessage(t, "the decided card", on(card.ID, "Approved by mason"))
	if got := h.fake.callbacks(id); !slices.Equal(got, []int{7}) {
		t.Errorf("approval answered with callbacks %v, want one UPDATE_MESSAGE (7)", got)
	}
	if len(decided.Components) != 0 || decided.Flags != 0 || !strings.Contains(decided.Content, "Forgot the PIN after my holiday") {
		t.Errorf("decided card %q flags %d buttons %v: want the card text, public, no buttons", decided.Content, decided.Flags, labels(decided))
	}
	if n := countMessages(h, func(m fakeMessage) bool { return m.Interaction == id || m.ChannelID == dmChannel(mason.ID) }); n != 0 {
		t.Errorf("the approval also sent mason %d messages", n)
	}

	// nelly's DM: the approval and the banner, through the adapter's Send: an approval
	// is not a sign-in.
	h.fake.awaitMessage(t, "the approval notice", inDM(nelly, "approved the passcode reset of Contoso Galaxy Tab"))
	banner := h.fake.awaitMessage(t, "the banner", inDM(nelly, "Reset the passcode of Contoso Galaxy Tab?"))
	if banner.Interaction != "" {
		t.Errorf("the banner is an interaction answer, want a DM post")
	}
	h.fake.click(t, nelly, banner, "Continue")
	withYou := h.fake.awaitMessage(t, "the device-with-you check", on(banner.ID, "Do you have Contoso Galaxy Tab with you?"))
	if withYou.Interaction != "" {
		t.Errorf("the device check is an interaction answer, want a DM post")
	}
	yes := h.fake.click(t, nelly, withYou, "Yes, reset")
	secret := h.fake.awaitMessage(t, "the temporary passcode", func(m fakeMessage) bool {
		return m.Interaction == yes && passcodeRE.MatchString(m.Content)
	})
	h.fake.awaitMessage(t, "the success notice", func(m fakeMessage) bool {
		return m.Interaction == yes && strings.Contains(m.Content, "Your passcode was reset successfully")
	})
	if secret.Flags&64 == 0 || secret.ChannelID != dmChannel(nelly.ID) {
		t.Errorf("passcode in %s with flags %d, want ephemeral in nelly's DM", secret.ChannelID, secret.Flags)
	}
	sm := passcodeRE.FindStringSubmatch(secret.Content)
	passcode := sm[1] + sm[2]
	assertOnlyPrivate(t, h, passcode, dmChannel(nelly.ID))
	for _, m := range h.fake.allMessages() {
		if m.ChannelID == helpdeskChannel && strings.Contains(m.Content, passcode) {
			t.Errorf("passcode in the helpdesk channel: %+v", m)
		}
	}
	if n := h.fake.memberLookups(mason.ID); n != 0 {
		t.Errorf("%d member lookups for mason: his roles come with the guild click", n)
	}
}

func TestTwoApproversClickingAtOnceMakeOneDecision(t *testing.T) {
	t.Parallel()
	h := startHelpdesk(t, testGuild)
	card := requestApproval(t, h)
	gate := make(chan struct{})
	h.handler.mu.Lock()
	entered := h.handler.entered
	h.handler.hold = gate
	h.handler.mu.Unlock()
	clicks := []string{h.fake.click(t, mason, card, "Approve"), h.fake.click(t, grace, card, "Deny")}
	h.handler.waitEntered(t, entered+2) // both clicks are in the adapter, held
	h.handler.mu.Lock()
	h.handler.hold = nil
	h.handler.mu.Unlock()
	close(gate)

	h.fake.waitFor(t, "both clicks answered", func() bool {
		return len(h.fake.answered[clicks[0]]) > 0 && len(h.fake.answered[clicks[1]]) > 0
	})
	winner, loser := clicks[0], clicks[1]
	if slices.Equal(h.fake.callbacks(loser), []int{7}) {
		winner, loser = loser, winner
	}
	if got := h.fake.callbacks(winner); !slices.Equal(got, []int{7}) {
		t.Fatalf("callbacks %v and %v: want one card update (7)", h.fake.callbacks(clicks[0]), h.fake.callbacks(clicks[1]))
	}
	m := answer(t, h, loser, "the loser's answer")
	if m.Flags&64 == 0 || !strings.Contains(m.Content, "This request was already") {
		t.Errorf("loser got %q flags %d, want the ephemeral 'already decided'", m.Content, m.Flags)
	}
	if got := h.fake.callbacks(loser); !slices.Equal(got, []int{4}) {
		t.Errorf("loser answered with callbacks %v, want [4]", got)
	}
	now := messageByID(h, card.ID)
	if n := strings.Count(now.Content, "Approved by") + strings.Count(now.Content, "Denied by"); n != 1 || len(now.Components) != 0 {
		t.Errorf("card %q with buttons %v: want one decision", now.Content, labels(now))
	}
	if n := enginetest.Decisions(t, h.env.Store); n != 1 {
		t.Errorf("%d decisions audited, want 1", n)
	}
}

// In the bot's DM Discord sends no roles: the bot looks them up in the
// guild, once for a while, for DM commands and messages alike. (In the guild
// the interaction carries them: TestApprovalStory.)
func TestDMsLookApproverRolesUpOnce(t *testing.T) {
	t.Parallel()
	h := startHelpdesk(t, testGuild)
	requestApproval(t, h)
	pending := []any{map[string]any{"name": "action", "type": 3, "value": "pending"}}
	const listed = "adele.vance@contoso.com: Contoso Galaxy Tab"

	id := h.fake.slash(mason, false, pending, nil)
	m := answer(t, h, id, "mason's pending list in the DM")
	if !strings.Contains(m.Content, "1 passcode reset request is waiting") {
		t.Errorf("approver's /passcode action:pending in the DM: %q", m.Content)
	}
	h.fake.sendDM(mason, "pending")
	h.fake.awaitMessage(t, "the pending list in mason's DM", inDM(mason, "1 passcode reset request is waiting"))
	if n := h.fake.memberLookups(mason.ID); n != 1 {
		t.Errorf("%d member lookups for mason, want 1 (cached)", n)
	}
	h.fake.sendDM(lieke, "pending")
	m = h.fake.awaitMessage(t, "the refusal in lieke's DM", inDM(lieke, "Only helpdesk approvers"))
	if strings.Contains(m.Content, listed) {
		t.Errorf("lieke saw the pending list")
	}
}

func TestRoleLookupFailureNeverGrants(t *testing.T) {
	t.Parallel()
	h := startHelpdesk(t, testGuild)
	requestApproval(t, h)
	h.fake.mu.Lock()
	h.fake.failMembers = 1
	h.fake.mu.Unlock()
	h.fake.sendDM(mason, "pending")
	// Unlinked and not known as an approver: told to get linked.
	h.fake.awaitMessage(t, "the refusal", inDM(mason, "Your Discord user ID is `"+mason.ID+"`"))
	if !strings.Contains(h.logs.String(), "discord: look up member roles") {
		t.Error("the failed lookup was not logged")
	}
	// The failure was not cached: the next DM counts.
	h.fake.sendDM(mason, "pending")
	h.fake.awaitMessage(t, "the pending list", inDM(mason, "1 passcode reset request is waiting"))
	if n := h.fake.memberLookups(mason.ID); n != 2 {
		t.Errorf("%d member lookups, want 2", n)
	}
}

// After a decision no copy of an approval card keeps a live button: the
// card and its escalation are each replaced once by the decided card, the
// clicked one by its click's UPDATE_MESSAGE (7) and every other by one
// PATCH; the digest and the notices stay as posted.
func TestDecisionClosesEveryCopyOfTheCard(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// decide returns the copy the decision was clicked on ("" for none).
		decide func(t *testing.T, h *harness, card, escalation fakeMessage) string
		want   string
	}{
		{"approve on the escalation", func(t *testing.T, h *harness, _, escalation fakeMessage) string {
			id := h.fake.click(t, mason, escalation, "Approve")
			h.fake.awaitMessage(t, "the decided escalation", on(escalation.ID, "Approved by mason"))
			if got := h.fake.callbacks(id); !slices.Equal(got, []int{7}) {
				t.Errorf("approval answered with callbacks %v, want [7]", got)
			}
			return escalation.ID
		}, "Approved by mason"},
		{"deny on the card, then the reason", func(t *testing.T, h *harness, card, _ fakeMessage) string {
			h.fake.click(t, mason, card, "Deny")
			h.fake.awaitMessage(t, "the reason prompt", inDM(mason, "Type the reason"))
			h.fake.sendDM(mason, "Please bring the tablet to the service desk")
			h.fake.awaitMessage(t, "the confirmation", inDM(mason, "I sent your reason"))
			return card.ID
		}, "Denied by mason"},
		{"withdrawal", func(t *testing.T, h *harness, _, _ fakeMessage) string {
			h.fake.sendDM(nelly, "cancel")
			h.fake.awaitMessage(t, "the withdrawal", inDM(nelly, "was withdrawn"))
			return ""
		}, "Withdrawn by the employee"},
		{"expiry", func(t *testing.T, h *harness, _, _ fakeMessage) string {
			h.env.Sweep(t, 8*time.Hour)
			return ""
		}, "Closed without a decision"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := startHelpdesk(t, testGuild)
			card := requestApproval(t, h)
			h.env.Sweep(t, 31*time.Minute)
			escalation := h.fake.awaitMessage(t, "the escalation", func(m fakeMessage) bool {
				return m.ChannelID == helpdeskChannel && strings.Contains(m.Content, "Waiting for a decision")
			})
			if err := h.env.Engine.Digest(context.Background()); err != nil {
				t.Fatal(err)
			}
			h.fake.awaitMessage(t, "the digest", func(m fakeMessage) bool {
				return m.ChannelID == helpdeskChannel && strings.Contains(m.Content, "waiting for a decision:")
			})

			clicked := tc.decide(t, h, card, escalation)
			copies := 0
			for _, m := range h.fake.allMessages() {
				if m.ChannelID != helpdeskChannel {
					continue
				}
				if !strings.Contains(m.Content, "Forgot the PIN after my holiday") {
					// The digest and the notices: never edited.
					if m.Edits != 0 || len(m.Components) != 0 {
						t.Errorf("helpdesk message %q edited %d times, buttons %v", m.Content, m.Edits, labels(m))
					}
					continue
				}
				copies++
				wantEdits := 1
				if m.ID == clicked {
					wantEdits = 0 // replaced by the click's answer
				}
				if m.Edits != wantEdits || !strings.Contains(m.Content, tc.want) || len(m.Components) != 0 {
					t.Errorf("copy %s: %d edits, %q, buttons %v; want %d edits, %q, no buttons", m.ID, m.Edits, m.Content, labels(m), wantEdits, tc.want)
				}
			}
			// The expiry's sweep may post one more escalation first: it is
			// a copy like the others.
			if copies < 2 {
				t.Errorf("%d copies of the card, want the card and its escalation", copies)
			}
		})
	}
}

// An approver whose DMs are closed to the bot (Discord's setting for a
// server's members) still gets the next step of a denial: the engine sends
// it ephemerally, next to the card, when the DM fails.
func TestAnApproverWhoTakesNoDMsIsAskedForTheReasonPrivately(t *testing.T) {
	t.Parallel()
	h := startHelpdesk(t, testGuild)
	card := requestApproval(t, h)
	h.fake.mu.Lock()
	h.fake.blocked = map[string]bool{dmChannel(mason.ID): true}
	h.fake.mu.Unlock()

	id := h.fake.click(t, mason, card, "Deny")
	prompt := h.fake.awaitMessage(t, "the reason prompt", func(m fakeMessage) bool {
		return m.Interaction == id && strings.Contains(m.Content, "Type the reason")
	})
	if prompt.Flags&64 == 0 || prompt.ChannelID != helpdeskChannel {
		t.Errorf("reason prompt in %s flags %d, want ephemeral next to the card", prompt.ChannelID, prompt.Flags)
	}
	if got := h.fake.callbacks(id); !slices.Equal(got, []int{7}) {
		t.Errorf("the denial answered with callbacks %v, want the card's update (7), the prompt a follow-up", got)
	}
	tried := false
	for _, c := range h.fake.allCalls() {
		tried = tried || c.Method == "POST" && c.Path == "channels/"+dmChannel(mason.ID)+"/messages" && c.Status == 403
	}
	if !tried || countMessages(h, inDM(mason, "")) != 0 {
		t.Errorf("DM tried %v, DM messages %d: want the DM tried and refused first", tried, countMessages(h, inDM(mason, "")))
	}
}
