// Package bench measures passbot under load with the real engine, the reset
// flow, the demo fleet and a real redis-server (miniredis when none is on
// PATH, which makes the Redis figures meaningless). Run it with
//
//	go test -bench . -run '^$' ./bench/
//
// See README.md for what each figure means and the numbers measured.
package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/redis/go-redis/v9"
)

// employees is how many people run a reset conversation at the same time.
const employees = 1000

// persona is a demo-fleet employee and the clicks of a full reset of their
// Android device-administrator phone (temporary passcode) after the first
// message.
type persona struct {
	upn     string
	devices int // in the demo fleet: the conversation stores the list
	clicks  []string
}

var (
	// adele has 16 devices, more than most people: the heavy case.
	adele = persona{enginetest.Adele.UPN, 15, enginetest.ResetClicks}
	lieke = persona{"lieke.devries@contoso.com", 2, []string{"Lieke's Galaxy A5 (Android)", "Reset Passcode", "Continue", "Yes, reset"}}
)

func requireRealRedis(b *testing.B, env *enginetest.Env) {
	if !env.Redis.Real {
		b.Skip("needs a real redis-server on PATH: miniredis figures mean nothing")
	}
}

// sample is one handled event.
type sample struct {
	took time.Duration
	// trips are the event's round trips, its replies' delivery included.
	trips int64
	press bool
	step  int // 0 for the message, i for the i-th click
}

// converse runs one employee's conversation (the message and the clicks in
// upto), pausing think() between events, and returns what each event cost.
func converse(ctx context.Context, e *bot.Engine, u bot.User, upto []string, think func()) ([]sample, error) {
	out := make([]sample, 0, 1+len(upto))
	seq := 0
	shown := enginetest.Screen{}
	do := func(ev bot.Event) ([]bot.Reply, error) {
		if think != nil {
			think() // before the message too, so people do not all start at once
		}
		seq++
		ev.User, ev.DeliveryID, ev.Clicked = u, u.ID+"-"+strconv.Itoa(seq), shown[ev.Action]
		var trips atomic.Int64
		start := time.Now()
		h, err := e.Handle(enginetest.CountTrips(ctx, &trips), ev, enginetest.PostedAs(ev))
		took := time.Since(start)
		out = append(out, sample{took: took, trips: trips.Load(), press: ev.Kind == bot.Press, step: seq - 1})
		shown.Show(ev, h.Replies)
		return h.Replies, err
	}
	replies, err := do(bot.Event{Kind: bot.Message, Text: "reset my passcode"})
	for _, label := range upto {
		if err != nil {
			return out, err
		}
		action, ok := enginetest.Find(replies, label)
		if !ok {
			return out, fmt.Errorf("%s: no button %q in %+v", u.ID, label, replies)
		}
		replies, err = do(bot.Event{Kind: bot.Press, Action: action})
	}
	return out, err
}

