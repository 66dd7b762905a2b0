package teams

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/teams/bftest"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
)

// installation is p's activity of installing (or removing) the app: an
// installationUpdate, or the conversationUpdate Teams sends with it.
func (h *harness) installation(p person, typ, action, conv string) Activity {
	act := h.activity(p, typ, conv)
	botAccount := []Account{{ID: "28:" + h.bf.AppID}}
	switch {
	case typ == typeInstallationUpdate:
		act.Action = action
	case action == installAdd:
		act.MembersAdded = botAccount
	default:
		act.MembersRemoved = botAccount
	}
	return act
}

// posted returns the Connector calls into conv since the from-th.
func (h *harness) posted(conv string, from int) []string {
	var out []string
	for _, p := range h.posts()[from:] {
		if p.Conversation == conv {
			out = append(out, p.Text())
		}
	}
	return out
}

func TestAPersonalInstallationIsWelcomedOnce(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, &enginetest.Scripted{}, nil)
	// Teams announces one installation twice, and may deliver an activity
	// again.
	install := hs.installation(lieke, typeInstallationUpdate, installAdd, "")
	hs.deliver(install, http.StatusAccepted)
	hs.deliver(hs.installation(lieke, typeConversationUpdate, installAdd, ""), http.StatusAccepted)
	hs.deliver(install, http.StatusAccepted)
	got := hs.posted(personal(lieke), 0)
	if len(got) != 1 || !strings.Contains(got[0], `"wachtwoordcode vergeten"`) || strings.Contains(got[0], "reset my passcode") {
		t.Fatalf("welcomes in lieke's chat: %q; want one, in Dutch, saying how to start", got)
	}

	// In a team nobody is welcomed: the channel is not the bot's to fill.
	const team = "19:general0123@thread.tacv2"
	calls := len(hs.posts())
	hs.deliver(hs.installation(megan, typeInstallationUpdate, installAdd, team), http.StatusAccepted)
	hs.deliver(hs.installation(megan, typeConversationUpdate, installAdd, team), http.StatusAccepted)
	if n := len(hs.posts()); n != calls {
		t.Fatalf("an installation in a team made %d Connector calls", n-calls)
	}

	// Teams sent no locale: both languages.
	nolocale := adele
	nolocale.Locale = ""
	hs.deliver(hs.installation(nolocale, typeConversationUpdate, installAdd, ""), http.StatusAccepted)
	if got := hs.posted(personal(adele), 0); len(got) != 1 || !strings.Contains(got[0], `"reset my passcode"`) || !strings.Contains(got[0], `"wachtwoordcode vergeten"`) {
		t.Fatalf("welcome without a locale: %q; want one in English and Dutch", got)
	}

	// Removed and installed again: a new installation, a new welcome.
	hs.deliver(hs.installation(lieke, typeInstallationUpdate, installRemove, ""), http.StatusAccepted)
	calls = len(hs.posts())
	hs.deliver(hs.installation(lieke, typeInstallationUpdate, installAdd, ""), http.StatusAccepted)
	hs.deliver(hs.installation(lieke, typeConversationUpdate, installAdd, ""), http.StatusAccepted)
	if got := hs.posted(personal(lieke), calls); len(got) != 1 {
		t.Fatalf("after a reinstallation: %q; want one welcome", got)
	}
}

// A welcome the Connector refuses is not marked sent: the installation's
// next activity tries again.
func TestAFailedWelcomeIsTriedAgain(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, &enginetest.Scripted{}, nil)
	hs.bf.Fail(bftest.Failure{Status: http.StatusForbidden})
	hs.deliver(hs.installation(lieke, typeInstallationUpdate, installAdd, ""), http.StatusAccepted)
	hs.deliver(hs.installation(lieke, typeConversationUpdate, installAdd, ""), http.StatusAccepted)
	if got := hs.posted(personal(lieke), 0); len(got) != 1 || hs.bf.Calls() != 2 {
		t.Fatalf("welcomes %q in %d calls; want one, after the failed one", got, hs.bf.Calls())
	}
	if !strings.Contains(hs.logs.String(), "teams: send the welcome") {
		t.Error("the failed welcome is not logged")
	}
}

