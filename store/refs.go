package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/redis/go-redis/v9"
)

// refTTL is how long a conversation reference is kept after it was last
// saved: a person who has not written to the bot for this long is reached
// again once they do.
const refTTL = 400 * 24 * time.Hour

// Refs keeps a chat platform's conversation references: where the bot
// reaches a person or a channel proactively (Teams: the service URL, the
// person's account and their personal chat with the bot). Values are the
// adapter's own encoding; they never hold a message text.
type Refs struct {
	client   redis.UniversalClient
	platform bot.Platform
}

// NewRefs returns the references of one platform, kept under
// passbot:ref:<platform>:<key>.
func NewRefs(client redis.UniversalClient, platform bot.Platform) *Refs {
	return &Refs{client: client, platform: platform}
}

func (r *Refs) key(k string) string { return "passbot:ref:" + string(r.platform) + ":" + k }

// Get returns the reference saved under key, or "" when there is none.
func (r *Refs) Get(ctx context.Context, key string) (string, error) {
	v, err := r.client.Get(ctx, r.key(key)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: %s reference %s: %w", r.platform, key, err)
	}
	return v, nil
}

// Set saves a reference under key, replacing an earlier one.
func (r *Refs) Set(ctx context.Context, key, value string) error {
	if err := r.client.Set(ctx, r.key(key), value, refTTL).Err(); err != nil {
		return fmt.Errorf("store: save %s reference %s: %w", r.platform, key, err)
	}
	return nil
}

// Claim saves value under key only if nothing is saved there, and reports
// whether it did: of several replicas handling the same event, one acts.
func (r *Refs) Claim(ctx context.Context, key, value string) (bool, error) {
	ok, err := r.client.SetNX(ctx, r.key(key), value, refTTL).Result()
	if err != nil {
		return false, fmt.Errorf("store: claim %s reference %s: %w", r.platform, key, err)
	}
	return ok, nil
}

// Delete removes the reference saved under key; a missing one is no error.
func (r *Refs) Delete(ctx context.Context, key string) error {
	if err := r.client.Del(ctx, r.key(key)).Err(); err != nil {
		return fmt.Errorf("store: delete %s reference %s: %w", r.platform, key, err)
	}
	return nil
}
