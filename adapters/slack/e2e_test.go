package slack

import (
	"context"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
)

var passcodeRE = regexp.MustCompile(`temporary passcode \(letters and numbers\) is: ([a-z0-9]+)`)

// resetToWithYou drives Adele from "reset my passcode" to the
// device-with-you check of her Galaxy S7 and returns the DM message with its
// buttons as last replaced.
func resetToWithYou(t *testing.T, h *harness) sentMessage {
	t.Helper()
	h.dm(adele, adeleDM, "Ev0PV52K21", "reset my passcode", 0)
	list := h.waitPost(adeleDM, "Which device")
	if n := len(list.Buttons); n != 17 {
		t.Fatalf("device list has %d buttons, want 16 devices + Cancel", n)
	}
	for _, b := range list.Buttons {
		if !strings.HasPrefix(b.ActionID, actionPrefix) {
			t.Errorf("button %q has action_id %q", b.Text.Text, b.ActionID)
		}
	}

	steps := []struct {
		button, want, style string
		buttons             []string
	}{
		{"Adele's Galaxy S7", "Adele's Galaxy S7", "primary", []string{"Reset Passcode", "Report it lost", "Back", "Cancel"}},
		{"Reset Passcode", "Reset the passcode of Adele's Galaxy S7?", "danger", []string{"Continue", "Cancel"}},
		{"Continue", "Do you have Adele's Galaxy S7 with you?", "danger", []string{"Yes, reset", "No"}},
	}
	msg := list
	for i, s := range steps {
		h.click(adele, msg, msg.button(t, s.button))
		ups := h.updates(adeleDM, list.Posted)
		if len(ups) != i+1 {
			t.Fatalf("after %q: %d chat.update of the banner, want %d", s.button, len(ups), i+1)
		}
		msg = ups[i]
		if i == 0 && !strings.Contains(msg.Text, "PST (") {
			// users.info says tz America/Los_Angeles: times are Adele's.
			t.Errorf("the card %q does not say its time in Adele's zone", msg.Text)
		}
		if !strings.Contains(msg.Text, s.want) {
			t.Fatalf("after %q the banner says %q, want %q", s.button, msg.Text, s.want)
		}
		var labels []string
		for _, b := range msg.Buttons {
			labels = append(labels, b.Text.Text)
		}
		if !slices.Equal(labels, s.buttons) {
			t.Fatalf("after %q buttons %q, want %q", s.button, labels, s.buttons)
		}
		if msg.Buttons[0].Style != s.style {
			t.Errorf("after %q first button style %q, want %q", s.button, msg.Buttons[0].Style, s.style)
		}
	}
	return msg
}

// passcodes returns the temporary passcodes passbot sent, and where.
func passcodes(h *harness) (codes []string, where []sentMessage) {
	for _, m := range h.fake.Messages() {
		if p := passcodeRE.FindStringSubmatch(m.Text); p != nil {
			codes, where = append(codes, p[1]), append(where, m)
		}
	}
	return codes, where
}

