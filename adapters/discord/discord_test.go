package discord

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/demo"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
)

// These tests run the real adapter, discordgo and a real engine against a
// fake Discord. They change discordgo's package-level endpoints, so none of
// them runs in parallel.

const galaxy = "Adele's Galaxy S7 (Android)"

func contains(s string) func(m fakeMessage) bool {
	return func(m fakeMessage) bool { return strings.Contains(m.Content, s) }
}

// on matches message id with content containing s.
func on(id, s string) func(m fakeMessage) bool {
	return func(m fakeMessage) bool { return m.ID == id && strings.Contains(m.Content, s) }
}

var passcodeRE = regexp.MustCompile(`temporary passcode \(letters and numbers\) is: (\S+)|tijdelijke wachtwoordcode \(letters en cijfers\) is: (\S+)`)

// resetFrom clicks from the device list to "Yes, reset", checking that each
// click replaced the clicked message (type 7) with the next step and its
// buttons, and returns the temporary passcode and the last click.
func resetFrom(t *testing.T, h *harness, p person, list fakeMessage) (passcode, yes string) {
	t.Helper()
	steps := []struct{ press, next string }{
		{galaxy, "Android 6.0.1"},
		{"Reset Passcode", "Reset the passcode of Adele's Galaxy S7?"},
		{"Continue", "Do you have Adele's Galaxy S7 with you?"},
		{"Yes, reset", "Resetting the passcode of Adele's Galaxy S7"},
	}
	msg := list
	for _, s := range steps {
		id := h.fake.click(t, p, msg, s.press)
		msg = h.fake.awaitMessage(t, "the message after "+s.press, on(list.ID, s.next))
		if got := h.fake.callbacks(id); !slices.Equal(got, []int{7}) {
			t.Errorf("click on %q answered with callbacks %v, want one UPDATE_MESSAGE (7)", s.press, got)
		}
		yes = id
	}
	if len(msg.Components) != 0 {
		t.Errorf("after the reset the message still has buttons %v", labels(msg))
	}
	secret := h.fake.awaitMessage(t, "the temporary passcode", func(m fakeMessage) bool {
		return m.Interaction == yes && passcodeRE.MatchString(m.Content)
	})
	h.fake.awaitMessage(t, "the success notice", func(m fakeMessage) bool {
		return m.Interaction == yes && strings.Contains(m.Content, "Your passcode was reset successfully")
	})
	sm := passcodeRE.FindStringSubmatch(secret.Content)
	return sm[1] + sm[2], yes
}

// assertOnlyPrivate checks that secret went out only in ephemeral responses
// or follow-ups or in the owner's DM channel, and nowhere else: not in other
// REST calls, not over the gateway, not in the logs.
func assertOnlyPrivate(t *testing.T, h *harness, secret, ownerDM string) {
	t.Helper()
	if len(secret) < 6 {
		t.Fatalf("implausible passcode %q", secret)
	}
	seen := 0
	for _, c := range h.fake.allCalls() {
		if !strings.Contains(string(c.Body), secret) {
			continue
		}
		seen++
		body := c.decode()
		flags := func(m map[string]any) int { f, _ := m["flags"].(float64); return int(f) }
		switch {
		case c.Method == "POST" && strings.HasSuffix(c.Path, "/callback"):
			data, _ := body["data"].(map[string]any)
			if flags(data)&64 == 0 {
				t.Errorf("passcode in a non-ephemeral interaction response: %s %s", c.Method, c.Path)
			}
		case c.Method == "POST" && strings.HasPrefix(c.Path, "webhooks/"):
			if flags(body)&64 == 0 {
				t.Errorf("passcode in a non-ephemeral follow-up: %s %s", c.Method, c.Path)
			}
		case c.Method == "POST" && c.Path == "channels/"+ownerDM+"/messages":
		default:
			t.Errorf("passcode sent in %s %s", c.Method, c.Path)
		}
	}
	if seen != 1 {
		t.Errorf("passcode sent %d times, want once", seen)
	}
	for _, fr := range h.fake.allFrames() {
		if strings.Contains(fr.Raw, secret) {
			t.Errorf("passcode sent over the gateway (op %d)", fr.Op)
		}
	}
	if strings.Contains(h.logs.String(), secret) {
		t.Error("passcode in the logs")
	}
}

