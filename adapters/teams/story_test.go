package teams

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/teams/bftest"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
)

// live returns the messages in conv whose latest content has buttons, by
// activity ID.
func (h *harness) live(conv string) map[string]bftest.Post {
	latest := map[string]bftest.Post{}
	for _, p := range h.posts() {
		if p.Conversation == conv && p.Activity != nil {
			latest[p.ActivityID] = p
		}
	}
	for id, p := range latest {
		if len(p.Buttons()) == 0 {
			delete(latest, id)
		}
	}
	return latest
}

// onlyLive fails the test unless newest (a message in conv, or none) is
// the one message in conv left with buttons to press.
func (h *harness) onlyLive(step, conv string, newest *bftest.Post) {
	h.t.Helper()
	for id, p := range h.live(conv) {
		if newest == nil || id != newest.ActivityID {
			h.t.Errorf("after %s: %q keeps its buttons %+v", step, p.Text(), p.Buttons())
		}
	}
	if newest != nil && len(h.current(*newest).Buttons()) == 0 {
		h.t.Errorf("after %s: the newest step %q has no buttons", step, h.current(*newest).Text())
	}
}

// titles are the titles of a message's buttons.
func titles(p bftest.Post) []string {
	var out []string
	for _, b := range p.Buttons() {
		out = append(out, b.Title)
	}
	return out
}

// The sign-in story, step by step, on the Bot Framework imitation: after
// each step only that step's card has buttons left to press; the sign-in
// link's card takes the sign-in's answer, so its Cancel does not stay.
func TestTheSignInStoryLeavesNoLiveButtonsBehind(t *testing.T) {
	t.Parallel()
	h := startEngine(t)
	chat := personal(adele)

	h.say(adele, "", "reset my passcode")
	list := h.find(chat, "Which device")
	h.onlyLive("reset my passcode", chat, &list)

	_, card := h.click(adele, list, "Adele's Galaxy S7 (Android)")
	h.onlyLive("the device", chat, &card)

	_, card = h.click(adele, card, "Reset Passcode")
	h.onlyLive("Reset Passcode", chat, &card)

	res, _ := h.click(adele, card, "Sign in again")
	link := h.find(chat, h.signIns.Last(t).URL)
	if !strings.Contains(answerText(res), h.signIns.Last(t).URL) {
		t.Errorf("the clicker's answer %q does not show the link", answerText(res))
	}
	h.onlyLive("Sign in again", chat, &link)
	linkButtons := titles(link)

	if outcome := h.env.SignIn(t, h.signIns); outcome != bot.SignInOK {
		t.Fatalf("sign-in outcome %q", outcome)
	}
	question := h.find(chat, "with you?")
	h.onlyLive("the sign-in", chat, &question)
	if now := h.current(link); strings.Contains(now.Text(), h.signIns.Last(t).URL) || len(now.Buttons()) != 0 {
		t.Errorf("after the sign-in the link's card is %q with buttons %v; want the sign-in's answer, no buttons", now.Text(), titles(now))
	}
	if !slices.Contains(linkButtons, "Cancel") {
		t.Errorf("the link's card had %v: want its Cancel, which the sign-in takes off", linkButtons)
	}

	h.reset(question)
	h.onlyLive("Yes, reset", chat, nil)
	if n := h.env.Devices.Resets(); n != 1 {
		t.Fatalf("%d resets, want 1", n)
	}
}

// A press on someone else's card answered after the invoke's answer was
// sent (a slow engine): the refusal goes to the presser's own personal
// chat, not into the chat the press names (the owner's, crafted), and the
// presser is not told "Done.".
func TestASlowForeignPressIsAnsweredToThePresserOnly(t *testing.T) {
	t.Parallel()
	g := &gate{next: make(chan chan struct{}, 1)}
	h := startEngineWith(t, nil, func(e bot.Handler) bot.Handler { g.Handler = e; return g }, answerAtOnce)
	h.deliver(h.installation(lieke, typeInstallationUpdate, installAdd, ""), http.StatusAccepted)
	h.say(adele, "", "reset my passcode")
	list := h.find(personal(adele), "Which device")

	calls := len(h.posts())
	press := h.pressing(lieke, list, "Adele's Galaxy S7 (Android)")
	press.Conversation.ID, press.Conversation.ConversationType = personal(adele), convPersonal
	release := make(chan struct{})
	g.next <- release
	res := h.slowPress(press, func() { close(release) })
	if text := answerText(res); text == "" || text == "Done." || strings.Contains(text, "iemand anders") {
		t.Errorf("lieke's invoke was answered %q; want the note that the answer follows", text)
	}
	var got []string
	for _, p := range h.posts()[calls:] {
		got = append(got, p.Method+" "+p.Conversation+": "+p.Text())
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "POST "+personal(lieke)+": ") || !strings.Contains(got[0], "iemand anders") {
		t.Fatalf("after lieke's slow press: %q; want the refusal once, in her own personal chat", got)
	}
	if h.current(list).Text() != list.Text() || len(h.current(list).Buttons()) != len(list.Buttons()) {
		t.Fatal("adele's card changed")
	}
}

