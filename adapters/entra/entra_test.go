package entra_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/demo"
	"github.com/passbot/passbot/adapters/entra"
	"github.com/passbot/passbot/adapters/entra/demoidp"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/store"
)

const (
	tenant      = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	otherTenant = "00000000-1111-4222-8333-444444444444"
	clientID    = "6731de76-14a6-49ae-97bc-6eba6914391e"
	secret      = "client-secret"
)

var adele = enginetest.Adele

// rig is the real engine over a real Redis, the sign-in, and a demo provider
// standing in for Entra ID, all served by one local HTTP server.
type rig struct {
	t      *testing.T
	env    *enginetest.Env
	idp    *demoidp.Provider
	srv    *httptest.Server
	sent   *enginetest.Recorder
	read   int // replies of sent that chat has returned
	signIn *entra.SignIn
}

func newRig(t *testing.T) *rig { return newRigWith(t, nil) }

// newRigWith is newRig with the sign-in's settings changed by set.
func newRigWith(t *testing.T, set func(*entra.Config)) *rig {
	t.Helper()
	sent := &enginetest.Recorder{}
	env := enginetest.New(t, enginetest.WithSignIn(&enginetest.SignIns{}),
		enginetest.WithChat(bot.Slack, sent), enginetest.WithChat(bot.Discord, nil))
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	fleet := demo.Default()
	users := func(upn string) (demoidp.User, bool) {
		oid, name, ok := fleet.Person(upn)
		return demoidp.User{UPN: upn, OID: oid, Name: name}, ok
	}
	authority := srv.URL + "/idp"
	idp, err := demoidp.New(authority, tenant, clientID, secret, srv.URL+"/auth/callback", users)
	if err != nil {
		t.Fatal(err)
	}
	idp.Now = env.Clock.Now
	cfg := entra.Config{PublicURL: srv.URL, AuthorityURL: authority, TenantID: tenant, ClientID: clientID,
		Client: entra.Secret(secret), TTL: 5 * time.Minute}
	if set != nil {
		set(&cfg)
	}
	s, err := entra.New(cfg, store.NewSignIns(env.Store.Client()), signedIn{env}, env.Store, slog.New(slog.DiscardHandler), env.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	for _, routes := range []map[string]http.Handler{idp.Routes(), s.Routes()} {
		for pattern, h := range routes {
			mux.Handle(pattern, h)
		}
	}
	// The engine hands out this sign-in's links: made again with it.
	env.Config.SignIns, env.Config.Links = s, env.Store
	env.Engine = bot.New(env.Config)
	return &rig{t: t, env: env, idp: idp, srv: srv, sent: sent, signIn: s}
}

// signedIn hands a sign-in's result to the rig's engine, made after the
// sign-in.
type signedIn struct{ env *enginetest.Env }

func (s signedIn) SignedIn(ctx context.Context, r bot.SignInResult) (string, error) {
	return s.env.Engine.SignedIn(ctx, r)
}

var linkRE = regexp.MustCompile(`http://\S+/signin/[A-Za-z0-9_-]+`)

// toSignIn walks Adele from "reset my passcode" to Sign in again on her Galaxy S7
// and returns the sign-in link she is shown.
func (r *rig) toSignIn() string {
	r.t.Helper()
	replies := enginetest.Handle(r.t, r.env.Engine, bot.Event{Kind: bot.Message, User: adele, Text: "reset my passcode"})
	for _, label := range []string{"Adele's Galaxy S7 (Android)", "Reset Passcode", "Sign in again"} {
		replies = enginetest.Handle(r.t, r.env.Engine, bot.Event{Kind: bot.Press, User: adele, Action: enginetest.Button(r.t, replies, label)})
	}
	link := linkRE.FindString(enginetest.Text(replies))
	if link == "" || !replies[0].Private {
		r.t.Fatalf("Sign in again answered %+v, want a private sign-in link", replies)
	}
	if id := strings.TrimPrefix(link, r.srv.URL+"/signin/"); len(id) < 43 {
		r.t.Errorf("link ID %q: want at least 256 random bits", id)
	}
	return link
}

// toLink walks a Discord account that names no company account from start
// to the sign-in that links it (pressing button) and returns the link and
// the account's DM.
func (r *rig) toLink(u bot.User, start, button string) (string, *enginetest.Recorder) {
	r.t.Helper()
	dm := &enginetest.Recorder{}
	r.env.Chats[bot.Discord].Use(dm)
	replies := enginetest.Handle(r.t, r.env.Engine, bot.Event{Kind: bot.Message, User: u, Text: start})
	replies = enginetest.Handle(r.t, r.env.Engine, bot.Event{Kind: bot.Press, User: u, Action: enginetest.Button(r.t, replies, button)})
	link := linkRE.FindString(enginetest.Text(replies))
	if link == "" {
		r.t.Fatalf("no link in %q", enginetest.Text(replies))
	}
	return link, dm
}

// chat returns what Adele was told since the last call.
func (r *rig) chat() []bot.Reply {
	sent := r.sent.Sent()
	news := sent[r.read:]
	r.read = len(sent)
	return news
}

// verify returns the outcome of Adele's latest "verify" audit record.
func (r *rig) verify() string { return r.audited(adele) }

func (r *rig) browser() *demoidp.Browser { return demoidp.NewBrowser(r.srv.Client()) }

// callback opens link in b and answers the provider's page with action as
// login (the login hint when empty), returning where the provider sends the
// browser back to.
func (r *rig) callback(b *demoidp.Browser, link, login, action string) *url.URL {
	r.t.Helper()
	ctx := context.Background()
	authorize, err := b.Open(ctx, link)
	if err != nil {
		r.t.Fatal(err)
	}
	callback, err := b.Answer(ctx, authorize, login, action)
	if err != nil {
		r.t.Fatal(err)
	}
	return callback
}

func TestTheOwnersSignInMovesTheConversationOn(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	link := r.toSignIn()
	ctx := context.Background()
	b := r.browser()

	// A preview (a chat client unfurling the link) uses nothing up.
	for range 2 {
		status, page, err := b.Get(ctx, link)
		if err != nil || status != 200 || !strings.Contains(page, "sign in again with your work account (adele.vance@contoso.com)") {
			t.Fatalf("link page %d %q %v", status, page, err)
		}
	}
	authorize, err := b.Open(ctx, link)
	if err != nil {
		t.Fatal(err)
	}
	q := authorize.Query()
	for k, want := range map[string]string{"prompt": "login", "login_hint": adele.UPN, "code_challenge_method": "S256",
		"response_type": "code", "client_id": clientID, "redirect_uri": r.srv.URL + "/auth/callback", "scope": "openid profile"} {
		if got := q.Get(k); got != want {
			t.Errorf("authorize %s=%q, want %q", k, got, want)
		}
	}
	if len(q.Get("state")) < 43 || len(q.Get("nonce")) < 43 || len(q.Get("code_challenge")) != 43 {
		t.Errorf("state %q nonce %q challenge %q: want 256-bit state and nonce and an S256 challenge", q.Get("state"), q.Get("nonce"), q.Get("code_challenge"))
	}
	if r.env.Devices.Resets() != 0 || strings.Contains(enginetest.Text(r.chat()), "Do you have") {
		t.Fatal("moved on before the sign-in")
	}
	callback, err := b.Answer(ctx, authorize, "", "signin")
	if err != nil {
		t.Fatal(err)
	}
	status, page, err := b.Get(ctx, callback.String())
	if err != nil || status != 200 || !strings.HasPrefix(page, "You are signed in. Go back to the chat. ") ||
		!strings.Contains(page, "asked for by U1 on Slack, to reset the passcode of Adele's Galaxy S7. If you did not ask for it, tell your company support.") {
		t.Fatalf("callback page %d %q %v", status, page, err)
	}
	replies := r.chat()
	if chat := enginetest.Text(replies); !strings.Contains(chat, "✅ You signed in as adele.vance@contoso.com.") || !strings.Contains(chat, "Do you have Adele's Galaxy S7 with you?") {
		t.Fatalf("chat after the sign-in: %q", chat)
	}
	if got := r.verify(); got != bot.SignInOK {
		t.Errorf("audit verify %q", got)
	}
	enginetest.Handle(t, r.env.Engine, bot.Event{Kind: bot.Press, User: adele, Action: enginetest.Button(t, replies, "Yes, reset")})
	if n := r.env.Devices.Resets(); n != 1 {
		t.Errorf("%d resets after Yes, want 1", n)
	}
	// The chat account is now linked to the account it proved: by object ID.
	adeleOID, _, _ := demo.Default().Person(adele.UPN)
	if acc, err := store.NewLinks(r.env.Store.Client(), bot.Slack).Get(ctx, adele.ID); err != nil || acc != (bot.Account{OID: adeleOID, UPN: adele.UPN}) {
		t.Errorf("link %+v %v", acc, err)
	}

	t.Run("the callback replayed", func(t *testing.T) {
		status, page, _ := b.Get(ctx, callback.String())
		if status != http.StatusGone || !strings.Contains(page, "expired or was already used") {
			t.Errorf("replayed callback %d %q", status, page)
		}
	})
	t.Run("the link opened again", func(t *testing.T) {
		if _, err := b.Open(ctx, link); err == nil || !strings.Contains(err.Error(), "already used") {
			t.Errorf("second opening: %v", err)
		}
	})
	t.Run("the code redeemed again with a fresh state", func(t *testing.T) {
		r2 := newRig(t)
		link := r2.toSignIn()
		b := r2.browser()
		first := r2.callback(b, link, "", "signin")
		if status, _, _ := b.Get(ctx, first.String()); status != 200 {
			t.Fatalf("first callback %d", status)
		}
		// Start again, then bring the spent code back under the new state.
		enginetest.Handle(t, r2.env.Engine, bot.Event{Kind: bot.Message, User: adele, Text: "cancel"})
		link2 := r2.toSignIn()
		authorize2, _ := b.Open(ctx, link2)
		forged := *first
		fq := forged.Query()
		fq.Set("state", authorize2.Query().Get("state"))
		forged.RawQuery = fq.Encode()
		status, page, _ := b.Get(ctx, forged.String())
		if status == 200 || !strings.Contains(page, "could not be verified") || r2.verify() != bot.SignInInvalid {
			t.Errorf("spent code: %d %q audit %q", status, page, r2.verify())
		}
		if r2.env.Devices.Resets() != 0 {
			t.Error("a reset ran")
		}
	})
}

// Every way a sign-in can be wrong is refused: nothing is reset, the
// browser and the chat say why, and the audit trail records it.
func TestARefusedSignInResetsNothing(t *testing.T) {
	t.Parallel()
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	lieke, _, _ := demo.Default().Person("lieke.devries@contoso.com")
	cases := []struct {
		name     string
		login    string
		tamper   func(*demoidp.Claims)
		signWith *rsa.PrivateKey
		outcome  string
		page     string
		chat     string
	}{
		{name: "another employee signs in", login: "lieke.devries@contoso.com", outcome: bot.SignInMismatch + ":lieke.devries@contoso.com",
			page: "another account than the owner", chat: "You signed in as lieke.devries@contoso.com, but Adele's Galaxy S7 belongs to another account"},
		{name: "another user's object ID", tamper: func(c *demoidp.Claims) { c.OID = lieke }, outcome: bot.SignInMismatch + ":adele.vance@contoso.com",
			page: "another account than the owner", chat: "belongs to another account"},
		{name: "signed with another key", signWith: otherKey, outcome: bot.SignInInvalid, page: "could not be verified", chat: "could not verify that sign-in"},
		{name: "wrong issuer", tamper: func(c *demoidp.Claims) { c.Issuer = "https://login.microsoftonline.com/" + tenant + "/v2.0" },
			outcome: bot.SignInInvalid, page: "could not be verified", chat: "could not verify"},
		{name: "wrong audience", tamper: func(c *demoidp.Claims) { c.Audience = "00000003-0000-0000-c000-000000000000" },
			outcome: bot.SignInInvalid, page: "could not be verified", chat: "could not verify"},
		{name: "another tenant", tamper: func(c *demoidp.Claims) {
			c.Issuer = strings.Replace(c.Issuer, tenant, otherTenant, 1)
			c.TID = otherTenant
		}, outcome: bot.SignInInvalid, page: "could not be verified", chat: "could not verify"},
		{name: "another tenant's tid", tamper: func(c *demoidp.Claims) { c.TID = otherTenant },
			outcome: bot.SignInInvalid, page: "could not be verified", chat: "could not verify"},
		{name: "expired token", tamper: func(c *demoidp.Claims) { c.Expiry = c.IssuedAt - 60 },
			outcome: bot.SignInInvalid, page: "could not be verified", chat: "could not verify"},
		{name: "stale auth_time", tamper: func(c *demoidp.Claims) { c.AuthTime -= int64((10 * time.Minute).Seconds()) },
			outcome: bot.SignInStale, page: "You signed in too long ago", chat: "was not fresh"},
		{name: "no auth_time", tamper: func(c *demoidp.Claims) { c.AuthTime = 0 },
			outcome: bot.SignInInvalid, page: "could not be verified", chat: "could not verify"},
		{name: "nonce mismatch", tamper: func(c *demoidp.Claims) { c.Nonce = "replayed-nonce" },
			outcome: bot.SignInInvalid, page: "could not be verified", chat: "could not verify"},
		{name: "cancelled at the provider", login: "cancel", outcome: bot.SignInDenied, page: "You cancelled the sign-in", chat: "The sign-in was cancelled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			r.idp.Tamper, r.idp.SignWith = tc.tamper, tc.signWith
			link := r.toSignIn()
			ctx := context.Background()
			b := r.browser()
			action, login := "signin", tc.login
			if login == "cancel" {
				action, login = "cancel", ""
			}
			status, page, err := b.Get(ctx, r.callback(b, link, login, action).String())
			if err != nil || status != http.StatusForbidden || !strings.Contains(page, tc.page) || !strings.Contains(page, "Nothing was reset") {
				t.Errorf("page %d %q %v, want 403 saying %q", status, page, err, tc.page)
			}
			if chat := enginetest.Text(r.chat()); !strings.Contains(chat, tc.chat) || !strings.Contains(chat, "Nothing was reset") || strings.Contains(chat, "Do you have") {
				t.Errorf("chat %q, want %q", chat, tc.chat)
			}
			if got := r.verify(); got != tc.outcome {
				t.Errorf("audit verify %q, want %q", got, tc.outcome)
			}
			if r.env.Devices.Resets() != 0 {
				t.Error("a reset ran")
			}
		})
	}
}

func TestLinksExpireAndAreUsedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("opened after five minutes", func(t *testing.T) {
		r := newRig(t)
		link := r.toSignIn()
		r.env.Clock.Advance(5*time.Minute + time.Second)
		_, err := r.browser().Open(ctx, link)
		if err == nil || !strings.Contains(err.Error(), "expired or was already used") {
			t.Errorf("late opening: %v", err)
		}
		if chat := enginetest.Text(r.chat()); !strings.Contains(chat, "no longer valid") && !strings.Contains(chat, "expired") {
			t.Errorf("chat %q", chat)
		}
		if got := r.verify(); got != bot.SignInExpired {
			t.Errorf("audit verify %q", got)
		}
	})
	t.Run("signed in after five minutes", func(t *testing.T) {
		r := newRig(t)
		link := r.toSignIn()
		b := r.browser()
		callback := r.callback(b, link, "", "signin")
		r.env.Clock.Advance(5*time.Minute + time.Second)
		if status, page, _ := b.Get(ctx, callback.String()); status == 200 {
			t.Errorf("late callback %d %q", status, page)
		}
		if r.env.Devices.Resets() != 0 || strings.Contains(enginetest.Text(r.chat()), "Do you have") {
			t.Error("a late sign-in moved on")
		}
	})
	t.Run("a leaked link opened by someone else first", func(t *testing.T) {
		r := newRig(t)
		link := r.toSignIn()
		b := r.browser()
		authorize, err := b.Open(ctx, link) // Adele
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.browser().Open(ctx, link); err == nil || !strings.Contains(err.Error(), "already used") {
			t.Fatalf("second opening: %v", err)
		}
		if chat := enginetest.Text(r.chat()); !strings.Contains(chat, "opened a second time") {
			t.Errorf("chat %q", chat)
		}
		// The link is spent for everyone: Adele's own sign-in no longer counts.
		callback, _ := b.Answer(ctx, authorize, "", "signin")
		if status, page, _ := b.Get(ctx, callback.String()); status == 200 || !strings.Contains(page, "no longer needed") {
			t.Errorf("callback after the reuse %d %q", status, page)
		}
		// Audited as what happened: it came too late to count.
		if r.env.Devices.Resets() != 0 || r.verify() != bot.SignInMoved {
			t.Errorf("resets %d audit %q", r.env.Devices.Resets(), r.verify())
		}
	})
	t.Run("an unknown link", func(t *testing.T) {
		r := newRig(t)
		status, page, _ := r.browser().Get(ctx, r.srv.URL+"/signin/nothing-here")
		if status != http.StatusGone || !strings.Contains(page, "expired") {
			t.Errorf("unknown link %d %q", status, page)
		}
	})
}

