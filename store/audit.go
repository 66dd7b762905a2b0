package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/redis/go-redis/v9"
)

const (
	auditKey = "passbot:audit"
	// auditCap bounds the stream (approximately, as MAXLEN ~ trims).
	auditCap = 100_000
	// auditScan bounds how far back RecentAudit looks for one user.
	auditScan = 2_000
)

// Audit implements bot.Auditor: one XADD to a capped stream.
func (s *Redis) Audit(ctx context.Context, r bot.AuditRecord) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: encode audit record: %w", err)
	}
	if err := s.client.XAdd(ctx, auditArgs(data)).Err(); err != nil {
		return fmt.Errorf("store: audit %s: %w", r.Action, err)
	}
	return nil
}

func auditArgs(data []byte) *redis.XAddArgs {
	return &redis.XAddArgs{Stream: auditKey, MaxLen: auditCap, Approx: true, Values: []any{"r", data}}
}

// RecentAudit implements bot.Auditor.
func (s *Redis) RecentAudit(ctx context.Context, who string, n int) ([]bot.AuditRecord, error) {
	msgs, err := s.client.XRevRangeN(ctx, auditKey, "+", "-", auditScan).Result()
	if err != nil {
		return nil, fmt.Errorf("store: read audit: %w", err)
	}
	var out []bot.AuditRecord
	for _, m := range msgs {
		r, err := decodeAudit(m)
		if err != nil {
			return out, err
		}
		if who == "" || r.Actor == who || r.Subject == who || strings.EqualFold(r.UPN, who) {
			out = append(out, r)
			if len(out) == n {
				break
			}
		}
	}
	return out, nil
}

func decodeAudit(m redis.XMessage) (bot.AuditRecord, error) {
	var r bot.AuditRecord
	raw, _ := m.Values["r"].(string)
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return r, fmt.Errorf("store: audit entry %s: %w", m.ID, err)
	}
	return r, nil
}

// ExportAudit writes the whole audit trail, oldest first, as JSON lines.
func (s *Redis) ExportAudit(ctx context.Context, w io.Writer) error {
	enc := json.NewEncoder(w)
	start := "-"
	for {
		msgs, err := s.client.XRangeN(ctx, auditKey, start, "+", 500).Result()
		if err != nil {
			return fmt.Errorf("store: export audit: %w", err)
		}
		for _, m := range msgs {
			r, err := decodeAudit(m)
			if err != nil {
				return err
			}
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		if len(msgs) < 500 {
			return nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

// Allow implements bot.Limiter with a fixed-window counter per key, all
// keys in one round trip. A refused event is taken back out of every count
// (a second round trip, on refusal only), so a refused try uses up nothing.
func (s *Redis) Allow(ctx context.Context, window time.Duration, now time.Time, limits map[string]int) (bool, error) {
	if len(limits) == 0 {
		return true, nil
	}
	if err := checkWindow(window); err != nil {
		return false, err
	}
	counts := make(map[string]*redis.IntCmd, len(limits))
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for key := range limits {
			k := limitKey(key, window, now)
			counts[key] = p.Incr(ctx, k)
			p.PExpire(ctx, k, window)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: rate limits: %w", err)
	}
	for key, limit := range limits {
		if counts[key].Val() > int64(limit) {
			_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
				for key := range limits {
					p.Decr(ctx, limitKey(key, window, now))
				}
				return nil
			})
			if err != nil {
				return false, fmt.Errorf("store: rate limits: take back a refused try: %w", err)
			}
			return false, nil
		}
	}
	return true, nil
}

// Check implements bot.Limiter: one round trip, nothing counted. The
// windows are fixed, so a refused key fits again when its window ends.
func (s *Redis) Check(ctx context.Context, window time.Duration, now time.Time, limits map[string]int) (bool, time.Time, error) {
	if len(limits) == 0 {
		return true, time.Time{}, nil
	}
	if err := checkWindow(window); err != nil {
		return false, time.Time{}, err
	}
	counts := make(map[string]*redis.StringCmd, len(limits))
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for key := range limits {
			counts[key] = p.Get(ctx, limitKey(key, window, now))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, time.Time{}, fmt.Errorf("store: check rate limits: %w", err)
	}
	for key, limit := range limits {
		if n, _ := counts[key].Int64(); n >= int64(limit) {
			end := (now.UnixMilli()/window.Milliseconds() + 1) * window.Milliseconds()
			return false, time.UnixMilli(end).UTC(), nil
		}
	}
	return true, time.Time{}, nil
}

// checkWindow refuses a window under a millisecond: the slots divide by the
// window in milliseconds.
func checkWindow(window time.Duration) error {
	if window < time.Millisecond {
		return fmt.Errorf("store: rate limit window %v is under a millisecond", window)
	}
	return nil
}

// limitKey is the counter of key in the window slot holding now.
func limitKey(key string, window time.Duration, now time.Time) string {
	return fmt.Sprintf("passbot:limit:%s:%d", key, now.UnixMilli()/window.Milliseconds())
}
