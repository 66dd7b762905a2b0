package teams

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
)

// Refs keeps conversation references between replicas and restarts (a
// *store.Refs): values under keys, "" for a key never set.
type Refs interface {
	Get(ctx context.Context, key string) (string, error)
	Set(ctx context.Context, key, value string) error
	// Claim sets a key only if it is not set, and reports whether it did.
	Claim(ctx context.Context, key, value string) (bool, error)
	Delete(ctx context.Context, key string) error
}

// convRef is how the bot reaches a person proactively: the Connector of
// their tenant, their Teams account ("29:…") and, once known, their
// personal chat with the bot.
type convRef struct {
	ServiceURL   string `json:"s"`
	User         string `json:"u,omitempty"`
	Conversation string `json:"c,omitempty"`
}

// Keys of the references: a person's, by Entra object ID, and the service
// URL of the tenant's Connector (helpdesk channel posts and updates go
// there).
func personKey(oid string) string { return "person:" + oid }

const serviceKey = "service"

// refCache remembers the references this replica saved or read, so a
// message that changes nothing writes nothing.
type refCache struct {
	mu sync.Mutex
	m  map[string]string
}

func (a *Adapter) ref(ctx context.Context, key string) (string, error) {
	a.cache.mu.Lock()
	v, ok := a.cache.m[key]
	a.cache.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := a.refs.Get(ctx, key)
	if err != nil {
		return "", err
	}
	if v != "" {
		a.remember(key, v)
	}
	return v, nil
}

func (a *Adapter) saveRef(ctx context.Context, key, value string) error {
	a.cache.mu.Lock()
	same := a.cache.m[key] == value
	a.cache.mu.Unlock()
	if same {
		return nil
	}
	if err := a.refs.Set(ctx, key, value); err != nil {
		return err
	}
	a.remember(key, value)
	return nil
}

func (a *Adapter) remember(key, value string) {
	a.cache.mu.Lock()
	defer a.cache.mu.Unlock()
	if len(a.cache.m) >= maxCachedRefs {
		clear(a.cache.m)
	}
	a.cache.m[key] = value
}

// maxCachedRefs bounds the cache; dropping it all costs a read per person.
const maxCachedRefs = 10000

// person returns a person's reference; ok is false when they never wrote to
// the bot nor installed it. It is read from the store, not this replica's
// cache: another replica may have learnt that the person removed the app.
func (a *Adapter) person(ctx context.Context, oid string) (r convRef, ok bool, err error) {
	v, err := a.refs.Get(ctx, personKey(oid))
	if err != nil || v == "" {
		return r, false, err
	}
	if err := json.Unmarshal([]byte(v), &r); err != nil {
		return r, false, fmt.Errorf("teams: reference of %s: %w", oid, err)
	}
	return r, true, nil
}

// savePerson saves a person's reference.
func (a *Adapter) savePerson(ctx context.Context, oid string, r convRef) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return a.saveRef(ctx, personKey(oid), string(v))
}

// dropChat forgets conv as the personal chat of the person oid, if it is
// the one stored: their account stays, so the next message to them opens
// their chat anew.
func (a *Adapter) dropChat(ctx context.Context, oid, conv string) error {
	p, ok, err := a.person(ctx, oid)
	if err != nil || !ok || p.Conversation != conv {
		return err
	}
	p.Conversation = ""
	return a.savePerson(ctx, oid, p)
}

// learn saves what an authenticated activity tells about reaching its
// sender and the tenant: always the service URL; the person's personal
// chat when they wrote in it or installed the app there; from a channel,
// a group chat or a press only their account, and only while no personal
// chat is known. A press proves nothing about whose chat it came from: a
// forwarded or crafted card names its owner's.
func (a *Adapter) learn(ctx context.Context, act *Activity) error {
	if err := a.saveRef(ctx, serviceKey, act.ServiceURL); err != nil {
		return err
	}
	if act.From == nil || act.From.AADObjectID == "" || act.From.ID == "" {
		return nil
	}
	oid := act.From.AADObjectID
	next := convRef{ServiceURL: act.ServiceURL, User: act.From.ID}
	if act.Conversation.ConversationType == convPersonal && act.Type != typeInvoke {
		next.Conversation = act.Conversation.ID
	} else {
		old, ok, err := a.person(ctx, oid)
		if err != nil {
			return err
		}
		if ok && old.Conversation != "" {
			return nil
		}
	}
	return a.savePerson(ctx, oid, next)
}
