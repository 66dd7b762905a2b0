package teams

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/teams/bftest"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/store"
)

// engineHarness is the adapter over a real engine (the demo fleet, Redis,
// a fake clock, the sign-in before a reset) against the Bot Framework
// imitation.
type engineHarness struct {
	*harness
	env     *enginetest.Env
	signIns *enginetest.SignIns
}

func startEngine(t *testing.T) *engineHarness {
	t.Helper()
	return startEngineWith(t, nil, nil)
}

// startEngineWith starts the harness over what wrap makes of the engine
// (nil: the engine itself), made with opts; configure changes the adapter.
func startEngineWith(t *testing.T, opts []enginetest.Option, wrap func(bot.Handler) bot.Handler, configure ...func(*Adapter)) *engineHarness {
	t.Helper()
	s := &enginetest.SignIns{}
	env := enginetest.New(t, append([]enginetest.Option{enginetest.WithChat(bot.Teams, nil), enginetest.WithSignIn(s)}, opts...)...)
	var h bot.Handler = env.Engine
	if wrap != nil {
		h = wrap(h)
	}
	hs := newHarness(t, h, store.NewRefs(env.Store.Client(), bot.Teams), configure...)
	env.Chats[bot.Teams].Use(hs.adapter)
	return &engineHarness{harness: hs, env: env, signIns: s}
}

// current returns the latest content of the activity p posted: the last
// update of it, or p.
func (h *harness) current(p bftest.Post) bftest.Post {
	h.t.Helper()
	posts := h.posts()
	for i := len(posts) - 1; i >= 0; i-- {
		if q := posts[i]; q.Conversation == p.Conversation && q.ActivityID == p.ActivityID && q.Activity != nil {
			return q
		}
	}
	return p
}

// find returns the latest post or update in conv whose text contains s.
func (h *harness) find(conv, s string) bftest.Post {
	h.t.Helper()
	posts := h.posts()
	for i := len(posts) - 1; i >= 0; i-- {
		if q := posts[i]; q.Conversation == conv && strings.Contains(q.Text(), s) {
			return q
		}
	}
	var texts []string
	for _, q := range posts {
		texts = append(texts, q.Conversation+": "+q.Text())
	}
	h.t.Fatalf("nothing in %s says %q; posts:\n%s", conv, s, strings.Join(texts, "\n"))
	return bftest.Post{}
}

// click presses title on the latest content of post and returns the
// invoke's answer and the card it left in the chat.
func (h *harness) click(p person, post bftest.Post, title string) (InvokeResponse, bftest.Post) {
	h.t.Helper()
	res := h.press(p, h.current(post), title)
	return res, h.current(post)
}

// answerText is the text the invoke's answer shows the clicker.
func answerText(res InvokeResponse) string {
	switch v := res.Value.(type) {
	case string:
		return v
	case map[string]any:
		return bftest.CardText(v)
	}
	return ""
}

// passcodeOf returns the temporary passcode in a text, "" when none.
func passcodeOf(text string) string {
	const marker = "(letters and numbers) is: "
	i := strings.Index(text, marker)
	if i < 0 {
		return ""
	}
	return strings.Fields(text[i+len(marker):])[0]
}

// signOut walks from a card with Sign in again through the sign-in to the
// device-with-you question in the personal chat.
func (h *engineHarness) signOut(card bftest.Post) bftest.Post {
	h.t.Helper()
	res, _ := h.click(adele, card, "Sign in again")
	if !strings.Contains(answerText(res)+h.posts()[len(h.posts())-1].Text(), "Sign in again") {
		h.t.Fatalf("no sign-in link after Sign in again: answer %q", answerText(res))
	}
	if outcome := h.env.SignIn(h.t, h.signIns); outcome != bot.SignInOK {
		h.t.Fatalf("sign-in outcome %q", outcome)
	}
	return h.find(personal(adele), "with you?")
}

// reset presses Yes, reset on the question and returns the passcode and
// the message in the personal chat that shows it.
func (h *engineHarness) reset(question bftest.Post) (string, bftest.Post) {
	h.t.Helper()
	_, left := h.click(adele, question, "Yes, reset")
	if len(left.Buttons()) != 0 {
		h.t.Errorf("the question keeps its buttons after the press: %q", left.Text())
	}
	shown := h.find(personal(adele), "(letters and numbers) is: ")
	return passcodeOf(shown.Text()), shown
}

