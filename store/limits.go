package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/redis/go-redis/v9"
)

// limitPrefix starts every abuse-limit counter. Its hash tag is the audit
// stream's key, so all counters live in the stream's slot (on Cluster too)
// and countScript can count a reset and append its reset_started record in
// one atomic step.
const limitPrefix = "passbot:limit:{" + auditKey + "}:"

// luaCount defines count(K, A), countScript's body: it counts one more
// event in every counter when each stays within its limit, and then appends
// the records to the audit stream; when one counter is full it changes
// nothing and answers 0. The check and the count are one step, so a refused
// try never shows in a count, not even for a moment. The event's mark (set
// to this attempt's random token) makes go-redis's re-send of a count whose
// reply timed out find its own token and answer 1 rather than count and
// record the event twice; a mark with another token is another event under
// the same name (Quota.Once): 2.
//
// K: the n counters, the audit stream, the mark; A: the window (ms), the
// stream's cap, n, the token, the mark's lifetime (ms), the n limits, then
// the records.
const luaCount = `
local function count(K, A)
  local n = tonumber(A[3])
  local mark = redis.call('GET', K[n + 2])
  if mark == A[4] then return 1 end
  if mark then return 2 end
  for i = 1, n do
    if tonumber(redis.call('GET', K[i]) or '0') >= tonumber(A[5 + i]) then return 0 end
  end
  for i = 1, n do
    redis.call('INCR', K[i])
    redis.call('PEXPIRE', K[i], A[1])
  end
  for i = 6 + n, #A do
    redis.call('XADD', K[n + 1], 'MAXLEN', '~', A[2], '*', 'r', A[i])
  end
  redis.call('SET', K[n + 2], A[4], 'PX', A[5])
  return 1
end
`

// countScript is count alone, with countArgs' keys and arguments.
var countScript = redis.NewScript(luaCount + `return count(KEYS, ARGV)`)

// Marks: an unnamed event's lives long enough for go-redis's re-send; a
// named one (a reset's confirmation) well beyond its conversation step
// (PASSBOT_STEP_TIMEOUT is at most an hour): a press mark's lease ends
// after minutes, and a step whose save failed after its reset is still
// there to be confirmed again.
const (
	tryMark  = time.Minute
	onceMark = 2 * time.Hour
)

// countArgs are countScript's keys and arguments for one more event of q
// that appends records.
func countArgs(q bot.Quota, records [][]byte) ([]string, []any) {
	keys := make([]string, 0, len(q.Limits)+2)
	token := rand.Text()
	mark, life := limitPrefix+"try:"+token, tryMark
	if q.Once != "" {
		mark, life = limitPrefix+"once:"+q.Once, onceMark
	}
	args := make([]any, 0, 5+len(q.Limits)+len(records))
	args = append(args, q.Window.Milliseconds(), auditCap, len(q.Limits), token, life.Milliseconds())
	for key, limit := range q.Limits {
		keys = append(keys, limitKey(key, q.Window, q.Now))
		args = append(args, limit)
	}
	keys = append(keys, auditKey, mark)
	for _, r := range records {
		args = append(args, r)
	}
	return keys, args
}

// Allow implements bot.Limiter with a fixed-window counter per key, all
// keys counted in one script, so a refused try uses up nothing.
func (s *Redis) Allow(ctx context.Context, window time.Duration, now time.Time, limits map[string]int) (bool, error) {
	if len(limits) == 0 {
		return true, nil
	}
	if err := checkWindow(window); err != nil {
		return false, err
	}
	keys, args := countArgs(bot.Quota{Window: window, Now: now, Limits: limits}, nil)
	n, err := countScript.Run(ctx, s.client, keys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("store: rate limits: %w", err)
	}
	return n == 1, nil
}

// CommitCounted implements bot.Store: the count (with the records, in
// countScript) and the follow-ups share one pipeline. The follow-ups live
// in another slot than the counters, so they are queued whatever the count
// says; after a refusal a second round trip removes them. Should this
// process die in between, they fire as if the event had happened, and find
// that it did not.
func (s *Redis) CommitCounted(ctx context.Context, q bot.Quota, fs []bot.FollowUp, records []bot.AuditRecord) (bool, time.Time, error) {
	if len(q.Limits) == 0 && q.Once == "" {
		return true, time.Time{}, s.Commit(ctx, nil, fs, records)
	}
	if len(q.Limits) > 0 {
		if err := checkWindow(q.Window); err != nil {
			return false, time.Time{}, err
		}
	}
	data, err := encodeRecords(records)
	if err != nil {
		return false, time.Time{}, err
	}
	var answer *redis.Cmd
	err = s.commit(ctx, nil, fs, nil, func(p redis.Pipeliner) {
		keys, args := countArgs(q, data)
		answer = countScript.Eval(ctx, p, keys, args...)
	})
	if err != nil {
		return false, time.Time{}, err
	}
	n, _ := answer.Int()
	switch c := counted(n, q); {
	case c.OK:
		return true, time.Time{}, nil
	case c.Err != nil:
		// Another event started it: the follow-ups queued beside are the
		// same ones (named by the event), theirs to keep.
		return false, time.Time{}, c.Err
	}
	var errs []error
	for _, f := range fs {
		errs = append(errs, s.Ack(ctx, f))
	}
	return false, windowEnd(q.Window, q.Now), errors.Join(errs...)
}

// Check implements bot.Limiter: one round trip, nothing counted. The
// windows are fixed, so a refused key fits again when its window ends.
func (s *Redis) Check(ctx context.Context, window time.Duration, now time.Time, limits map[string]int) (bool, time.Time, error) {
	return s.CommitChecking(ctx, nil, nil, nil, bot.Quota{Window: window, Now: now, Limits: limits})
}

// CommitChecking implements bot.Store: the counters are read (one MGET:
// they share a slot) at the end of the commit's pipeline.
func (s *Redis) CommitChecking(ctx context.Context, c *bot.Conversation, fs []bot.FollowUp, records []bot.AuditRecord, q bot.Quota) (bool, time.Time, error) {
	if len(q.Limits) == 0 {
		return true, time.Time{}, s.Commit(ctx, c, fs, records)
	}
	if err := checkWindow(q.Window); err != nil {
		return false, time.Time{}, err
	}
	keys := make([]string, 0, len(q.Limits))
	limits := make([]int, 0, len(q.Limits))
	for key, limit := range q.Limits {
		keys = append(keys, limitKey(key, q.Window, q.Now))
		limits = append(limits, limit)
	}
	var counts *redis.SliceCmd
	if err := s.commit(ctx, c, fs, records, func(p redis.Pipeliner) { counts = p.MGet(ctx, keys...) }); err != nil {
		return false, time.Time{}, err
	}
	for i, v := range counts.Val() {
		n, _ := v.(string)
		if count, _ := strconv.Atoi(n); count >= limits[i] {
			return false, windowEnd(q.Window, q.Now), nil
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
	return limitPrefix + key + ":" + strconv.FormatInt(now.UnixMilli()/window.Milliseconds(), 10)
}

// windowEnd is when the fixed window holding now ends.
func windowEnd(window time.Duration, now time.Time) time.Time {
	w := window.Milliseconds()
	return time.UnixMilli((now.UnixMilli()/w + 1) * w).UTC()
}