func TestConnectIdentifiesAndRegistersPasscode(t *testing.T) {
	t.Parallel()
	for _, guild := range []string{"", testGuild} {
		name := map[string]string{"": "global", testGuild: "guild"}[guild]
		t.Run(name, func(t *testing.T) {
			h := start(t, options{guild: guild})
			frames := h.fake.allFrames()
			var identify struct {
				Token   string `json:"token"`
				Intents int    `json:"intents"`
			}
			for _, fr := range frames {
				if fr.Op == 2 {
					json.Unmarshal(fr.D, &identify)
				}
			}
			if identify.Token != "Bot "+testToken {
				t.Errorf("IDENTIFY token %q, want %q", identify.Token, "Bot "+testToken)
			}
			if identify.Intents != 1<<12 {
				t.Errorf("IDENTIFY intents %d, want DIRECT_MESSAGES (4096) only", identify.Intents)
			}
			h.fake.waitFor(t, "a heartbeat", func() bool { return h.fake.heartbeats > 0 })

			path := "applications/" + testApp + "/commands"
			if guild != "" {
				path = "applications/" + testApp + "/guilds/" + guild + "/commands"
			}
			var put []restCall
			for _, c := range h.fake.allCalls() {
				if c.Method == "PUT" {
					put = append(put, c)
				}
			}
			if len(put) != 1 || put[0].Path != path {
				t.Fatalf("registration calls %+v, want one PUT %s", put, path)
			}
			var cmds []struct {
				Name     string `json:"name"`
				Contexts []int  `json:"contexts"`
				Options  []struct {
					Name string `json:"name"`
					Type int    `json:"type"`
				} `json:"options"`
			}
			if err := json.Unmarshal(put[0].Body, &cmds); err != nil {
				t.Fatal(err)
			}
			if len(cmds) != 1 || cmds[0].Name != "passcode" || !slices.Equal(cmds[0].Contexts, []int{0, 1}) {
				t.Fatalf("registered %s", put[0].Body)
			}
			var opts []string
			for _, o := range cmds[0].Options {
				if o.Type == 1 || o.Type == 2 {
					t.Errorf("option %s is a subcommand: a bare /passcode would be unusable", o.Name)
				}
				opts = append(opts, o.Name)
			}
			if !slices.Equal(opts, []string{"action", "language", "link", "upn", "unlink"}) {
				t.Errorf("options %v", opts)
			}

			if err := h.adapter.Unregister(t.Context()); err != nil {
				t.Fatal(err)
			}
			last := h.fake.allCalls()[len(h.fake.allCalls())-1]
			if last.Method != "PUT" || last.Path != path || strings.TrimSpace(string(last.Body)) != "[]" {
				t.Errorf("Unregister sent %s %s %s, want PUT %s []", last.Method, last.Path, last.Body, path)
			}
		})
	}
}

