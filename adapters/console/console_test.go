package console_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/passbot/passbot/adapters/console"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
)

// A line longer than the console reads (a paste gone wrong) is refused with
// a note, and the lines around it are still handled: passbot keeps running.
func TestOverlongLineIsRefusedAndTheChatGoesOn(t *testing.T) {
	for name, end := range map[string]string{"ended by a newline": "\n", "at the end of the input": ""} {
		t.Run(name, func(t *testing.T) {
			h := &enginetest.Scripted{}
			long := strings.Repeat("x", console.MaxLine+1)
			in := strings.NewReader("first\r\n" + long + "\nlast\n" + long + end)
			var out bytes.Buffer
			c := console.New(in, &out, bot.User{ID: "adele.vance@contoso.com"}, h)
			if err := c.Run(t.Context()); err != nil {
				t.Fatalf("Run: %v", err)
			}
			var texts []string
			for _, ev := range h.Seen() {
				texts = append(texts, ev.Text)
			}
			if got := strings.Join(texts, "|"); got != "first|last" {
				t.Errorf("handled %q, want first and last", got)
			}
			if n := strings.Count(out.String(), "-- line ignored: it is longer than 64 KiB\n"); n != 2 {
				t.Errorf("%d notes of a refused line, want 2:\n%.500s", n, out.String())
			}
		})
	}
}

// The replies to a line print once the engine is done with it (it recorded
// each as sent when the outbox took it), each numbered as it was taken; a
// reply that takes the pressed message's place keeps its number, and once
// an update takes the buttons off the last message, a typed number
// presses nothing.
func TestRepliesPrintOnceTheEngineIsDone(t *testing.T) {
	var out bytes.Buffer
	var events []bot.Event
	var refs []bot.MessageRef
	h := bot.HandlerFunc(func(ctx context.Context, ev bot.Event, s bot.Sender) (bot.Handled, error) {
		events = append(events, ev)
		printed := out.Len()
		var replies []bot.Reply
		switch {
		case ev.Kind == bot.Press:
			replies = []bot.Reply{{Text: "Picked", Buttons: []bot.Button{{Label: "Undo", Action: "undo"}}, Target: bot.Target{Kind: bot.ReplaceClicked}}}
		case ev.Text == "hello":
			replies = []bot.Reply{{Text: "Hello"}, {Text: "Pick one", Buttons: []bot.Button{{Label: "A", Action: "a"}}}}
		case ev.Text == "tidy":
			replies = []bot.Reply{{Text: "Picked", Target: bot.Target{Kind: bot.UpdateRef, Ref: refs[len(refs)-1]}}}
		}
		for _, r := range replies {
			if r.Target.Kind == bot.Unrouted {
				r.Target.Kind = bot.Chat
			}
			ref, err := s.Send(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			refs = append(refs, ref)
			if out.Len() != printed {
				t.Errorf("%q printed before the engine was done with its line", r.Text)
			}
		}
		return bot.Handled{Outcome: bot.OutcomeOK, Replies: replies}, nil
	})
	c := console.New(strings.NewReader("hello\n1\ntidy\n1\n"), &out, bot.User{ID: "adele.vance@contoso.com"}, h)
	if err := c.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(refs); got != "[bot#1 bot#2 bot#2 bot#2]" {
		t.Errorf("references %s: want two messages, the second replaced and then updated", got)
	}
	if len(events) != 4 || events[1].Kind != bot.Press || events[1].Clicked != "bot#2" || events[3].Kind != bot.Message {
		t.Errorf("events %+v: want the press of bot#2, then after the update a plain message", events)
	}
	for _, want := range []string{"bot> Hello\n", "bot> Pick one\n     [1] A\n", "bot> Picked\n     [1] Undo\n", "bot (edits an earlier message)> Picked\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// What answers no line prints at once.
	out.Reset()
	if ref, err := c.Send(t.Context(), bot.Reply{Text: "Your request was approved", Target: bot.Target{Kind: bot.DirectMessage, User: bot.User{ID: "adele.vance@contoso.com"}}}); err != nil || ref != "bot#3" {
		t.Errorf("Send = %q, %v", ref, err)
	}
	if got := out.String(); got != "bot> Your request was approved\n" {
		t.Errorf("printed %q", got)
	}
	if c.Platform() != bot.Console || c.Caps() != (bot.Caps{}) {
		t.Errorf("platform %s, caps %+v", c.Platform(), c.Caps())
	}
}
