package entra_test

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/passbot/passbot/adapters/entra"
	"github.com/passbot/passbot/adapters/entra/demoidp"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/locales"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/store"
)

// audited returns the outcome of the latest "verify" audit record of u.
func (r *rig) audited(u bot.User) string {
	r.t.Helper()
	recs, err := r.env.Store.RecentAudit(context.Background(), u.Key(), 10)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, rec := range recs {
		if rec.Action == "verify" {
			return rec.Outcome
		}
	}
	return ""
}

// post submits form to target as a browser's form would, with headers,
// following no redirect: the answer's status and headers.
func (r *rig) post(target, form string, headers map[string]string) (int, http.Header) {
	r.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	client := *r.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// elsewhere presses Sign in on link in one browser and finishes the sign-in
// at the provider as login in another, as a forwarded authorization URL
// would be: it returns both browsers, the callback and the page the second
// one ends on.
func (r *rig) elsewhere(link, login string) (first, second *demoidp.Browser, callback *url.URL, status int, page string) {
	r.t.Helper()
	ctx := context.Background()
	first, second = r.browser(), r.browser()
	authorize, err := first.Open(ctx, link)
	if err == nil {
		callback, err = second.Answer(ctx, authorize, login, "signin")
	}
	if err != nil {
		r.t.Fatal(err)
	}
	status, page, _ = second.Get(ctx, callback.String())
	return first, second, callback, status, page
}

// The login CSRF of issue 20: an attacker's chat account with no company
// account presses Sign in on its own link and forwards only the provider's
// authorization URL to a colleague. The colleague's sign-in comes back to a
// browser that never pressed Sign in: nothing is linked, nothing reset, the
// colleague's page says who asked, and the attacker's chat offers a new link.
func TestAForwardedAuthorizationURLLinksNothing(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	mallory := bot.User{Platform: bot.Discord, ID: "D666", Name: "mallory"}
	link, dm := r.toLink(mallory, "reset my passcode", "Sign in")
	ctx := context.Background()
	// A colleague sent the link itself sees, before signing in, whose chat
	// account it would link: by its ID too, which no one chooses.
	if _, page, _ := r.browser().Get(ctx, link); !strings.Contains(page, "asked for by mallory (D666) on Discord, to link that chat account to your work account. If you did not ask for it") {
		t.Errorf("the link's page before signing in: %q", page)
	}
	attacker, _, callback, status, page := r.elsewhere(link, "lieke.devries@contoso.com")
	if status != http.StatusForbidden || !strings.Contains(page, "finished in another browser") ||
		!strings.Contains(page, "asked for by mallory (D666) on Discord, to link that chat account to your work account") {
		t.Errorf("colleague's page %d %q", status, page)
	}
	// The attacker replaying the callback in the browser that pressed Sign
	// in finds the state spent.
	if status, _, _ := attacker.Get(ctx, callback.String()); status != http.StatusGone {
		t.Errorf("the callback replayed in the attacker's browser: %d", status)
	}
	if acc, err := store.NewLinks(r.env.Store.Client(), bot.Discord).Get(ctx, mallory.ID); err != nil || acc != (bot.Account{}) {
		t.Errorf("mallory's account is linked to %+v (%v)", acc, err)
	}
	if got := r.audited(mallory); got != bot.SignInOtherBrowser {
		t.Errorf("audit verify %q, want %q", got, bot.SignInOtherBrowser)
	}
	sent := dm.Sent()
	if chat := enginetest.Text(sent); !strings.Contains(chat, "finished in another browser") || strings.Contains(chat, "lieke") {
		t.Errorf("mallory's chat %q", chat)
	}
	// A new link is on offer.
	replies := enginetest.Handle(t, r.env.Engine, bot.Event{Kind: bot.Press, User: mallory, Action: enginetest.Button(t, sent, "Sign in")})
	if next := linkRE.FindString(enginetest.Text(replies)); next == "" || next == link {
		t.Errorf("no new link after the refusal: %q", enginetest.Text(replies))
	}
}

// The same forwarding during a reset: the owner's own sign-in, finished in
// another browser than the one that pressed Sign in, resets nothing, and the
// banner comes back for a new link.
func TestASignInFinishedInAnotherBrowserResetsNothing(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	if _, _, _, status, page := r.elsewhere(r.toSignIn(), ""); status != http.StatusForbidden || !strings.Contains(page, "Nothing was reset or linked") {
		t.Errorf("page %d %q", status, page)
	}
	if r.env.Devices.Resets() != 0 || r.audited(adele) != bot.SignInOtherBrowser {
		t.Errorf("resets %d, audit %q", r.env.Devices.Resets(), r.audited(adele))
	}
	replies := r.chat()
	if chat := enginetest.Text(replies); !strings.Contains(chat, "finished in another browser") || strings.Contains(chat, "Do you have") {
		t.Errorf("chat %q", chat)
	}
	enginetest.Button(t, replies, locales.Text(locales.EN, "btn.signinagain"))
}

// A page of another site cannot post a link from the employee's browser
// (it would bind that sign-in to this browser); the link is not spent.
func TestALinkPostedFromAnotherSiteIsRefused(t *testing.T) {
	t.Parallel()
	for _, h := range []map[string]string{
		{"Origin": "https://attacker.example"},
		{"Origin": "null", "Sec-Fetch-Site": "cross-site"}, // a sandboxed frame, or no-referrer
		{"Origin": "https://intranet.contoso.com", "Sec-Fetch-Site": "same-site"},
		{"Origin": "null"},
	} {
		r := newRig(t)
		link := r.toSignIn()
		if status, header := r.post(link, "go=1", h); status != http.StatusForbidden || header.Get("Set-Cookie") != "" {
			t.Errorf("POST with %v: %d, cookie %q", h, status, header.Get("Set-Cookie"))
		}
		// Chromium on passbot's own page: its no-referrer policy makes
		// the Origin null, and fetch metadata says same-origin.
		if status, _ := r.post(link, "go=1", map[string]string{"Origin": "null", "Sec-Fetch-Site": "same-origin"}); status != http.StatusSeeOther {
			t.Errorf("after the refused POST with %v, passbot's own page got %d: the link was spent", h, status)
		}
	}
}

// The binding cookie is what a browser keeps only for this site and never
// shows a script: HttpOnly, SameSite=Lax, and __Host- with Secure on https.
func TestTheBindingCookie(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	_, header := r.post(r.toSignIn(), "go=1", nil)
	cookies := (&http.Response{Header: header}).Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies %v", cookies)
	}
	c := cookies[0]
	if c.Name != "passbot-signin" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge <= 0 || len(c.Value) != 43 {
		t.Errorf("cookie %+v", c)
	}
	if strings.Contains(header.Get("Location"), c.Value) {
		t.Error("the cookie's secret is in the authorization URL")
	}
}

