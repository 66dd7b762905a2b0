package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
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

// AuditCursor is where an export starts: after the stream entry ID a
// previous export ended with, or at a time; the zero value is the start.
type AuditCursor struct {
	afterID string
	from    time.Time
}

// auditID is a Redis stream entry ID, milliseconds-sequence.
var auditID = regexp.MustCompile(`^[0-9]+-[0-9]+$`)

// ParseAuditCursor reads --since: a stream entry ID ("1733650000000-0",
// the "id" of the last line exported, exclusive) or an RFC 3339 time
// (inclusive). Empty is the start.
func ParseAuditCursor(since string) (AuditCursor, error) {
	switch {
	case since == "":
		return AuditCursor{}, nil
	case auditID.MatchString(since):
		return AuditCursor{afterID: since}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, since)
	if err != nil {
		return AuditCursor{}, fmt.Errorf("%q is neither an audit entry ID (such as 1733650000000-0) nor an RFC 3339 time (such as 2026-12-01T00:00:00Z)", since)
	}
	return AuditCursor{from: t}, nil
}

// start is the XRANGE start of the cursor.
func (c AuditCursor) start() string {
	switch {
	case c.afterID != "":
		return "(" + c.afterID
	case !c.from.IsZero():
		return strconv.FormatInt(c.from.UnixMilli(), 10)
	}
	return "-"
}

// ErrAuditTrimmed is returned, after the export, when the stream no longer
// holds the cursor's entry: it keeps about auditCap entries, and what came
// after that entry may have been trimmed between two exports.
var ErrAuditTrimmed = errors.New("audit entries after the given ID were trimmed before this export (the trail keeps the newest 100,000): export more often")

// exported is one line of an export: the record with its stream entry ID,
// which the next export's --since takes.
type exported struct {
	ID string `json:"id"`
	bot.AuditRecord
}

// ExportAudit writes the audit trail from the cursor on, oldest first, as
// JSON lines, each with its entry ID.
func (s *Redis) ExportAudit(ctx context.Context, w io.Writer, since AuditCursor) error {
	trimmed := false
	if since.afterID != "" {
		oldest, err := s.client.XRangeN(ctx, auditKey, "-", "+", 1).Result()
		if err != nil {
			return fmt.Errorf("store: export audit: %w", err)
		}
		trimmed = len(oldest) > 0 && streamIDLess(since.afterID, oldest[0].ID)
	}
	enc := json.NewEncoder(w)
	start := since.start()
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
			if err := enc.Encode(exported{ID: m.ID, AuditRecord: r}); err != nil {
				return err
			}
		}
		if len(msgs) < 500 {
			break
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
	if trimmed {
		return ErrAuditTrimmed
	}
	return nil
}

// streamIDLess orders two stream entry IDs.
func streamIDLess(a, b string) bool {
	am, as, _ := strings.Cut(a, "-")
	bm, bs, _ := strings.Cut(b, "-")
	ami, _ := strconv.ParseUint(am, 10, 64)
	bmi, _ := strconv.ParseUint(bm, 10, 64)
	if ami != bmi {
		return ami < bmi
	}
	asi, _ := strconv.ParseUint(as, 10, 64)
	bsi, _ := strconv.ParseUint(bs, 10, 64)
	return asi < bsi
}
