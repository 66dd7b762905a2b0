package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/redis/go-redis/v9"
)

// SignIns keeps the records of sign-in links and of the OpenID Connect
// requests made for them. The records are opaque to the store (the sign-in
// adapter's JSON); none holds a token or a passcode.
type SignIns struct{ client redis.UniversalClient }

// NewSignIns returns the sign-in records kept in client.
func NewSignIns(client redis.UniversalClient) *SignIns { return &SignIns{client: client} }

func linkKey(id string) string     { return "passbot:signin:" + id }
func stateKey(state string) string { return "passbot:oidc:" + state }

// PutLink stores a link's record for ttl.
func (s *SignIns) PutLink(ctx context.Context, id string, rec []byte, ttl time.Duration) error {
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, linkKey(id), "r", rec)
		p.PExpire(ctx, linkKey(id), ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: sign-in link: %w", err)
	}
	return nil
}

// PeekLink returns a link's record and whether it was opened, without
// opening it; a nil record means no such link (or long expired).
func (s *SignIns) PeekLink(ctx context.Context, id string) (rec []byte, opened bool, err error) {
	vals, err := s.client.HMGet(ctx, linkKey(id), "r", "o").Result()
	if err != nil {
		return nil, false, fmt.Errorf("store: sign-in link: %w", err)
	}
	r, _ := vals[0].(string)
	if r == "" {
		return nil, false, nil
	}
	return []byte(r), vals[1] != nil, nil
}

// OpenLink marks a link opened and returns its record; opened reports that
// it had been opened before, on this replica or another. Marking and reading
// are one transaction, so two opens at once cannot both be the first.
func (s *SignIns) OpenLink(ctx context.Context, id string) (rec []byte, opened bool, err error) {
	var first *redis.BoolCmd
	var r *redis.StringCmd
	_, err = s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		r = p.HGet(ctx, linkKey(id), "r")
		first = p.HSetNX(ctx, linkKey(id), "o", 1)
		return nil
	})
	if errors.Is(err, redis.Nil) {
		// No such link. The HSETNX created a key holding only the mark:
		// remove it, or it would live forever.
		if derr := s.client.Del(ctx, linkKey(id)).Err(); derr != nil {
			return nil, false, fmt.Errorf("store: sign-in link: %w", derr)
		}
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: sign-in link: %w", err)
	}
	return []byte(r.Val()), !first.Val(), nil
}

// PutState stores the record of an OpenID Connect request under its state
// for ttl.
func (s *SignIns) PutState(ctx context.Context, state string, rec []byte, ttl time.Duration) error {
	if err := s.client.Set(ctx, stateKey(state), rec, ttl).Err(); err != nil {
		return fmt.Errorf("store: sign-in state: %w", err)
	}
	return nil
}

// TakeState returns and removes the record of a state, so a state (and the
// nonce and PKCE verifier in its record) is used once; nil when unknown.
func (s *SignIns) TakeState(ctx context.Context, state string) ([]byte, error) {
	rec, err := s.client.GetDel(ctx, stateKey(state)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: sign-in state: %w", err)
	}
	return rec, nil
}

// Link implements bot.Linker: the account a chat account proved by signing
// in, for its later conversations.
func (s *Redis) Link(ctx context.Context, u bot.User, a bot.Account) error {
	return NewLinks(s.client, u.Platform).Link(ctx, u.Key(), u.ID, a)
}