func TestResetOverSocketMode(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ModeSocket, "en-US")
	withYou := resetToWithYou(t, h)
	h.click(adele, withYou, withYou.button(t, "Yes, reset"))

	ups := h.updates(adeleDM, withYou.TS)
	if last := ups[len(ups)-1]; !strings.Contains(last.Text, "Resetting the passcode of Adele's Galaxy S7") || len(last.Buttons) != 0 {
		t.Errorf("last banner %q with %d buttons, want the resetting notice without buttons", last.Text, len(last.Buttons))
	}
	codes, where := passcodes(h)
	if len(codes) != 1 {
		t.Fatalf("%d passcode messages, want 1", len(codes))
	}
	code := codes[0]
	if m := where[0]; m.Method != "chat.postMessage" || m.Channel != adeleDM {
		t.Errorf("passcode went by %s to %s, want chat.postMessage to Adele's DM %s", m.Method, m.Channel, adeleDM)
	}
	h.waitPost(adeleDM, "Your passcode was reset successfully")

	// The passcode is in exactly one request to Slack and in no log line.
	n := 0
	for _, c := range h.fake.Calls() {
		if strings.Contains(c.Raw, code) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the passcode appears in %d requests to Slack, want 1", n)
	}
	if strings.Contains(h.logs.String(), code) {
		t.Errorf("the passcode is in the logs")
	}
	if got := h.count("users.info"); got != 1 {
		t.Errorf("users.info called %d times for one person, want 1 (cached)", got)
	}
	if got := h.count("conversations.open"); got != 0 {
		t.Errorf("conversations.open called %d times in a DM conversation, want 0", got)
	}

	// PASSBOT_PASSCODE_TTL later the passcode's message is replaced in place.
	h.env.Clock.Advance(10*time.Minute + time.Second)
	if n, err := h.env.Engine.Sweep(context.Background()); err != nil || n != 1 {
		t.Fatalf("sweep after ten minutes: %d, %v; want the passcode's removal", n, err)
	}
	removed := h.updates(adeleDM, where[0].Posted)
	if len(removed) != 1 || !strings.Contains(removed[0].Text, "The temporary passcode for Adele's Galaxy S7 was removed from this chat") || strings.Contains(removed[0].Raw, code) {
		t.Errorf("the passcode message was updated to %+v, want the removal note", removed)
	}

	// An hour later the engine's reminder reaches her DM through Send.
	h.env.Clock.Advance(time.Hour)
	if _, err := h.env.Engine.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.waitPost(adeleDM, "Reminder: if you are still using the temporary passcode on Adele's Galaxy S7")
	if strings.Contains(h.logs.String(), code) {
		t.Errorf("the passcode is in the logs")
	}
}

func TestRedeliveriesResetOnce(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{ModeSocket, ModeHTTP} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, mode, "en-US")
			h.dm(adele, adeleDM, "Ev0PV52K21", "reset my passcode", 0)
			h.dm(adele, adeleDM, "Ev0PV52K21", "reset my passcode", 1) // Slack's retry
			if got := len(h.messages(func(m sentMessage) bool { return strings.Contains(m.Text, "Which device") })); got != 1 {
				t.Fatalf("a retried event listed the devices %d times, want 1", got)
			}
			list := h.waitPost(adeleDM, "Which device")
			h.click(adele, list, list.button(t, "Adele's Galaxy S7"))
			card := h.updates(adeleDM, list.Posted)[0]
			h.click(adele, card, card.button(t, "Reset Passcode"))
			confirm := h.updates(adeleDM, list.Posted)[1]
			h.click(adele, confirm, confirm.button(t, "Continue"))
			withYou := h.updates(adeleDM, list.Posted)[2]

			yes := h.click(adele, withYou, withYou.button(t, "Yes, reset"))
			h.interact(yes) // the same payload again: a replay
			if codes, _ := passcodes(h); len(codes) != 1 {
				t.Fatalf("a replayed click sent %d passcodes, want 1", len(codes))
			}
			if got := len(h.messages(func(m sentMessage) bool { return strings.Contains(m.Text, "reset successfully") })); got != 1 {
				t.Errorf("%d success messages, want 1", got)
			}
			// A second, distinct click on the old Yes is refused as stale.
			h.click(adele, withYou, withYou.button(t, "Yes, reset"))
			h.waitPost(adeleDM, "That button is from an earlier step")
			if codes, _ := passcodes(h); len(codes) != 1 {
				t.Fatalf("a late click sent a passcode again")
			}
		})
	}
}

func TestRateLimitIsHonoured(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ModeSocket, "en-US")
	h.fake.limit("chat.postMessage", 7)
	h.dm(adele, adeleDM, "Ev1", "reset my passcode", 0)
	h.waitPost(adeleDM, "Which device")
	h.waitMu.Lock()
	waits := slices.Clone(h.waits)
	h.waitMu.Unlock()
	if !slices.Equal(waits, []time.Duration{7 * time.Second}) {
		t.Errorf("waits %v, want [7s] as Retry-After said", waits)
	}
	tries := 0
	for _, c := range h.fake.Calls() {
		if c.Method == "chat.postMessage" {
			tries++
		}
	}
	if tries != 2 {
		t.Errorf("chat.postMessage tried %d times, want 2 (429, then success)", tries)
	}
}

