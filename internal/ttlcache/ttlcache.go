// Package ttlcache is the small in-memory cache a replica keeps of what it
// learnt a moment ago: the chat adapters of what their platform told them (a
// person, the members of a group, whether someone is in a team), so an event
// does not wait on the platform every time; the engine of the conversations
// it saved, so a reset's press can skip a Redis round trip.
package ttlcache

import (
	"sync"
	"time"
)

// Cache maps keys to values that expire. It is safe for concurrent use.
type Cache[K comparable, V any] struct {
	mu  sync.Mutex
	m   map[K]entry[V]
	max int
}

type entry[V any] struct {
	v       V
	expires time.Time
}

// New returns a cache of at most max entries; 0 means no bound. A full
// cache starts over: dropping it costs one lookup per entry.
func New[K comparable, V any](max int) *Cache[K, V] {
	return &Cache[K, V]{m: map[K]entry[V]{}, max: max}
}

// Get returns the value kept for k, while it has not expired at now.
func (c *Cache[K, V]) Get(k K, now time.Time) (V, bool) {
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put keeps v for k until expires.
func (c *Cache[K, V]) Put(k K, v V, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && c.max > 0 && len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = entry[V]{v, expires}
}
