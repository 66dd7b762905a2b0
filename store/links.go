package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

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

// Set links userID to upn, replacing an earlier link, and audits it as done
// by actor (platform:id of an approver, or of the user after signing in).
func (l *Links) Set(ctx context.Context, actor, userID, upn string) error {
	if userID == "" || strings.TrimSpace(upn) == "" {
		return fmt.Errorf("store: link %s user %q: empty user ID or UPN", l.platform, userID)
	}
	return l.change(ctx, "link", actor, userID, upn, func(p redis.Pipeliner) { p.Set(ctx, l.key(userID), upn, 0) })
}

// Delete removes userID's link, auditing it as done by actor; removing a
// missing link is not an error.
func (l *Links) Delete(ctx context.Context, actor, userID string) error {
	return l.change(ctx, "unlink", actor, userID, "", func(p redis.Pipeliner) { p.Del(ctx, l.key(userID)) })
}

// change applies a link change and appends its audit record in one round
// trip. Not a transaction: the link and the audit stream live in different
// Cluster slots.
func (l *Links) change(ctx context.Context, action, actor, userID, upn string, apply func(redis.Pipeliner)) error {
	rec, err := json.Marshal(bot.AuditRecord{Time: time.Now().UTC(), Actor: actor, Subject: string(l.platform) + ":" + userID,
		UPN: upn, Action: action, Outcome: "ok"})
	if err != nil {
		return fmt.Errorf("store: %s %s user %s: %w", action, l.platform, userID, err)
	}
	_, err = l.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		apply(p)
		p.XAdd(ctx, auditArgs(rec))
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: %s %s user %s: %w", action, l.platform, userID, err)
	}
	return nil
}
