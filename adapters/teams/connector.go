package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/passbot/passbot/internal/wallclock"
)

// Retry bounds of Connector calls: 429 and 5xx answers are tried again,
// after Retry-After when the Connector sends one (at most retryAfterMax,
// a longer one fails the call), else after an exponential backoff.
const (
	maxAttempts   = 4
	backoffBase   = 500 * time.Millisecond
	retryAfterMax = 30 * time.Second
	callTimeout   = 15 * time.Second
	maxAnswer     = 1 << 20
)

// Connector calls the Bot Connector REST API (v3) at an activity's
// serviceUrl, with the bot's token for Scope.
type Connector struct {
	tokens azcore.TokenCredential
	http   *http.Client
	// sleep waits before a retry; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// newConnector returns a Connector with tokens of the single-tenant bot
// registration (app ID and password in its tenant) from the configured
// authority. Instance discovery is off: the authority is named, and
// discovery would ask login.microsoftonline.com about any other. client,
// when not nil, carries the token requests and the Connector calls (tests);
// nil keeps azcore's transport and http.DefaultClient, which honour
// HTTPS_PROXY and SSL_CERT_FILE.
func newConnector(cfg Config, client *http.Client) (*Connector, error) {
	var opts azcore.ClientOptions
	opts.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: cfg.TeamsAuthorityURL}
	if client != nil {
		opts.Transport = client
	} else {
		client = http.DefaultClient
	}
	cred, err := azidentity.NewClientSecretCredential(cfg.TeamsTenantID, cfg.TeamsAppID, cfg.TeamsAppPassword,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: true})
	if err != nil {
		return nil, fmt.Errorf("teams: credential: %w", err)
	}
	return &Connector{tokens: cred, http: client, sleep: wallclock.Clock{}.Sleep}, nil
}

// ConnectorError is a Connector call that failed with an HTTP status.
type ConnectorError struct {
	Status int
	// Code is the Connector's error code ({"error":{"code":…}}), "" when
	// the answer named none.
	Code string
	Op   string
	Body string
}

// codeMemberNotFound is the Connector's answer about a conversation the
// person named is not a member of.
const codeMemberNotFound = "MemberNotFoundInConversation"

// notMember reports whether err is the Connector's answer that the person
// is not a member of the conversation called.
func notMember(err error) bool {
	var cerr *ConnectorError
	return errors.As(err, &cerr) && cerr.Status == http.StatusNotFound && cerr.Code == codeMemberNotFound
}

func (e *ConnectorError) Error() string {
	return fmt.Sprintf("teams: connector %s: HTTP %d: %s", e.Op, e.Status, e.Body)
}

// SendToConversation posts a new activity in a conversation and returns its
// ID.
func (c *Connector) SendToConversation(ctx context.Context, serviceURL, conv string, a Activity) (string, error) {
	var res ResourceResponse
	err := c.call(ctx, http.MethodPost, serviceURL, "v3/conversations/"+url.PathEscape(conv)+"/activities", a, &res, maxAttempts)
	return res.ID, err
}

// ReplyToActivity posts a new activity in reply to another (a thread reply
// in a channel) and returns its ID.
func (c *Connector) ReplyToActivity(ctx context.Context, serviceURL, conv, replyTo string, a Activity) (string, error) {
	a.ReplyToID = replyTo
	var res ResourceResponse
	err := c.call(ctx, http.MethodPost, serviceURL, "v3/conversations/"+url.PathEscape(conv)+"/activities/"+url.PathEscape(replyTo), a, &res, maxAttempts)
	return res.ID, err
}

// UpdateActivity replaces an activity the bot posted.
func (c *Connector) UpdateActivity(ctx context.Context, serviceURL, conv, id string, a Activity) error {
	a.ID = id
	return c.call(ctx, http.MethodPut, serviceURL, "v3/conversations/"+url.PathEscape(conv)+"/activities/"+url.PathEscape(id), a, nil, maxAttempts)
}

