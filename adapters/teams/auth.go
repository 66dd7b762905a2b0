package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Issuer is the issuer of the tokens the Bot Connector of the public cloud
// signs its requests to a bot with ("Connector to bot" in
// https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication),
// as its OpenID metadata names it; a national cloud's metadata names its
// own (https://api.botframework.us), and the verifier takes the one of
// the configured metadata.
const Issuer = "https://api.botframework.com"

// Scope is what the bot's own tokens for the Bot Connector are for.
const Scope = "https://api.botframework.com/.default"

// errUnauthorized is every refused token: the reason is logged, never told.
var errUnauthorized = errors.New("teams: unauthorized")

// verifier checks the bearer token of an incoming activity: RS256 signature
// by a key of the Bot Framework's OpenID metadata, the metadata's issuer
// (Issuer in the public cloud), audience the bot's app ID, not expired;
// then, once the activity is read, the key endorsed for the activity's
// channel and a serviceurl claim equal to the activity's serviceUrl.
type verifier struct {
	appID       string
	metadataURL string
	client      *http.Client
	now         func() time.Time

	mu     sync.Mutex
	keys   *keySet // found through the metadata on first use
	issuer string  // named by the metadata
}

// metadata is the part of the OpenID metadata document passbot reads. Its
// URL ends in "openidconfiguration" and its issuer is not the URL's prefix,
// so go-oidc's discovery (which insists on both) cannot read it.
type metadata struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

// keySet returns the signing keys and the issuer, reading the metadata the
// first time; a failed read is tried again by the next request.
func (v *verifier) keySet(ctx context.Context) (*keySet, string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.keys != nil {
		return v.keys, v.issuer, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.metadataURL, nil)
	if err != nil {
		return nil, "", err
	}
	res, err := v.client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("teams: OpenID metadata: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("teams: OpenID metadata %s: %s", v.metadataURL, res.Status)
	}
	var m metadata
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&m); err != nil {
		return nil, "", fmt.Errorf("teams: OpenID metadata %s: %w", v.metadataURL, err)
	}
	if m.JWKSURI == "" || m.Issuer == "" {
		return nil, "", fmt.Errorf("teams: OpenID metadata %s names no jwks_uri or no issuer", v.metadataURL)
	}
	v.keys, v.issuer = &keySet{url: m.JWKSURI, client: v.client, now: v.now}, m.Issuer
	return v.keys, v.issuer, nil
}

// channelClaims are the claims beyond go-oidc's checks.
type channelClaims struct {
	// ServiceURL is "serviceurl" in Bot Framework tokens
	// (AuthenticationConstants.ServiceUrlClaim); the documentation spells
	// it serviceUrl, so both are read.
	ServiceURL      string `json:"serviceurl"`
	ServiceURLCamel string `json:"serviceUrl"`
}

// bearer is the verified token of an incoming request: checked before the
// request's body is read, then bound to the activity the body carries.
type bearer struct {
	serviceURL string
	// endorses is the channels the signing key signs for; none restricts
	// nothing.
	endorses []string
}

// verify checks the Authorization header of a request, before its body is
// read: anyone can send a body, and only the Bot Connector's requests are
// worth reading. Every failure is errUnauthorized, wrapped with the reason
// for the log.
func (v *verifier) verify(ctx context.Context, header string) (*bearer, error) {
	raw, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || raw == "" {
		return nil, fmt.Errorf("%w: no bearer token", errUnauthorized)
	}
	keys, issuer, err := v.keySet(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUnauthorized, err)
	}
	signer := &signingKey{set: keys}
	tv := oidc.NewVerifier(issuer, signer,
		&oidc.Config{ClientID: v.appID, Now: v.now, SupportedSigningAlgs: []string{oidc.RS256}})
	tok, err := tv.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUnauthorized, err)
	}
	var c channelClaims
	if err := tok.Claims(&c); err != nil {
		return nil, fmt.Errorf("%w: claims: %w", errUnauthorized, err)
	}
	b := &bearer{serviceURL: c.ServiceURL, endorses: signer.endorses}
	if b.serviceURL == "" {
		b.serviceURL = c.ServiceURLCamel
	}
	if b.serviceURL == "" {
		return nil, fmt.Errorf("%w: no serviceurl claim", errUnauthorized)
	}
	return b, nil
}

// vouchesFor checks that the token was made for an activity of channel with
// serviceURL: so that a token for one Connector cannot send the bot to
// another, and a key of one channel cannot sign for another. As the Bot
// Framework SDKs do (EndorsementsValidator): an activity that names no
// channel asserts nothing, and a key that lists no endorsements restricts
// nothing; the Bot Framework's keys all list theirs.
func (b *bearer) vouchesFor(channel, serviceURL string) error {
	if channel != "" && len(b.endorses) > 0 && !slices.Contains(b.endorses, channel) {
		return fmt.Errorf("%w: signing key not endorsed for channel %q", errUnauthorized, channel)
	}
	if b.serviceURL != serviceURL {
		return fmt.Errorf("%w: serviceurl claim %q is not the activity's %q", errUnauthorized, b.serviceURL, serviceURL)
	}
	return nil
}
