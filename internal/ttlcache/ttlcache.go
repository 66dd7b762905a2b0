// Package ttlcache is the small in-memory cache a replica keeps of what it
// learnt a moment ago: the chat adapters of what their platform told them (a
// person, the members of a group, whether someone is in a team), so an event
// does not wait on the platform every time; the engine of the conversations
// it saved, so a reset's press can skip a Redis round trip.
//
// The bound is hashicorp/golang-lru's: a full cache drops the entry used
// least recently. Its expirable variant does not fit: it gives every entry
// of a cache one TTL counted from time.Now and runs a goroutine per cache,
// where passbot's entries carry their own expiry (a conversation's) and
// time comes from the caller's clock, so tests move it.
package ttlcache

import (
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// Cache maps keys to values that expire. It is safe for concurrent use.
type Cache[K comparable, V any] struct {
	mu  sync.Mutex
	lru *simplelru.LRU[K, entry[V]]
}

type entry[V any] struct {
	v       V
	expires time.Time
}

// New returns a cache of at most max entries (max > 0).
func New[K comparable, V any](max int) *Cache[K, V] {
	l, err := simplelru.NewLRU[K, entry[V]](max, nil)
	if err != nil {
		panic("ttlcache: " + err.Error())
	}
	return &Cache[K, V]{lru: l}
}

// Get returns the value kept for k, while it has not expired at now.
func (c *Cache[K, V]) Get(k K, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Peek first: an expired entry must not count as used, it goes.
	e, ok := c.lru.Peek(k)
	if ok && !now.Before(e.expires) {
		c.lru.Remove(k)
		ok = false
	}
	if !ok {
		var zero V
		return zero, false
	}
	c.lru.Get(k)
	return e.v, true
}

// Put keeps v for k until expires.
func (c *Cache[K, V]) Put(k K, v V, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Add(k, entry[V]{v, expires})
}
