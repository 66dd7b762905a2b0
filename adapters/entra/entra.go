// Package entra makes the confirmation banner's "Sign in again" real: the
// device's owner signs in again with Entra ID (OpenID Connect authorization
// code flow with PKCE, a forced fresh sign-in) before passbot resets a
// passcode. It hands out one-time links (bot.SignIns), serves the pages the
// browser sees, redeems the code with passbot's app registration, verifies
// the ID token with go-oidc and hands who signed in to the engine, which
// matches them against the device's owner.
//
// The flow follows Microsoft identity platform's "OpenID Connect on the
// Microsoft identity platform" and "authorization code flow" pages
// (learn.microsoft.com/entra/identity-platform/v2-protocols-oidc,
// v2-oauth2-auth-code-flow): discovery at
// {authority}/{tenant}/v2.0/.well-known/openid-configuration, prompt=login,
// login_hint, S256 PKCE, nonce and state.
package entra

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/locales"
	"golang.org/x/oauth2"
)

// Config is the sign-in's settings.
type Config struct {
	// PublicURL is where browsers reach passbot; the redirect URI is
	// PublicURL + "/auth/callback".
	PublicURL string
	// AuthorityURL and TenantID name the provider: discovery is at
	// AuthorityURL/TenantID/v2.0/.well-known/openid-configuration.
	AuthorityURL string
	TenantID     string
	ClientID     string
	// Client authenticates passbot at the token endpoint.
	Client ClientAuth
	// TTL is how long a link is valid, and how long ago the person may have
	// typed their credentials.
	TTL time.Duration
	// HTTPClient carries discovery, key and token requests; nil is
	// http.DefaultClient.
	HTTPClient *http.Client
	// CallbacksPerMinute caps sign-in requests per client address, and per
	// link a tenth of it (at least 3).
	CallbacksPerMinute int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client: behind one, every employee would otherwise share the
	// proxy's address, and one person's junk requests lock everyone out.
	TrustedProxies []netip.Prefix
	// AuthContext, when set (c1 … c99), asks Entra for that Conditional
	// Access authentication context and refuses an ID token whose acrs claim
	// lacks it: an admin can demand MFA or a compliant device for a reset.
	AuthContext string
	// Org is whose pages these are.
	Org Org
}

// Org is the organisation the sign-in pages speak for: its name, the https
// URL of its logo, and how its employees reach support (each may be empty).
type Org struct{ Name, Logo, Support string }

// ClientAuth adds passbot's client credential to a token request: a secret,
// or a certificate's signed assertion.
type ClientAuth interface {
	tokenParams(tokenURL string, now time.Time) (secret string, params []oauth2.AuthCodeOption, err error)
}

// Secret is a client secret.
type Secret string

func (s Secret) tokenParams(string, time.Time) (string, []oauth2.AuthCodeOption, error) {
	return string(s), nil, nil
}

// Records keeps link and state records (store.SignIns).
type Records interface {
	PutLink(ctx context.Context, id string, rec []byte, ttl time.Duration) error
	PeekLink(ctx context.Context, id string) (rec []byte, opened bool, err error)
	OpenLink(ctx context.Context, id string) (rec []byte, opened bool, err error)
	PutState(ctx context.Context, state string, rec []byte, ttl time.Duration) error
	TakeState(ctx context.Context, state string) ([]byte, error)
}

// Engine takes a sign-in's result (bot.Engine).
type Engine interface {
	SignedIn(ctx context.Context, r bot.SignInResult) (string, error)
}

// SignIn hands out links and serves /signin/{id} and /auth/callback.
type SignIn struct {
	cfg     Config
	records Records
	engine  Engine
	limiter bot.Limiter
	log     *slog.Logger
	now     func() time.Time

	mu       sync.Mutex
	provider *oidc.Provider // discovered on first use, then kept
}

// keepRecords is how long a link's record outlives the link, so a late
// click is told "expired" and its owner warned, rather than "unknown".
const keepRecords = time.Hour

