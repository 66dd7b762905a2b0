package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/redis/go-redis/v9"
)

// Request keys share the {req} hash tag: the save script updates a request
// and its indexes together.
const pendingKey = "passbot:{req}:pending" // ZSET request ID → created (unix ms)

func requestKey(id string) string  { return "passbot:{req}:r:" + id }
func userReqKey(u bot.User) string { return "passbot:{req}:user:" + u.Key() }
func decodeRequest(fields []any) (*bot.Request, error) {
	v, _ := fields[0].(string)
	d, _ := fields[1].(string)
	if v == "" || d == "" {
		return nil, nil
	}
	var r bot.Request
	if err := json.Unmarshal([]byte(d), &r); err != nil {
		return nil, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, err
	}
	r.Version = n
	return &r, nil
}

// requestTTL is how long a decided request stays readable (status, audit
// context); the audit stream is the long-term record.
const requestTTL = 30 * 24 * time.Hour

// saveRequestScript is the compare-and-set of saveScript plus the pending
// and per-user indexes.
var saveRequestScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if (v or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'd', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if ARGV[5] == 'pending' then
  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[7])
else
  redis.call('ZREM', KEYS[2], ARGV[7])
end
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[7])
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -51)
redis.call('PEXPIRE', KEYS[3], ARGV[4])
return 1`)

// SaveRequest implements bot.Requests.
func (s *Redis) SaveRequest(ctx context.Context, r *bot.Request) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: encode request %s: %w", r.ID, err)
	}
	next := r.Version + 1
	ok, err := saveRequestScript.Run(ctx, s.client,
		[]string{requestKey(r.ID), pendingKey, userReqKey(r.Requester)},
		r.Version, next, data, requestTTL.Milliseconds(), string(r.State), r.Created.UnixMilli(), r.ID).Int()
	if err != nil {
		return fmt.Errorf("store: save request %s: %w", r.ID, err)
	}
	if ok == 0 {
		return bot.ErrConflict
	}
	r.Version = next
	return nil
}

// Request implements bot.Requests.
func (s *Redis) Request(ctx context.Context, id string) (*bot.Request, error) {
	fields, err := s.client.HMGet(ctx, requestKey(id), "v", "d").Result()
	if err != nil {
		return nil, fmt.Errorf("store: load request %s: %w", id, err)
	}
	r, err := decodeRequest(fields)
	if err != nil {
		return nil, fmt.Errorf("store: decode request %s: %w", id, err)
	}
	return r, nil
}

// PendingRequests implements bot.Requests.
func (s *Redis) PendingRequests(ctx context.Context) ([]bot.Request, error) {
	ids, err := s.client.ZRange(ctx, pendingKey, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: pending requests: %w", err)
	}
	return s.requests(ctx, ids)
}

// UserRequests implements bot.Requests.
func (s *Redis) UserRequests(ctx context.Context, u bot.User) ([]bot.Request, error) {
	ids, err := s.client.ZRevRange(ctx, userReqKey(u), 0, 9).Result()
	if err != nil {
		return nil, fmt.Errorf("store: requests of %s: %w", u.Key(), err)
	}
	return s.requests(ctx, ids)
}

// requests loads requests by ID in one round trip, skipping expired ones.
func (s *Redis) requests(ctx context.Context, ids []string) ([]bot.Request, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.SliceCmd, len(ids))
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HMGet(ctx, requestKey(id), "v", "d")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: load %d requests: %w", len(ids), err)
	}
	out := make([]bot.Request, 0, len(ids))
	for i, c := range cmds {
		r, err := decodeRequest(c.Val())
		if err != nil {
			return nil, fmt.Errorf("store: decode request %s: %w", ids[i], err)
		}
		if r != nil {
			out = append(out, *r)
		}
	}
	return out, nil
}

// cardsKey lists the posted copies of a request's approval card.
func cardsKey(id string) string { return "passbot:{req}:cards:" + id }

// maxCards bounds the copies remembered per request (the card and its
// escalations); more than that is a misconfiguration, not a reason to grow.
const maxCards = 50

// AddCard implements bot.Requests.
func (s *Redis) AddCard(ctx context.Context, id string, ref bot.MessageRef) error {
	key := cardsKey(id)
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, key, string(ref))
		p.LTrim(ctx, key, -maxCards, -1)
		p.PExpire(ctx, key, requestTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: add card of request %s: %w", id, err)
	}
	return nil
}

// Cards implements bot.Requests.
func (s *Redis) Cards(ctx context.Context, id string) ([]bot.MessageRef, error) {
	refs, err := s.client.LRange(ctx, cardsKey(id), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: cards of request %s: %w", id, err)
	}
	out := make([]bot.MessageRef, len(refs))
	for i, r := range refs {
		out[i] = bot.MessageRef(r)
	}
	return out, nil
}
