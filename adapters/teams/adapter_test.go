package teams

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/teams/bftest"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
)

// withReplies scripts h to answer each event with f's replies.
func withReplies(h *enginetest.Scripted, f func(bot.Event) []bot.Reply) {
	h.Script(func(ev bot.Event) (bot.Handled, error) {
		return bot.Handled{Outcome: bot.OutcomeOK, Replies: f(ev)}, nil
	})
}

func TestOnlyActivitiesSignedByTheBotFrameworkForThisBotAreTaken(t *testing.T) {
	t.Parallel()
	h := &enginetest.Scripted{}
	hs := newHarness(t, h, nil)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	act := hs.activity(adele, typeMessage, "")
	act.Text, act.LocalTimezone = "reset my passcode", "Europe/Amsterdam"
	valid := hs.bf.Claims(hs.bf.ServiceURL)
	cases := map[string]string{
		"forged":              hs.bf.Sign(valid, other),
		"expired":             hs.bf.Sign(with(valid, func(c *bftest.Claims) { c.Expiry = time.Now().Add(-time.Minute).Unix() }), nil),
		"for another bot":     hs.bf.Sign(with(valid, func(c *bftest.Claims) { c.Audience = "f00dcafe-0000-4000-8000-000000000000" }), nil),
		"for another service": hs.bf.Sign(with(valid, func(c *bftest.Claims) { c.ServiceURL = hs.bf.URL + "/elsewhere/" }), nil),
		"unsigned":            "eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2FwaS5ib3RmcmFtZXdvcmsuY29tIn0.",
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			status, _, err := hs.bf.Deliver(t.Context(), hs.url, act, tok)
			if err != nil || status != http.StatusUnauthorized {
				t.Fatalf("status %d, %v; want 401", status, err)
			}
		})
	}
	t.Run("a valid token for another serviceUrl than the activity's", func(t *testing.T) {
		moved := act
		moved.ServiceURL = hs.bf.URL + "/elsewhere/"
		status, _, err := hs.bf.Deliver(t.Context(), hs.url, moved, hs.bf.Sign(valid, nil))
		if err != nil || status != http.StatusUnauthorized {
			t.Fatalf("status %d, %v; want 401", status, err)
		}
	})
	t.Run("another tenant's activity", func(t *testing.T) {
		foreign := act
		conv := *act.Conversation
		conv.TenantID = "fabrikam-tenant"
		foreign.Conversation = &conv
		status, _, err := hs.bf.Deliver(t.Context(), hs.url, foreign, "")
		if err != nil || status != http.StatusForbidden {
			t.Fatalf("status %d, %v; want 403", status, err)
		}
	})
	// The Bot Framework signs the bot's other channels (Web Chat, Direct
	// Line) too, and a key that names no channels restricts none: there
	// the sender is whoever it says. (A Web Chat activity signed by a key
	// endorsed for Teams only is refused earlier, with 401.)
	for name, change := range map[string]func(*Activity){
		"no channel": func(a *Activity) { a.ChannelID = "" },
		"no tenant":  func(a *Activity) { a.Conversation.TenantID = "" },
		"another tenant in a note": func(a *Activity) {
			a.Conversation.TenantID, a.ChannelData = "", []byte(`{"tenant":{"id":"fabrikam-tenant"}}`)
		},
		"our tenant in the conversation, another in channelData": func(a *Activity) {
			a.ChannelData = []byte(`{"tenant":{"id":"fabrikam-tenant"}}`)
		},
	} {
		t.Run(name, func(t *testing.T) {
			odd := act
			conv := *act.Conversation
			odd.Conversation = &conv
			change(&odd)
			status, _, err := hs.bf.Deliver(t.Context(), hs.url, odd, hs.bf.Sign(valid, nil))
			if err != nil || status != http.StatusForbidden {
				t.Fatalf("status %d, %v; want 403", status, err)
			}
		})
	}
	if n := len(h.Seen()); n != 0 {
		t.Fatalf("the engine saw %d refused activities", n)
	}
	hs.deliver(act, http.StatusAccepted)
	if ev := h.Seen(); len(ev) != 1 || ev[0].User.OID != adele.OID || ev[0].User.UPN != adele.UPN || ev[0].Text != "reset my passcode" || ev[0].Shared ||
		ev[0].User.TZ != "Europe/Amsterdam" {
		t.Fatalf("events %+v", ev)
	}
}