func TestUnregisterWithoutGateway(t *testing.T) {
	t.Parallel()
	h := start(t, options{})
	a, err := New(Config{DiscordToken: testToken, DiscordAPIURL: h.fake.srv.URL}, h.handler, h.links, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Unregister(t.Context()); err != nil {
		t.Fatal(err)
	}
	calls := h.fake.allCalls()
	n := len(calls)
	if calls[n-2].Path != "oauth2/applications/@me" || calls[n-1].Method != "PUT" || strings.TrimSpace(string(calls[n-1].Body)) != "[]" {
		t.Errorf("Unregister sent %s %s then %s %s %s", calls[n-2].Method, calls[n-2].Path, calls[n-1].Method, calls[n-1].Path, calls[n-1].Body)
	}
}

func TestDMResetThroughButtons(t *testing.T) {
	t.Parallel()
	h := start(t, options{})
	h.fake.sendDM(nelly, "reset my passcode")
	list := h.fake.awaitMessage(t, "the device list in nelly's DM", contains("Which device"))
	if list.ChannelID != dmChannel(nelly.ID) || list.Interaction != "" {
		t.Fatalf("device list posted in %s (interaction %q), want a message in the DM", list.ChannelID, list.Interaction)
	}
	if got := labels(list); len(got) != 17 || got[0] != galaxy || got[16] != "Cancel" {
		t.Errorf("device buttons %v", got)
	}
	for _, row := range list.Components {
		for _, b := range row.(map[string]any)["components"].([]any) {
			if id := b.(map[string]any)["custom_id"].(string); len(id) > 100 || !strings.Contains(id, "|"+nelly.ID+"|") {
				t.Errorf("custom_id %q: want the engine's action, at most 100 characters", id)
			}
		}
	}

	passcode, _ := resetFrom(t, h, nelly, list)
	for _, m := range h.fake.allMessages() {
		if strings.Contains(m.Content, passcode) && m.Flags&64 == 0 {
			t.Errorf("passcode in a message without the ephemeral flag: %+v", m)
		}
	}

	// Ten minutes later the ephemeral passcode message is replaced, through
	// the webhook of the interaction it answered.
	h.env.Clock.Advance(10*time.Minute + time.Second)
	if n, err := h.env.Engine.Sweep(t.Context()); err != nil || n != 1 {
		t.Fatalf("Sweep after ten minutes = %d, %v; want the passcode's removal", n, err)
	}
	removed := h.fake.awaitMessage(t, "the passcode message replaced", contains("was removed from this chat"))
	if removed.Flags&64 == 0 || removed.Edits == 0 || strings.Contains(removed.Content, passcode) {
		t.Errorf("removal %+v: want the ephemeral passcode message, edited, without the passcode", removed)
	}
	for _, m := range h.fake.allMessages() {
		if strings.Contains(m.Content, passcode) {
			t.Errorf("the passcode is still in the chat after its time: %+v", m)
		}
	}

	// An hour later the reminder reaches nelly's DM through the adapter's Send.
	h.env.Clock.Advance(time.Hour)
	if n, err := h.env.Engine.Sweep(t.Context()); err != nil || n == 0 {
		t.Fatalf("Sweep = %d, %v", n, err)
	}
	h.fake.awaitMessage(t, "the reminder in the DM", func(m fakeMessage) bool {
		return m.ChannelID == dmChannel(nelly.ID) && m.Interaction == "" && strings.Contains(m.Content, "Reminder: if you are still using the temporary passcode")
	})
	assertOnlyPrivate(t, h, passcode, dmChannel(nelly.ID))
}

func TestReplayedInteractionResetsOnce(t *testing.T) {
	t.Parallel()
	h := start(t, options{})
	id := h.fake.slash(nelly, false, []any{map[string]any{"name": "action", "type": 3, "value": "reset"}}, nil)
	list := h.fake.awaitMessage(t, "the device list", contains("Which device"))
	if list.Interaction != id || list.Flags&64 != 0 {
		t.Errorf("in the DM the device list is the public response: interaction %q flags %d", list.Interaction, list.Flags)
	}
	passcode, yes := resetFrom(t, h, nelly, list)
	handled := h.handler.count()

	h.fake.replay(t, yes)
	h.handler.waitCount(t, handled+1)

	if got := h.fake.callbacks(yes); !slices.Equal(got, []int{7}) {
		t.Errorf("replayed click answered with callbacks %v, want the first answer only (a second gets 40060)", got)
	}
	n := 0
	for _, m := range h.fake.allMessages() {
		if passcodeRE.MatchString(m.Content) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d passcode messages after a replay, want 1", n)
	}
	assertOnlyPrivate(t, h, passcode, dmChannel(nelly.ID))
}

func TestGatewayReconnectResumesConversation(t *testing.T) {
	t.Parallel()
	h := start(t, options{})
	h.fake.sendDM(nelly, "reset my passcode")
	list := h.fake.awaitMessage(t, "the device list", contains("Which device"))

	h.fake.reconnect(t)
	// Clicked while the bot reconnects: Discord replays it after RESUME.
	id := h.fake.click(t, nelly, list, galaxy)
	card := h.fake.awaitMessage(t, "the device card", on(list.ID, "Android 6.0.1"))
	if got := h.fake.callbacks(id); !slices.Equal(got, []int{7}) {
		t.Errorf("click answered with %v, want [7]", got)
	}
	h.fake.waitFor(t, "the resume", func() bool { return h.fake.resumes == 1 })
	h.fake.mu.Lock()
	identifies := h.fake.identifies
	h.fake.mu.Unlock()
	if identifies != 1 {
		t.Errorf("%d IDENTIFYs: the bot started a new session instead of resuming", identifies)
	}

	h.fake.click(t, nelly, card, "Reset Passcode")
	h.fake.awaitMessage(t, "the sign-out banner", on(list.ID, "Reset the passcode of Adele's Galaxy S7?"))
	h.fake.sendDM(nelly, "status")
	h.fake.awaitMessage(t, "the status after the reconnect", contains("Still open in this chat: Adele's Galaxy S7"))
}

func TestLinking(t *testing.T) {
	t.Parallel()
	h := start(t, options{})
	link := func(target person, upn string) []any {
		return []any{
			map[string]any{"name": "link", "type": 6, "value": target.ID},
			map[string]any{"name": "upn", "type": 3, "value": upn},
		}
	}
	resolved := map[string]any{"users": map[string]any{newbie.ID: newbie.userJSON()}}

	t.Run("an unlinked user learns how to get linked, and the engine is not asked", func(t *testing.T) {
		h.fake.sendDM(newbie, "reset my passcode")
		m := h.fake.awaitMessage(t, "the how-to-link message", contains("Your Discord user ID is `"+newbie.ID+"`"))
		if m.ChannelID != dmChannel(newbie.ID) || !strings.Contains(m.Content, "/passcode link") {
			t.Errorf("how-to-link: %+v", m)
		}
		if !strings.Contains(m.Content, "Uw Discord-gebruikers-ID") {
			t.Error("a DM from someone whose locale is unknown should be answered in English and Dutch")
		}
		nl := newbie
		nl.Locale = "nl"
		id := h.fake.slash(nl, true, nil, nil)
		m = h.fake.awaitMessage(t, "the Dutch how-to-link response", func(m fakeMessage) bool { return m.Interaction == id })
		if m.Flags&64 == 0 || !strings.Contains(m.Content, "Vraag uw IT-helpdesk") || strings.Contains(m.Content, "Ask your IT helpdesk") {
			t.Errorf("how-to-link response flags %d: %q", m.Flags, m.Content)
		}
		if n := h.handler.count(); n != 0 {
			t.Errorf("the engine handled %d events of an unlinked user", n)
		}
	})
	t.Run("an unlinked approver still reaches the engine", func(t *testing.T) {
		id := h.fake.slash(mason, true, []any{map[string]any{"name": "action", "type": 3, "value": "help"}}, nil)
		m := h.fake.awaitMessage(t, "help for the approver", func(m fakeMessage) bool { return m.Interaction == id })
		if !strings.Contains(m.Content, "I reset the passcode") || m.Flags&64 == 0 {
			t.Errorf("approver's /passcode action:help answered %q (flags %d)", m.Content, m.Flags)
		}
	})
	t.Run("a non-approver cannot link", func(t *testing.T) {
		id := h.fake.slash(nelly, false, link(newbie, "lieke.devries@contoso.com"), resolved)
		m := h.fake.awaitMessage(t, "the refusal", func(m fakeMessage) bool { return m.Interaction == id })
		if m.Flags&64 == 0 || !strings.Contains(m.Content, "Only passbot approvers") {
			t.Errorf("refusal flags %d: %q", m.Flags, m.Content)
		}
		if acc, _ := h.links.Get(t.Context(), newbie.ID); acc != (bot.Account{}) {
			t.Errorf("newbie linked to %+v by a non-approver", acc)
		}
	})
	t.Run("an approver links by role; a malformed UPN is refused", func(t *testing.T) {
		id := h.fake.slash(mason, true, link(newbie, "newbie"), resolved)
		m := h.fake.awaitMessage(t, "the bad-UPN answer", func(m fakeMessage) bool { return m.Interaction == id })
		if !strings.Contains(m.Content, "does not look like a work account") {
			t.Errorf("bad UPN answer %q", m.Content)
		}
		id = h.fake.slash(mason, true, link(newbie, "lieke.devries@contoso.com"), resolved)
		m = h.fake.awaitMessage(t, "the confirmation", func(m fakeMessage) bool { return m.Interaction == id })
		if m.Flags&64 == 0 || !strings.Contains(m.Content, "Linked <@"+newbie.ID+"> to `lieke.devries@contoso.com`") {
			t.Errorf("confirmation flags %d: %q", m.Flags, m.Content)
		}
		if acc, _ := h.links.Get(t.Context(), newbie.ID); acc != (bot.Account{UPN: "lieke.devries@contoso.com"}) {
			t.Errorf("newbie linked to %+v", acc)
		}
	})
	t.Run("the linked user now reaches their devices", func(t *testing.T) {
		h.fake.sendDM(newbie, "reset my passcode")
		m := h.fake.awaitMessage(t, "newbie's device list", func(m fakeMessage) bool {
			return m.ChannelID == dmChannel(newbie.ID) && strings.Contains(m.Content, "Which device")
		})
		if got := labels(m); !slices.Contains(got, "Lieke's iPad (iOS/iPadOS)") {
			t.Errorf("device list %v", got)
		}
	})
	t.Run("an approver unlinks", func(t *testing.T) {
		id := h.fake.slash(mason, true, []any{map[string]any{"name": "unlink", "type": 6, "value": newbie.ID}}, resolved)
		h.fake.awaitMessage(t, "the unlink confirmation", func(m fakeMessage) bool {
			return m.Interaction == id && strings.Contains(m.Content, "is no longer linked")
		})
		if acc, _ := h.links.Get(t.Context(), newbie.ID); acc != (bot.Account{}) {
			t.Errorf("newbie still linked to %+v", acc)
		}
	})
}

func TestLinksFile(t *testing.T) {
	t.Parallel()
	file := t.TempDir() + "/links.json"
	if err := writeFile(file, `{"`+newbie.ID+`": "lieke.devries@contoso.com"}`); err != nil {
		t.Fatal(err)
	}
	h := start(t, options{linksFile: file})
	h.fake.sendDM(newbie, "reset my passcode")
	m := h.fake.awaitMessage(t, "the device list of a user linked by file", contains("Which device"))
	if !slices.Contains(labels(m), "Lieke's iPad (iOS/iPadOS)") {
		t.Errorf("device list %v", labels(m))
	}
}

func TestRateLimitedRESTCallIsRetried(t *testing.T) {
	t.Parallel()
	h := start(t, options{})
	h.fake.rateLimitOnce("POST", "channels/", 0.05)
	h.fake.sendDM(nelly, "help")
	h.fake.awaitMessage(t, "the help text after the 429", contains("I reset the passcode"))
	var statuses []int
	for _, c := range h.fake.allCalls() {
		if c.Method == "POST" && c.Path == "channels/"+dmChannel(nelly.ID)+"/messages" {
			statuses = append(statuses, c.Status)
		}
	}
	if !slices.Equal(statuses, []int{429, 200}) {
		t.Errorf("create-message statuses %v, want [429 200]", statuses)
	}
}

// A message Discord took but whose answer a gateway lost (502) is not
// posted again: a second copy could be a second temporary passcode.
func TestAPostAnswered502IsNotSentAgain(t *testing.T) {
	t.Parallel()
	h := start(t, options{})
	h.fake.loseAnswerOnce("POST", "channels/")
	dm := bot.Reply{Text: "Your temporary passcode is 482913.", Target: bot.Target{Kind: bot.DirectMessage, User: bot.User{Platform: bot.Discord, ID: nelly.ID}}}
	if _, err := h.adapter.Send(t.Context(), dm); err == nil {
		t.Error("a post answered 502 counted as sent")
	}
	var statuses []int
	for _, c := range h.fake.allCalls() {
		if c.Method == "POST" && c.Path == "channels/"+dmChannel(nelly.ID)+"/messages" {
			statuses = append(statuses, c.Status)
		}
	}
	if !slices.Equal(statuses, []int{http.StatusBadGateway}) {
		t.Errorf("create-message statuses %v, want one 502", statuses)
	}
}

// An answer Discord showed but whose message ID could not be read back is
// sent: the engine does not send it again elsewhere (a second copy in the
// DM), it only cannot name it.
func TestAnAnswerWhoseIDIsLostIsNotSentAgain(t *testing.T) {
	t.Parallel()
	h := start(t, options{})
	h.fake.loseAnswerOnce("GET", "webhooks/")
	id := h.fake.slash(nelly, true, nil, nil)
	h.handler.waitCount(t, 1)
	var lists []fakeMessage
	for _, m := range h.fake.allMessages() {
		if strings.Contains(m.Content, "Which device") {
			lists = append(lists, m)
		}
	}
	if len(lists) != 1 || lists[0].Interaction != id {
		t.Errorf("device lists %+v; want one, the interaction's answer", lists)
	}
	for _, c := range h.fake.allCalls() {
		if c.Method == "POST" && (strings.HasPrefix(c.Path, "users/@me/channels") || strings.HasPrefix(c.Path, "webhooks/")) {
			t.Errorf("answered again by %s %s", c.Method, c.Path)
		}
	}
}

// An ephemeral message's reference holds its interaction's token: an
// update that fails on the way (Discord unreachable) says why without it,
// so no log line carries the token.
func TestAFailedUpdateKeepsTheTokenOutOfItsError(t *testing.T) {
	t.Parallel()
	h := start(t, options{})
	h.fake.srv.CloseClientConnections()
	h.fake.srv.Listener.Close()
	const token = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5"
	_, err := h.adapter.Send(t.Context(), bot.Reply{Text: "over", Target: bot.Target{Kind: bot.UpdateRef, Ref: "wh/app/" + token + "/1234"}})
	if err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("Send = %v; want an error without the token", err)
	}
}