// toConfirmation walks adele from "reset my passcode" to the confirmation
// of her Galaxy S7's reset, the card with Sign in again.
func (h *engineHarness) toConfirmation() bftest.Post {
	h.t.Helper()
	h.say(adele, "", "reset my passcode")
	list := h.find(personal(adele), "Which device")
	_, card := h.click(adele, list, "Adele's Galaxy S7 (Android)")
	_, card = h.click(adele, card, "Reset Passcode")
	return card
}

// passcodeLeaves checks that code is in no log and leaves the chat after
// its time: the engine updates shown by the reference the adapter
// reported.
func (h *engineHarness) passcodeLeaves(code string, shown bftest.Post) {
	h.t.Helper()
	if strings.Contains(h.logs.String(), code) {
		h.t.Error("the passcode is in the logs")
	}
	h.env.Sweep(h.t, 11*time.Minute)
	h.passcodeGone(code, shown)
}

// passcodeGone checks that shown no longer holds code.
func (h *engineHarness) passcodeGone(code string, shown bftest.Post) {
	h.t.Helper()
	if now := h.current(shown); now.Method != http.MethodPut || strings.Contains(now.Text(), code) {
		h.t.Fatalf("the passcode message is still %q", now.Text())
	}
}

func TestAFullResetInThePersonalChat(t *testing.T) {
	t.Parallel()
	h := startEngine(t)
	card := h.toConfirmation()
	if len(card.Buttons()) == 0 || card.Buttons()[0].Title != "Sign in again" {
		t.Fatalf("the confirmation %q has buttons %+v", card.Text(), card.Buttons())
	}
	question := h.signOut(card)
	code, shown := h.reset(question)
	if n := h.env.Devices.Resets(); n != 1 {
		t.Fatalf("%d resets, want 1", n)
	}
	if len(shown.Buttons()) != 0 {
		t.Errorf("the result card keeps buttons %+v", shown.Buttons())
	}
	for _, p := range h.posts() {
		if strings.Contains(p.Text(), code) && p.Conversation != personal(adele) {
			t.Errorf("the passcode went to %s", p.Conversation)
		}
	}
	h.passcodeLeaves(code, shown)
}

func TestARedeliveredActivityIsHandledOnce(t *testing.T) {
	t.Parallel()
	h := startEngine(t)
	act := h.say(adele, "", "reset my passcode")
	list := h.find(personal(adele), "Which device")
	before := len(h.posts())
	h.deliver(act, http.StatusAccepted)
	if n := len(h.posts()); n != before {
		t.Fatalf("the redelivered message made %d more Connector calls", n-before)
	}

	// The same press delivered twice (same activity ID) acts once.
	press := h.activity(adele, typeInvoke, "")
	press.Name, press.ReplyToID = invokeAdaptiveCardAction, list.ActivityID
	btn := list.Buttons()[slices.IndexFunc(list.Buttons(), func(b bftest.Button) bool { return b.Title == "Adele's Galaxy S7 (Android)" })]
	press.Value = []byte(`{"action":{"type":"Action.Execute","verb":"` + btn.Verb + `","data":{"action":"` + btn.Verb + `"}}}`)
	h.deliver(press, http.StatusOK)
	after := len(h.posts())
	h.deliver(press, http.StatusOK)
	if n := len(h.posts()); n != after || after != before+1 {
		t.Fatalf("Connector calls: %d before the press, %d after it, %d after its redelivery", before, after, n)
	}
}

// Lieke presses a button of Adele's card: a forwarded card in her own chat,
// or a crafted invoke that names Adele's personal chat. Either way she alone
// is told no, in the invoke's answer; nothing is posted, Adele's card stays
// as it was, and Adele's chat is not taken for Lieke's.
func TestAForeignPressIsAnsweredToThePresserOnly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   func(*Activity)
	}{
		{"a forwarded card in lieke's chat", func(a *Activity) {
			a.Conversation.ID, a.Conversation.ConversationType = personal(lieke), convPersonal
		}},
		{"a crafted press in adele's chat", func(a *Activity) {
			a.Conversation.ID, a.Conversation.ConversationType = personal(adele), convPersonal
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startEngine(t)
			h.say(adele, "", "reset my passcode")
			list := h.find(personal(adele), "Which device")
			before := len(h.posts())
			press := h.pressing(lieke, list, "Adele's Galaxy S7 (Android)")
			tc.in(&press)
			var res InvokeResponse
			if err := json.Unmarshal(h.deliver(press, http.StatusOK), &res); err != nil {
				t.Fatal(err)
			}
			if text, _ := res.Value.(string); !strings.Contains(text, "Die knop hoort bij de aanvraag van iemand anders") {
				t.Errorf("lieke's answer: %+v, want the refusal", res)
			}
			if posts := h.posts()[before:]; len(posts) != 0 {
				t.Fatalf("Connector calls after the foreign press: %+v; want none (the answer is the invoke's)", posts)
			}
			if h.current(list).Text() != list.Text() {
				t.Fatal("adele's card changed")
			}
			// What passbot later sends Lieke on its own goes to her chat, not Adele's.
			if _, err := h.adapter.Send(t.Context(), bot.Reply{Text: "for lieke",
				Target: bot.Target{Kind: bot.DirectMessage, User: bot.User{Platform: bot.Teams, ID: lieke.OID, OID: lieke.OID}}}); err != nil {
				t.Fatal(err)
			}
			if got := h.posts()[len(h.posts())-1]; got.Conversation == personal(adele) {
				t.Errorf("a message for lieke went into adele's chat: %+v", got)
			}
			if n := h.env.Devices.Resets(); n != 0 {
				t.Fatalf("%d resets", n)
			}
		})
	}
}