func TestEachTargetIsOneConnectorCall(t *testing.T) {
	t.Parallel()
	card := func(text string, k bot.TargetKind) bot.Reply {
		return bot.Reply{Text: text, Buttons: []bot.Button{{Label: "OK", Action: "c|1|" + adele.OID + "|ok"}}, Target: bot.Target{Kind: k}}
	}
	h := &enginetest.Scripted{}
	hs := newHarness(t, h, nil)
	// Lieke met the bot in a channel only: the bot knows her account, not
	// a personal chat with her.
	withReplies(h, func(bot.Event) []bot.Reply { return nil })
	hs.say(lieke, "19:general@thread.tacv2", "<at>passbot</at> hello")
	if ev := h.Seen(); ev[0].Text != "hello" || !ev[0].Shared {
		t.Fatalf("channel message %+v: want the mention stripped and Shared", ev[0])
	}

	withReplies(h, func(ev bot.Event) []bot.Reply {
		if ev.Kind == bot.Press {
			return []bot.Reply{{Text: "replaced", Target: bot.Target{Kind: bot.ReplaceClicked}}}
		}
		return []bot.Reply{
			card("in the chat", bot.Chat),
			{Text: "to the helpdesk", Target: bot.Target{Kind: bot.HelpdeskChannel}},
			{Text: "to lieke", Target: bot.Target{Kind: bot.DirectMessage, User: bot.User{Platform: bot.Teams, ID: lieke.OID, OID: lieke.OID}}},
		}
	})
	hs.say(adele, "", "reset my passcode")
	chat := hs.last(personal(adele))
	if chat.Text() != "in the chat\n" || len(chat.Buttons()) != 1 {
		t.Fatalf("chat post %q %+v", chat.Text(), chat.Buttons())
	}
	if p := hs.last(helpdeskChannel); p.Text() != "to the helpdesk\n" {
		t.Errorf("helpdesk post %q", p.Text())
	}
	posts := hs.posts()
	created := slices.IndexFunc(posts, func(p bftest.Post) bool { return p.Create != nil })
	if created < 0 || hs.last(bftest.PersonalConversation(lieke.ID)).Text() != "to lieke\n" {
		t.Fatalf("lieke's personal chat was not opened and written to: %+v", posts)
	}

	res := hs.press(adele, chat, "OK")
	if res.StatusCode != http.StatusOK || res.Type != contentTypeCard {
		t.Fatalf("invoke answer %+v: want the replacing card", res)
	}
	upd := hs.posts()[len(hs.posts())-1]
	if upd.Method != http.MethodPut || upd.ActivityID != chat.ActivityID || upd.Text() != "replaced\n" || len(upd.Buttons()) != 0 {
		t.Fatalf("update %+v: want the clicked card replaced, without buttons", upd)
	}
	want := []bot.MessageRef{bot.MessageRef(chat.Conversation + "/" + chat.ActivityID)}
	_, ds := h.Take()
	var got []bot.MessageRef
	for _, d := range ds {
		got = append(got, d.Ref)
	}
	if len(got) != 4 || got[0] != want[0] || got[3] != want[0] || !strings.HasPrefix(string(got[1]), helpdeskChannel+"/") {
		t.Errorf("delivered refs %q", got)
	}

	if ref, err := hs.adapter.Send(t.Context(), bot.Reply{Text: "updated", Target: bot.Target{Kind: bot.UpdateRef, Ref: got[1]}}); err != nil || ref != got[1] {
		t.Fatalf("Send(update) = %q, %v", ref, err)
	}
	toLieke := bot.Target{Kind: bot.DirectMessage, User: bot.User{Platform: bot.Teams, ID: lieke.OID, OID: lieke.OID}}
	if ref, err := hs.adapter.Send(t.Context(), bot.Reply{Text: "again to lieke", Target: toLieke}); err != nil || ref == "" {
		t.Fatalf("Send(dm) = %q, %v", ref, err)
	}
	if n := slices.IndexFunc(hs.posts()[created+1:], func(p bftest.Post) bool { return p.Create != nil }); n >= 0 {
		t.Error("lieke's personal chat was opened twice")
	}
}

