// Package store keeps passbot's state in Redis through go-redis v9's
// UniversalClient, so one URL can name a single server, Sentinel or Cluster.
// Keys that a script touches together share a hash tag, so every script also
// runs on Cluster.
package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/redis/go-redis/v9"
)

// Redis is the bot.Store on Redis.
type Redis struct {
	client redis.UniversalClient
	// sharded: the server refused a script whose keys span slots (see
	// oneNode).
	sharded atomic.Bool
	// ConvTTL is how long an idle user's conversation (and language choice)
	// is kept. Default 30 days.
	ConvTTL time.Duration
	// PressLease is how long a press mark holds its button version: longer
	// than any press takes to handle (a device call with its retries), so
	// only a mark whose replica died is ever taken over.
	PressLease time.Duration
	// SeenTTL is how long a delivery ID is remembered; it must outlast the
	// platforms' redelivery windows (Slack retries for about an hour).
	// Default 24 hours.
	SeenTTL time.Duration
}

// New wraps a connected client.
func New(client redis.UniversalClient) *Redis {
	return &Redis{client: client, ConvTTL: 30 * 24 * time.Hour, SeenTTL: 24 * time.Hour, PressLease: defaultPressLease}
}

// Client returns the underlying client (health checks, tests).
func (s *Redis) Client() redis.UniversalClient { return s.client }

const (
	dataKey = "passbot:{fu}:data" // HASH follow-up ID → JSON
	// legacyQueueKey is the one queue of every platform that earlier
	// releases wrote; Claim moves what is left in it to the platforms'
	// queues.
	legacyQueueKey = "passbot:{fu}:queue"
)

// queueKey is the ZSET (follow-up ID → due, unix ms) of the follow-ups to
// deliver on platform p. One queue per platform lets a replica claim only
// what it can deliver.
func queueKey(p bot.Platform) string { return legacyQueueKey + ":" + string(p) }

func convKey(u bot.User) string      { return "passbot:{u:" + u.Key() + "}:conv" }
func seenKey(delivery string) string { return "passbot:seen:" + delivery }
func pressField(press string) string { return "p:" + press }

// markScript sets a delivery mark (a string key with a TTL) to this
// attempt's token unless it is set. markFieldScript does the same for a
// press mark (a field of the conversation hash), holding the token with
// the end of its lease (Redis's own clock): a mark whose replica died
// before the next save would otherwise block that button for good. Both
// answer 1 when the mark is this attempt's: go-redis re-sends a pipeline
// whose reply timed out, and that re-send must not look like a
// redelivery of the event.
var (
	markScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if v == ARGV[1] then return 1 end
return 0`)
	markFieldScript = redis.NewScript(`
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then
  local at = string.find(v, '@', 1, true)
  if string.sub(v, 1, (at or 0) - 1) == ARGV[2] or v == ARGV[2] then return 1 end
  if not at or tonumber(string.sub(v, at + 1)) > now() then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '@' .. (now() + tonumber(ARGV[3])))
