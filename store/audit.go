package store

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

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