// A personal chat stored for someone that the Connector says they are not
// a member of (an activity that named another's chat) is dropped: their
// own is opened and the message goes there, and so do the next ones.
func TestAStoredChatThatIsNotThePersonsIsDropped(t *testing.T) {
	t.Parallel()
	h := &enginetest.Scripted{}
	hs := newHarness(t, h, nil)
	hs.say(adele, "", "hello")
	stray := hs.activity(lieke, typeMessage, "")
	stray.Conversation.ID, stray.Text = personal(adele), "hello"
	// The members API is asked about the sender once in a while only: a
	// stray activity that comes when it is not, stays stored.
	hs.adapter.members.upns.Put(lieke.OID, lieke.UPN, time.Now().Add(time.Hour))
	hs.deliver(stray, http.StatusAccepted)
	if p, _, _ := hs.adapter.person(t.Context(), lieke.OID); p.Conversation != personal(adele) {
		t.Fatalf("lieke's stored chat is %q; the test wants adele's stored for her", p.Conversation)
	}

	toLieke := bot.Reply{Text: "for lieke", Target: bot.Target{Kind: bot.DirectMessage, User: bot.User{Platform: bot.Teams, ID: lieke.OID, OID: lieke.OID}}}
	calls := len(hs.posts())
	hs.bf.Fail(bftest.Failure{Status: http.StatusNotFound, Code: codeMemberNotFound})
	ref, err := hs.adapter.Send(t.Context(), toLieke)
	if err != nil || !strings.HasPrefix(string(ref), personal(lieke)+"/") {
		t.Fatalf("Send = %q, %v; want a message in lieke's own chat", ref, err)
	}
	if _, err := hs.adapter.Send(t.Context(), toLieke); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range hs.posts()[calls:] {
		got = append(got, p.Method+" "+p.Conversation+" "+strings.TrimSpace(p.Text()))
	}
	want := []string{"POST " + personal(lieke) + " ", "POST " + personal(lieke) + " for lieke", "POST " + personal(lieke) + " for lieke"}
	if !slices.Equal(got, want) {
		t.Fatalf("calls %q; want lieke's chat opened once and both messages in it", got)
	}

	// Asked, the members API tells at once, and the answer to that
	// activity goes to her own chat, not into the one it named.
	hs.adapter.members.upns.Put(lieke.OID, "", time.Now().Add(-time.Second))
	h.Answer(bot.Handled{Outcome: bot.OutcomeOK, Replies: []bot.Reply{{Text: "your devices", Target: bot.Target{Kind: bot.Chat}}}}, nil)
	stray.ID += "0"
	calls = len(hs.posts())
	hs.deliver(stray, http.StatusAccepted)
	if p, _, _ := hs.adapter.person(t.Context(), lieke.OID); p.Conversation == personal(adele) {
		t.Errorf("lieke's stored chat is %q after the members API said it is not hers", p.Conversation)
	}
	_, delivered := h.Take()
	got = nil
	for _, p := range hs.posts()[calls:] {
		got = append(got, p.Method+" "+p.Conversation+" "+strings.TrimSpace(p.Text()))
	}
	if len(delivered) != 1 || slices.Contains(got, "POST "+personal(adele)+" your devices") || !slices.Contains(got, "POST "+personal(lieke)+" your devices") {
		t.Errorf("the answer to lieke's stray activity: calls %q; want it in her own chat, none in adele's", got)
	}
}