return 1`)
)

// defaultPressLease: five minutes, several times the longest device call
// (Graph's 10 s time limit times 4 attempts) with room for Redis retries.
const defaultPressLease = 5 * time.Minute

// Begin implements bot.Store: the marks and the conversation read share
// one round trip. The marks hold a token of this call, so that go-redis's
// retry of the pipeline finds its own marks rather than a duplicate's.
func (s *Redis) Begin(ctx context.Context, user bot.User, delivery, press string) (bot.Begun, error) {
	return s.begin(ctx, user, delivery, press, nil)
}

// begin is Begin, and BeginPrepared when prep is not nil.
func (s *Redis) begin(ctx context.Context, user bot.User, delivery, press string, prep *bot.Prepared) (bot.Begun, error) {
	token := rand.Text()
	var seen, pressed, prepared *redis.Cmd
	var conv *redis.SliceCmd
	var pkeys []string
	var pargs []any
	if prep != nil && press != "" && s.oneNode() {
		var err error
		if pkeys, pargs, err = preparedArgs(user, delivery, press, token, *prep); err != nil {
			return bot.Begun{}, err
		}
	}
	cmds, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		if delivery != "" {
			seen = markScript.Eval(ctx, p, []string{seenKey(delivery)}, token, s.SeenTTL.Milliseconds())
		}
		if press != "" {
			// The press mark is a field of the conversation itself: it only
			// matters while the pressed version is the stored one, and the
			// next save removes it. One field per pressed version, so a
			// stale click cannot block the current one.
			pressed = markFieldScript.Eval(ctx, p, []string{convKey(user)}, pressField(press), token, cmp.Or(s.PressLease, defaultPressLease).Milliseconds())
			// A click on a conversation that expired would otherwise leave
			// a hash of marks that never expires.
			p.PExpire(ctx, convKey(user), s.ConvTTL)
		}
		conv = p.HMGet(ctx, convKey(user), "v", "d", "l")
		if pkeys != nil {
			prepared = preparedScript.Eval(ctx, p, pkeys, pargs...)
		}
		return nil
	})
	if prepared != nil && crossSlot(prepared.Err()) {
		// A proxy in front of shards refuses the script before it runs;
		// the rest of the pipeline stands. From now on the reset writes
		// its start in a round trip of its own, as on Cluster.
		s.sharded.Store(true)
		cmds = slices.DeleteFunc(cmds, func(c redis.Cmder) bool { return c == prepared })
		prepared, err = nil, firstErr(cmds)
	}
	if err != nil {
		return bot.Begun{}, fmt.Errorf("store: begin %s: %w", user.Key(), err)
	}
	b := bot.Begun{Duplicate: seen != nil && !marked(seen), Pressed: pressed != nil && !marked(pressed)}
	if prepared != nil {
		n, _ := prepared.Int()
		b.Prepared = counted(n, prep.Quota)
	}
	if b.Conv, err = decodeConv(conv.Val()); err != nil {
		return b, fmt.Errorf("store: conversation of %s: %w", user.Key(), err)
	}
	return b, nil
}

// marked reports whether a mark script set the mark for this attempt.
func marked(c *redis.Cmd) bool {
	n, err := c.Int()
	return err == nil && n == 1
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
	if l, _ := fields[2].(string); l != "" {
		// Unreadable, they are only left with their buttons.
		_ = json.Unmarshal([]byte(l), &c.Live)
	}
	return &c, nil
}

// updateLiveScript changes the live messages beside a stored conversation
// in place: it drops those a step dealt with (ARGV[1]) and adds those it
// sent (ARGV[2]) as the newest, even one it dealt with (a message replaced
// in place, buttons and all), so two steps of one person that overlap lose
// neither's.
// A conversation that expired meanwhile takes none, and no hash without a
// TTL is left behind. The set keeps its newest maxLive.
var updateLiveScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], 'v') == 0 then return 0 end
local raw = redis.call('HGET', KEYS[1], 'l')
local cur = {}
if raw then cur = cjson.decode(raw) end
local add, skip, out = cjson.decode(ARGV[2]), {}, {}
for _, r in ipairs(cjson.decode(ARGV[1])) do skip[r] = true end
for _, r in ipairs(add) do skip[r] = true end
for _, r in ipairs(cur) do
  if not skip[r] then skip[r] = true; table.insert(out, r) end
end
for _, r in ipairs(add) do
  if skip[r] ~= 'added' then skip[r] = 'added'; table.insert(out, r) end
end
local keep = tonumber(ARGV[3])
while #out > keep do table.remove(out, 1) end
if #out == 0 then redis.call('HDEL', KEYS[1], 'l') else redis.call('HSET', KEYS[1], 'l', cjson.encode(out)) end
return 1`)

// maxLive bounds the live messages kept for one conversation: a person who
// keeps asking in between (nothing moves the conversation on) does not
// grow it without end; the oldest would only keep their buttons.
const maxLive = 16

