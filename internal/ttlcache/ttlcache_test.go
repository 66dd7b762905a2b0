package ttlcache

import (
	"testing"
	"time"
)

func TestAnswersExpire(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	c := New[string, int](2)
	c.Put("a", 1, t0.Add(time.Minute))
	if v, ok := c.Get("a", t0); !ok || v != 1 {
		t.Fatalf("Get(a) = %d, %v", v, ok)
	}
	if _, ok := c.Get("a", t0.Add(time.Minute)); ok {
		t.Error("an answer is kept past its time")
	}
	c.Put("a", 2, t0.Add(time.Hour)) // a new answer stands again
	if v, ok := c.Get("a", t0.Add(time.Minute)); !ok || v != 2 {
		t.Errorf("Get(a) = %d, %v after a new answer", v, ok)
	}
}

// A full cache drops only the entry used least recently: the others keep
// saving their lookups.
func TestTheBoundDropsTheLeastRecentlyUsed(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	later := t0.Add(time.Hour)
	c := New[string, int](2)
	c.Put("a", 1, later)
	c.Put("b", 2, later)
	c.Put("a", 3, later) // a key already kept does not fill it up
	if v, ok := c.Get("b", t0); !ok || v != 2 {
		t.Fatalf("Get(b) = %d, %v after replacing a", v, ok)
	}
	c.Put("c", 4, later) // full: a was used least recently
	if _, ok := c.Get("a", t0); ok {
		t.Error("a full cache kept the entry used least recently")
	}
	for k, want := range map[string]int{"b": 2, "c": 4} {
		if v, ok := c.Get(k, t0); !ok || v != want {
			t.Errorf("Get(%s) = %d, %v: a full cache dropped more than one entry", k, v, ok)
		}
	}
}

// An expired entry is dropped when read, so it does not push a live one
// out.
func TestAnExpiredEntryMakesRoom(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	c := New[string, int](2)
	c.Put("live", 1, t0.Add(time.Hour))
	c.Put("stale", 2, t0.Add(time.Minute))
	if _, ok := c.Get("stale", t0.Add(time.Minute)); ok {
		t.Fatal("an answer is kept past its time")
	}
	c.Put("new", 3, t0.Add(time.Hour))
	if _, ok := c.Get("live", t0); !ok {
		t.Error("an expired entry pushed a live one out")
	}
}