func TestAClickerAloneSeesAnEphemeralAnswer(t *testing.T) {
	t.Parallel()
	h := &enginetest.Scripted{}
	hs := newHarness(t, h, nil)
	withReplies(h, func(ev bot.Event) []bot.Reply {
		if ev.Kind == bot.Press {
			return []bot.Reply{{Text: "not yours", Target: bot.Target{Kind: bot.Ephemeral}}}
		}
		return []bot.Reply{{Text: "card", Buttons: []bot.Button{{Label: "Approve", Action: "req:1|1|*|approve"}}, Target: bot.Target{Kind: bot.HelpdeskChannel}}}
	})
	hs.say(megan, helpdeskChannel, "<at>passbot</at> pending")
	card := hs.last(helpdeskChannel)
	before := len(hs.posts())
	res := hs.press(lieke, card, "Approve")
	if res.Type != contentTypeMessage || res.Value != "not yours" {
		t.Fatalf("invoke answer %+v", res)
	}
	if n := len(hs.posts()); n != before {
		t.Fatalf("%d Connector calls for an ephemeral answer", n-before)
	}
	ev := h.Seen()[1]
	if ev.Kind != bot.Press || ev.Action != "req:1|1|*|approve" || !ev.ClickedPublic || ev.Clicked != bot.MessageRef(helpdeskChannel+"/"+card.ActivityID) || ev.User.Approver {
		t.Fatalf("press event %+v", ev)
	}
	if !h.Seen()[0].User.Approver {
		t.Error("megan is an approver by her object ID")
	}
}

func TestASenderWithoutAnEntraAccountIsToldWhy(t *testing.T) {
	t.Parallel()
	h := &enginetest.Scripted{}
	hs := newHarness(t, h, nil)
	act := hs.activity(person{ID: "29:guest", Name: "Guest", Locale: "nl-NL"}, typeMessage, "")
	act.Text = "wachtwoordcode vergeten"
	hs.deliver(act, http.StatusAccepted)
	if n := len(h.Seen()); n != 0 {
		t.Fatalf("the engine saw %d events", n)
	}
	if got := hs.last(act.Conversation.ID).Text(); !strings.Contains(got, "werkaccount") {
		t.Fatalf("notice %q: want the Dutch text", got)
	}
}

// Installing the app is enough for passbot to write to the person later: the
// installation's conversation reference is saved.
func TestAnInstallationIsEnoughForProactiveMessages(t *testing.T) {
	t.Parallel()
	h := &enginetest.Scripted{}
	hs := newHarness(t, h, nil)
	install := hs.activity(lieke, typeInstallationUpdate, "")
	install.Action = "add"
	hs.deliver(install, http.StatusAccepted)
	if n := len(h.Seen()); n != 0 {
		t.Fatalf("an installation reached the engine %d times", n)
	}
	welcome := len(hs.posts())
	ref, err := hs.adapter.Send(t.Context(), bot.Reply{Text: "your request was approved",
		Target: bot.Target{Kind: bot.DirectMessage, User: bot.User{Platform: bot.Teams, ID: lieke.OID, OID: lieke.OID}}})
	if err != nil {
		t.Fatal(err)
	}
	posts := hs.posts()[welcome:]
	if len(posts) != 1 || posts[0].Conversation != personal(lieke) || string(ref) != personal(lieke)+"/"+posts[0].ActivityID {
		t.Fatalf("posts %+v ref %q: want one message in lieke's personal chat, no new conversation", posts, ref)
	}
	if _, err := hs.adapter.Send(t.Context(), bot.Reply{Text: "x",
		Target: bot.Target{Kind: bot.DirectMessage, User: bot.User{Platform: bot.Teams, ID: megan.OID, OID: megan.OID}}}); err == nil {
		t.Error("a message to someone passbot never met: want an error (the engine sends it again later)")
	}
}

// Members of a team named in PASSBOT_APPROVERS approve, as do the object IDs
// named there; nobody else.
func TestTheHelpdeskTeamsMembersApprove(t *testing.T) {
	t.Parallel()
	const team = "19:helpdeskteam0123@thread.tacv2"
	h := &enginetest.Scripted{}
	hs := newHarness(t, h, nil)
	hs.adapter.cfg.Approvers = bot.Approvers{megan.OID, team}
	hs.bf.AddTeamMember(team, lieke.ID)
	for _, p := range []person{lieke, adele, megan, lieke} {
		hs.say(p, "", "pending")
	}
	var got []bool
	for _, ev := range h.Seen() {
		got = append(got, ev.User.Approver)
	}
	if want := []bool{true, false, true, true}; !slices.Equal(got, want) {
		t.Fatalf("approver: %v, want %v (lieke by the team, adele not, megan by her object ID)", got, want)
	}
}