func TestDutchLocale(t *testing.T) {
	t.Parallel()
	h := start(t, options{})
	nl := nelly
	nl.Locale = "nl"
	id := h.fake.slash(nl, true, nil, nil)
	list := h.fake.awaitMessage(t, "the Dutch device list", func(m fakeMessage) bool { return m.Interaction == id })
	if !strings.Contains(list.Content, "Welk apparaat") {
		t.Fatalf("device list %q, want Dutch", list.Content)
	}
	h.fake.click(t, nl, list, "Adele's Galaxy S7 (Android)")
	h.fake.awaitMessage(t, "the Dutch device card", on(list.ID, "Wat wilt u doen?"))
	// A later DM uses the locale of nelly's last interaction.
	h.fake.sendDM(nelly, "help")
	h.fake.awaitMessage(t, "Dutch help in the DM", func(m fakeMessage) bool {
		return m.ChannelID == dmChannel(nelly.ID) && strings.HasPrefix(m.Content, "Ik stel de wachtwoordcode")
	})
}

func TestSlowEngineIsDeferred(t *testing.T) {
	t.Parallel()
	h := start(t, options{deferAfter: time.Millisecond})
	hold := func() chan struct{} {
		ch := make(chan struct{})
		h.handler.mu.Lock()
		h.handler.hold = ch
		h.handler.mu.Unlock()
		return ch
	}

	gate := hold()
	id := h.fake.slash(nelly, true, nil, nil)
	h.fake.waitFor(t, "the deferred response", func() bool { return len(h.fake.answered[id]) == 1 })
	if got := h.fake.callbacks(id); !slices.Equal(got, []int{5}) {
		t.Fatalf("slow /passcode answered with %v, want [5]", got)
	}
	thinking := h.fake.awaitMessage(t, "the thinking message", func(m fakeMessage) bool { return m.Interaction == id })
	if thinking.Flags&64 == 0 {
		t.Error("the deferred response in a guild is not ephemeral")
	}
	close(gate)
	list := h.fake.awaitMessage(t, "the device list in @original", on(thinking.ID, "Which device"))

	gate = hold()
	click := h.fake.click(t, nelly, list, galaxy)
	h.fake.waitFor(t, "the deferred update", func() bool { return len(h.fake.answered[click]) == 1 })
	if got := h.fake.callbacks(click); !slices.Equal(got, []int{6}) {
		t.Fatalf("slow click answered with %v, want [6]", got)
	}
	close(gate)
	h.fake.awaitMessage(t, "the device card edited into the clicked message", on(list.ID, "Android 6.0.1"))
	if got := h.fake.callbacks(click); !slices.Equal(got, []int{6}) {
		t.Errorf("callbacks %v after the edit", got)
	}
}

