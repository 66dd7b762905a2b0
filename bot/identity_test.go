package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/passbot/passbot/adapters/demo"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/reset"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/store"
)

// identityEnv is an engine with the sign-in on, links in Redis, and what it
// sends on its own (the sign-in's answers, helpdesk notices) recorded per
// platform.
type identityEnv struct {
	*enginetest.Env
	signIns *enginetest.SignIns
	sent    map[bot.Platform]*enginetest.Recorder
}

func newIdentityEnv(t *testing.T, helpdeskLang string) *identityEnv {
	t.Helper()
	e := &identityEnv{signIns: &enginetest.SignIns{}, sent: map[bot.Platform]*enginetest.Recorder{}}
	opts := []enginetest.Option{
		enginetest.WithSignIn(e.signIns),
		enginetest.WithConfig(func(c *bot.Config) {
			c.Flow = reset.New(reset.Config{Support: "helpdesk@contoso.com", Approvals: true, SignIn: true, HelpdeskLang: helpdeskLang})
			c.Links = c.Store.(bot.Linker)
		}),
	}
	for _, p := range []bot.Platform{bot.Slack, bot.Discord} {
		e.sent[p] = &enginetest.Recorder{}
		opts = append(opts, enginetest.WithChat(p, e.sent[p]))
	}
	e.Env = enginetest.New(t, opts...)
	return e
}

// signIn finishes the latest sign-in link as id, returning the outcome.
func (e *identityEnv) signIn(t *testing.T, id bot.Identity) string {
	t.Helper()
	id.AuthTime = e.Clock.Now()
	outcome, err := e.Engine.SignedIn(context.Background(), bot.SignInResult{SignIn: e.signIns.Last(t), Outcome: bot.SignInOK, Identity: id})
	if err != nil {
		t.Fatalf("SignedIn: %v", err)
	}
	return outcome
}

// helpdesk returns the texts sent to p's helpdesk channel.
func (e *identityEnv) helpdesk(p bot.Platform) []string {
	var texts []string
	for _, r := range e.sent[p].Sent() {
		if r.Target.Kind == bot.HelpdeskChannel {
			texts = append(texts, r.Text)
		}
	}
	return texts
}

func person(t *testing.T, upn string) bot.Account {
	t.Helper()
	oid, _, ok := demo.Default().Person(upn)
	if !ok || oid == "" {
		t.Fatalf("no %s in the demo fleet", upn)
	}
	return bot.Account{OID: oid, UPN: upn}
}

