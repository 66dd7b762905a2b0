// Package store keeps passbot's state in Redis through go-redis v9's
// UniversalClient, so one URL can name a single server, Sentinel or Cluster.
// Keys that a script touches together share a hash tag, so every script also
// runs on Cluster.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/redis/go-redis/v9"
)

// Redis is the bot.Store on Redis.
type Redis struct {
	client redis.UniversalClient
	// ConvTTL is how long an idle user's conversation (and language choice)
	// is kept. Default 30 days.
	ConvTTL time.Duration
	// SeenTTL is how long a delivery ID is remembered; it must outlast the
	// platforms' redelivery windows (Slack retries for about an hour).
	// Default 24 hours.
	SeenTTL time.Duration
}

// New wraps a connected client.
func New(client redis.UniversalClient) *Redis {
	return &Redis{client: client, ConvTTL: 30 * 24 * time.Hour, SeenTTL: 24 * time.Hour}
}

// Client returns the underlying client (health checks, tests).
func (s *Redis) Client() redis.UniversalClient { return s.client }

const (
	queueKey = "passbot:{fu}:queue" // ZSET follow-up ID → due (unix ms)
	dataKey  = "passbot:{fu}:data"  // HASH follow-up ID → JSON
)

func convKey(u bot.User) string      { return "passbot:{u:" + u.Key() + "}:conv" }
func seenKey(delivery string) string { return "passbot:seen:" + delivery }
func pressField(press string) string { return "p:" + press }

// Begin implements bot.Store: the SET NX marks and the conversation read
// share one round trip.
func (s *Redis) Begin(ctx context.Context, user bot.User, delivery, press string) (bot.Begun, error) {
	var seen, pressed *redis.BoolCmd
	var conv *redis.SliceCmd
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		if delivery != "" {
			seen = p.SetNX(ctx, seenKey(delivery), 1, s.SeenTTL)
		}
		if press != "" {
			// The press mark is a field of the conversation itself: it only
			// matters while the pressed version is the stored one, and the
			// next save removes it. One field per pressed version, so a
			// stale click cannot block the current one.
			pressed = p.HSetNX(ctx, convKey(user), pressField(press), 1)
			// A click on a conversation that expired would otherwise leave
			// a hash of marks that never expires.
			p.PExpire(ctx, convKey(user), s.ConvTTL)
		}
		conv = p.HMGet(ctx, convKey(user), "v", "d")
		return nil
	})
	if err != nil {
		return bot.Begun{}, fmt.Errorf("store: begin %s: %w", user.Key(), err)
	}
	b := bot.Begun{Duplicate: seen != nil && !seen.Val(), Pressed: pressed != nil && !pressed.Val()}
	if b.Conv, err = decodeConv(conv.Val()); err != nil {
		return b, fmt.Errorf("store: conversation of %s: %w", user.Key(), err)
	}
	return b, nil
}

func decodeConv(fields []any) (*bot.Conversation, error) {
	v, _ := fields[0].(string)
	d, _ := fields[1].(string)
	if v == "" || d == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, err
	}
	var c bot.Conversation
	if err := json.Unmarshal([]byte(d), &c); err != nil {
		// A conversation this version cannot read (written by a newer or
		// broken release) must not lock its user out: start afresh, and
		// the version lets the next save replace it.
		return &bot.Conversation{Version: n}, nil
	}
	c.Version = n
	return &c, nil
}

// Forget implements bot.Store.
func (s *Redis) Forget(ctx context.Context, user bot.User, delivery, press string) error {
	if delivery == "" && press == "" {
		return nil
	}
	// One command per key: on Cluster the keys live in different slots.
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		if delivery != "" {
			p.Del(ctx, seenKey(delivery))
		}
		if press != "" {
			p.HDel(ctx, convKey(user), pressField(press))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: forget delivery: %w", err)
	}
	return nil
}

// saveScript is the compare-and-set: write only if the stored version is the
// one the caller loaded (a missing conversation has version 0).
var saveScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if (v or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'd', ARGV[3])
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(f, 1, 2) == 'p:' then redis.call('HDEL', KEYS[1], f) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`)

// Save implements bot.Store.
func (s *Redis) Save(ctx context.Context, c *bot.Conversation) error {
	keys, args, err := s.saveArgs(c)
	if err != nil {
		return err
	}
	ok, err := saveScript.Run(ctx, s.client, keys, args...).Int()
	return s.saved(c, ok, err)
}

func (s *Redis) saveArgs(c *bot.Conversation) ([]string, []any, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return nil, nil, fmt.Errorf("store: encode conversation %s: %w", c.ID, err)
	}
	return []string{convKey(c.Owner)}, []any{c.Version, c.Version + 1, data, s.ConvTTL.Milliseconds()}, nil
}

// saved applies the compare-and-set script's answer to c.
func (s *Redis) saved(c *bot.Conversation, ok int, err error) error {
	if err != nil {
		return fmt.Errorf("store: save conversation %s: %w", c.ID, err)
	}
	if ok == 0 {
		return bot.ErrConflict
	}
	c.Version++
	return nil
}

// scheduleScript queues follow-ups with their payloads atomically: a
// follow-up is never queued without its data. ARGV holds (id, due, data)
// triples.
var scheduleScript = redis.NewScript(`
for i = 1, #ARGV, 3 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
  redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
