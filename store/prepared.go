package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/passbot/passbot/bot"
	"github.com/redis/go-redis/v9"
)

// preparedScript writes a prepared reset (count and schedule) after Begin's
// marks and read, in the same pipeline, but only when both marks hold this
// Begin's token and the conversation is still at the prepared version: the
// press that set them is the one that goes on to reset, so nothing is ever
// written for a press that does not. Otherwise it writes nothing and
// answers 3. A re-send by go-redis of a pipeline whose reply timed out
// finds count's mark of its own first, and answers 1 even if the
// conversation moved on since (the engine then goes on from the prepared
// version: the start is written, so no other event can start that reset).
// Its keys span slots: a single server or Sentinel only.
//
// KEYS: the delivery mark (the conversation key again when there is none),
// the conversation, count's keys, schedule's keys; ARGV: the token, the
// press field, the version, 1 when there is a delivery mark, the number of
// count's keys and of its arguments, count's arguments, schedule's.
var preparedScript = redis.NewScript(luaCount + luaSchedule + `
local function part(t, from, n)
  local out = {}
  for i = 1, n do out[i] = t[from + i - 1] end
  return out
end
local nk, na = tonumber(ARGV[5]), tonumber(ARGV[6])
local ck, ca = part(KEYS, 3, nk), part(ARGV, 7, na)
if redis.call('GET', ck[nk]) == ca[4] then return 1 end
if ARGV[4] == '1' and redis.call('GET', KEYS[1]) ~= ARGV[1] then return 3 end
local pm = redis.call('HGET', KEYS[2], ARGV[2])
if not pm or string.sub(pm, 1, #ARGV[1] + 1) ~= ARGV[1] .. '@' or redis.call('HGET', KEYS[2], 'v') ~= ARGV[3] then return 3 end
local n = count(ck, ca)
if n == 1 then
  schedule(part(KEYS, 3 + nk, #KEYS - 2 - nk), part(ARGV, 7 + na, #ARGV - 6 - na))
end
return n`)

// preparedArgs are preparedScript's keys and arguments for p, pressed
// with Begin's marks of token.
func preparedArgs(user bot.User, delivery, press, token string, p bot.Prepared) ([]string, []any, error) {
	if len(p.Quota.Limits) > 0 {
		if err := checkWindow(p.Quota.Window); err != nil {
			return nil, nil, err
		}
	}
	data, err := encodeRecords(p.Records)
	if err != nil {
		return nil, nil, err
	}
	queues, sargs, err := scheduleArgs(p.FollowUps)
	if err != nil {
		return nil, nil, err
	}
	ckeys, cargs := countArgs(p.Quota, data)
	seen, hasSeen := convKey(user), "0"
	if delivery != "" {
		seen, hasSeen = seenKey(delivery), "1"
	}
	keys := append([]string{seen, convKey(user)}, ckeys...)
	keys = append(keys, queues...)
	args := []any{token, pressField(press), strconv.FormatInt(p.Version, 10), hasSeen, len(ckeys), len(cargs)}
	args = append(args, cargs...)
	args = append(args, sargs...)
	return keys, args, nil
}

// counted is the answer n of count for q; nil for preparedScript's "not
// written" (3).
func counted(n int, q bot.Quota) *bot.Counted {
	switch n {
	case 1:
		return &bot.Counted{OK: true}
	case 2:
		return &bot.Counted{Err: fmt.Errorf("store: %s: %w", q.Once, bot.ErrStarted)}
	case 0:
		return &bot.Counted{RetryAt: windowEnd(q.Window, q.Now)}
	}
	return nil
}

// oneNode reports whether every key lives on one server, so one script may
// touch keys of any slot: not on Cluster, nor behind a proxy that shards
// (one address, but it refuses such a script: crossSlot).
func (s *Redis) oneNode() bool {
	_, cluster := s.client.(*redis.ClusterClient)
	return !cluster && !s.sharded.Load()
}

// crossSlot reports whether err is the refusal of a command whose keys
// span hash slots.
func crossSlot(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "CROSSSLOT ")
}

// firstErr is the error of the first failed command, as Pipelined gives it.
func firstErr(cmds []redis.Cmder) error {
	for _, c := range cmds {
		if err := c.Err(); err != nil {
			return err
		}
	}
	return nil
}

// BeginPrepared implements bot.Store: preparedScript goes in Begin's
// pipeline. On Cluster it is Begin alone.
func (s *Redis) BeginPrepared(ctx context.Context, user bot.User, delivery, press string, p bot.Prepared) (bot.Begun, error) {
	return s.begin(ctx, user, delivery, press, &p)
}