func wantAll(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// An unlinked chat account that signs in is linked by the token's object ID,
// not by its preferred_username; the helpdesk channel hears of the new link;
// and the account's devices are found by the object ID, even where the UPN
// it signed in with names nobody's devices (a renamed account).
func TestASignInLinksTheChatAccountByObjectID(t *testing.T) {
	e := newIdentityEnv(t, "en")
	ctx := context.Background()
	adeleAcc := person(t, "adele.vance@contoso.com")
	newbie := bot.User{Platform: bot.Discord, ID: "D1", Name: "newbie"}

	replies := enginetest.Handle(t, e.Engine, bot.Event{Kind: bot.Message, User: newbie, Text: "reset my passcode"})
	enginetest.Handle(t, e.Engine, bot.Event{Kind: bot.Press, User: newbie, Action: enginetest.Button(t, replies, "Sign in")})
	renamed := "adele.renamed@contoso.com" // preferred_username after a rename: mutable
	if got := e.signIn(t, bot.Identity{OID: adeleAcc.OID, UPN: renamed}); got != bot.SignInOK {
		t.Fatalf("outcome %q", got)
	}

	acc, err := store.NewLinks(e.Store.Client(), bot.Discord).Get(ctx, "D1")
	if err != nil || acc != (bot.Account{OID: adeleAcc.OID, UPN: renamed}) {
		t.Fatalf("link %+v %v, want the object ID with the UPN for display", acc, err)
	}
	notices := e.helpdesk(bot.Discord)
	if len(notices) != 1 {
		t.Fatalf("helpdesk channel got %q, want one notice of the link", notices)
	}
	wantAll(t, "link notice", notices[0], "Chat account linked", "newbie (discord:D1)", renamed, adeleAcc.OID)
	// The chat lists the devices of the object ID at once …
	enginetest.Button(t, e.sent[bot.Discord].Sent(), "Adele's Galaxy S7 (Android)")

	// … and in the next conversation, with the user as the adapter reads
	// the link.
	linked := acc.Of(newbie)
	replies = enginetest.Handle(t, e.Engine, bot.Event{Kind: bot.Message, User: linked, Text: "reset my passcode"})
	enginetest.Button(t, replies, "Adele's Galaxy S7 (Android)")
	if n := len(e.helpdesk(bot.Discord)); n != 1 {
		t.Errorf("%d helpdesk notices after a conversation of the linked account, want still 1", n)
	}
}

// A link made from a UPN (an approver's, or one from before links had
// object IDs) keeps working, and the owner's next sign-in re-links it by
// object ID, without a notice: it names the same person.
func TestAUPNLinkIsReLinkedByObjectIDAtTheNextSignIn(t *testing.T) {
	e := newIdentityEnv(t, "en")
	ctx := context.Background()
	links := store.NewLinks(e.Store.Client(), bot.Discord)
	if err := links.Set(ctx, "discord:approver", "D2", "adele.vance@contoso.com"); err != nil {
		t.Fatal(err)
	}
	acc, _ := links.Get(ctx, "D2")
	u := acc.Of(bot.User{Platform: bot.Discord, ID: "D2", Name: "adele"})
	replies := enginetest.Handle(t, e.Engine, bot.Event{Kind: bot.Message, User: u, Text: "reset my passcode"})
	for _, label := range append(enginetest.ResetClicks[:2:2], "Sign in again") {
		replies = enginetest.Handle(t, e.Engine, bot.Event{Kind: bot.Press, User: u, Action: enginetest.Button(t, replies, label)})
	}
	adeleAcc := person(t, "adele.vance@contoso.com")
	if got := e.signIn(t, bot.Identity{OID: adeleAcc.OID, UPN: adeleAcc.UPN}); got != bot.SignInOK {
		t.Fatalf("outcome %q", got)
	}
	if acc, err := links.Get(ctx, "D2"); err != nil || acc != adeleAcc {
		t.Errorf("link %+v %v, want %+v", acc, err, adeleAcc)
	}
	if n := e.helpdesk(bot.Discord); len(n) != 0 {
		t.Errorf("helpdesk got %q for the owner's own sign-in", n)
	}
}

// Someone else than the device's owner signs in on the owner's link: nothing
// is reset or linked, and the helpdesk channel is told who asked, for which
// device, and which account signed in, in the helpdesk's language.
func TestSomeoneElsesSignInReachesTheHelpdesk(t *testing.T) {
	for lang, want := range map[string][]string{
		"en": {"Sign-in by another account than the device's owner", "Asked by: adele.vance@contoso.com (slack:U1)", "Device: Adele's Galaxy S7, Android 6.0.1", "Nothing was reset"},
		"nl": {"Aangemeld met een ander account dan dat van de eigenaar", "Gevraagd door: adele.vance@contoso.com (slack:U1)", "Apparaat: Adele's Galaxy S7, Android 6.0.1", "niets opnieuw ingesteld"},
	} {
		t.Run(lang, func(t *testing.T) {
			e := newIdentityEnv(t, lang)
			replies := enginetest.Handle(t, e.Engine, bot.Event{Kind: bot.Message, User: adele, Text: "reset my passcode"})
			for _, label := range append(enginetest.ResetClicks[:2:2], "Sign in again") {
				replies = enginetest.Handle(t, e.Engine, bot.Event{Kind: bot.Press, User: adele, Action: enginetest.Button(t, replies, label)})
			}
			lieke := person(t, "lieke.devries@contoso.com")
			if got := e.signIn(t, bot.Identity{OID: lieke.OID, UPN: lieke.UPN}); got != bot.SignInMismatch {
				t.Fatalf("outcome %q, want %q", got, bot.SignInMismatch)
			}
			notices := e.helpdesk(bot.Slack)
			if len(notices) != 1 {
				t.Fatalf("helpdesk channel got %q, want one notice", notices)
			}
			wantAll(t, "notice", notices[0], append(want, lieke.UPN, lieke.OID)...)
			if n := e.Devices.Resets(); n != 0 {
				t.Errorf("%d resets", n)
			}
			if acc, _ := store.NewLinks(e.Store.Client(), bot.Slack).Get(context.Background(), adele.ID); acc != (bot.Account{}) {
				t.Errorf("someone else's sign-in linked the account to %+v", acc)
			}
		})
	}
}

// Someone else signs in on a link whose conversation moved on (Adele
// cancelled): nothing is at stake, Adele is told, and the helpdesk hears of
// it as of a sign-in in time.
func TestSomeoneElsesLateSignInReachesTheHelpdesk(t *testing.T) {
	e := newIdentityEnv(t, "en")
	replies := enginetest.Handle(t, e.Engine, bot.Event{Kind: bot.Message, User: adele, Text: "reset my passcode"})
	for _, label := range append(enginetest.ResetClicks[:2:2], "Sign in again") {
		replies = enginetest.Handle(t, e.Engine, bot.Event{Kind: bot.Press, User: adele, Action: enginetest.Button(t, replies, label)})
	}
	enginetest.Handle(t, e.Engine, bot.Event{Kind: bot.Message, User: adele, Text: "cancel"})
	lieke := person(t, "lieke.devries@contoso.com")
	outcome, err := e.Engine.SignedIn(context.Background(), bot.SignInResult{SignIn: e.signIns.Last(t), Outcome: bot.SignInOK,
		Identity: bot.Identity{OID: lieke.OID, UPN: lieke.UPN, AuthTime: e.Clock.Now()}})
	if outcome != bot.SignInMismatch || err == nil {
		t.Fatalf("outcome %q, %v; want a mismatch the conversation no longer waits for", outcome, err)
	}
	notices := e.helpdesk(bot.Slack)
	if len(notices) != 1 {
		t.Fatalf("helpdesk channel got %q, want one notice", notices)
	}
	wantAll(t, "notice", notices[0], "Sign-in by another account than the device's owner", "Device: Adele's Galaxy S7", lieke.UPN, lieke.OID)
	var toAdele []string
	for _, r := range e.sent[bot.Slack].Sent() {
		if r.Target.Kind == bot.DirectMessage && r.Target.User.ID == adele.ID {
			toAdele = append(toAdele, r.Text)
		}
	}
	if len(toAdele) != 1 || !strings.Contains(toAdele[0], "no longer valid") {
		t.Errorf("Adele was told %q, want that a link of hers was used late", toAdele)
	}
	if n := e.Devices.Resets(); n != 0 {
		t.Errorf("%d resets", n)
	}
}