end
return #ARGV / 3`)

// Schedule implements bot.Store.
func (s *Redis) Schedule(ctx context.Context, fs ...bot.FollowUp) error {
	return s.Commit(ctx, nil, fs, nil)
}

// Commit implements bot.Store: the compare-and-set, the follow-ups (one
// script on the {fu} slot) and the audit records (XADDs) share one
// pipeline. The scripts go as EVAL, not EVALSHA: a pipeline cannot fall back
// when Redis lost its script cache.
func (s *Redis) Commit(ctx context.Context, c *bot.Conversation, fs []bot.FollowUp, records []bot.AuditRecord) error {
	var saveKeys []string
	var saveArgs []any
	if c != nil {
		var err error
		if saveKeys, saveArgs, err = s.saveArgs(c); err != nil {
			return err
		}
	}
	args := make([]any, 0, 3*len(fs))
	for _, f := range fs {
		data, err := json.Marshal(f)
		if err != nil {
			return fmt.Errorf("store: encode follow-up %s: %w", f.ID, err)
		}
		args = append(args, f.ID, f.Due.UnixMilli(), data)
	}
	xadds := make([]*redis.XAddArgs, len(records))
	for i, r := range records {
		data, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("store: encode audit record: %w", err)
		}
		xadds[i] = auditArgs(data)
	}
	var save *redis.Cmd
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		if c != nil {
			save = saveScript.Eval(ctx, p, saveKeys, saveArgs...)
		}
		if len(args) > 0 {
			scheduleScript.Eval(ctx, p, []string{queueKey, dataKey}, args...)
		}
		for _, a := range xadds {
			p.XAdd(ctx, a)
		}
		return nil
	})
	var saveErr error
	if c != nil {
		// The save stands or falls on its own: another command of the
		// pipeline failing must not hide a version bump that happened.
		ok, err := save.Int()
		saveErr = s.saved(c, ok, err)
	}
	if err != nil {
		return fmt.Errorf("store: commit %d follow-ups, %d audit records: %w", len(fs), len(records), err)
	}
	return saveErr
}

// claimScript leases due follow-ups by moving their score to the end of the
// lease: they stay in the queue, invisible to other sweeps until the lease
// runs out, and Ack removes them. Cost grows with the number due, not with
// the number queued.
var claimScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
if #ids == 0 then return {} end
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
local data = redis.call('HMGET', KEYS[2], unpack(ids))
local out = {}
for i, id in ipairs(ids) do
  if data[i] then
    table.insert(out, id)
    table.insert(out, data[i])
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out`)

// Claim implements bot.Store.
func (s *Redis) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]bot.FollowUp, error) {
	raw, err := claimScript.Run(ctx, s.client, []string{queueKey, dataKey},
		now.UnixMilli(), now.Add(lease).UnixMilli(), limit).StringSlice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store: claim follow-ups: %w", err)
	}
	out := make([]bot.FollowUp, 0, len(raw)/2)
	var errs []error
	for i := 0; i+1 < len(raw); i += 2 {
		var f bot.FollowUp
		if err := json.Unmarshal([]byte(raw[i+1]), &f); err != nil {
			// One unreadable entry must not hold its batch back lease
			// after lease: drop it, say so, and hand out the rest.
			errs = append(errs, fmt.Errorf("store: dropped unreadable follow-up %s: %w", raw[i], err))
			errs = append(errs, s.Ack(ctx, bot.FollowUp{ID: raw[i]}))
			continue
		}
		out = append(out, f)
	}
	return out, errors.Join(errs...)
}

// Ack implements bot.Store.
func (s *Redis) Ack(ctx context.Context, f bot.FollowUp) error {
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, queueKey, f.ID)
		p.HDel(ctx, dataKey, f.ID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: ack follow-up %s: %w", f.ID, err)
	}
	return nil
}

// Pending counts queued follow-ups (for metrics and tests).
func (s *Redis) Pending(ctx context.Context) (int64, error) {
	return s.client.ZCard(ctx, queueKey).Result()
}