func TestRateLimitRetriesAreBounded(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ModeSocket, "en-US")
	h.fake.limit("chat.postMessage", 1, 1, 1, 1, 1, 1)
	h.dm(adele, adeleDM, "Ev1", "reset my passcode", 0)
	if got := len(h.fake.Messages()); got != 0 {
		t.Fatalf("%d messages got through", got)
	}
	h.waitMu.Lock()
	defer h.waitMu.Unlock()
	if len(h.waits) != maxRetries {
		t.Errorf("waited %d times, want %d", len(h.waits), maxRetries)
	}
	if !strings.Contains(h.logs.String(), "send reply") {
		t.Errorf("the failed send was not logged")
	}
}

func TestRateLimitTooLongIsNotWaited(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ModeSocket, "en-US")
	h.fake.limit("chat.postMessage", int((maxRetryAfter + time.Second).Seconds()))
	h.dm(adele, adeleDM, "Ev1", "reset my passcode", 0)
	if got := len(h.fake.Messages()); got != 0 {
		t.Fatalf("%d messages got through", got)
	}
	h.waitMu.Lock()
	defer h.waitMu.Unlock()
	if len(h.waits) != 0 {
		t.Errorf("waited %v, want no wait longer than %v", h.waits, maxRetryAfter)
	}
	if !strings.Contains(h.logs.String(), "send reply") {
		t.Errorf("the failed send was not logged")
	}
}

func TestDutchLocale(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ModeSocket, "nl-NL")
	h.command(adele, channelID, "", "398738663015.1.a")
	list := h.waitPost(adeleDM, "Welk apparaat wilt u beheren?")
	if b := list.Buttons[len(list.Buttons)-1]; b.Text.Text != "Annuleren" {
		t.Errorf("last button %q, want Annuleren", b.Text.Text)
	}
	h.click(adele, list, list.button(t, "Adele's Galaxy S7"))
	card := h.updates(adeleDM, list.Posted)[0]
	if !strings.Contains(card.Text, "Wat wilt u doen?") {
		t.Errorf("card %q is not Dutch", card.Text)
	}
}

func TestSlashCommandOverHTTP(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ModeHTTP, "en-US")
	h.command(adele, channelID, "help", "398738663015.1.b")
	h.waitPost(adeleDM, "status")
	h.command(adele, channelID, "help", "398738663015.1.b") // same trigger_id: a replay
	if got := h.count("chat.postMessage"); got != 1 {
		t.Errorf("%d posts, want 1", got)
	}
}

func TestIgnoredEvents(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{ModeSocket, ModeHTTP} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, mode, "en-US")
			h.event(fixtureMap(t, "events_api_message_bot_subtype.json"), "EvBot")
			h.event(fixtureMap(t, "events_api_message_changed.json"), "EvEdit")
			h.dm(botUser, adeleDM, "EvSelf", "reset my passcode", 0) // the bot's own user
			own := fixtureMap(t, "events_api_message_im.json")
			own["event"].(map[string]any)["bot_id"] = "B0123ABCD"
			h.event(own, "EvOwn")
			if n := h.handler.n.Load(); n != 0 {
				t.Errorf("the engine saw %d events, want 0", n)
			}
			if got := h.fake.Messages(); len(got) != 0 {
				t.Errorf("passbot answered: %+v", got)
			}
		})
	}
}

func TestMentionInChannelPointsToDM(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ locale, want string }{
		{"en-US", "Send me a direct message"},
		{"nl-NL", "Stuur me een direct bericht"},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			h := newHarness(t, ModeSocket, tc.locale)
			p := fixtureMap(t, "events_api_app_mention.json")
			p["event"].(map[string]any)["user"] = adele
			h.event(p, "EvMention")
			got := h.messages(func(m sentMessage) bool { return m.Method == "chat.postEphemeral" })
			if len(got) != 1 || got[0].Channel != "C123ABC456" || got[0].User != adele || !strings.Contains(got[0].Text, tc.want) {
				t.Fatalf("mention answered with %+v", got)
			}
			if n := h.handler.n.Load(); n != 0 {
				t.Errorf("a mention reached the engine")
			}
		})
	}
}

