package teams

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

// Key refresh: the Bot Framework rotates its signing keys, and Microsoft
// asks bots to read them again at least daily. A token that no cached key
// verifies makes passbot read them again too, but at most every
// keyRetryAfter: go-oidc's RemoteKeySet reads them for every such token,
// so anyone posting forged tokens could make passbot hammer the key
// endpoint.
const (
	keyMaxAge     = 24 * time.Hour
	keyRetryAfter = 5 * time.Minute
)

// keySet is the Bot Framework's signing keys (jwks_uri), an oidc.KeySet.
type keySet struct {
	url    string
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex
	keys    *oidc.StaticKeySet
	fetched time.Time // last read, successful or not
	loaded  time.Time // last successful read
}

// VerifySignature implements oidc.KeySet.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	keys, due := k.cached()
	if due {
		var err error
		if keys, err = k.load(ctx); keys == nil {
			return nil, err
		}
	}
	payload, err := keys.VerifySignature(ctx, jwt)
	if err == nil || due {
		return payload, err
	}
	// A key passbot does not know: perhaps rotated since. load reads the
	// keys at most every keyRetryAfter, else hands back the same set.
	fresh, _ := k.load(ctx)
	if fresh == nil || fresh == keys {
		return nil, err
	}
	return fresh.VerifySignature(ctx, jwt)
}

// cached returns the keys and whether they must be read (again) first.
func (k *keySet) cached() (*oidc.StaticKeySet, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys, k.keys == nil || k.now().Sub(k.loaded) > keyMaxAge
}

// load reads the keys and returns them, or the keys known before when the
// read fails. Readers wait for one another; a read within keyRetryAfter of
// the last (one that failed, too) is not repeated.
func (k *keySet) load(ctx context.Context) (*oidc.StaticKeySet, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if !k.fetched.IsZero() && now.Sub(k.fetched) < keyRetryAfter {
		if k.keys == nil {
			return nil, errors.New("teams: no signing keys (reading them failed a moment ago)")
		}
		return k.keys, nil
	}
	k.fetched = now
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, err
	}
	res, err := k.client.Do(req)
	if err != nil {
		return k.keys, fmt.Errorf("teams: signing keys: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return k.keys, fmt.Errorf("teams: signing keys %s: %s", k.url, res.Status)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&set); err != nil {
		return k.keys, fmt.Errorf("teams: signing keys %s: %w", k.url, err)
	}
	var pubs []crypto.PublicKey
	for _, key := range set.Keys {
		if key.Use == "" || key.Use == "sig" {
			pubs = append(pubs, key.Public().Key)
		}
	}
	if len(pubs) == 0 {
		return k.keys, fmt.Errorf("teams: signing keys %s: none", k.url)
	}
	k.keys, k.loaded = &oidc.StaticKeySet{PublicKeys: pubs}, now
	return k.keys, nil
}