// clockSkew is the tolerance for the provider's clock.
const clockSkew = time.Minute

// New returns the sign-in. now may be nil (the wall clock).
func New(cfg Config, records Records, engine Engine, limiter bot.Limiter, log *slog.Logger, now func() time.Time) (*SignIn, error) {
	if u, err := url.Parse(cfg.PublicURL); err != nil || u.Host == "" {
		return nil, fmt.Errorf("entra: public URL %q is not an absolute URL", cfg.PublicURL)
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	cfg.AuthorityURL = strings.TrimRight(cfg.AuthorityURL, "/")
	if cfg.TTL <= 0 {
		cfg.TTL = 5 * time.Minute
	}
	if cfg.CallbacksPerMinute <= 0 {
		cfg.CallbacksPerMinute = 30
	}
	if now == nil {
		now = time.Now
	}
	return &SignIn{cfg: cfg, records: records, engine: engine, limiter: limiter, log: log, now: now}, nil
}

// RedirectURI is the callback to register on the app's Web platform.
func (s *SignIn) RedirectURI() string { return s.cfg.PublicURL + "/auth/callback" }

// Routes are the browser-facing endpoints, for the public HTTP server.
func (s *SignIn) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /signin/{id}":    http.HandlerFunc(s.serveLink),
		"POST /signin/{id}":   http.HandlerFunc(s.openLink),
		"GET /auth/callback":  http.HandlerFunc(s.callback),
		"POST /auth/callback": http.HandlerFunc(s.callback),
	}
}

// link is what a link's record holds: the bot.SignIn it was made for.
type link struct {
	bot.SignIn
	Created time.Time `json:"t"`
}