func TestHomeTabStartsReset(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ModeSocket, "en-US")
	h.event(map[string]any{
		"token": "x", "team_id": "T123ABC456", "api_app_id": "A0PNCHHK2", "type": "event_callback",
		"event": map[string]any{"type": "app_home_opened", "user": adele, "channel": adeleDM, "tab": "home", "event_ts": "1700000000.000001"},
	}, "EvHome")
	var publish *apiCall
	for _, c := range h.fake.Calls() {
		if c.Method == "views.publish" {
			publish = &c
		}
	}
	if publish == nil || publish.JSON["user_id"] != adele || !strings.Contains(publish.Raw, startActionID) || !strings.Contains(publish.Raw, `"type":"home"`) {
		t.Fatalf("views.publish: %+v", publish)
	}
	p := fixtureMap(t, "interaction_block_actions.json")
	p["user"].(map[string]any)["id"] = adele
	p["container"] = map[string]any{"type": "view", "view_id": "V0HOME"}
	delete(p, "channel")
	delete(p, "message")
	// The fixture's response_url is Slack's: a test reaches only the fake.
	p["response_url"] = h.fake.ResponseURL("home")
	act := p["actions"].([]any)[0].(map[string]any)
	act["action_id"], act["value"] = startActionID, "start"
	h.interact(p)
	h.waitPost(adeleDM, "Which device")
}

func TestUserWithoutEmail(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ModeSocket, "en-US")
	h.fake.addUser("U0NOMAIL1", fakeUser{Name: "Guest"}, "D0NOMAIL1")
	h.dm("U0NOMAIL1", "D0NOMAIL1", "Ev1", "reset my passcode", 0)
	h.waitPost("D0NOMAIL1", "which company account is yours")
}

func TestUnknownUserIsToldToRetry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ModeSocket, "en-US")
	h.dm("U0GHOST01", "D0GHOST01", "Ev1", "reset my passcode", 0)
	h.waitPost("D0GHOST01", "Slack did not tell me who you are")
	if n := h.handler.n.Load(); n != 0 {
		t.Errorf("the engine ran for an unknown user")
	}
}

func TestSocketModeReconnectsOnDisconnect(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ModeSocket, "en-US")
	first := h.fake.conn(t, 1)
	first.send(t, fixture(t, "socket_mode_disconnect_refresh_requested.json"))
	h.fake.conn(t, 2)
	h.dm(adele, adeleDM, "Ev1", "reset my passcode", 0) // over the new connection
	h.waitPost(adeleDM, "Which device")
	if n := h.count("apps.connections.open"); n != 2 {
		t.Errorf("apps.connections.open called %d times, want 2", n)
	}
	for _, c := range h.fake.Calls() {
		if c.Method == "apps.connections.open" && c.Auth != "Bearer "+appToken {
			t.Errorf("apps.connections.open with %q, want the app token", c.Auth)
		}
	}
}

