package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/redis/go-redis/v9"
)

// Backlog reads the follow-up queues of platforms, and the one queue of
// earlier releases until Claim has emptied it, and the pending requests at
// now, in one round trip. Claimed follow-ups are scored at the end of their
// lease, so a claim whose replica died counts as due again once the lease
// ran out.
func (s *Redis) Backlog(ctx context.Context, now time.Time, platforms []bot.Platform) (bot.Backlog, error) {
	type queue struct {
		due    *redis.IntCmd
		oldest *redis.ZSliceCmd
	}
	backlogQueues := []string{legacyQueueKey}
	for _, p := range platforms {
		backlogQueues = append(backlogQueues, queueKey(p))
	}
	queues := make([]queue, len(backlogQueues))
	var all, pending *redis.IntCmd
	var oldestReq *redis.ZSliceCmd
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		all = p.HLen(ctx, dataKey)
		for i, key := range backlogQueues {
			queues[i] = queue{
				due:    p.ZCount(ctx, key, "-inf", strconv.FormatInt(now.UnixMilli(), 10)),
				oldest: p.ZRangeWithScores(ctx, key, 0, 0),
			}
		}
		pending = p.ZCard(ctx, pendingKey)
		oldestReq = p.ZRangeWithScores(ctx, pendingKey, 0, 0)
		return nil
	})
	if err != nil {
		return bot.Backlog{}, fmt.Errorf("store: backlog: %w", err)
	}
	b := bot.Backlog{FollowUps: all.Val(), PendingRequests: pending.Val()}
	for _, q := range queues {
		b.DueFollowUps += q.due.Val()
		if z := q.oldest.Val(); q.due.Val() > 0 && len(z) == 1 {
			if t := time.UnixMilli(int64(z[0].Score)); b.OldestDue.IsZero() || t.Before(b.OldestDue) {
				b.OldestDue = t
			}
		}
	}
	if z := oldestReq.Val(); len(z) == 1 {
		b.OldestRequest = time.UnixMilli(int64(z[0].Score))
	}
	return b, nil
}