// CreateConversation opens a conversation (the bot's personal chat with a
// person, for a proactive message) and returns it.
func (c *Connector) CreateConversation(ctx context.Context, serviceURL string, p ConversationParameters) (ConversationResourceResponse, error) {
	var res ConversationResourceResponse
	err := c.call(ctx, http.MethodPost, serviceURL, "v3/conversations", p, &res, maxAttempts)
	return res, err
}

// GetMember reads a member of a conversation: a Teams user's account with
// their user principal name (TeamsChannelAccount). It is asked while an
// event waits, and its callers cope without an answer: one attempt.
func (c *Connector) GetMember(ctx context.Context, serviceURL, conv, member string) (Member, error) {
	var m Member
	err := c.call(ctx, http.MethodGet, serviceURL, "v3/conversations/"+url.PathEscape(conv)+"/members/"+url.PathEscape(member), nil, &m, 1)
	return m, err
}

// call sends one request, in up to attempts tries, and decodes the answer
// into out.
func (c *Connector) call(ctx context.Context, method, serviceURL, path string, body, out any, attempts int) error {
	u, err := endpoint(serviceURL, path)
	if err != nil {
		return err
	}
	var payload []byte
	if body != nil {
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("teams: connector %s %s: %w", method, path, err)
		}
	}
	op := method + " " + path
	for attempt := 1; ; attempt++ {
		wait, err := c.attempt(ctx, method, u, op, payload, out)
		if err == nil {
			return nil
		}
		if wait < 0 || attempt >= attempts {
			return err
		}
		if wait == 0 {
			d := backoffBase << (attempt - 1)
			wait = d/2 + rand.N(d/2+1) // jittered, so replicas do not retry in step
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return errors.Join(err, serr)
		}
	}
}

// attempt sends the request once. wait is negative when the failure is not
// worth retrying, else the Connector's Retry-After (zero when absent).
func (c *Connector) attempt(ctx context.Context, method, u, op string, payload []byte, out any) (wait time.Duration, _ error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	tok, err := c.tokens.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{Scope}})
	if err != nil {
		return 0, fmt.Errorf("teams: token for the Bot Connector: %w", err)
	}
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return -1, fmt.Errorf("teams: connector %s: %w", op, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	req.Header.Set("User-Agent", "passbot")
	// A POST that may have reached the Connector is not sent again: it
	// could post the message (a temporary passcode) twice. Only one surely
	// not taken (throttled, or no connection made) is.
	posted := method == http.MethodPost
	res, err := c.http.Do(req)
	if err != nil {
		var dial *net.OpError
		if posted && (!errors.As(err, &dial) || dial.Op != "dial") {
			return -1, fmt.Errorf("teams: connector %s: %w", op, err)
		}
		return 0, fmt.Errorf("teams: connector %s: %w", op, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return 0, fmt.Errorf("teams: connector %s: %w", op, err)
	}
	if res.StatusCode/100 == 2 {
		if out == nil || len(bytes.TrimSpace(data)) == 0 {
			return 0, nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return -1, fmt.Errorf("teams: connector %s: answer: %w", op, err)
		}
		return 0, nil
	}
	cerr := &ConnectorError{Status: res.StatusCode, Op: op, Body: string(data[:min(len(data), 512)])}
	var answer struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &answer) == nil {
		cerr.Code = answer.Error.Code
	}
	if res.StatusCode != http.StatusTooManyRequests && (res.StatusCode < 500 || posted) {
		return -1, cerr
	}
	wait = retryAfter(res.Header.Get("Retry-After"), time.Now())
	if wait > retryAfterMax {
		return -1, cerr
	}
	return wait, cerr
}

// retryAfter reads Retry-After as seconds or an HTTP date; zero when absent
// or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if s, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(0, min(s, int(retryAfterMax/time.Second)+1))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now))
	}
	return 0
}

// endpoint joins a serviceUrl ("https://smba.trafficmanager.net/emea/")
// and a Connector path. Only https service URLs are called (http only on
// loopback): the bot's token travels with every call.
func endpoint(serviceURL, path string) (string, error) {
	if !trusted(serviceURL) {
		return "", fmt.Errorf("teams: serviceUrl %q is not an https URL", serviceURL)
	}
	return strings.TrimRight(serviceURL, "/") + "/" + path, nil
}
