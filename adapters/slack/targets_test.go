package slack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
)

// delivery is one Handler.Delivered call, by the reply's text.
type delivery struct {
	text string
	ref  bot.MessageRef
}

// take returns what s saw since the last take.
func take(s *enginetest.Scripted) ([]bot.Event, []delivery) {
	events, ds := s.Take()
	var out []delivery
	for _, d := range ds {
		out = append(out, delivery{d.Reply.Text, d.Ref})
	}
	return events, out
}

// slackCall is a message call to Slack, as the mapping test expects it.
type slackCall struct {
	Method       string // chat.postMessage, chat.update or response_url
	Channel      string // posted to, or of the message updated
	TS           string // chat.update: the message replaced
	Replace      bool   // response_url: replace_original
	ResponseType string // response_url: "ephemeral" for an answer next to the message
}

func (m sentMessage) call() slackCall {
	return slackCall{Method: m.Method, Channel: m.Channel, TS: m.TS, Replace: m.Replace, ResponseType: m.ResponseType}
}

// ref is the reference of the message m became: the new one for a post, the
// replaced one for an update, none for a response_url answer.
func (m sentMessage) ref() bot.MessageRef {
	switch m.Method {
	case "chat.postMessage":
		return ref(m.Channel, m.Posted)
	case "chat.update":
		return ref(m.Channel, m.TS)
	}
	return ""
}

