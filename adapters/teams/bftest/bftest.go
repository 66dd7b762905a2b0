// Package bftest is a local imitation of the Bot Framework for tests of the
// Teams adapter: the Entra token service the bot gets its Connector tokens
// from (tenant discovery and the client-credentials grant, as azidentity
// asks them), the Bot Framework's OpenID metadata and keys, a signer of
// incoming activities with those keys, and a Connector that records the
// activities the bot posts and updates. Everything is one TLS server on
// loopback; give its Client to the code under test.
package bftest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/passbot/passbot/internal/entratest"
)

// Issuer is the issuer of the Bot Framework's tokens.
const Issuer = "https://api.botframework.com"

// Scope is the scope the bot asks its Connector tokens for.
const Scope = "https://api.botframework.com/.default"

// Server is the imitation.
type Server struct {
	// URL is the server's base URL; AuthorityURL what
	// PASSBOT_TEAMS_AUTHORITY_URL points at, OpenIDURL what
	// PASSBOT_TEAMS_OPENID_URL points at, ServiceURL the Connector's
	// serviceUrl that activities carry.
	URL, AuthorityURL, OpenIDURL, ServiceURL string
	// AppID, Password and TenantID are the bot's registration.
	AppID, Password, TenantID string

	srv   *httptest.Server
	key   *rsa.PrivateKey
	kid   string
	token string // the access token the token service hands out

	mu            sync.Mutex
	changed       chan struct{}
	posts         []Post
	tokenRequests int
	keyReads      int
	calls         int
	failures      []Failure
	nextID        int
	members       map[string]map[string]any  // Teams user ID → account
	teams         map[string]map[string]bool // team ID → its members' Teams IDs
	removed       map[string]bool            // Teams user IDs who removed the app
	refused       []Post
}

// Post is one call the bot made to the Connector.
type Post struct {
	// Method is POST (a new activity, a reply, a conversation) or PUT (an
	// update).
	Method string
	// Conversation is the conversation ID; ActivityID the activity updated
	// or replied to, or the new activity's ID.
	Conversation, ActivityID string
	// ReplyTo is set for a reply.
	ReplyTo  string
	Activity map[string]any
	// Create is set for a created conversation: its parameters.
	Create map[string]any
}

// Text returns the texts of the post's activity: its text and the
// TextBlocks of its Adaptive Cards.
func (p Post) Text() string {
	var b strings.Builder
	if t, ok := p.Activity["text"].(string); ok && t != "" {
		b.WriteString(t + "\n")
	}
	atts, _ := p.Activity["attachments"].([]any)
	for _, a := range atts {
		content, _ := a.(map[string]any)["content"].(map[string]any)
		b.WriteString(CardText(content))
	}
	return b.String()
}

// CardText returns the texts of an Adaptive Card's TextBlocks.
func CardText(card map[string]any) string {
	var b strings.Builder
	body, _ := card["body"].([]any)
	for _, e := range body {
		if m, ok := e.(map[string]any); ok && m["type"] == "TextBlock" {
			b.WriteString(fmt.Sprint(m["text"]) + "\n")
		}
	}
	return b.String()
}

// Button is an Action.Execute of a card.
type Button struct {
	Title, Verb string
	Data        map[string]any
}

// CardButtons returns the Action.Execute actions of an Adaptive Card, in
// its actions and in the ActionSets of its body.
func CardButtons(card map[string]any) []Button {
	actions, _ := card["actions"].([]any)
	body, _ := card["body"].([]any)
	for _, e := range body {
		if m, ok := e.(map[string]any); ok && m["type"] == "ActionSet" {
			set, _ := m["actions"].([]any)
			actions = append(actions, set...)
		}
	}
	var out []Button
	for _, a := range actions {
		m, _ := a.(map[string]any)
		if m["type"] != "Action.Execute" {
			continue
		}
		data, _ := m["data"].(map[string]any)
		out = append(out, Button{Title: fmt.Sprint(m["title"]), Verb: fmt.Sprint(m["verb"]), Data: data})
	}
	return out
}

