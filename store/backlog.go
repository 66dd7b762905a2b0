package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/redis/go-redis/v9"
)

// Backlog reads the follow-up queue and the pending requests at now, in one
// round trip. Claimed follow-ups are scored at the end of their lease, so a
// claim whose replica died counts as due again once the lease ran out.
func (s *Redis) Backlog(ctx context.Context, now time.Time) (bot.Backlog, error) {
	var queued, due, pending *redis.IntCmd
	var oldestDue, oldestReq *redis.ZSliceCmd
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		queued = p.ZCard(ctx, queueKey)
		due = p.ZCount(ctx, queueKey, "-inf", strconv.FormatInt(now.UnixMilli(), 10))
		oldestDue = p.ZRangeWithScores(ctx, queueKey, 0, 0)
		pending = p.ZCard(ctx, pendingKey)
		oldestReq = p.ZRangeWithScores(ctx, pendingKey, 0, 0)
		return nil
	})
	if err != nil {
		return bot.Backlog{}, fmt.Errorf("store: backlog: %w", err)
	}
	b := bot.Backlog{FollowUps: queued.Val(), DueFollowUps: due.Val(), PendingRequests: pending.Val()}
	if z := oldestDue.Val(); b.DueFollowUps > 0 && len(z) == 1 {
		b.OldestDue = time.UnixMilli(int64(z[0].Score))
	}
	if z := oldestReq.Val(); len(z) == 1 {
		b.OldestRequest = time.UnixMilli(int64(z[0].Score))
	}
	return b, nil
}