// state is what a state's record holds: the link, the nonce and PKCE
// verifier of the one authorization request made for it, and the hash of
// the browser cookie of whoever pressed Sign in.
type state struct {
	Link     link   `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Browser  string `json:"b"`
}

// Start implements bot.SignIns.
func (s *SignIn) Start(ctx context.Context, in bot.SignIn) (bot.SignIn, error) {
	now := s.now()
	if in.Expires.IsZero() || in.Expires.After(now.Add(s.cfg.TTL)) {
		in.Expires = now.Add(s.cfg.TTL)
	}
	in.ID = random(32)
	in.URL = s.cfg.PublicURL + "/signin/" + in.ID
	rec, err := json.Marshal(link{SignIn: in, Created: now})
	if err != nil {
		return in, fmt.Errorf("entra: link: %w", err)
	}
	if err := s.records.PutLink(ctx, in.ID, rec, in.Expires.Sub(now)+keepRecords); err != nil {
		return in, err
	}
	return in, nil
}

// serveLink shows the page a link opens. It changes nothing while the link
// is valid: chat clients and mail scanners fetch links to preview them, and
// must not use them up.
func (s *SignIn) serveLink(w http.ResponseWriter, r *http.Request) {
	rec, opened, err := s.records.PeekLink(r.Context(), r.PathValue("id"))
	l, ok := s.decodeLink(rec, err)
	switch {
	case err != nil:
		s.page(w, http.StatusServiceUnavailable, "", "page.failed")
	case ok && !opened && !s.now().Before(l.Expires):
		s.expired(w, r)
	case !ok || !s.now().Before(l.Expires):
		s.page(w, http.StatusGone, l.Lang, "page.expired")
	case opened:
		s.page(w, http.StatusGone, l.Lang, "page.reused")
	default:
		lang := pageLang(l.Lang)
		p := s.newPage(lang, locales.Text(lang, "page.start", "name", l.Device.Name, "upn", l.ExpectedUPN())+"\n"+
			s.next(lang)+" "+locales.Text(lang, "page.after.device", "name", l.Device.Name)+"\n"+purpose(lang, l))
		if l.Device.ID == "" {
			p.Message = locales.Text(lang, "page.link") + "\n" + s.next(lang) + " " + locales.Text(lang, "page.after.link") + "\n" + purpose(lang, l)
		}
		p.Form.Action = "/signin/" + r.PathValue("id")
		p.Form.Submit = []Button{{Name: "go", Value: "1", Label: locales.Text(l.Lang, "page.start.button")}}
		// The form's answer redirects to the provider: browsers hold that
		// redirect to form-action too.
		p.Write(w, http.StatusOK, Origin(s.cfg.AuthorityURL))
	}
}

// expired spends a link opened after its time and tells its chat, once:
// the person who opened it late learns there that it expired, and gets a
// new one. A preview fetches a link when it is posted, not minutes later,
// so this is a person; a second opening shows the page and says nothing.
func (s *SignIn) expired(w http.ResponseWriter, r *http.Request) {
	ctx, id := r.Context(), r.PathValue("id")
	if !s.allow(ctx, w, r, id) {
		return
	}
	rec, opened, err := s.records.OpenLink(ctx, id)
	l, ok := s.decodeLink(rec, err)
	switch {
	case err != nil:
		s.page(w, http.StatusServiceUnavailable, "", "page.failed")
	case !ok || opened:
		s.page(w, http.StatusGone, l.Lang, "page.expired")
	default:
		s.finish(ctx, w, l, bot.SignInExpired, bot.Identity{})
	}
}

// openLink uses the link up and sends the browser to the provider.
func (s *SignIn) openLink(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.allow(ctx, w, r, r.PathValue("id")) {
		return
	}
	if !s.sameOrigin(r) {
		// Another site posting a link of its own from this browser would
		// bind that sign-in to this browser: login CSRF. Nothing is spent.
		s.log.Warn("sign-in refused", "reason", "cross_origin", "origin", r.Header.Get("Origin"))
		s.page(w, http.StatusForbidden, "", "page.origin")
		return
	}
	rec, opened, err := s.records.OpenLink(ctx, r.PathValue("id"))
	l, ok := s.decodeLink(rec, err)
	switch {
	case err != nil:
		s.page(w, http.StatusServiceUnavailable, "", "page.failed")
		return
	case !ok:
		s.page(w, http.StatusGone, "", "page.expired")
		return
	case opened:
		// A second opening: the link may have leaked. It is spent for
		// everyone, and its owner is told.
		s.finish(ctx, w, l, bot.SignInReused, bot.Identity{})
		return
	case !s.now().Before(l.Expires):
		s.finish(ctx, w, l, bot.SignInExpired, bot.Identity{})
		return
	}
	oc, _, err := s.oauth(ctx)
	if err != nil {
		s.log.Error("sign-in: provider discovery failed", "authority", s.cfg.AuthorityURL, "err", err)
		s.finish(ctx, w, l, bot.SignInFailed, bot.Identity{})
		return
	}
	binding := s.binding(r)
	st := state{Link: l, Nonce: random(32), Verifier: oauth2.GenerateVerifier(), Browser: hash(binding)}
	key := random(32)
	data, err := json.Marshal(st)
	if err == nil {
		err = s.records.PutState(ctx, key, data, l.Expires.Sub(s.now()))
	}
	if err != nil {
		s.log.Error("sign-in: keep state", "err", err)
		s.finish(ctx, w, l, bot.SignInFailed, bot.Identity{})
		return
	}
	opts := []oauth2.AuthCodeOption{
		oidc.Nonce(st.Nonce),
		oauth2.S256ChallengeOption(st.Verifier),
		// A fresh sign-in, whatever session the browser has: the proof the
		// guide's "sign out and sign in again" stands for.
		oauth2.SetAuthURLParam("prompt", "login"),
		oauth2.SetAuthURLParam("response_mode", "query"),
	}
	if upn := l.ExpectedUPN(); upn != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", upn))
	}
	if l.Lang != "" {
		opts = append(opts, oauth2.SetAuthURLParam("ui_locales", l.Lang))
	}
	if s.cfg.AuthContext != "" {
		opts = append(opts, oauth2.SetAuthURLParam("claims", acrsRequest(s.cfg.AuthContext)))
	}
	s.bind(w, binding, l.Expires.Sub(s.now()))
	http.Redirect(w, r, oc.AuthCodeURL(key, opts...), http.StatusSeeOther)
}

// callback is the redirect URI: it redeems the code and verifies the ID
// token, then hands the result to the engine.
func (s *SignIn) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.allow(ctx, w, r, "") {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.page(w, http.StatusBadRequest, "", "page.failed")
		return
	}
	rec, err := s.records.TakeState(ctx, r.Form.Get("state"))
	if err != nil {
		s.log.Error("sign-in: read state", "err", err)
		s.page(w, http.StatusServiceUnavailable, "", "page.failed")
		return
	}
	var st state
	if rec == nil || json.Unmarshal(rec, &st) != nil {
		// Unknown, replayed or expired state: nobody to tell but the browser.
		s.log.Warn("sign-in refused", "reason", "unknown_state")
		s.page(w, http.StatusGone, "", "page.expired")
		return
	}
	if !s.sameBrowser(r, st) {
		// The provider's answer came back to another browser than the one
		// that pressed Sign in: a forwarded authorization URL. Whoever
		// signed in there is not the person in the chat, so the code is not
		// even redeemed, and nothing is linked or reset.
		s.log.Warn("sign-in refused", "reason", bot.SignInOtherBrowser, "user", st.Link.Owner.Key())
		s.finish(ctx, w, st.Link, bot.SignInOtherBrowser, bot.Identity{})
		return
	}
	if e := r.Form.Get("error"); e != "" {
		outcome := bot.SignInFailed
		if e == "access_denied" {
			outcome = bot.SignInDenied
		}
		s.log.Info("sign-in: provider answered an error", "error", e, "user", st.Link.Owner.Key())
		s.finish(ctx, w, st.Link, outcome, bot.Identity{})
		return
	}
	id, outcome := s.verify(ctx, r.Form.Get("code"), st)
	if outcome == bot.SignInOK && !s.now().Before(st.Link.Expires) {
		outcome = bot.SignInExpired
	}
	s.finish(ctx, w, st.Link, outcome, id)
}

// claims are the ID token claims passbot reads.
type claims struct {
	OID               string `json:"oid"`
	TID               string `json:"tid"`
	PreferredUsername string `json:"preferred_username"`
	Nonce             string `json:"nonce"`
	AuthTime          *int64 `json:"auth_time"`
	// ACRS are the authentication contexts the sign-in satisfied.
	ACRS []string `json:"acrs"`
}

// verify redeems the code and checks the ID token: signature against the
// tenant's keys, issuer, audience and expiry (go-oidc), then nonce, tenant
// and auth_time. It returns who signed in, or why they were refused.
func (s *SignIn) verify(ctx context.Context, code string, st state) (bot.Identity, string) {
	oc, provider, err := s.oauth(ctx)
	if err != nil {
		s.log.Error("sign-in: provider discovery failed", "err", err)
		return bot.Identity{}, bot.SignInFailed
	}
	secret, params, err := s.cfg.Client.tokenParams(oc.Endpoint.TokenURL, s.now())
	if err != nil {
		s.log.Error("sign-in: client credential", "err", err)
		return bot.Identity{}, bot.SignInFailed
	}
	oc.ClientSecret = secret
	tok, err := oc.Exchange(s.httpContext(ctx), code, append(params, oauth2.VerifierOption(st.Verifier))...)
	if err != nil {
		s.log.Warn("sign-in refused", "reason", "code_redemption", "user", st.Link.Owner.Key(), "err", err)
		return bot.Identity{}, bot.SignInInvalid
	}
	raw, _ := tok.Extra("id_token").(string)
	verifier := provider.Verifier(&oidc.Config{ClientID: s.cfg.ClientID, Now: s.now})
	idt, err := verifier.Verify(s.httpContext(ctx), raw)
	if err != nil {
		s.log.Warn("sign-in refused", "reason", "id_token", "user", st.Link.Owner.Key(), "err", err)
		return bot.Identity{}, bot.SignInInvalid
	}
	var c claims
	if err := idt.Claims(&c); err != nil {
		return bot.Identity{}, bot.SignInInvalid
	}
	reason := ""
	switch {
	case c.Nonce != st.Nonce:
		reason = "nonce"
	case c.TID != "" && isGUID(s.cfg.TenantID) && !strings.EqualFold(c.TID, s.cfg.TenantID):
		reason = "tenant"
	case c.AuthTime == nil:
		// auth_time is an optional claim in Entra: without it the token
		// does not say when the person last typed a password, so it proves
		// no fresh sign-in. The README says how to add it.
		reason = "no_auth_time"
		s.log.Error("sign-in: the ID token has no auth_time: add the optional claim auth_time to the app registration's ID token (Token configuration)")
	}
	if reason != "" {
		s.log.Warn("sign-in refused", "reason", reason, "user", st.Link.Owner.Key())
		return bot.Identity{}, bot.SignInInvalid
	}
	if s.cfg.AuthContext != "" && !slices.Contains(c.ACRS, s.cfg.AuthContext) {
		// Entra leaves out a context the policy did not enforce; the person
		// signed in, but not as strongly as the admin asks for a reset.
		s.log.Warn("sign-in refused", "reason", "auth_context", "want", s.cfg.AuthContext, "user", st.Link.Owner.Key())
		return bot.Identity{}, bot.SignInWeak
	}
	id := bot.Identity{OID: c.OID, UPN: c.PreferredUsername, AuthTime: time.Unix(*c.AuthTime, 0).UTC()}
	now := s.now()
	if id.AuthTime.Before(st.Link.Created.Add(-clockSkew)) || now.Sub(id.AuthTime) > s.cfg.TTL+clockSkew {
		s.log.Warn("sign-in refused", "reason", "stale_auth_time", "user", st.Link.Owner.Key())
		return id, bot.SignInStale
	}
	return id, bot.SignInOK
}

// finish hands the outcome to the engine and shows the browser its page.
func (s *SignIn) finish(ctx context.Context, w http.ResponseWriter, l link, outcome string, id bot.Identity) {
	final, err := s.engine.SignedIn(ctx, bot.SignInResult{SignIn: l.SignIn, Outcome: outcome, Identity: id})
	key := "page." + final
	if err != nil && !errors.Is(err, bot.ErrSignInStale) {
		s.log.Error("sign-in: hand over to the conversation", "user", l.Owner.Key(), "err", err)
		key = "page.failed"
	}
	status := http.StatusOK
	if key != "page.ok" {
		status = http.StatusForbidden
	}
	lang := pageLang(l.Lang)
	s.newPage(lang, locales.Text(lang, key)+"\n"+purpose(lang, l)).Write(w, status)
}

// purpose says who asked for a sign-in and for what. Whoever opens a link
// may not be who asked (a forwarded link): before and after signing in,
// the page says it, so they can stop or tell the helpdesk. The chat
// account is named by its platform ID too, which its owner cannot choose
// as they can a display name.
func purpose(lang string, l link) string {
	who := l.Owner.ID
	if l.Owner.Name != "" && l.Owner.Name != l.Owner.ID {
		who = l.Owner.Name + " (" + l.Owner.ID + ")"
	}
	if l.Device.ID == "" {
		return locales.Text(lang, "page.for.link", "who", who, "platform", platformName(l.Owner.Platform))
	}
	return locales.Text(lang, "page.for.device", "who", who, "platform", platformName(l.Owner.Platform), "name", l.Device.Name)
}

// newPage is a page of the sign-in in lang, with the organisation's name,
// logo and support contact.
func (s *SignIn) newPage(lang, message string) Page {
	return Page{Lang: lang, Title: locales.Text(lang, "page.title"), Org: s.cfg.Org.Name, Logo: s.cfg.Org.Logo, Message: message,
		Footer: locales.Text(lang, "page.support", "support", locales.Support(lang, s.cfg.Org.Support))}
}

// next says where Sign in leads: to Microsoft's own sign-in page, whose
// address the person can check, or to the demo's stand-in.
func (s *SignIn) next(lang string) string {
	host := hostOf(s.cfg.AuthorityURL)
	// Entra's authority hosts: login.microsoftonline.com, and .us and
	// .partner.microsoftonline.cn for the national clouds
	// (https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud).
	if strings.Contains(host, ".microsoftonline.") {
		return locales.Text(lang, "page.next.microsoft", "host", host)
	}
	return locales.Text(lang, "page.next.demo")
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// platformName is how people call a chat platform, in either language.
func platformName(p bot.Platform) string {
	switch p {
	case bot.Slack:
		return "Slack"
	case bot.Discord:
		return "Discord"
	case bot.Teams:
		return "Microsoft Teams"
	}
	return "passbot " + string(p)
}

func pageLang(lang string) string {
	if lang == "" {
		return locales.EN
	}
	return lang
}

func (s *SignIn) page(w http.ResponseWriter, status int, lang, key string) {
	lang = pageLang(lang)
	s.newPage(lang, locales.Text(lang, key)).Write(w, status)
}

// allow caps sign-in requests per client address and, for a link, per
// link, shared by every replica: a link or state is 256 random bits, but
// nobody gets to guess for free, and a link can be opened only so often.
func (s *SignIn) allow(ctx context.Context, w http.ResponseWriter, r *http.Request, linkID string) bool {
	limits := map[string]int{"signin-ip:" + s.clientIP(r).String(): s.cfg.CallbacksPerMinute}
	if len(linkID) == 43 { // a link's ID (32 random bytes); anything else names no link to count
		limits["signin-link:"+linkID] = max(s.cfg.CallbacksPerMinute/10, 3)
	}
	ok, err := s.limiter.Allow(ctx, time.Minute, s.now(), limits)
	if err != nil {
		s.log.Error("sign-in: rate limit", "err", err)
		s.page(w, http.StatusServiceUnavailable, "", "page.failed")
		return false
	}
	if !ok {
		w.Header().Set("Retry-After", "60")
		s.page(w, http.StatusTooManyRequests, "", "page.busy")
	}
	return ok
}

// clientIP is the address of the browser: the connecting address, or, when
// that is a trusted proxy, the rightmost address in X-Forwarded-For that is
// not one (the proxies append; anything left of them the client wrote).
func (s *SignIn) clientIP(r *http.Request) netip.Addr {
	ip, _ := parseAddr(r.RemoteAddr)
	if !s.trusted(ip) {
		return ip
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := parseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			// A proxy does not write garbage: the client did. Count it as
			// the last proxy's, as if nothing had been forwarded.
			return ip
		}
		ip = hop
		if !s.trusted(ip) {
			return ip
		}
	}
	return ip
}

// parseAddr reads a connecting address (address and port) or an
// X-Forwarded-For entry: an address, or an address and port as Azure
// Application Gateway writes them
// (learn.microsoft.com/azure/application-gateway/rewrite-http-headers-url).
// An IPv4 address in IPv6 form counts as the IPv4 one.
func parseAddr(s string) (netip.Addr, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), nil
	}
	ip, err := netip.ParseAddr(s)
	return ip.Unmap(), err
}

func (s *SignIn) trusted(ip netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// sameOrigin reports whether a POST comes from passbot's own page. Fetch
// metadata says so where the browser sends it; the pages' no-referrer
// policy makes browsers send "Origin: null" on their form POSTs, so Origin
// decides only for browsers without it. A request with neither is no
// browser's, and no browser's cookie is at stake.
func (s *SignIn) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin":
		return true
	case "":
		o := r.Header.Get("Origin")
		return o == "" || o == Origin(s.cfg.PublicURL)
	}
	return false
}

// cookie names the cookie that binds a sign-in to the browser that pressed
// Sign in (OAuth 2.0 Security Best Current Practice, RFC 9700 §4.7.1: state
// bound to the user agent). On https it carries the __Host- prefix, so no
// other host or path can set it.
func (s *SignIn) cookie() string {
	if s.secure() {
		return "__Host-passbot-signin"
	}
	return "passbot-signin"
}

func (s *SignIn) secure() bool { return strings.HasPrefix(s.cfg.PublicURL, "https://") }

// binding is the browser's binding secret: the one its cookie already holds
// (two sign-ins open in two tabs both count), else a new one.
func (s *SignIn) binding(r *http.Request) string {
	if c, err := r.Cookie(s.cookie()); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	return random(32)
}

// bind sets the binding cookie. SameSite=Lax: the provider sends the
// browser back with a top-level GET, which carries it; a cross-site
// sub-request or POST does not.
func (s *SignIn) bind(w http.ResponseWriter, binding string, ttl time.Duration) {
	// Secure wherever the public URL is https; plain http is allowed on
	// loopback only (config), where clients such as Go's cookie jar would
	// not send a Secure cookie back.
	http.SetCookie(w, &http.Cookie{Name: s.cookie(), Value: binding, Path: "/", MaxAge: int(ttl.Seconds()) + 1, //nolint:gosec // G124: see above
		HttpOnly: true, Secure: s.secure(), SameSite: http.SameSiteLaxMode})
}

// sameBrowser reports whether the callback carries the cookie of the
// browser that pressed Sign in for st.
func (s *SignIn) sameBrowser(r *http.Request, st state) bool {
	c, err := r.Cookie(s.cookie())
	return err == nil && st.Browser != "" && subtle.ConstantTimeCompare([]byte(hash(c.Value)), []byte(st.Browser)) == 1
}

// hash keeps the cookie's secret out of Redis: the state record holds
// only what the cookie must match.
func hash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// acrsRequest is the claims request parameter (OpenID Connect Core §5.5)
// asking for a Conditional Access authentication context in the ID token
// (learn.microsoft.com/entra/identity-platform/developer-guide-conditional-access-authentication-context);
// acrs is an optional claim of ID tokens too
// (learn.microsoft.com/entra/identity-platform/optional-claims-reference).
func acrsRequest(authContext string) string {
	b, _ := json.Marshal(map[string]any{"id_token": map[string]any{"acrs": map[string]any{"essential": true, "value": authContext}}})
	return string(b)
}

func (s *SignIn) decodeLink(rec []byte, err error) (link, bool) {
	var l link
	if err != nil || rec == nil || json.Unmarshal(rec, &l) != nil {
		return l, false
	}
	return l, true
}

// oauth returns the provider, discovered once, and an OAuth2 configuration
// for it.
func (s *SignIn) oauth(ctx context.Context) (*oauth2.Config, *oidc.Provider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provider == nil {
		p, err := oidc.NewProvider(s.httpContext(ctx), s.cfg.AuthorityURL+"/"+s.cfg.TenantID+"/v2.0")
		if err != nil {
			return nil, nil, err
		}
		s.provider = p
	}
	ep := s.provider.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInParams
	return &oauth2.Config{
		ClientID:    s.cfg.ClientID,
		Endpoint:    ep,
		RedirectURL: s.RedirectURI(),
		Scopes:      []string{oidc.ScopeOpenID, "profile"},
	}, s.provider, nil
}

func (s *SignIn) httpContext(ctx context.Context) context.Context {
	if s.cfg.HTTPClient == nil {
		return ctx
	}
	return oidc.ClientContext(ctx, s.cfg.HTTPClient)
}

// random returns n random bytes, URL-safe encoded.
func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Origin is the scheme and host of a URL: what a CSP names.
func Origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if r != '-' {
				return false
			}
		case !strings.ContainsRune("0123456789abcdefABCDEF", r):
			return false
		}
	}
	return true
}
