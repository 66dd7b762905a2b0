package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Key refresh: the Bot Framework rotates its signing keys, and Microsoft
// asks bots to read them again at least daily. A token that names a key
// passbot does not know makes it read them again too, but at most every
// keyRetryAfter: go-oidc's RemoteKeySet reads them for every such token,
// so anyone posting forged tokens could make passbot hammer the key
// endpoint.
const (
	keyMaxAge     = 24 * time.Hour
	keyRetryAfter = 5 * time.Minute
)

// keySet is the Bot Framework's signing keys (jwks_uri).
type keySet struct {
	url    string
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex
	keys    *published
	fetched time.Time // last read, successful or not
	loaded  time.Time // last successful read
}

// published is one read of the keys; it does not change.
type published struct {
	keys []jose.JSONWebKey
	// endorsements are the channels ("msteams") each key, by ID, signs
	// for: a key of the Bot Framework's set signs only for the channels
	// it names.
	endorsements map[string][]string
}

// signingKey is the keys as an oidc.KeySet for one token; it remembers the
// channels the key that signed it is endorsed for.
type signingKey struct {
	set      *keySet
	endorses []string
}

// VerifySignature implements oidc.KeySet: the signature must be by the
// key the token's header names.
func (s *signingKey) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(jwt, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, fmt.Errorf("parse token: %w", err)
	}
	kid := jws.Signatures[0].Header.KeyID
	keys, due := s.set.cached()
	if due || keys.key(kid) == nil {
		// New, old or rotated keys: read them (at most every
		// keyRetryAfter; else load hands back what it has).
		if keys, err = s.set.load(ctx); keys == nil {
			return nil, err
		}
	}
	key := keys.key(kid)
	if key == nil {
		return nil, fmt.Errorf("no signing key %q", kid)
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, err
	}
	s.endorses = keys.endorsements[kid]
	return payload, nil
}

func (p *published) key(kid string) *jose.JSONWebKey {
	if p == nil {
		return nil
	}
	for i := range p.keys {
		if p.keys[i].KeyID == kid {
			return &p.keys[i]
		}
	}
	return nil
}

// cached returns the keys and whether they must be read (again) first.
func (k *keySet) cached() (*published, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys, k.keys == nil || k.now().Sub(k.loaded) > keyMaxAge
}

// load reads the keys and returns them, or the keys known before when the
// read fails. Readers wait for one another; a read within keyRetryAfter of
// the last (one that failed, too) is not repeated.
func (k *keySet) load(ctx context.Context) (*published, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if !k.fetched.IsZero() && now.Sub(k.fetched) < keyRetryAfter {
		if k.keys == nil {
			return nil, errors.New("no signing keys (reading them failed a moment ago)")
		}
		return k.keys, nil
	}
	k.fetched = now
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return k.keys, err
	}
	res, err := k.client.Do(req)
	if err != nil {
		return k.keys, fmt.Errorf("signing keys: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return k.keys, fmt.Errorf("signing keys %s: %s", k.url, res.Status)
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return k.keys, fmt.Errorf("signing keys %s: %w", k.url, err)
	}
	var set jose.JSONWebKeySet
	var endorsed struct {
		Keys []struct {
			KeyID        string   `json:"kid"`
			Endorsements []string `json:"endorsements"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return k.keys, fmt.Errorf("signing keys %s: %w", k.url, err)
	}
	if err := json.Unmarshal(data, &endorsed); err != nil {
		return k.keys, fmt.Errorf("signing keys %s: %w", k.url, err)
	}
	p := &published{endorsements: map[string][]string{}}
	for _, key := range set.Keys {
		if key.Use == "" || key.Use == "sig" {
			p.keys = append(p.keys, key.Public())
		}
	}
	for _, e := range endorsed.Keys {
		p.endorsements[e.KeyID] = e.Endorsements
	}
	if len(p.keys) == 0 {
		return k.keys, fmt.Errorf("signing keys %s: none", k.url)
	}
	k.keys, k.loaded = p, now
	return p, nil
}
