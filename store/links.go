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

// Links maps a chat platform's user IDs to the company accounts they are
// linked to: by the person's own sign-in (object ID and UPN), or by an
// approver's hand (a UPN, for platforms that do not tell a bot a person's
// e-mail, Discord). A link never expires: a sign-in or an approver replaces
// it, an approver removes it.
type Links struct {
	client   redis.UniversalClient
	platform bot.Platform
}

// NewLinks returns the links of one platform's users, kept under
// passbot:link:<platform>:<user ID>: a UPN link as the plain UPN (as every
// link was before links had object IDs, so those still read), a link with
// an object ID as JSON.
func NewLinks(client redis.UniversalClient, platform bot.Platform) *Links {
	return &Links{client: client, platform: platform}
}

func (l *Links) key(userID string) string {
	return "passbot:link:" + string(l.platform) + ":" + userID
}

// Get returns the account linked to userID, the zero Account when there is
// none.
func (l *Links) Get(ctx context.Context, userID string) (bot.Account, error) {
	v, err := l.client.Get(ctx, l.key(userID)).Result()
	if errors.Is(err, redis.Nil) {
		return bot.Account{}, nil
	}
	if err != nil {
		return bot.Account{}, fmt.Errorf("store: link of %s user %s: %w", l.platform, userID, err)
	}
	if !strings.HasPrefix(v, "{") {
		return bot.Account{UPN: v}, nil
	}
	var a bot.Account
	if err := json.Unmarshal([]byte(v), &a); err != nil {
		return bot.Account{}, fmt.Errorf("store: link of %s user %s: %w", l.platform, userID, err)
	}
	return a, nil
}

// Set links userID to upn by an approver's hand, replacing an earlier link
// (one by object ID too: the person's next sign-in links it again), and
// audits it as done by actor (platform:id).
func (l *Links) Set(ctx context.Context, actor, userID, upn string) error {
	return l.Link(ctx, actor, userID, bot.Account{UPN: upn})
}

// Link links userID to a, replacing an earlier link, and audits it as done
// by actor (platform:id of an approver, or of the user after signing in).
func (l *Links) Link(ctx context.Context, actor, userID string, a bot.Account) error {
	if userID == "" || strings.TrimSpace(a.UPN) == "" && a.OID == "" {
		return fmt.Errorf("store: link %s user %q: empty user ID, or neither object ID nor UPN", l.platform, userID)
	}
	v := a.UPN
	if a.OID != "" {
		b, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("store: link %s user %s: %w", l.platform, userID, err)
		}
		v = string(b)
	}
	return l.change(ctx, "link", actor, userID, a, func(p redis.Pipeliner) { p.Set(ctx, l.key(userID), v, 0) })
}

// Delete removes userID's link, auditing it as done by actor; removing a
// missing link is not an error.
func (l *Links) Delete(ctx context.Context, actor, userID string) error {
	return l.change(ctx, "unlink", actor, userID, bot.Account{}, func(p redis.Pipeliner) { p.Del(ctx, l.key(userID)) })
}

// change applies a link change and appends its audit record in one round
// trip. Not a transaction: the link and the audit stream live in different
// Cluster slots.
func (l *Links) change(ctx context.Context, action, actor, userID string, a bot.Account, apply func(redis.Pipeliner)) error {
	rec, err := json.Marshal(bot.AuditRecord{Time: time.Now().UTC(), Actor: actor, Subject: string(l.platform) + ":" + userID,
		UPN: a.UPN, OID: a.OID, Action: action, Outcome: "ok"})
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