// Buttons returns the Action.Execute actions of the post's cards.
func (p Post) Buttons() []Button {
	var out []Button
	atts, _ := p.Activity["attachments"].([]any)
	for _, a := range atts {
		content, _ := a.(map[string]any)["content"].(map[string]any)
		out = append(out, CardButtons(content)...)
	}
	return out
}

// Failure is an answer the Connector gives instead of handling a call.
type Failure struct {
	Status     int
	RetryAfter string
	// Code is the answer's error code; "" is "ServiceError".
	Code string
}

// New starts the imitation, stopped at the test's cleanup.
func New(t testing.TB) *Server {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		AppID:    "8f1e3a52-6b3c-4d7e-9a10-2b4c6d8e0f12",
		Password: "fake-bot-password",
		TenantID: "contoso-tenant",
		key:      key,
		kid:      rand.Text()[:8],
		token:    "bf-access-" + rand.Text(),
		changed:  make(chan struct{}),
		members:  map[string]map[string]any{},
		teams:    map[string]map[string]bool{},
		removed:  map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		entratest.TenantDiscovery(s.URL)(w, r)
	})
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.tokenEndpoint)
	mux.HandleFunc("GET /v1/.well-known/openidconfiguration", s.openIDMetadata)
	mux.HandleFunc("GET /v1/.well-known/keys", s.keys)
	mux.HandleFunc("POST /teams/v3/conversations", s.connector(s.createConversation))
	mux.HandleFunc("POST /teams/v3/conversations/{conv}/activities", s.connector(s.roster(s.sendToConversation)))
	mux.HandleFunc("POST /teams/v3/conversations/{conv}/activities/{id}", s.connector(s.roster(s.replyToActivity)))
	mux.HandleFunc("PUT /teams/v3/conversations/{conv}/activities/{id}", s.connector(s.roster(s.updateActivity)))
	mux.HandleFunc("GET /teams/v3/conversations/{conv}/members/{member}", s.connector(s.member))
	s.srv = httptest.NewTLSServer(mux)
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	s.AuthorityURL = s.URL + "/"
	s.OpenIDURL = s.URL + "/v1/.well-known/openidconfiguration"
	s.ServiceURL = s.URL + "/teams/"
	return s
}

// Client is an HTTP client that trusts the server's certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// TokenRequests counts the bot's token requests so far.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRequests
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// tokenEndpoint is the client-credentials grant of the bot's registration
// for the Bot Connector's scope, in the bot's own tenant.
func (s *Server) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f := r.PostForm
	s.mu.Lock()
	s.tokenRequests++
	s.mu.Unlock()
	oauthErr := func(status int, code, desc string) {
		writeJSON(w, status, map[string]any{"error": code, "error_description": desc})
	}
	switch {
	case r.PathValue("tenant") != s.TenantID:
		oauthErr(http.StatusBadRequest, "invalid_request", "AADSTS90002: Tenant not found.")
	case f.Get("grant_type") != "client_credentials" || f.Get("client_id") != s.AppID:
		oauthErr(http.StatusBadRequest, "unauthorized_client", "AADSTS700016: Application not found in the directory.")
	case !slices.Contains(strings.Fields(f.Get("scope")), Scope):
		oauthErr(http.StatusBadRequest, "invalid_scope", "AADSTS70011: The provided value for the input parameter 'scope' is not valid.")
	case f.Get("client_secret") != s.Password:
		oauthErr(http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
	default:
		writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": s.token})
	}
}

func (s *Server) openIDMetadata(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                Issuer,
		"authorization_endpoint":                s.URL + "/v1/auth/authorize",
		"jwks_uri":                              s.URL + "/v1/.well-known/keys",
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"private_key_jwt"},
	})
}

func (s *Server) keys(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	s.keyReads++
	jwk := jose.JSONWebKey{Key: &s.key.PublicKey, KeyID: s.kid, Algorithm: "RS256", Use: "sig"}
	s.mu.Unlock()
	raw, err := jwk.MarshalJSON()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// The Bot Framework's keys name the channels they sign for.
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	m["endorsements"] = []string{"msteams"}
	writeJSON(w, http.StatusOK, map[string]any{"keys": []any{m}})
}