func TestPagesAreNeitherCachedNorFramed(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	link := r.toSignIn()
	resp, err := r.srv.Client().Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %s", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP %q lets something run", csp)
	}
	for k, want := range map[string]string{"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
}

func TestCallbacksAreRateLimited(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	last := 0
	for range 31 {
		last, _ = r.post(r.srv.URL+"/auth/callback", "state=guess&code=guess", nil)
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("the 31st guess in a minute got %d, want 429", last)
	}
}

// An unlinked chat account (Discord gives no e-mail) links itself by
// signing in: the chat then lists the devices of whoever signed in, and the
// link is kept for later conversations.
func TestSigningInLinksAChatAccount(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	link, dm := r.toLink(bot.User{Platform: bot.Discord, ID: "D9", Locale: "nl"}, "wachtwoordcode vergeten", "Aanmelden")
	page, err := demoidp.Browse(context.Background(), r.srv.Client(), link, "lieke.devries@contoso.com")
	if err != nil || !strings.HasPrefix(page, "U bent aangemeld. Ga terug naar de chat. Om deze aanmelding is gevraagd door D9 in Discord, om dat chataccount aan uw werkaccount te koppelen.") {
		t.Fatalf("page %q %v", page, err)
	}
	chat := enginetest.Text(dm.Sent())
	if !strings.Contains(chat, "U bent aangemeld als lieke.devries@contoso.com") || !strings.Contains(chat, "Welk apparaat") {
		t.Errorf("chat %q, want Lieke's devices", chat)
	}
	enginetest.Button(t, dm.Sent(), "Lieke's Galaxy A5 (Android)")
	liekeOID, _, _ := demo.Default().Person("lieke.devries@contoso.com")
	if acc, err := store.NewLinks(r.env.Store.Client(), bot.Discord).Get(context.Background(), "D9"); err != nil || acc != (bot.Account{OID: liekeOID, UPN: "lieke.devries@contoso.com"}) {
		t.Errorf("link %+v %v", acc, err)
	}
	audit, err := r.env.Store.RecentAudit(context.Background(), "discord:D9", 10)
	if err != nil || len(audit) == 0 || audit[0].Action != "link" || audit[0].Actor != "discord:D9" || audit[0].UPN != "lieke.devries@contoso.com" {
		t.Errorf("the self-link is not audited: %+v, %v", audit, err)
	}
}
