package enginetest

import (
	"context"
	"slices"
	"sync"

	"github.com/passbot/passbot/bot"
)

// Scripted is a bot.Handler in place of the engine, for an adapter's
// mapping tests: it answers every event as its script says, sending the
// script's replies (their targets set by the script) through the event's
// Sender in order, and records the events and what each reply became.
type Scripted struct {
	mu        sync.Mutex
	script    func(bot.Event) (bot.Handled, error)
	events    []bot.Event
	delivered []Delivery
}

// Delivery is one reply the adapter sent, and the message it became.
type Delivery struct {
	Reply bot.Reply
	Ref   bot.MessageRef
}

// Script makes s answer the events to come with f; without a script s
// answers OK with no replies. f runs outside s's lock, so it may block.
func (s *Scripted) Script(f func(bot.Event) (bot.Handled, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = f
}

// Answer makes s answer every event to come with h and err.
func (s *Scripted) Answer(h bot.Handled, err error) {
	s.Script(func(bot.Event) (bot.Handled, error) { return h, err })
}

// Handle implements bot.Handler.
func (s *Scripted) Handle(ctx context.Context, ev bot.Event, out bot.Sender) (bot.Handled, error) {
	s.mu.Lock()
	s.events = append(s.events, ev)
	f := s.script
	s.mu.Unlock()
	if f == nil {
		return bot.Handled{Outcome: bot.OutcomeOK}, nil
	}
	h, err := f(ev)
	h.Replies = slices.Clone(h.Replies) // the adapter's to change
	for _, r := range h.Replies {
		ref, serr := out.Send(ctx, r)
		if serr != nil {
			continue // the engine logs it; the test sees it missing
		}
		s.mu.Lock()
		s.delivered = append(s.delivered, Delivery{r, ref})
		s.mu.Unlock()
	}
	return h, err
}

// Seen returns the events handled so far.
func (s *Scripted) Seen() []bot.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// Take returns the events and deliveries since the last Take.
func (s *Scripted) Take() ([]bot.Event, []Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev, d := s.events, s.delivered
	s.events, s.delivered = nil, nil
	return ev, d
}