// KeyReads counts the reads of the signing keys so far.
func (s *Server) KeyReads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keyReads
}

// Rotate replaces the signing key, as the Bot Framework does from time to
// time: tokens are signed, and the keys published, with the new one.
func (s *Server) Rotate() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key, s.kid = key, rand.Text()[:8]
	return nil
}

// Claims are the claims of a token signing an incoming activity.
type Claims struct {
	Issuer     string `json:"iss"`
	Audience   string `json:"aud"`
	Expiry     int64  `json:"exp"`
	NotBefore  int64  `json:"nbf"`
	ServiceURL string `json:"serviceurl"`
}

// Claims returns the claims of a valid token for an activity with
// serviceURL, valid for an hour from now.
func (s *Server) Claims(serviceURL string) Claims {
	now := time.Now()
	return Claims{Issuer: Issuer, Audience: s.AppID, Expiry: now.Add(time.Hour).Unix(), NotBefore: now.Add(-time.Minute).Unix(), ServiceURL: serviceURL}
}

// Sign signs claims with the server's published key; with key set, with
// that key under the published key's ID instead (a forgery).
func (s *Server) Sign(c Claims, key *rsa.PrivateKey) string {
	s.mu.Lock()
	kid := s.kid
	if key == nil {
		key = s.key
	}
	s.mu.Unlock()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		panic(err)
	}
	tok, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		panic(err)
	}
	return tok
}

// Deliver posts activity to the bot's endpoint as the Connector does,
// signed with token ("" signs a valid one for the activity's serviceUrl),
// and returns the HTTP status and body of the bot's answer.
func (s *Server) Deliver(ctx context.Context, endpoint string, activity any, token string) (int, []byte, error) {
	body, err := json.Marshal(activity)
	if err != nil {
		return 0, nil, err
	}
	if token == "" {
		var a struct {
			ServiceURL string `json:"serviceUrl"`
		}
		_ = json.Unmarshal(body, &a)
		token = s.Sign(s.Claims(a.ServiceURL), nil)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	return res.StatusCode, out, err
}

// Calls counts the Connector calls so far, failed ones included.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Fail queues answers the Connector gives to the next calls, in order.
func (s *Server) Fail(fs ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, fs...)
}

// Posts returns the Connector calls so far, and a channel closed at the
// next one.
func (s *Server) Posts() ([]Post, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.posts), s.changed
}

// connector checks the bot's token and the queued failures before h.
func (s *Server) connector(h func(w http.ResponseWriter, r *http.Request, body map[string]any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+s.token {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Authorization has been denied for this request."})
			return
		}
		s.mu.Lock()
		s.calls++
		var f *Failure
		if len(s.failures) > 0 {
			f, s.failures = &s.failures[0], s.failures[1:]
		}
		s.mu.Unlock()
		if f != nil {
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			code := f.Code
			if code == "" {
				code = "ServiceError"
			}
			writeJSON(w, f.Status, map[string]any{"error": map[string]any{"code": code, "message": http.StatusText(f.Status)}})
			return
		}
		var body map[string]any
		if r.Method == http.MethodGet {
			h(w, r, nil)
			return
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": "BadArgument", "message": err.Error()}})
			return
		}
		h(w, r, body)
	}
}

// record keeps a call and wakes those waiting for one. Called with s.mu
// held.
func (s *Server) record(p Post) {
	s.posts = append(s.posts, p)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) newID() string {
	s.nextID++
	return fmt.Sprintf("%d", 1700000000000+s.nextID)
}

func (s *Server) sendToConversation(w http.ResponseWriter, r *http.Request, body map[string]any) {
	s.mu.Lock()
	id := s.newID()
	s.record(Post{Method: http.MethodPost, Conversation: r.PathValue("conv"), ActivityID: id, Activity: body})
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"id": id})
}

func (s *Server) replyToActivity(w http.ResponseWriter, r *http.Request, body map[string]any) {
	s.mu.Lock()
	id := s.newID()
	s.record(Post{Method: http.MethodPost, Conversation: r.PathValue("conv"), ActivityID: id, ReplyTo: r.PathValue("id"), Activity: body})
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"id": id})
}