func TestReadiness(t *testing.T) {
	t.Parallel()
	a, err := New(Config{BotToken: botToken, AppToken: appToken, Mode: ModeSocket}, &countingHandler{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if a.Ready() == nil {
		t.Error("ready before connecting")
	}
	h := newHarness(t, ModeSocket, "en-US")
	// Events arrive over the connection after its "connected" event, in
	// order: one handled event means the connection was up.
	h.dm(adele, adeleDM, "EvReady", "help", 0)
	h.settle()
	if err := h.a.Ready(); err != nil {
		t.Errorf("connected, yet %v", err)
	}
	if newHarness(t, ModeHTTP, "en-US").a.Ready() != nil {
		t.Error("HTTP mode holds no connection: always ready")
	}
}

// noLiveButtonBehind fails the test when a message in channel other than
// the newest one sent with buttons still shows buttons, as the fake Slack
// shows them now: the engine takes the buttons off every message of a step
// that is over.
func (h *harness) noLiveButtonBehind(step, channel string) {
	h.t.Helper()
	newest := ""
	for _, m := range h.messages(func(m sentMessage) bool { return m.Channel == channel && len(m.Buttons) > 0 }) {
		newest = m.messageTS()
	}
	if live := h.fake.liveIn(channel); len(live) > 1 || len(live) == 1 && live[0] != newest {
		h.t.Errorf("after %s the messages %q still show buttons, want at most the newest step's %s: %s", step, live, newest, h.fake.summary())
	}
}

// The sign-in story, with the sign-in on: Sign in again answers with the
// private link in place of the banner, and the sign-in's result reaches the
// DM through the adapter: the link's message takes the sign-in's answer and
// the chat moves on to the device-with-you check. After each step only the
// newest message shows buttons. A press of Adele's button by someone else
// (a crafted interaction) is answered to the presser alone, through the
// press's response_url, and changes none of Adele's messages.
func TestSignInStoryLeavesNoLiveButton(t *testing.T) {
	t.Parallel()
	signIns := &enginetest.SignIns{}
	h := newEngineHarness(t, ModeSocket, "en-US", []enginetest.Option{enginetest.WithSignIn(signIns)})
	h.dm(adele, adeleDM, "Ev0SIGNIN1", "reset my passcode", 0)
	list := h.waitPost(adeleDM, "Which device")
	h.noLiveButtonBehind("reset my passcode", adeleDM)
	msg := list
	for i, button := range []string{"Adele's Galaxy S7", "Reset Passcode", "Sign in again"} {
		h.click(adele, msg, msg.button(t, button))
		ups := h.updates(adeleDM, list.Posted)
		if len(ups) != i+1 {
			t.Fatalf("after %q: %d updates, want %d", button, len(ups), i+1)
		}
		msg = ups[i]
		h.noLiveButtonBehind(button, adeleDM)
	}
	link := signIns.Last(t)
	if !strings.Contains(msg.Text, link.URL) || !strings.Contains(msg.Text, "Sign in again with your work account (adele.vance@contoso.com)") {
		t.Fatalf("after Sign in again the banner says %q, want the sign-in link", msg.Text)
	}
	if outcome := h.env.SignIn(t, signIns); outcome != bot.SignInOK {
		t.Fatalf("sign-in outcome %q", outcome)
	}
	// The sign-in's answer takes the link's place: no live button is left
	// on it.
	withYou := h.waitPost(adeleDM, "Do you have Adele's Galaxy S7 with you?")
	ups := h.updates(adeleDM, list.Posted)
	if last := ups[len(ups)-1]; !strings.Contains(last.Text, "You signed in as adele.vance@contoso.com") || len(last.Buttons) != 0 {
		t.Errorf("the link's message after the sign-in: %q with %d buttons, want the sign-in's answer and none", last.Text, len(last.Buttons))
	}
	h.noLiveButtonBehind("the sign-in", adeleDM)

	// Lieke presses Adele's Yes, reset.
	before := len(h.fake.Messages())
	shown, _ := h.fake.message(adeleDM, withYou.Posted)
	foreign, _ := h.press(lieke, adeleDM, withYou.Posted, false, withYou.button(t, "Yes, reset"))
	answers := h.fake.Messages()[before:]
	if len(answers) != 1 || answers[0].Method != "response_url" || answers[0].ResponseType != "ephemeral" || answers[0].Replace ||
		!strings.Contains(answers[0].Text, "Die knop hoort bij de aanvraag van iemand anders") {
		t.Fatalf("a press by someone else answered with %+v, want one ephemeral answer through its response_url", answers)
	}
	if calls := h.fake.Calls(); !slices.ContainsFunc(calls, func(c apiCall) bool { return c.Method == "response_url" && c.URL == foreign["response_url"] }) {
		t.Errorf("the answer did not go to the press's response_url %s", foreign["response_url"])
	}
	if now, _ := h.fake.message(adeleDM, withYou.Posted); now.Text != shown.Text || !now.live() {
		t.Errorf("Adele's message changed after a press by someone else: %+v", now)
	}
	if n := h.env.Devices.Resets(); n != 0 {
		t.Fatalf("a press by someone else reset %d times", n)
	}

	h.click(adele, withYou, withYou.button(t, "Yes, reset"))
	h.waitPost(adeleDM, "Your passcode was reset successfully")
	h.noLiveButtonBehind("Yes, reset", adeleDM)
	if n := h.env.Devices.Resets(); n != 1 {
		t.Errorf("%d resets, want 1", n)
	}
}