// The deferred acknowledgement of a slow engine may fire while the engine
// sends: whichever comes first answers the interaction, once (type 7 with
// the reply, or type 6 and then an edit), and the reply lands either way.
func TestTheDeferredAcknowledgementAndTheEngineAnswerOnce(t *testing.T) {
	t.Parallel()
	s := &enginetest.Scripted{}
	h := start(t, options{handler: s, deferAfter: time.Nanosecond})
	press := []bot.Button{{Label: "Press", Action: "act"}}
	h.fake.mu.Lock()
	card := *h.fake.store(dmChannel(nelly.ID), "", map[string]any{"content": "card", "components": []any{map[string]any{"type": 1,
		"components": []any{map[string]any{"type": 2, "style": 2, "label": "Press", "custom_id": "act"}}}}}, "")
	h.fake.mu.Unlock()
	for i := range 20 {
		text := fmt.Sprintf("replaced %d", i)
		s.Answer(bot.Handled{Outcome: bot.OutcomeOK, Replies: []bot.Reply{{Text: text, Buttons: press, Target: bot.Target{Kind: bot.ReplaceClicked}}}}, nil)
		id := h.fake.click(t, nelly, card, "Press")
		h.fake.awaitMessage(t, "the clicked message replaced", on(card.ID, text))
		h.handler.waitCount(t, i+1)
		h.adapter.inflight.Wait()
		if got := h.fake.callbacks(id); !slices.Equal(got, []int{7}) && !slices.Equal(got, []int{6}) {
			t.Fatalf("press %d answered with callbacks %v, want one: 7, or 6 then an edit", i, got)
		}
	}
}