// crowd runs n employees' conversations at once, up to click upto, and
// returns every sample. think, when set, is each person's pause between events.
func crowd(b *testing.B, e *bot.Engine, p persona, prefix string, n, upto int, think func()) []sample {
	var mu sync.Mutex
	var all []sample
	var wg sync.WaitGroup
	for i := range n {
		u := bot.User{Platform: bot.Slack, ID: fmt.Sprintf("%s%04d", prefix, i), UPN: p.upn, Locale: "en-US"}
		wg.Go(func() {
			s, err := converse(context.Background(), e, u, p.clicks[:upto], think)
			if err != nil {
				b.Error(err)
			}
			mu.Lock()
			all = append(all, s...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return all
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkResetConversations: each op is 1,000 employees running a full
// reset conversation (a message and 4 button presses, 5,000 events) at the
// same time through one engine and one Redis.
//
//   - saturated: nobody pauses; 1,000 events are always in flight, so this
//     is the engine's throughput and the latency is mostly queueing for the
//     Redis connection pool (Little's law: 1,000 / events/s);
//   - paced: 1,000 conversations open at once, each person pausing 0.5–1.5 s
//     before every event (about 1,000 events/s offered): the ack latency at
//     that load.
func BenchmarkResetConversations(b *testing.B) {
	for _, mode := range []string{"saturated", "paced"} {
		b.Run(mode, func(b *testing.B) {
			env := enginetest.New(b, enginetest.WithConfig(func(c *bot.Config) { c.Limits = defaultLimits }))
			requireRealRedis(b, env)
			// Warm up: the first call of each Lua script loads it (NOSCRIPT, then EVAL).
			crowd(b, env.Engine, adele, "warm-", 1, len(adele.clicks), nil)
			trips := &enginetest.RoundTrips{}
			env.Store.Client().AddHook(trips)
			b.ReportAllocs()
			var think func()
			if mode == "paced" {
				think = func() { time.Sleep(500*time.Millisecond + rand.N(time.Second)) }
			}
			var all []sample
			var wall time.Duration
			round := 0
			for b.Loop() {
				start := time.Now()
				all = append(all, crowd(b, env.Engine, adele, fmt.Sprintf("R%d-", round), employees, len(adele.clicks), think)...)
				wall += time.Since(start)
				round++
			}
			report(b, all, wall, trips)
		})
	}
}

// defaultLimits are the abuse limits passbot runs with by default (5 per
// user, 3 per device, per 24 h), except that the per-device limit makes room
// for the whole crowd: every simulated employee resets the same demo device.
// The limits cost the same round trips whatever their values.
var defaultLimits = bot.Limits{PerUser: 5, PerDevice: 1 << 30, Window: 24 * time.Hour}

// pressNames name the figures of adele's clicks, in order.
var pressNames = []string{"message", "pick-device", "reset-passcode", "sign-out", "yes-reset"}

func report(b *testing.B, all []sample, wall time.Duration, trips *enginetest.RoundTrips) {
	var lat []time.Duration
	var pressTrips, maxPressTrips int64
	presses := 0
	stepTrips := make([]int64, len(adele.clicks)+1)
	stepN := make([]int64, len(adele.clicks)+1)
	for _, s := range all {
		lat = append(lat, s.took)
		stepTrips[s.step] += s.trips
		stepN[s.step]++
		if s.press {
			presses++
			pressTrips += s.trips
			maxPressTrips = max(maxPressTrips, s.trips)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(all))/wall.Seconds(), "events/s")
	b.ReportMetric(ms(percentile(lat, .50)), "p50-ms")
	b.ReportMetric(ms(percentile(lat, .99)), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
	b.ReportMetric(float64(pressTrips)/float64(presses), "redis-trips/press")
	b.ReportMetric(float64(maxPressTrips), "max-redis-trips/press")
	b.ReportMetric(float64(trips.Total.Load())/float64(len(all)), "redis-trips/event")
	for i := range stepTrips {
		b.ReportMetric(float64(stepTrips[i])/float64(stepN[i]), "redis-trips/"+pressNames[i])
	}
}

// BenchmarkOpenConversationMemory: 1,000 employees each stop at "Do you have
// the device with you?", so 1,000 conversations are open; it reports the
// Redis memory of one conversation key (MEMORY USAGE) and the growth of
// used_memory per open conversation, delivery marks included. The
// conversation keeps the person's device list, so its size depends on it.
func BenchmarkOpenConversationMemory(b *testing.B) {
	for _, p := range []persona{lieke, adele} {
		b.Run(fmt.Sprintf("devices=%d", p.devices), func(b *testing.B) {
			env := enginetest.New(b)
			requireRealRedis(b, env)
			client := env.Store.Client()
			ctx := context.Background()
			var keyBytes, usedBytes float64
			round := 0
			for b.Loop() {
				b.StopTimer()
				if err := client.FlushAll(ctx).Err(); err != nil {
					b.Fatal(err)
				}
				before := usedMemory(b, client)
				b.StartTimer()
				crowd(b, env.Engine, p, fmt.Sprintf("M%d-", round), employees, 3, nil)
				b.StopTimer()
				usedBytes = float64(usedMemory(b, client)-before) / employees
				keys, err := client.Keys(ctx, "passbot:{u:*}:conv").Result()
				if err != nil || len(keys) != employees {
					b.Fatalf("%d conversation keys, %v; want %d", len(keys), err, employees)
				}
				var sum int64
				for _, k := range keys {
					n, err := client.MemoryUsage(ctx, k, 0).Result()
					if err != nil {
						b.Fatal(err)
					}
					sum += n
				}
				keyBytes = float64(sum) / float64(len(keys))
				round++
				b.StartTimer()
			}
			b.ReportMetric(keyBytes, "conv-key-bytes")
			b.ReportMetric(usedBytes, "used-bytes/open-conv")
		})
	}
}

func usedMemory(b *testing.B, c redis.UniversalClient) int64 {
	info, err := c.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatal("INFO memory has no used_memory")
	return 0
}