// After someone removes the app, nothing is posted into the chat it left;
// a message for them asks Teams for a new chat, which Teams refuses until
// they install the app again.
func TestARemovedAppPostsNothingIntoItsChat(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{typeInstallationUpdate, typeConversationUpdate} {
		t.Run(typ, func(t *testing.T) {
			hs := newHarness(t, &enginetest.Scripted{}, nil)
			hs.say(adele, "", "hello")
			hs.bf.RemoveApp(adele.ID)
			hs.deliver(hs.installation(adele, typ, installRemove, ""), http.StatusAccepted)

			toAdele := bot.Reply{Text: "your request was approved",
				Target: bot.Target{Kind: bot.DirectMessage, User: bot.User{Platform: bot.Teams, ID: adele.OID, OID: adele.OID}}}
			_, err := hs.adapter.Send(t.Context(), toAdele)
			if err == nil || !strings.Contains(err.Error(), "does not have passbot installed") {
				t.Fatalf("Send after the removal: %v; want Teams' refusal, named", err)
			}
			refused := hs.bf.Refused()
			if len(refused) != 1 || refused[0].Create == nil {
				t.Fatalf("refused calls %+v; want only the request for a new chat, no post into the old one", refused)
			}

			hs.bf.AddApp(adele.ID)
			hs.deliver(hs.installation(adele, typeInstallationUpdate, installAdd, ""), http.StatusAccepted)
			calls := len(hs.posts())
			if _, err := hs.adapter.Send(t.Context(), toAdele); err != nil {
				t.Fatalf("Send after the reinstallation: %v", err)
			}
			if got := hs.posted(personal(adele), calls); len(got) != 1 || !strings.Contains(got[0], "approved") {
				t.Fatalf("after the reinstallation adele's chat got %q", got)
			}
		})
	}
}

// The helpdesk approves the request of someone who has removed the app
// since: passbot posts nothing into the chat they left, and Teams refuses
// them a new one; the engine logs the notice it could not send.
func TestAnApprovalForSomeoneWhoRemovedTheApp(t *testing.T) {
	t.Parallel()
	engineLog := &enginetest.SyncBuffer{}
	h := startEngineWith(t, []enginetest.Option{enginetest.WithConfig(func(c *bot.Config) {
		c.Log = slog.New(slog.NewJSONHandler(engineLog, nil))
	})}, nil)
	card := h.requestApproval()
	h.bf.RemoveApp(adele.ID)
	h.deliver(h.installation(adele, typeInstallationUpdate, installRemove, ""), http.StatusAccepted)
	h.click(megan, card, "Approve")
	refused := h.bf.Refused()
	if len(refused) == 0 {
		t.Fatal("nothing tried to reach adele")
	}
	for _, p := range refused {
		if p.Create == nil {
			t.Fatalf("a call into the chat adele left: %+v", p)
		}
	}
	if !strings.Contains(engineLog.String(), "does not have passbot installed") {
		t.Errorf("the engine's log does not say why adele was not told:\n%s", engineLog)
	}
}

// A follow-up for a chat the app was removed from (the passcode's removal
// from the chat after its time) calls nothing and is tried again later;
// once the app is back it is done.
func TestAFollowUpWaitsWhileTheAppIsRemoved(t *testing.T) {
	t.Parallel()
	h := startEngine(t)
	code, shown := h.reset(h.signOut(h.toConfirmation()))

	h.bf.RemoveApp(adele.ID)
	h.deliver(h.installation(adele, typeConversationUpdate, installRemove, ""), http.StatusAccepted)
	calls := h.bf.Calls()
	h.env.Clock.Advance(11 * time.Minute)
	if n, err := h.env.Engine.Sweep(t.Context()); n != 1 || err != nil {
		t.Fatalf("Sweep while the app is removed: %d, %v; want the removal tried (and queued again)", n, err)
	}
	if n := h.bf.Calls(); n != calls {
		t.Fatalf("%d Connector calls into the chat adele left", n-calls)
	}

	h.bf.AddApp(adele.ID)
	h.deliver(h.installation(adele, typeInstallationUpdate, installAdd, ""), http.StatusAccepted)
	h.env.Sweep(t, 2*time.Minute) // the next try
	h.passcodeGone(code, shown)
}
