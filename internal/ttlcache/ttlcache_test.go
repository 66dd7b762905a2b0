package ttlcache

import (
	"testing"
	"time"
)

func TestAnswersExpireAndTheBoundStartsOver(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	c := New[string, int](2)
	c.Put("a", 1, t0.Add(time.Minute))
	if v, ok := c.Get("a", t0); !ok || v != 1 {
		t.Fatalf("Get(a) = %d, %v", v, ok)
	}
	if _, ok := c.Get("a", t0.Add(time.Minute)); ok {
		t.Error("an answer is kept past its time")
	}
	c.Put("b", 2, t0.Add(time.Hour))
	c.Put("a", 3, t0.Add(time.Hour)) // a key already kept does not fill it up
	if v, ok := c.Get("b", t0); !ok || v != 2 {
		t.Fatalf("Get(b) = %d, %v after replacing a", v, ok)
	}
	c.Put("c", 4, t0.Add(time.Hour)) // full: starts over
	if _, ok := c.Get("b", t0); ok {
		t.Error("a full cache kept its old entries")
	}
	if v, ok := c.Get("c", t0); !ok || v != 4 {
		t.Errorf("Get(c) = %d, %v", v, ok)
	}
}
