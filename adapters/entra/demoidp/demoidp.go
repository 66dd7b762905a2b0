// Package demoidp is a small OpenID Connect provider shaped like Entra ID's
// v2 endpoints: passbot's embedded demo serves it on loopback, so the sign-in
// before a reset is real (discovery, authorize, token with PKCE, keys,
// signed ID tokens) without an Entra tenant, and tests use it as the
// imitation of Entra. Its sign-in page asks no password: it is a demo.
package demoidp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/passbot/passbot/adapters/entra"
	"github.com/passbot/passbot/flows/locales"
)

// User is a person the provider can sign in.
type User struct {
	UPN, OID, Name string
}

// Claims are the ID token's claims, as Entra's v2 tokens name them.
type Claims struct {
	Issuer            string `json:"iss"`
	Subject           string `json:"sub"`
	Audience          string `json:"aud"`
	Expiry            int64  `json:"exp"`
	IssuedAt          int64  `json:"iat"`
	NotBefore         int64  `json:"nbf"`
	AuthTime          int64  `json:"auth_time,omitempty"`
	Nonce             string `json:"nonce,omitempty"`
	OID               string `json:"oid"`
	TID               string `json:"tid"`
	PreferredUsername string `json:"preferred_username"`
	Name              string `json:"name,omitempty"`
	// ACRS are the Conditional Access authentication contexts the sign-in
	// satisfied: the one the request's claims parameter asked for.
	ACRS    []string `json:"acrs,omitempty"`
	Version string   `json:"ver"`
}

// Provider is the demo provider for one tenant and one client.
type Provider struct {
	// Authority is the base URL the provider is served under (what
	// PASSBOT_GRAPH_AUTHORITY_URL is for Entra); Tenant its tenant ID.
	Authority string
	Tenant    string
	// ClientID and ClientSecret are the one client it serves; RedirectURI
	// the client's registered redirect URI.
	ClientID, ClientSecret, RedirectURI string
	// Users finds a person by user principal name.
	Users func(upn string) (User, bool)
	// Now is the provider's clock; nil is the wall clock.
	Now func() time.Time

	// Tamper, when set, changes each ID token's claims before signing, and
	// SignWith signs with another key than the published one: tests make
	// the provider misbehave with them.
	Tamper   func(*Claims)
	SignWith *rsa.PrivateKey
	// WithholdACRS leaves a requested authentication context out of the
	// token, as Entra does when no Conditional Access policy enforced it.
	WithholdACRS bool

	key *rsa.PrivateKey
	kid string

	mu    sync.Mutex
	codes map[string]grant
}

// grant is an issued authorization code.
type grant struct {
	user      User
	nonce     string
	challenge string
	redirect  string
	authTime  time.Time
	expires   time.Time
	acrs      []string
}

// New returns a provider with a fresh signing key.
func New(authority, tenant, clientID, clientSecret, redirectURI string, users func(string) (User, bool)) (*Provider, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("demoidp: key: %w", err)
	}
	return &Provider{Authority: strings.TrimRight(authority, "/"), Tenant: tenant, ClientID: clientID, ClientSecret: clientSecret,
		RedirectURI: redirectURI, Users: users, key: key, kid: token(8), codes: map[string]grant{}}, nil
}

// Issuer is the issuer of the provider's tokens, shaped like Entra's
// https://login.microsoftonline.com/{tenant}/v2.0.
func (p *Provider) Issuer() string { return p.Authority + "/" + p.Tenant + "/v2.0" }

func (p *Provider) path(rest string) string {
	u, _ := url.Parse(p.Authority)
	return u.Path + "/" + p.Tenant + rest
}

// Routes are the provider's endpoints, at the paths Entra uses below the
// authority.
func (p *Provider) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET " + p.path("/v2.0/.well-known/openid-configuration"): http.HandlerFunc(p.discovery),
		"GET " + p.path("/discovery/v2.0/keys"):                   http.HandlerFunc(p.keys),
		"GET " + p.path("/oauth2/v2.0/authorize"):                 http.HandlerFunc(p.authorizePage),
		"POST " + p.path("/oauth2/v2.0/authorize"):                http.HandlerFunc(p.authorize),
		"POST " + p.path("/oauth2/v2.0/token"):                    http.HandlerFunc(p.token),
	}
}

func (p *Provider) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	base := p.Authority + "/" + p.Tenant
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.Issuer(),
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "oid", "tid", "preferred_username", "name"},
	})
}

func (p *Provider) keys(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: p.kid, Algorithm: "RS256", Use: "sig"}}})
}

// request is an authorization request's parameters, carried through the
// page's form.
var requestParams = []string{"client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method", "ui_locales", "response_mode", "claims"}

// checkRequest refuses what Entra would refuse outright, before any page:
// an unknown client or redirect URI, no PKCE.
func (p *Provider) checkRequest(q url.Values) string {
	switch {
	case q.Get("client_id") != p.ClientID:
		return "unauthorized_client: unknown client_id"
	case q.Get("redirect_uri") != p.RedirectURI:
		return "invalid_request: redirect_uri is not registered"
	case q.Get("response_type") != "code":
		return "unsupported_response_type"
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		return "invalid_request: PKCE with S256 is required"
	}
	return ""
}

