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

// delivery is one reply the adapter sent, by its text, and the message it
// became.
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
// becomes the one Slack call its target names, and the engine learns the
// message it became. A target the event cannot reach, or a call that
// fails, is an error and nothing more: where the reply goes instead is the
// engine's (bot.fallback; TestFailedCallsFallBackThroughTheEngine).
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
		// send delivers the event and returns its immediate answer and,
		// for a press, its payload; nil sends the reply with the
		// adapter's Send.
		send  func(h *harness, n int) (answer []byte, payload map[string]any)
		event bot.Event
		ack   string // in the immediate answer; "" for none
		// here is what the targets that mean "here" become; one missing
		// is refused.
		here map[bot.TargetKind]slackCall
	}
	post := func(channel string) slackCall { return slackCall{Method: "chat.postMessage", Channel: channel} }
	update := func(channel, ts string) slackCall { return slackCall{Method: "chat.update", Channel: channel, TS: ts} }
	answerEphemeral := slackCall{Method: "response_url", ResponseType: "ephemeral"}
	replaceOriginal := slackCall{Method: "response_url", Replace: true}
	// A message has no clicked message and no response_url.
	inDM := map[bot.TargetKind]slackCall{bot.Chat: post(adeleDM)}
	message := shape{name: "message in the DM", here: inDM,
		send: func(h *harness, n int) ([]byte, map[string]any) {
			return h.dm(adele, adeleDM, fmt.Sprintf("EvMap%d", n), "reset my passcode", 0), nil
		},
		event: bot.Event{Kind: bot.Message, User: bot.User{Platform: bot.Slack, ID: adele}, Channel: adeleDM, Text: "reset my passcode"},
	}
	// The answers to a command go to the DM, not to its response_url.
	command := shape{name: "/passcode typed in a channel", here: inDM, ack: `{"response_type":"ephemeral","text":"I answered in your DM`,
		send: func(h *harness, n int) ([]byte, map[string]any) {
			return h.command(adele, channelID, "help", fmt.Sprintf("trigger.map.%d", n)), nil
		},
		event: bot.Event{Kind: bot.Message, User: bot.User{Platform: bot.Slack, ID: adele}, Channel: adeleDM, Text: "help"},
	}
	button := sentButton{ActionID: actionPrefix + "0", Value: action}
	press := func(name, user, channel, ts string, public, ephemeral bool, here map[bot.TargetKind]slackCall) shape {
		return shape{name: name, here: here,
			send: func(h *harness, _ int) ([]byte, map[string]any) {
				p, answer := h.press(user, channel, ts, ephemeral, button)
				return answer, p
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
	send := shape{name: "Send"}

	type row struct {
		name    string
		shape   shape
		target  bot.Target
		fail    string // the call that fails
		outcome bot.EventOutcome
		err     error // the handler's
		want    []slackCall
		logged  string // a line the row logs
	}
	var rows []row
	for _, s := range []shape{message, command, dmPress, ephemeralPress, cardPress, send} {
		// DisarmClicked is not Slack's: a private reply may take the
		// clicked message's place there (bot.route), so none is asked.
		for _, k := range []bot.TargetKind{bot.Chat, bot.ReplaceClicked, bot.Ephemeral, bot.DisarmClicked} {
			r := row{shape: s, target: bot.Target{Kind: k}}
			if c, ok := s.here[k]; ok {
				r.want = []slackCall{c}
			}
			rows = append(rows, r)
		}
		// The targets that name their place go there from anywhere.
		rows = append(rows,
			row{shape: s, target: bot.Target{Kind: bot.DirectMessage, User: bot.User{Platform: bot.Slack, ID: lieke}}, want: []slackCall{post(liekeDM)}},
			row{shape: s, target: bot.Target{Kind: bot.HelpdeskChannel}, want: []slackCall{post(helpdeskCh)}},
			row{shape: s, target: bot.Target{Kind: bot.UpdateRef, Ref: ref(helpdeskCh, updatedTS)}, want: []slackCall{update(helpdeskCh, updatedTS)}})
	}
	rows = append(rows,
		row{name: "chat.update fails", shape: cardPress, target: bot.Target{Kind: bot.ReplaceClicked}, fail: "chat.update",
			want: []slackCall{update(helpdeskCh, cardTS)}},
		row{name: "response_url fails", shape: dmPress, target: bot.Target{Kind: bot.Ephemeral}, fail: "response_url",
			want: []slackCall{answerEphemeral}},
		row{name: "response_url fails", shape: ephemeralPress, target: bot.Target{Kind: bot.ReplaceClicked}, fail: "response_url",
			want: []slackCall{replaceOriginal}},
		row{name: "no target", shape: message},
		row{name: "no target", shape: send},
		row{name: "not a Slack reference", shape: send, target: bot.Target{Kind: bot.UpdateRef, Ref: "nonsense"}},
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
					reply := bot.Reply{Text: fmt.Sprintf("reply %d", n), Buttons: []bot.Button{{Label: "OK", Action: action}}, Target: r.target}
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
						sentRef       bot.MessageRef
						err           error
						answer        []byte
						payload       map[string]any
						sent          []sentMessage
						got           []slackCall
						wantDelivered []delivery
					)
					if r.shape.send == nil {
						sentRef, err = h.a.Send(context.Background(), reply)
					} else {
						answer, payload = r.shape.send(h, n)
					}
					url, _ := payload["response_url"].(string)
					wantText := reply.Text
					for _, c := range h.fake.Calls()[before:] {
						m, ok := c.message()
						switch {
						case ok && (m.Text != wantText || m.Method == "response_url" && c.URL != url):
							t.Errorf("%s %s sent %q, want %q (response_url %s)", m.Method, c.URL, m.Text, wantText, url)
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
					// The reply became the call, unless it failed.
					if len(sent) == 1 && sent[0].Method != r.fail {
						wantDelivered = []delivery{{reply.Text, sent[0].ref()}}
					}
					if r.logged != "" && strings.Count(h.logs.String(), r.logged) != logged+1 {
						t.Errorf("no log line %q", r.logged)
					}
					if r.shape.send == nil {
						if wantDelivered == nil && err == nil || wantDelivered != nil && (err != nil || sentRef != wantDelivered[0].ref) {
							t.Errorf("Send = %q, %v; want %+v", sentRef, err, wantDelivered)
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

// What the adapter once did itself when a Slack call failed, the engine
// does now (bot.fallback): the same person sees the same answer, in the
// place the engine's table names.
func TestFailedCallsFallBackThroughTheEngine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// act fails a call and does what meets the failure; want is
		// where its answer must show.
		act  func(t *testing.T, h *harness)
		want func(h *harness)
	}{
		{"response_url expired: a refusal reaches the presser's DM",
			func(t *testing.T, h *harness) {
				card := requestApproval(t, h)
				h.fake.fail("response_url", "expired_url")
				h.click(lieke, card, card.button(t, "Approve"))
			},
			func(h *harness) { h.waitPost(liekeDM, "Only helpdesk approvers") }},
		{"a card's chat.update fails: the decision is posted in the helpdesk channel",
			func(t *testing.T, h *harness) {
				card := requestApproval(t, h)
				h.fake.fail("chat.update", "message_not_found")
				h.click(hank, card, card.button(t, "Approve"))
			},
			func(h *harness) { h.waitPost(helpdeskCh, "Approved by Hank Helpdesk") }},
		{"chat.update fails in the DM: the next step is posted there",
			func(t *testing.T, h *harness) {
				h.dm(adele, adeleDM, "EvFallback", "reset my passcode", 0)
				list := h.waitPost(adeleDM, "Which device")
				h.fake.fail("chat.update", "message_not_found")
				h.click(adele, list, list.button(t, "Adele's Galaxy S7"))
			},
			func(h *harness) {
				if card := h.waitPost(adeleDM, "What do you want to do?"); len(card.Buttons) == 0 {
					h.t.Errorf("the card posted in place of the update has no buttons")
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newApprovalHarness(t, ModeSocket)
			tc.act(t, h)
			tc.want(h)
			if !strings.Contains(h.logs.String(), "reply not taken: sending it elsewhere") {
				t.Errorf("the engine did not log its fallback")
			}
		})
	}
}
