package teams

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/teams/bftest"
)

func testConfig(bf *bftest.Server) Config {
	return Config{TeamsAppID: bf.AppID, TeamsAppPassword: bf.Password, TeamsTenantID: bf.TenantID,
		TeamsOpenIDURL: bf.OpenIDURL, TeamsAuthorityURL: bf.AuthorityURL}
}

func TestIncomingTokensAreVerified(t *testing.T) {
	t.Parallel()
	bf := bftest.New(t)
	v := &verifier{appID: bf.AppID, metadataURL: bf.OpenIDURL, client: bf.Client(), now: time.Now}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	valid := bf.Claims(bf.ServiceURL)
	cases := []struct {
		name   string
		header string
		ok     bool
	}{
		{"a token of the Bot Framework for this bot and this serviceUrl", "Bearer " + bf.Sign(valid, nil), true},
		{"no token", "", false},
		{"not a bearer token", "Basic " + bf.Sign(valid, nil), false},
		{"garbage", "Bearer not.a.jwt", false},
		{"forged: signed with another key under the published key ID", "Bearer " + bf.Sign(valid, other), false},
		{"expired", "Bearer " + bf.Sign(with(valid, func(c *bftest.Claims) { c.Expiry = time.Now().Add(-time.Minute).Unix() }), nil), false},
		{"for another bot", "Bearer " + bf.Sign(with(valid, func(c *bftest.Claims) { c.Audience = "another-app-id" }), nil), false},
		{"from another issuer", "Bearer " + bf.Sign(with(valid, func(c *bftest.Claims) { c.Issuer = bf.URL + "/another-issuer" }), nil), false},
		{"for another serviceUrl", "Bearer " + bf.Sign(with(valid, func(c *bftest.Claims) { c.ServiceURL = bf.URL + "/elsewhere/" }), nil), false},
		{"without a serviceUrl claim", "Bearer " + bf.Sign(with(valid, func(c *bftest.Claims) { c.ServiceURL = "" }), nil), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := verifyFor(t.Context(), v, c.header, "msteams", bf.ServiceURL)
			if c.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !c.ok && !errors.Is(err, errUnauthorized) {
				t.Fatalf("err = %v, want unauthorized", err)
			}
		})
	}
}

// Forged tokens do not make passbot read the keys again and again; a
// rotated key is read, at most every keyRetryAfter.
func TestSigningKeysAreReadSparingly(t *testing.T) {
	t.Parallel()
	bf := bftest.New(t)
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	v := &verifier{appID: bf.AppID, metadataURL: bf.OpenIDURL, client: bf.Client(), now: clock}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	claims := func() bftest.Claims {
		c := bf.Claims(bf.ServiceURL)
		c.Expiry = clock().Add(time.Hour).Unix()
		return c
	}
	for range 5 {
		if err := verifyFor(t.Context(), v, "Bearer "+bf.Sign(claims(), other), "msteams", bf.ServiceURL); err == nil {
			t.Fatal("a forged token verified")
		}
	}
	if n := bf.KeyReads(); n != 1 {
		t.Fatalf("%d key reads for five forged tokens, want 1", n)
	}
	if err := bf.Rotate(); err != nil {
		t.Fatal(err)
	}
	if err := verifyFor(t.Context(), v, "Bearer "+bf.Sign(claims(), nil), "msteams", bf.ServiceURL); err == nil {
		t.Fatal("a token of an unknown key verified before the keys were read again")
	}
	mu.Lock()
	now = now.Add(keyRetryAfter)
	mu.Unlock()
	if err := verifyFor(t.Context(), v, "Bearer "+bf.Sign(claims(), nil), "msteams", bf.ServiceURL); err != nil {
		t.Fatalf("the rotated key: %v", err)
	}
	if n := bf.KeyReads(); n != 2 {
		t.Fatalf("%d key reads, want 2", n)
	}
}

// The Bot Framework's keys each name the channels they sign for: a token
// for an activity of another channel than the key's is refused.
func TestASigningKeyCountsOnlyForItsChannels(t *testing.T) {
	t.Parallel()
	bf := bftest.New(t)
	v := &verifier{appID: bf.AppID, metadataURL: bf.OpenIDURL, client: bf.Client(), now: time.Now}
	header := "Bearer " + bf.Sign(bf.Claims(bf.ServiceURL), nil)
	if err := verifyFor(t.Context(), v, header, "msteams", bf.ServiceURL); err != nil {
		t.Fatal(err)
	}
	if err := verifyFor(t.Context(), v, header, "webchat", bf.ServiceURL); !errors.Is(err, errUnauthorized) {
		t.Fatalf("a key endorsed for msteams signed a webchat activity: %v", err)
	}
}

// verifyFor is what the endpoint checks of a request with header for an
// activity of channel with serviceURL: the token, then its binding to the
// activity.
func verifyFor(ctx context.Context, v *verifier, header, channel, serviceURL string) error {
	b, err := v.verify(ctx, header)
	if err != nil {
		return err
	}
	return b.vouchesFor(channel, serviceURL)
}

func with(c bftest.Claims, change func(*bftest.Claims)) bftest.Claims {
	change(&c)
	return c
}

// sleeps records the connector's waits instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