func TestReadiness(t *testing.T) {
	t.Parallel()
	h := start(t, options{})
	h.fake.waitFor(t, "gateway ready", func() bool { return h.adapter.Ready() == nil })
	a, err := New(Config{DiscordToken: testToken}, h.handler, h.links, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if a.Ready() == nil {
		t.Error("ready before connecting")
	}
}

// liveOnly checks that, of every message the bot sent (in DMs, in
// channels, as ephemeral answers), exactly ids still have buttons.
func liveOnly(t *testing.T, h *harness, step string, ids ...string) {
	t.Helper()
	var live, seen []string
	for _, m := range h.fake.allMessages() {
		if !m.Deleted && len(m.Components) > 0 {
			live = append(live, m.ID)
			seen = append(seen, fmt.Sprintf("%s %q %v", m.ID, m.Content, labels(m)))
		}
	}
	if !slices.Equal(live, ids) {
		t.Errorf("%s: messages with buttons\n%s\nwant only %v", step, strings.Join(seen, "\n"), ids)
	}
}

// Adele's reset with the sign-in on, on the Discord imitation: after each
// step only that step's message has buttons, in the DM and among the
// ephemeral answers. Sign in again answers with the private link (an
// ephemeral message) and takes the banner's buttons off; the sign-in's
// result takes the banner's place and the link's buttons off, through the
// adapter's Send. A colleague's press on Adele's button is answered to the
// colleague alone and changes none of her messages.
func TestSignInStoryLeavesNoLiveButtonBehind(t *testing.T) {
	t.Parallel()
	signIns := &enginetest.SignIns{}
	h := start(t, options{signIns: signIns})
	if err := h.links.Set(t.Context(), "test", lieke.ID, "lieke.devries@contoso.com"); err != nil {
		t.Fatal(err)
	}
	handled := 0
	// done waits until the engine is through with the step's event: it
	// has sent the replies and taken the buttons off the step before's.
	done := func() {
		t.Helper()
		handled++
		h.handler.waitCount(t, handled)
	}

	h.fake.sendDM(nelly, "reset my passcode")
	done()
	list := h.fake.awaitMessage(t, "the device list in nelly's DM", inDM(nelly, "Which device"))
	liveOnly(t, h, "the device list", list.ID)
	msg := list
	for _, s := range []struct{ press, next string }{
		{galaxy, "Android 6.0.1"},
		{"Reset Passcode", "Reset the passcode of Adele's Galaxy S7?"},
	} {
		h.fake.click(t, nelly, msg, s.press)
		done()
		msg = h.fake.awaitMessage(t, "the message after "+s.press, on(list.ID, s.next))
		liveOnly(t, h, "after "+s.press, list.ID)
	}

	// The link is private: an ephemeral answer to the click.
	id := h.fake.click(t, nelly, msg, "Sign in again")
	done()
	link := answer(t, h, id, "the sign-in link")
	if !strings.Contains(link.Content, "Sign in again with your work account (adele.vance@contoso.com)") || !strings.Contains(link.Content, signIns.Last(t).URL) ||
		link.Flags&64 == 0 || !slices.Equal(labels(link), []string{"Sign in again", "Cancel"}) {
		t.Fatalf("after Sign in again %q flags %d %v, want the link, ephemeral, with Sign in again (a new link) and Cancel", link.Content, link.Flags, labels(link))
	}
	// The banner stays in the DM, its buttons gone: its step is over.
	if banner := messageByID(h, list.ID); !strings.Contains(banner.Content, "Reset the passcode of Adele's Galaxy S7?") {
		t.Errorf("the banner became %q", banner.Content)
	}
	liveOnly(t, h, "the sign-in link", link.ID)

	if outcome := h.env.SignIn(t, signIns); outcome != bot.SignInOK {
		t.Fatalf("sign-in outcome %q", outcome)
	}
	// Its first answer takes the banner's place.
	h.fake.awaitMessage(t, "the sign-in notice", on(list.ID, "You signed in as adele.vance@contoso.com"))
	withYou := h.fake.awaitMessage(t, "the device-with-you check", inDM(nelly, "Do you have Adele's Galaxy S7 with you?"))
	// The link says its step is over, its buttons gone, through the
	// webhook of the interaction it answered.
	if l := messageByID(h, link.ID); !strings.Contains(l.Content, "This step is over") || l.Edits != 1 {
		t.Errorf("the link became %q after %d edits, want the step's end after one", l.Content, l.Edits)
	}
	liveOnly(t, h, "after the sign-in", withYou.ID)

	before := h.fake.allMessages()
	foreign := h.fake.click(t, lieke, withYou, "Yes, reset")
	done()
	m := answer(t, h, foreign, "the answer to lieke's press")
	if m.Flags&64 == 0 || !strings.Contains(m.Content, "That button belongs to someone else's request") {
		t.Errorf("lieke's press answered %q flags %d, want the ephemeral 'someone else's request'", m.Content, m.Flags)
	}
	if got := h.fake.callbacks(foreign); !slices.Equal(got, []int{4}) {
		t.Errorf("lieke's press answered with callbacks %v, want one ephemeral message (4)", got)
	}
	after := h.fake.allMessages()
	if len(after) != len(before)+1 {
		t.Errorf("lieke's press made %d messages, want its answer only", len(after)-len(before))
	}
	for i, b := range before {
		if a := after[i]; a.Content != b.Content || a.Edits != b.Edits || !slices.Equal(labels(a), labels(b)) {
			t.Errorf("lieke's press changed message %s from %q %v to %q %v", b.ID, b.Content, labels(b), a.Content, labels(a))
		}
	}
	liveOnly(t, h, "after lieke's press", withYou.ID)

	yes := h.fake.click(t, nelly, withYou, "Yes, reset")
	done()
	h.fake.awaitMessage(t, "the success notice", func(m fakeMessage) bool {
		return m.Interaction == yes && strings.Contains(m.Content, "Your passcode was reset successfully")
	})
	liveOnly(t, h, "after the reset")
	if n := h.env.Devices.Resets(); n != 1 {
		t.Errorf("%d resets, want 1", n)
	}
}

// An unlinked Discord account signs in once to link itself: the link is by
// the token's object ID, the chat lists that account's devices, and the
// helpdesk channel hears of the new link (a sign-in link forwarded to a
// colleague would make the same one).
func TestAnUnlinkedAccountSignsInAndTheHelpdeskHearsOfTheLink(t *testing.T) {
	signIns := &enginetest.SignIns{}
	h := start(t, options{guild: testGuild, helpdesk: helpdeskChannel, selfLink: true, signIns: signIns})
	h.fake.sendDM(newbie, "reset my passcode")
	ask := h.fake.awaitMessage(t, "the offer to sign in", inDM(newbie, "Sign in once with your work account"))
	id := h.fake.click(t, newbie, ask, "Sign in")
	h.fake.awaitMessage(t, "the sign-in link", func(m fakeMessage) bool {
		return m.Interaction == id && strings.Contains(m.Content, signIns.Last(t).URL)
	})

	oid, _, _ := demo.Default().Person("lieke.devries@contoso.com")
	signedIn := bot.Identity{OID: oid, UPN: "lieke.devries@contoso.com", AuthTime: h.env.Clock.Now()}
	outcome, err := h.env.Engine.SignedIn(t.Context(), bot.SignInResult{SignIn: signIns.Last(t), Outcome: bot.SignInOK, Identity: signedIn})
	if err != nil || outcome != bot.SignInOK {
		t.Fatalf("SignedIn %q %v", outcome, err)
	}
	notice := h.fake.awaitMessage(t, "the link notice in the helpdesk channel", func(m fakeMessage) bool {
		return m.ChannelID == helpdeskChannel && strings.Contains(m.Content, "Chat account linked to a work account")
	})
	for _, want := range []string{"newbie (discord:" + newbie.ID + ")", "lieke.devries@contoso.com", oid} {
		if !strings.Contains(notice.Content, want) {
			t.Errorf("notice %q lacks %q", notice.Content, want)
		}
	}
	h.fake.awaitMessage(t, "Lieke's devices in newbie's DM", inDM(newbie, "Which device"))
	if acc, err := h.links.Get(t.Context(), newbie.ID); err != nil || acc != (bot.Account{OID: oid, UPN: "lieke.devries@contoso.com"}) {
		t.Errorf("link %+v %v, want by object ID", acc, err)
	}
}