func TestClientAddressesBehindATrustedProxy(t *testing.T) {
	t.Parallel()
	guess := func(r *rig, forwardedFor string) int {
		status, _ := r.post(r.srv.URL+"/auth/callback", "state=guess", map[string]string{"X-Forwarded-For": forwardedFor})
		return status
	}
	for _, tc := range []struct {
		name, junk, junkAgain string
		others                []string
	}{
		// A client cannot hide behind an address it writes itself: the proxy
		// appends the real one, which counts.
		{"one client's junk does not lock out the others", "203.0.113.7", "198.51.100.9, 203.0.113.7", []string{"198.51.100.9"}},
		// Azure Application Gateway writes "IP:port" hops.
		{"a proxy that writes address and port", "203.0.113.7:50123", "203.0.113.7:50124", []string{"198.51.100.9:40000", "[2001:db8::1]:443"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRigWith(t, func(c *entra.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
			for range 30 {
				guess(r, tc.junk)
			}
			for _, junk := range []string{tc.junk, tc.junkAgain} {
				if got := guess(r, junk); got != http.StatusTooManyRequests {
					t.Errorf("the junk sender again (%s): %d, want 429", junk, got)
				}
			}
			for _, other := range tc.others {
				if got := guess(r, other); got != http.StatusGone {
					t.Errorf("another employee behind the same proxy (%s): %d, want 410", other, got)
				}
			}
		})
	}
	t.Run("without trusted proxies the header counts for nothing", func(t *testing.T) {
		r := newRig(t)
		for i := range 30 {
			guess(r, netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}).String())
		}
		if got := guess(r, "198.51.100.200"); got != http.StatusTooManyRequests {
			t.Errorf("a 31st request with a forged X-Forwarded-For: %d, want 429", got)
		}
	})
	t.Run("a link is opened only so often, from wherever", func(t *testing.T) {
		r := newRigWith(t, func(c *entra.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
		link := r.toSignIn()
		last := 0
		for i := range 4 {
			last, _ = r.post(link, "go=1", map[string]string{"X-Forwarded-For": netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}).String()})
		}
		if last != http.StatusTooManyRequests {
			t.Errorf("the 4th opening of one link in a minute: %d, want 429", last)
		}
	})
}

// PASSBOT_VERIFY_AUTH_CONTEXT: the sign-in asks Entra for the Conditional
// Access authentication context, and a token without it resets nothing.
func TestAnAuthenticationContextIsRequiredWhereConfigured(t *testing.T) {
	t.Parallel()
	for _, withhold := range []bool{false, true} {
		r := newRigWith(t, func(c *entra.Config) { c.AuthContext = "c1" })
		r.idp.WithholdACRS = withhold
		link := r.toSignIn()
		ctx := context.Background()
		b := r.browser()
		authorize, err := b.Open(ctx, link)
		if err != nil {
			t.Fatal(err)
		}
		if got := authorize.Query().Get("claims"); got != `{"id_token":{"acrs":{"essential":true,"value":"c1"}}}` {
			t.Errorf("claims request %q", got)
		}
		callback, err := b.Answer(ctx, authorize, "", "signin")
		if err != nil {
			t.Fatal(err)
		}
		status, page, _ := b.Get(ctx, callback.String())
		chat := enginetest.Text(r.chat())
		if !withhold {
			if status != http.StatusOK || r.audited(adele) != bot.SignInOK || !strings.Contains(chat, "Do you have") {
				t.Errorf("with the context: %d %q, audit %q, chat %q", status, page, r.audited(adele), chat)
			}
			continue
		}
		if status != http.StatusForbidden || !strings.Contains(page, "stronger sign-in") || !strings.Contains(chat, "stronger sign-in") ||
			strings.Contains(chat, "Do you have") || r.audited(adele) != bot.SignInWeak {
			t.Errorf("without the context: %d %q, audit %q, chat %q", status, page, r.audited(adele), chat)
		}
	}
}