func testConnector(t *testing.T, bf *bftest.Server) (*Connector, *sleeps) {
	t.Helper()
	c, err := newConnector(testConfig(bf), bf.Client())
	if err != nil {
		t.Fatal(err)
	}
	s := &sleeps{}
	c.sleep = s.sleep
	return c, s
}

func TestConnectorPostsRepliesUpdatesAndCreatesConversations(t *testing.T) {
	t.Parallel()
	bf := bftest.New(t)
	c, _ := testConnector(t, bf)
	ctx := t.Context()
	msg := Activity{Type: typeMessage, Text: "hello"}
	id, err := c.SendToConversation(ctx, bf.ServiceURL, "a:chat", msg)
	if err != nil || id == "" {
		t.Fatalf("send: %q, %v", id, err)
	}
	reply, err := c.ReplyToActivity(ctx, bf.ServiceURL, "19:helpdesk@thread.tacv2", "1700000000000", msg)
	if err != nil || reply == "" {
		t.Fatalf("reply: %q, %v", reply, err)
	}
	if err := c.UpdateActivity(ctx, bf.ServiceURL, "a:chat", id, Activity{Type: typeMessage, Text: "bye"}); err != nil {
		t.Fatalf("update: %v", err)
	}
	conv, err := c.CreateConversation(ctx, bf.ServiceURL, ConversationParameters{Members: []Account{{ID: "29:adele"}}, TenantID: bf.TenantID})
	if err != nil || conv.ID != bftest.PersonalConversation("29:adele") {
		t.Fatalf("create: %+v, %v", conv, err)
	}
	posts, _ := bf.Posts()
	if len(posts) != 4 {
		t.Fatalf("%d calls, want 4: %+v", len(posts), posts)
	}
	if p := posts[1]; p.Conversation != "19:helpdesk@thread.tacv2" || p.ReplyTo != "1700000000000" {
		t.Errorf("reply went to %s replying to %s", p.Conversation, p.ReplyTo)
	}
	if p := posts[2]; p.Method != http.MethodPut || p.ActivityID != id || p.Text() != "bye\n" {
		t.Errorf("update: %+v", p)
	}
	if n := bf.TokenRequests(); n != 1 {
		t.Errorf("%d token requests, want 1 (cached)", n)
	}
}

func TestConnectorRetriesThrottlingAndOutagesWithinBounds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		failures []bftest.Failure
		ok       bool
		calls    int
		waits    func(d []time.Duration) bool
	}{
		{"429 then 503: waits Retry-After, then a backoff", []bftest.Failure{{Status: 429, RetryAfter: "3"}, {Status: 503}}, true, 3,
			func(d []time.Duration) bool {
				return len(d) == 2 && d[0] == 3*time.Second && d[1] > 0 && d[1] <= 2*backoffBase
			}},
		{"always 502: gives up after maxAttempts", []bftest.Failure{{Status: 502}, {Status: 502}, {Status: 502}, {Status: 502}, {Status: 502}}, false, maxAttempts,
			func(d []time.Duration) bool { return len(d) == maxAttempts-1 }},
		// A new message that may have been posted is not posted again.
		{"a post answered 502 is not repeated", []bftest.Failure{{Status: 502}}, false, 1,
			func(d []time.Duration) bool { return len(d) == 0 }},
		{"a post throttled (429) is", []bftest.Failure{{Status: 429, RetryAfter: "1"}}, true, 2,
			func(d []time.Duration) bool { return len(d) == 1 && d[0] == time.Second }},
		{"a Retry-After beyond the bound fails at once", []bftest.Failure{{Status: 429, RetryAfter: "3600"}}, false, 1,
			func(d []time.Duration) bool { return len(d) == 0 }},
		{"403 is not retried", []bftest.Failure{{Status: 403}}, false, 1,
			func(d []time.Duration) bool { return len(d) == 0 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bf := bftest.New(t)
			conn, s := testConnector(t, bf)
			bf.Fail(c.failures...)
			var err error
			if strings.HasPrefix(c.name, "a post") {
				_, err = conn.SendToConversation(t.Context(), bf.ServiceURL, "a:chat", Activity{Type: typeMessage, Text: "hi"})
			} else {
				// An update says the same however often it is sent.
				err = conn.UpdateActivity(t.Context(), bf.ServiceURL, "a:chat", "1", Activity{Type: typeMessage, Text: "hi"})
			}
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok %v", err, c.ok)
			}
			var ce *ConnectorError
			if !c.ok && !errors.As(err, &ce) {
				t.Errorf("err = %v, want a *ConnectorError", err)
			}
			if !c.waits(s.d) {
				t.Errorf("waits %v", s.d)
			}
			if n := bf.Calls(); n != c.calls {
				t.Errorf("%d calls, want %d", n, c.calls)
			}
		})
	}
}

func TestConnectorRefusesAPlainHTTPServiceURL(t *testing.T) {
	t.Parallel()
	bf := bftest.New(t)
	conn, _ := testConnector(t, bf)
	for _, u := range []string{"ftp://127.0.0.1/", "http://", "not a url"} {
		if _, err := conn.SendToConversation(t.Context(), u, "a:chat", Activity{Type: typeMessage}); err == nil {
			t.Fatalf("sent the bot's token to %s", u)
		}
	}
}