// UpdateLive implements bot.Store.
func (s *Redis) UpdateLive(ctx context.Context, owner bot.User, add, drop []bot.MessageRef) error {
	// Never JSON null: the script reads both as lists.
	d, _ := json.Marshal(append([]bot.MessageRef{}, drop...))
	a, _ := json.Marshal(append([]bot.MessageRef{}, add...))
	if err := updateLiveScript.Run(ctx, s.client, []string{convKey(owner)}, d, a, maxLive).Err(); err != nil {
		return fmt.Errorf("store: live messages of %s: %w", owner.Key(), err)
	}
	return nil
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
// one the caller loaded (a missing conversation has version 0). The save's
// token (field t) lets go-redis's re-send of a save whose reply timed out
// see its own write rather than a concurrent one.
var saveScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if (v or '0') ~= ARGV[1] then
  if v == ARGV[2] and redis.call('HGET', KEYS[1], 't') == ARGV[5] then return 1 end
  return 0
end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'd', ARGV[3], 't', ARGV[5])
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
	return []string{convKey(c.Owner)}, []any{c.Version, c.Version + 1, data, s.ConvTTL.Milliseconds(), rand.Text()}, nil
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

// luaSchedule defines schedule(K, A), which queues follow-ups with their
// payloads atomically: a follow-up is never queued without its data. K[1]
// is the data hash, K[i+1] the queue of the i-th follow-up; A holds (id,
// due, data) triples.
const luaSchedule = `
local function schedule(K, A)
  for i = 1, #A / 3 do
    local a = 3 * i - 2
    redis.call('HSET', K[1], A[a], A[a + 2])
    redis.call('ZADD', K[i + 1], A[a + 1], A[a])
  end
  return #A / 3
end
`

// scheduleScript is schedule alone, with scheduleArgs' keys and arguments.
var scheduleScript = redis.NewScript(luaSchedule + `return schedule(KEYS, ARGV)`)

// scheduleArgs are scheduleScript's keys and arguments for fs.
func scheduleArgs(fs []bot.FollowUp) (queues []string, args []any, _ error) {
	args = make([]any, 0, 3*len(fs))
	queues = make([]string, 0, 1+len(fs))
	queues = append(queues, dataKey)
	for _, f := range fs {
		data, err := json.Marshal(f)
		if err != nil {
			return nil, nil, fmt.Errorf("store: encode follow-up %s: %w", f.ID, err)
		}
		args = append(args, f.ID, f.Due.UnixMilli(), data)
		queues = append(queues, queueKey(f.Owner.Platform))
	}
	return queues, args, nil
}

// Schedule implements bot.Store.
func (s *Redis) Schedule(ctx context.Context, fs ...bot.FollowUp) error {
	return s.Commit(ctx, nil, fs, nil)
}

// Commit implements bot.Store: the compare-and-set, the follow-ups (one
// script on the {fu} slot) and the audit records (XADDs) share one
// pipeline. The scripts go as EVAL, not EVALSHA: a pipeline cannot fall back
// when Redis lost its script cache.
func (s *Redis) Commit(ctx context.Context, c *bot.Conversation, fs []bot.FollowUp, records []bot.AuditRecord) error {
	return s.commit(ctx, c, fs, records, nil)
}