func (s *Server) updateActivity(w http.ResponseWriter, r *http.Request, body map[string]any) {
	s.mu.Lock()
	s.record(Post{Method: http.MethodPut, Conversation: r.PathValue("conv"), ActivityID: r.PathValue("id"), Activity: body})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id")})
}

// PersonalConversation is the ID of the bot's personal chat with a Teams
// user, as createConversation answers it.
func PersonalConversation(teamsUserID string) string { return "a:personal-" + teamsUserID }

func (s *Server) createConversation(w http.ResponseWriter, _ *http.Request, body map[string]any) {
	members, _ := body["members"].([]any)
	if len(members) != 1 || body["isGroup"] == true {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": "BadArgument", "message": "a personal conversation has one member"}})
		return
	}
	m, _ := members[0].(map[string]any)
	id, _ := m["id"].(string)
	conv := PersonalConversation(id)
	s.mu.Lock()
	if s.removed[id] {
		s.refused = append(s.refused, Post{Method: http.MethodPost, Conversation: conv, Create: body})
		s.mu.Unlock()
		notInRoster(w)
		return
	}
	s.record(Post{Method: http.MethodPost, Conversation: conv, Create: body})
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"id": conv})
}

// RemoveApp uninstalls the app for a Teams user, as they do in Teams: the
// bot may no longer post in their personal chat, nor open it again. AddApp
// installs it again.
func (s *Server) RemoveApp(teamsID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removed[teamsID] = true
}

// AddApp (re)installs the app for a Teams user.
func (s *Server) AddApp(teamsID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.removed, teamsID)
}

// Refused returns the calls refused because the app was removed: posts,
// updates and conversations the bot attempted anyway.
func (s *Server) Refused() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.refused)
}

// roster refuses calls into the personal chat of someone who removed the
// app, as the Connector does (403), and keeps them for Refused.
func (s *Server) roster(h func(w http.ResponseWriter, r *http.Request, body map[string]any)) func(w http.ResponseWriter, r *http.Request, body map[string]any) {
	return func(w http.ResponseWriter, r *http.Request, body map[string]any) {
		conv := r.PathValue("conv")
		s.mu.Lock()
		gone := strings.HasPrefix(conv, PersonalConversation("")) && s.removed[strings.TrimPrefix(conv, PersonalConversation(""))]
		if gone {
			s.refused = append(s.refused, Post{Method: r.Method, Conversation: conv, ActivityID: r.PathValue("id"), Activity: body})
		}
		s.mu.Unlock()
		if gone {
			notInRoster(w)
			return
		}
		h(w, r, body)
	}
}

func notInRoster(w http.ResponseWriter) {
	writeJSON(w, http.StatusForbidden, map[string]any{"error": map[string]any{"code": "BotNotInConversationRoster", "message": "The bot is not part of the conversation roster."}})
}

// AddMember registers a Teams user the members API describes.
func (s *Server) AddMember(teamsID, oid, upn, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members[teamsID] = map[string]any{"id": teamsID, "aadObjectId": oid, "userPrincipalName": upn, "email": upn, "name": name,
		"tenantId": s.TenantID, "userRole": "user"}
}

// AddTeamMember makes a Teams user a member of a team: the members API of
// the team's conversation knows them, and nobody else.
func (s *Server) AddTeamMember(team, teamsID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.teams[team] == nil {
		s.teams[team] = map[string]bool{}
	}
	s.teams[team][teamsID] = true
}

func (s *Server) member(w http.ResponseWriter, r *http.Request, _ map[string]any) {
	s.mu.Lock()
	m, ok := s.members[r.PathValue("member")]
	if team, isTeam := s.teams[r.PathValue("conv")]; isTeam && !team[r.PathValue("member")] {
		ok = false
	}
	// A personal chat's one member is the person it was opened with.
	if owner, personal := strings.CutPrefix(r.PathValue("conv"), PersonalConversation("")); personal && owner != r.PathValue("member") {
		ok = false
	}
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{"code": "MemberNotFoundInConversation", "message": "The member could not be found in the conversation."}})
		return
	}
	writeJSON(w, http.StatusOK, m)
}
