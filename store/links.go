package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/passbot/passbot/bot"
	"github.com/redis/go-redis/v9"
)

// Links maps a chat platform's user IDs to Intune user principal names, for
// platforms that do not tell a bot a person's e-mail (Discord). A link never
// expires: an approver sets it and removes it.
type Links struct {
	client   redis.UniversalClient
	platform bot.Platform
}

// NewLinks returns the links of one platform's users, kept under
// passbot:link:<platform>:<user ID>.
func NewLinks(client redis.UniversalClient, platform bot.Platform) *Links {
	return &Links{client: client, platform: platform}
}

func (l *Links) key(userID string) string {
	return "passbot:link:" + string(l.platform) + ":" + userID
}

// Get returns the UPN linked to userID, or "" when there is none.
func (l *Links) Get(ctx context.Context, userID string) (string, error) {
	upn, err := l.client.Get(ctx, l.key(userID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: link of %s user %s: %w", l.platform, userID, err)
	}
	return upn, nil
}

// Set links userID to upn, replacing an earlier link.
func (l *Links) Set(ctx context.Context, userID, upn string) error {
	if userID == "" || strings.TrimSpace(upn) == "" {
		return fmt.Errorf("store: link %s user %q: empty user ID or UPN", l.platform, userID)
	}
	if err := l.client.Set(ctx, l.key(userID), upn, 0).Err(); err != nil {
		return fmt.Errorf("store: link %s user %s: %w", l.platform, userID, err)
	}
	return nil
}

// Delete removes userID's link; removing a missing link is not an error.
func (l *Links) Delete(ctx context.Context, userID string) error {
	if err := l.client.Del(ctx, l.key(userID)).Err(); err != nil {
		return fmt.Errorf("store: unlink %s user %s: %w", l.platform, userID, err)
	}
	return nil
}