// requestApproval walks Adele to a helpdesk request for her company-owned
// Galaxy Tab and returns its card in the helpdesk channel.
func (h *engineHarness) requestApproval() bftest.Post {
	h.t.Helper()
	h.say(adele, "", "reset my passcode")
	list := h.find(personal(adele), "Which device")
	_, ask := h.click(adele, list, "Contoso Galaxy Tab (Android)")
	if _, prompt := h.click(adele, ask, "Ask the helpdesk"); prompt.Text() == "" {
		h.t.Fatal("no reason prompt")
	}
	h.say(adele, "", "Forgot the PIN after my holiday")
	card := h.find(helpdeskChannel, "Forgot the PIN after my holiday")
	return card
}

func TestAnApprovalStoryInTheHelpdeskChannel(t *testing.T) {
	t.Parallel()
	h := startEngine(t)
	card := h.requestApproval()
	for _, want := range []string{adele.Name, adele.UPN, "Contoso Galaxy Tab"} {
		if !strings.Contains(card.Text(), want) {
			t.Errorf("the card %q does not name %q", card.Text(), want)
		}
	}
	if card.Method != http.MethodPost || len(card.Buttons()) != 2 {
		t.Fatalf("card %+v", card)
	}

	// Neither an employee nor the requester decides.
	calls := len(h.posts())
	for _, p := range []person{lieke, adele} {
		res := h.press(p, card, "Approve")
		if res.Type != contentTypeMessage || !strings.Contains(answerText(res), "approver") {
			t.Errorf("%s pressed Approve: answer %+v", p.Name, res)
		}
	}
	if n := len(h.posts()); n != calls {
		t.Fatalf("refused presses made %d Connector calls", n-calls)
	}

	res, decided := h.click(megan, card, "Approve")
	if !strings.Contains(decided.Text(), "Approved by "+megan.Name) || len(decided.Buttons()) != 0 || decided.Method != http.MethodPut {
		t.Fatalf("the card after the approval: %q %+v", decided.Text(), decided.Buttons())
	}
	if !strings.Contains(answerText(res), "Approved") {
		t.Errorf("megan's answer %q", answerText(res))
	}
	if n := enginetest.Decisions(t, h.env.Store); n != 1 {
		t.Fatalf("%d decisions", n)
	}
	confirm := h.find(personal(adele), "Reset the passcode of Contoso Galaxy Tab?")
	h.reset(h.signOut(confirm))
	if n := h.env.Devices.Resets(); n != 1 {
		t.Fatalf("%d resets, want 1", n)
	}
}

// A denial's reason is asked in the agent's personal chat, typed there, and
// passed on to the employee's.
func TestADenialWithItsReason(t *testing.T) {
	t.Parallel()
	h := startEngine(t)
	card := h.requestApproval()
	_, decided := h.click(megan, card, "Deny")
	if !strings.Contains(decided.Text(), "Denied by "+megan.Name) || len(decided.Buttons()) != 0 {
		t.Fatalf("the card after the denial: %q %+v", decided.Text(), decided.Buttons())
	}
	h.find(personal(adele), "denied the passcode reset of Contoso Galaxy Tab")
	h.find(personal(megan), "Type the reason for denying")
	h.say(megan, "", "Company devices are reset at the service desk")
	h.find(personal(adele), "Company devices are reset at the service desk")
	h.find(personal(megan), "I sent your reason to the employee.")
	if n := h.env.Devices.Resets(); n != 0 {
		t.Fatalf("%d resets after a denial", n)
	}
}