// commit is Commit with more commands (extra, when not nil) at the end of
// its pipeline.
func (s *Redis) commit(ctx context.Context, c *bot.Conversation, fs []bot.FollowUp, records []bot.AuditRecord, extra func(redis.Pipeliner)) error {
	var saveKeys []string
	var saveArgs []any
	if c != nil {
		var err error
		if saveKeys, saveArgs, err = s.saveArgs(c); err != nil {
			return err
		}
	}
	queues, args, err := scheduleArgs(fs)
	if err != nil {
		return err
	}
	data, err := encodeRecords(records)
	if err != nil {
		return err
	}
	var save *redis.Cmd
	_, err = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		if c != nil {
			save = saveScript.Eval(ctx, p, saveKeys, saveArgs...)
		}
		if len(args) > 0 {
			scheduleScript.Eval(ctx, p, queues, args...)
		}
		for _, d := range data {
			p.XAdd(ctx, auditArgs(d))
		}
		if extra != nil {
			extra(p)
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

func encodeRecords(records []bot.AuditRecord) ([][]byte, error) {
	out := make([][]byte, len(records))
	for i, r := range records {
		data, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("store: encode audit record: %w", err)
		}
		out[i] = data
	}
	return out, nil
}

// claimScript leases due follow-ups by moving their score to the end of the
// lease: they stay in their queue, invisible to other sweeps until the lease
// runs out, and Ack removes them. Cost grows with the number due, not with
// the number queued. KEYS: the data hash, the legacy queue, then the queues
// of the platforms the caller delivers to; ARGV: now, the lease's end, the
// limit, then those platforms. It returns (platform, id, data) triples.
//
// Entries of the legacy queue are first moved to their platform's queue
// (a bounded number per call). Those queues are not among KEYS; they share
// the {fu} hash tag, so on Cluster they live on the script's node.
var claimScript = redis.NewScript(`
local old = redis.call('ZRANGE', KEYS[2], 0, 99, 'WITHSCORES')
for i = 1, #old, 2 do
  local d = redis.call('HGET', KEYS[1], old[i])
  if d then
    local ok, f = pcall(cjson.decode, d)
    local p = ''
    if ok and type(f) == 'table' and type(f.u) == 'table' and type(f.u.p) == 'string' then p = f.u.p end
    redis.call('ZADD', KEYS[2] .. ':' .. p, old[i + 1], old[i])
  end
  redis.call('ZREM', KEYS[2], old[i])
end
local limit = tonumber(ARGV[3])
local out = {}
for k = 3, #KEYS do
  if limit <= 0 then break end
  local ids = redis.call('ZRANGEBYSCORE', KEYS[k], '-inf', ARGV[1], 'LIMIT', 0, limit)
  if #ids > 0 then
    for _, id in ipairs(ids) do redis.call('ZADD', KEYS[k], ARGV[2], id) end
    local data = redis.call('HMGET', KEYS[1], unpack(ids))
    for i, id in ipairs(ids) do
      if data[i] then
        table.insert(out, ARGV[k + 1])
        table.insert(out, id)
        table.insert(out, data[i])
        limit = limit - 1
      else
        redis.call('ZREM', KEYS[k], id)
      end
    end
  end
end
return out`)

// Claim implements bot.Store.
func (s *Redis) Claim(ctx context.Context, platforms []bot.Platform, now time.Time, lease time.Duration, limit int) ([]bot.FollowUp, error) {
	if len(platforms) == 0 {
		return nil, nil
	}
	keys := []string{dataKey, legacyQueueKey}
	args := []any{now.UnixMilli(), now.Add(lease).UnixMilli(), limit}
	for _, p := range platforms {
		keys = append(keys, queueKey(p))
		args = append(args, string(p))
	}
	raw, err := claimScript.Run(ctx, s.client, keys, args...).StringSlice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store: claim follow-ups: %w", err)
	}
	out := make([]bot.FollowUp, 0, len(raw)/3)
	var errs []error
	for i := 0; i+2 < len(raw); i += 3 {
		p, id, data := bot.Platform(raw[i]), raw[i+1], raw[i+2]
		var f bot.FollowUp
		if err := json.Unmarshal([]byte(data), &f); err != nil {
			// One unreadable entry must not hold its batch back lease
			// after lease: drop it, say so, and hand out the rest.
			errs = append(errs, fmt.Errorf("store: dropped unreadable follow-up %s: %w", id, err))
			errs = append(errs, s.Ack(ctx, bot.FollowUp{ID: id, Owner: bot.User{Platform: p}}))
			continue
		}
		out = append(out, f)
	}
	return out, errors.Join(errs...)
}

// Ack implements bot.Store: the removal and what comes next share one
// transaction, so neither happens without the other.
func (s *Redis) Ack(ctx context.Context, f bot.FollowUp, next ...bot.FollowUp) error {
	queues, args, err := scheduleArgs(next)
	if err != nil {
		return err
	}
	_, err = s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, queueKey(f.Owner.Platform), f.ID)
		p.HDel(ctx, dataKey, f.ID)
		if len(args) > 0 {
			scheduleScript.Eval(ctx, p, queues, args...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: ack follow-up %s: %w", f.ID, err)
	}
	return nil
}

// Pending counts queued follow-ups (for metrics and tests): every queued
// follow-up has its entry in the data hash, on whatever platform's queue.
func (s *Redis) Pending(ctx context.Context) (int64, error) {
	return s.client.HLen(ctx, dataKey).Result()
}