// authorizePage is the sign-in page: who to sign in as, prefilled from
// login_hint.
func (p *Provider) authorizePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lang := lang(q.Get("ui_locales"))
	if msg := p.checkRequest(q); msg != "" {
		entra.Page{Lang: lang, Title: locales.Text(lang, "idp.title"), Message: msg}.Write(w, http.StatusBadRequest)
		return
	}
	page := entra.Page{Lang: lang, Title: locales.Text(lang, "idp.title"), Message: locales.Text(lang, "idp.intro")}
	page.Form.Action = r.URL.Path
	page.Form.Hidden = map[string]string{}
	for _, k := range requestParams {
		if v := q.Get(k); v != "" {
			page.Form.Hidden[k] = v
		}
	}
	page.Form.Field, page.Form.Label, page.Form.Value = "login", locales.Text(lang, "idp.account"), q.Get("login_hint")
	page.Form.Submit = []entra.Button{
		{Name: "action", Value: "signin", Label: locales.Text(lang, "idp.signin")},
		{Name: "action", Value: "cancel", Label: locales.Text(lang, "idp.cancel")},
	}
	page.Write(w, http.StatusOK, entra.Origin(p.RedirectURI))
}

// authorize takes the page's answer and sends the browser back to the
// client with a code, or with error=access_denied when cancelled.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f := r.PostForm
	if msg := p.checkRequest(f); msg != "" {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	back := url.Values{"state": {f.Get("state")}}
	if f.Get("action") != "signin" {
		back.Set("error", "access_denied")
		back.Set("error_description", "AADSTS50126: the user cancelled the sign-in")
		http.Redirect(w, r, p.RedirectURI+"?"+back.Encode(), http.StatusSeeOther)
		return
	}
	user, ok := p.Users(strings.TrimSpace(f.Get("login")))
	if !ok {
		lang := lang(f.Get("ui_locales"))
		entra.Page{Lang: lang, Title: locales.Text(lang, "idp.title"), Message: "AADSTS50034: unknown user " + f.Get("login")}.Write(w, http.StatusBadRequest)
		return
	}
	code := token(32)
	now := p.now()
	p.mu.Lock()
	p.codes[code] = grant{user: user, nonce: f.Get("nonce"), challenge: f.Get("code_challenge"), redirect: f.Get("redirect_uri"), authTime: now,
		expires: now.Add(5 * time.Minute), acrs: p.satisfied(f.Get("claims"))}
	p.mu.Unlock()
	back.Set("code", code)
	http.Redirect(w, r, p.RedirectURI+"?"+back.Encode(), http.StatusSeeOther)
}

// token redeems a code once, checking the client's secret, the redirect
// URI and the PKCE verifier, and returns a signed ID token.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, "invalid_request")
		return
	}
	f := r.PostForm
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = f.Get("client_id"), f.Get("client_secret")
	}
	if id != p.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(p.ClientSecret)) != 1 {
		oauthError(w, "invalid_client")
		return
	}
	p.mu.Lock()
	g, ok := p.codes[f.Get("code")]
	delete(p.codes, f.Get("code")) // a code is redeemed once, right or wrong
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	switch {
	case f.Get("grant_type") != "authorization_code":
		oauthError(w, "unsupported_grant_type")
		return
	case !ok || p.now().After(g.expires) || f.Get("redirect_uri") != g.redirect ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		oauthError(w, "invalid_grant")
		return
	}
	now := p.now()
	c := Claims{Issuer: p.Issuer(), Subject: "sub-" + g.user.OID, Audience: p.ClientID, IssuedAt: now.Unix(), NotBefore: now.Unix(),
		Expiry: now.Add(time.Hour).Unix(), AuthTime: g.authTime.Unix(), Nonce: g.nonce, OID: g.user.OID, TID: p.Tenant,
		PreferredUsername: g.user.UPN, Name: g.user.Name, ACRS: g.acrs, Version: "2.0"}
	if p.Tamper != nil {
		p.Tamper(&c)
	}
	idToken, err := p.sign(c)
	if err != nil {
		oauthError(w, "server_error")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3600, "access_token": token(32), "id_token": idToken, "scope": "openid profile"})
}

// satisfied is the authentication context a claims request parameter asks
// for in the ID token ({"id_token":{"acrs":{"essential":true,"value":"c1"}}}),
// which the demo grants unless told to withhold it.
func (p *Provider) satisfied(claims string) []string {
	var req struct {
		IDToken struct {
			ACRS struct {
				Value string `json:"value"`
			} `json:"acrs"`
		} `json:"id_token"`
	}
	if p.WithholdACRS || json.Unmarshal([]byte(claims), &req) != nil || req.IDToken.ACRS.Value == "" {
		return nil
	}
	return []string{req.IDToken.ACRS.Value}
}

func (p *Provider) sign(c Claims) (string, error) {
	key := p.key
	if p.SignWith != nil {
		key = p.SignWith
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: p.kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

func oauthError(w http.ResponseWriter, code string) {
	status := http.StatusBadRequest
	if code == "invalid_client" {
		status = http.StatusUnauthorized
	}
	writeJSON(w, status, map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// lang is the page's language: the first of ui_locales.
func lang(uiLocales string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(uiLocales), " ")
	return locales.Lang(first)
}

func token(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