// TestEachTargetIsOneSlackCall pins how the adapter carries out what the
// engine decided (bot/route_test.go holds the rules): for every way an event
// arrives, in both modes, the engine gets the event with the facts route
// needs, Slack gets its immediate answer whatever the outcome, each reply
// becomes the one Slack call its target names (or the documented fallback
// when that call fails), and the engine is told the message it became.
func TestEachTargetIsOneSlackCall(t *testing.T) {
	t.Parallel()
	// The messages pressed, the one an UpdateRef names, the button's action.
	const (
		dmTS      = "1700000000.000500"
		ephTS     = "1700000000.000600"
		cardTS    = "1700000000.000700"
		updatedTS = "1700000000.000042"
		action    = "c1|3|" + adele + "|ok"
	)
	type shape struct {
		name string
		// send delivers the event and returns its immediate answer and
		// response_url; nil sends the reply with Notify.
		send  func(h *harness, n int) (answer []byte, responseURL string)
		event bot.Event
		ack   string // in the immediate answer; "" for none
		// here is what the targets that mean "here" become.
		here map[bot.TargetKind]slackCall
	}
	post := func(channel string) slackCall { return slackCall{Method: "chat.postMessage", Channel: channel} }
	update := func(channel, ts string) slackCall { return slackCall{Method: "chat.update", Channel: channel, TS: ts} }
	answerEphemeral := slackCall{Method: "response_url", ResponseType: "ephemeral"}
	replaceOriginal := slackCall{Method: "response_url", Replace: true}
	inDM := map[bot.TargetKind]slackCall{bot.Chat: post(adeleDM), bot.ReplaceClicked: post(adeleDM), bot.Ephemeral: post(adeleDM)}
	message := shape{name: "message in the DM", here: inDM,
		send: func(h *harness, n int) ([]byte, string) {
			return h.dm(adele, adeleDM, fmt.Sprintf("EvMap%d", n), "reset my passcode", 0), ""
		},
		event: bot.Event{Kind: bot.Message, User: bot.User{Platform: bot.Slack, ID: adele}, Channel: adeleDM, Text: "reset my passcode"},
	}
	// The answers to a command go to the DM, not to its response_url.
	command := shape{name: "/passcode typed in a channel", here: inDM, ack: `{"response_type":"ephemeral","text":"I answered in your DM`,
		send: func(h *harness, n int) ([]byte, string) {
			return h.command(adele, channelID, "help", fmt.Sprintf("trigger.map.%d", n)), ""
		},
		event: bot.Event{Kind: bot.Message, User: bot.User{Platform: bot.Slack, ID: adele}, Channel: adeleDM, Text: "help"},
	}
	button := sentButton{ActionID: actionPrefix + "0", Value: action}
	press := func(name, user, channel, ts string, public, ephemeral bool, here map[bot.TargetKind]slackCall) shape {
		return shape{name: name, here: here,
			send: func(h *harness, _ int) ([]byte, string) {
				p, answer := h.press(user, channel, ts, ephemeral, button)
				return answer, p["response_url"].(string)
			},
			event: bot.Event{Kind: bot.Press, User: bot.User{Platform: bot.Slack, ID: user}, Channel: channel, Action: action,
				Clicked: ref(channel, ts), ClickedPublic: public, ClickedEphemeral: ephemeral},
		}
	}
	dmPress := press("press in the DM", adele, adeleDM, dmTS, false, false,
		map[bot.TargetKind]slackCall{bot.Chat: post(adeleDM), bot.ReplaceClicked: update(adeleDM, dmTS), bot.Ephemeral: answerEphemeral})
	ephemeralPress := press("press on an ephemeral message", adele, channelID, ephTS, false, true,
		map[bot.TargetKind]slackCall{bot.Chat: post(adeleDM), bot.ReplaceClicked: replaceOriginal, bot.Ephemeral: answerEphemeral})
	// Lieke's own answers go to her DM, not to the card's channel.
	cardPress := press("press on the helpdesk card", lieke, helpdeskCh, cardTS, true, false,
		map[bot.TargetKind]slackCall{bot.Chat: post(liekeDM), bot.ReplaceClicked: update(helpdeskCh, cardTS), bot.Ephemeral: answerEphemeral})
	// What the engine sends on its own: follow-ups, cards, notices.
	notify := shape{name: "Notify"}

	type row struct {
		name    string
		shape   shape
		target  bot.Target
		fail    string // the call that fails
		private bool
		outcome bot.EventOutcome
		err     error // the handler's
		want    []slackCall
		logged  string // a line the row logs
	}
	var rows []row
	for _, s := range []shape{message, command, dmPress, ephemeralPress, cardPress, notify} {
		for _, k := range []bot.TargetKind{bot.Chat, bot.ReplaceClicked, bot.Ephemeral} {
			if c, ok := s.here[k]; ok {
				rows = append(rows, row{shape: s, target: bot.Target{Kind: k}, want: []slackCall{c}})
			}
		}
		// The targets that name their place go there from anywhere.
		rows = append(rows,
			row{shape: s, target: bot.Target{Kind: bot.DirectMessage, User: bot.User{Platform: bot.Slack, ID: lieke}}, want: []slackCall{post(liekeDM)}},
			row{shape: s, target: bot.Target{Kind: bot.HelpdeskChannel}, want: []slackCall{post(helpdeskCh)}},
			row{shape: s, target: bot.Target{Kind: bot.UpdateRef, Ref: ref(helpdeskCh, updatedTS)}, want: []slackCall{update(helpdeskCh, updatedTS)}})
	}
	rows = append(rows,
		row{name: "chat.update fails", shape: cardPress, target: bot.Target{Kind: bot.ReplaceClicked}, fail: "chat.update",
			want: []slackCall{update(helpdeskCh, cardTS), post(helpdeskCh)}},
		// A private reply never falls back into a channel others may read.
		row{name: "chat.update fails, private", shape: cardPress, target: bot.Target{Kind: bot.ReplaceClicked}, fail: "chat.update", private: true,
			want: []slackCall{update(helpdeskCh, cardTS), post(liekeDM)}},
		row{name: "response_url fails", shape: dmPress, target: bot.Target{Kind: bot.Ephemeral}, fail: "response_url",
			want: []slackCall{answerEphemeral, post(adeleDM)}},
		row{name: "response_url fails", shape: ephemeralPress, target: bot.Target{Kind: bot.ReplaceClicked}, fail: "response_url",
			want: []slackCall{replaceOriginal}, logged: "slack: send reply"},
		row{name: "no target", shape: message, logged: "slack: send reply"},
		row{name: "no target", shape: notify},
		row{name: "not a Slack reference", shape: notify, target: bot.Target{Kind: bot.UpdateRef, Ref: "nonsense"}},
		// The outcome is for the logs: Slack had its answer before the
		// engine ran, and what the engine answers is sent.
		row{name: "error", shape: message, target: bot.Target{Kind: bot.Chat}, outcome: bot.OutcomeError, err: errors.New("store down"),
			want: []slackCall{post(adeleDM)}, logged: "reason=error.internal outcome=error"},
		row{name: "duplicate", shape: dmPress, outcome: bot.OutcomeDuplicate},
	)

	for _, mode := range []string{ModeSocket, ModeHTTP} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			s := &enginetest.Scripted{}
			h := newScriptedHarness(t, mode, s)
			for n, r := range rows {
				t.Run(strings.TrimSuffix(r.shape.name+" → "+r.target.Kind.String()+", "+r.name, ", "), func(t *testing.T) {
					reply := bot.Reply{Text: fmt.Sprintf("reply %d", n), Buttons: []bot.Button{{Label: "OK", Action: action}}, Target: r.target, Private: r.private}
					handled := bot.Handled{Outcome: cmp.Or(r.outcome, bot.OutcomeOK), Replies: []bot.Reply{reply}}
					if r.outcome == bot.OutcomeDuplicate {
						handled.Replies = nil
					}
					s.Take() // what an earlier row that failed left
					s.Answer(handled, r.err)
					if r.fail != "" {
						h.fake.fail(r.fail, "expired_url")
						defer h.fake.fail(r.fail, "")
					}
					logged, before := strings.Count(h.logs.String(), r.logged), len(h.fake.Calls())
					var (
						refs          []bot.MessageRef
						err           error
						answer        []byte
						url           string
						sent          []sentMessage
						got           []slackCall
						wantDelivered []delivery
					)
					if r.shape.send == nil {
						refs, err = h.a.Notify(context.Background(), []bot.Reply{reply})
					} else {
						answer, url = r.shape.send(h, n)
					}
					for _, c := range h.fake.Calls()[before:] {
						m, ok := c.message()
						switch {
						case ok && (m.Text != reply.Text || m.Method == "response_url" && c.URL != url):
							t.Errorf("%s %s sent %q, want the reply %q (response_url %s)", m.Method, c.URL, m.Text, reply.Text, url)
						case !ok && !slices.Contains([]string{"auth.test", "apps.connections.open", "users.info", "conversations.open"}, c.Method):
							t.Errorf("unexpected %s call", c.Method)
						}
						if ok {
							sent, got = append(sent, m), append(got, m.call())
						}
					}
					if !slices.Equal(got, r.want) {
						t.Fatalf("calls %+v, want %+v", got, r.want)
					}
					// The reply became the last call, unless it failed.
					if k := len(sent); k > 0 && sent[k-1].Method != r.fail {
						wantDelivered = []delivery{{reply.Text, sent[k-1].ref()}}
					}
					if r.logged != "" && strings.Count(h.logs.String(), r.logged) != logged+1 {
						t.Errorf("no log line %q", r.logged)
					}
					if r.shape.send == nil {
						if wantDelivered == nil && err == nil || wantDelivered != nil && (err != nil || !slices.Equal(refs, []bot.MessageRef{wantDelivered[0].ref})) {
							t.Errorf("Notify = %q, %v; want %+v", refs, err, wantDelivered)
						}
						return
					}
					events, delivered := take(s)
					if len(events) != 1 {
						t.Fatalf("the handler got %d events, want 1", len(events))
					}
					ev := events[0]
					if ev.DeliveryID == "" {
						t.Errorf("event without a delivery ID: redeliveries would run again")
					}
					ev.DeliveryID, ev.User = "", bot.User{Platform: ev.User.Platform, ID: ev.User.ID}
					if ev != r.shape.event {
						t.Errorf("event %+v, want %+v", ev, r.shape.event)
					}
					if !slices.Equal(delivered, wantDelivered) {
						t.Errorf("delivered %+v, want %+v", delivered, wantDelivered)
					}
					if a := string(answer); r.shape.ack == "" && a != "" || !strings.Contains(a, r.shape.ack) {
						t.Errorf("answered %q, want %q", a, r.shape.ack)
					}
				})
			}
		})
	}
}
