package discord

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
)

// namer writes the IDs in calls, refs and events as names, so a table can
// say where a reply went.
type namer map[string]string

var snowflake = regexp.MustCompile(`(?:token-)?(\d{17,19})`)

// of names every ID in s; an interaction's token reads as its name.
func (n namer) of(s string) string {
	return snowflake.ReplaceAllStringFunc(s, func(m string) string {
		id := snowflake.FindStringSubmatch(m)[1]
		if name, ok := n[id]; ok {
			return name
		}
		return "?" + m
	})
}

// call describes a REST call that sends or changes a message.
func (n namer) call(c restCall) string {
	s := c.Method + " " + c.Path
	body := c.decode()
	if strings.HasSuffix(c.Path, "/callback") {
		typ, _ := body["type"].(float64)
		s += " type " + strconv.Itoa(int(typ))
		body, _ = body["data"].(map[string]any)
	}
	if fl, _ := body["flags"].(float64); int(fl)&64 != 0 {
		s += " ephemeral"
	}
	if text, _ := body["content"].(string); text != "" {
		s += " " + strconv.Quote(text)
	}
	if to, _ := body["recipient_id"].(string); to != "" {
		s += " to " + to
	}
	if c.Status >= 300 {
		s += " → " + strconv.Itoa(c.Status)
	}
	return n.of(s)
}

// event describes an event the adapter made, with what it knows of the
// person and of where it happened.
func (n namer) event(ev bot.Event) string {
	mark := func(on bool, s string) string { return map[bool]string{true: " " + s}[on] }
	return n.of(fmt.Sprintf("%s %s from %s", ev.Kind, ev.DeliveryID, ev.User.ID) + mark(ev.User.UPN != "", ev.User.UPN) +
		mark(ev.User.Approver, "(approver)") + " in " + ev.Channel + mark(ev.Shared, "shared") +
		mark(ev.Action != "", "action "+ev.Action) + mark(ev.Clicked != "", "on "+string(ev.Clicked)) +
		mark(ev.ClickedPublic, "public") + mark(ev.ClickedEphemeral, "ephemeral"))
}

// Event shapes of TestEachTargetIsOneDiscordCall.
const (
	dmMessage      = "a DM"
	guildSlash     = "/passcode in the guild"
	dmSlash        = "/passcode in the DM"
	dmPress        = "a press in the DM"
	ephemeralPress = "a press on an ephemeral message"
	cardPress      = "a press on the helpdesk card"
	cardRefused    = "a non-approver's press on the card"
	buttonsPress   = "a press on the ephemeral message with buttons of case buttons"
	send           = "the adapter's Send, one reply a call"
)

// TestEachTargetIsOneDiscordCall is the adapter's mapping table: for each
// event shape on which it answers differently, each target the engine
// resolved becomes the one Discord call listed (an interaction's single
// response, a follow-up through its webhook, a channel message, an edit),
// and the reference its Send returns names the message the reply became: a
// channel message as channel/message, an ephemeral one the engine will
// change (a passcode, a card, one with buttons) as wh/app/token/message,
// others "". A slow handler is answered on a second adapter that defers at
// once. The order of the replies and where one goes when its target fails
// are the engine's (bot TestRoute, the fallback table): the handler here
// sends what it is given, in order, and sees the errors.
//
// In calls, interactions and the messages each case creates are named
// after the case's id (its token too: "webhooks/app/slash" is the slash
// interaction's webhook) and numbered in order ("slash.1"); dmcard, ephmsg
// and card are messages with a button posted before, in nelly's DM, as an
// ephemeral answer in the guild channel and in the helpdesk channel.
func TestEachTargetIsOneDiscordCall(t *testing.T) {
	t.Parallel()
	to := func(k bot.TargetKind, text string) bot.Reply {
		return bot.Reply{Text: text, Target: bot.Target{Kind: k}}
	}
	dm := func(p person, text string) bot.Reply {
		return bot.Reply{Text: text, Target: bot.Target{Kind: bot.DirectMessage, User: bot.User{Platform: bot.Discord, ID: p.ID}}}
	}
	// update replaces the message of a reference, written with names
	// ("helpdesk/card"); "$text" is the reference delivered for the reply
	// with that text in an earlier case.
	update := func(ref, text string) bot.Reply {
		return bot.Reply{Text: text, Target: bot.Target{Kind: bot.UpdateRef, Ref: bot.MessageRef(ref)}}
	}
	// tracked is a reply whose message the engine changes later.
	tracked := func(r bot.Reply) bot.Reply { r.Scrub = "removed"; return r }
	// buttons is a reply with a button, which the engine takes off later.
	buttons := func(r bot.Reply) bot.Reply { r.Buttons = []bot.Button{{Label: "Press", Action: "act"}}; return r }
	type mapping struct {
		id, shape string
		slow      bool // on the adapter that defers at once
		outcome   bot.EventOutcome
		err       error
		blocked   []person // who takes no DMs from server members
		replies   []bot.Reply
		event     string
		calls     []string
		delivered []string // per reply: "text → ref", or "text ✗" when not sent
		log       string
	}
	cases := []mapping{{
		// A DM has no interaction to answer: everything is a message,
		// an ephemeral reply one in the DM only its person sees.
		id: "dm", shape: dmMessage,
		replies: []bot.Reply{to(bot.Chat, "chat"), to(bot.Ephemeral, "private"), dm(lieke, "to lieke"),
			to(bot.HelpdeskChannel, "to the helpdesk"), update("helpdesk/card", "card updated"), to(bot.ReplaceClicked, "replace")},
		event: `message dm from nelly adele.vance@contoso.com in dm-nelly`,
		calls: []string{
			`POST channels/dm-nelly/messages "chat"`,
			`POST channels/dm-nelly/messages "private"`,
			`POST users/@me/channels to lieke`,
			`POST channels/dm-lieke/messages "to lieke"`,
			`POST channels/helpdesk/messages "to the helpdesk"`,
			`PATCH channels/helpdesk/messages/card "card updated"`,
		},
		delivered: []string{"chat → dm-nelly/dm.1", "private → dm-nelly/dm.2", "to lieke → dm-lieke/dm.3",
			"to the helpdesk → helpdesk/dm.4", "card updated → helpdesk/card", "replace ✗"},
	}, {
		// The first reply is the interaction's response; its message ID
		// is asked for only when the engine tracks the reply.
		id: "slash", shape: guildSlash,
		replies: []bot.Reply{tracked(to(bot.Ephemeral, "secret")), to(bot.Ephemeral, "private"), to(bot.Chat, "public"),
			to(bot.HelpdeskChannel, "to the helpdesk"), dm(nelly, "to nelly")},
		event: `message slash from nelly adele.vance@contoso.com in general shared`,
		calls: []string{
			`POST interactions/slash/slash/callback type 4 ephemeral "secret"`,
			`GET webhooks/app/slash/messages/@original`,
			`POST webhooks/app/slash ephemeral "private"`,
			`POST webhooks/app/slash "public"`,
			`POST channels/helpdesk/messages "to the helpdesk"`,
			`POST users/@me/channels to nelly`,
			`POST channels/dm-nelly/messages "to nelly"`,
		},
		delivered: []string{"secret → wh/app/slash/slash.1", "private → ", "public → general/slash.3",
			"to the helpdesk → helpdesk/slash.4", "to nelly → dm-nelly/slash.5"},
	}, {
		id: "dmslash", shape: dmSlash,
		replies: []bot.Reply{tracked(to(bot.Chat, "public")), to(bot.Ephemeral, "private")},
		event:   `message dmslash from nelly adele.vance@contoso.com in dm-nelly`,
		calls: []string{
			`POST interactions/dmslash/dmslash/callback type 4 "public"`,
			`GET webhooks/app/dmslash/messages/@original`,
			`POST webhooks/app/dmslash ephemeral "private"`,
		},
		delivered: []string{"public → dm-nelly/dmslash.1", "private → "},
	}, {
		id: "press", shape: dmPress,
		replies: []bot.Reply{to(bot.ReplaceClicked, "replaced"), to(bot.Ephemeral, "private"), to(bot.Chat, "public"), dm(lieke, "to lieke")},
		event:   `press press from nelly adele.vance@contoso.com in dm-nelly action act on dm-nelly/dmcard`,
		calls: []string{
			`POST interactions/press/press/callback type 7 "replaced"`,
			`POST webhooks/app/press ephemeral "private"`,
			`POST webhooks/app/press "public"`,
			`POST channels/dm-lieke/messages "to lieke"`,
		},
		delivered: []string{"replaced → dm-nelly/dmcard", "private → ", "public → dm-nelly/press.2", "to lieke → dm-lieke/press.3"},
	}, {
		// Every reply goes elsewhere: once they are sent, the press still
		// gets its one answer, which changes nothing (type 6), not "This
		// interaction failed".
		id: "elsewhere", shape: dmPress,
		replies: []bot.Reply{dm(lieke, "to lieke"), to(bot.HelpdeskChannel, "to the helpdesk")},
		calls: []string{
			`POST channels/dm-lieke/messages "to lieke"`,
			`POST channels/helpdesk/messages "to the helpdesk"`,
			`POST interactions/elsewhere/elsewhere/callback type 6`,
		},
		delivered: []string{"to lieke → dm-lieke/elsewhere.1", "to the helpdesk → helpdesk/elsewhere.2"},
	}, {
		// ... and a command's "thinking" answer is removed at once.
		id: "slashelsewhere", shape: guildSlash,
		replies: []bot.Reply{to(bot.HelpdeskChannel, "to the helpdesk")},
		calls: []string{
			`POST channels/helpdesk/messages "to the helpdesk"`,
			`POST interactions/slashelsewhere/slashelsewhere/callback type 5 ephemeral`,
			`DELETE webhooks/app/slashelsewhere/messages/@original`,
		},
		delivered: []string{"to the helpdesk → helpdesk/slashelsewhere.1"},
	}, {
		// A new message as the response: untracked, no reference.
		id: "answer", shape: dmPress,
		replies:   []bot.Reply{to(bot.Chat, "public")},
		calls:     []string{`POST interactions/answer/answer/callback type 4 "public"`},
		delivered: []string{"public → "},
	}, {
		// Every message with buttons is named, so that the engine can take
		// them off once their step is over: an ephemeral one through the
		// webhook of the interaction it answered.
		id: "buttons", shape: dmPress,
		replies: []bot.Reply{buttons(to(bot.Ephemeral, "link")), buttons(to(bot.Chat, "next"))},
		calls: []string{
			`POST interactions/buttons/buttons/callback type 4 ephemeral "link"`,
			`GET webhooks/app/buttons/messages/@original`,
			`POST webhooks/app/buttons "next"`,
		},
		delivered: []string{"link → wh/app/buttons/buttons.1", "next → dm-nelly/buttons.2"},
	}, {
		// A press that replaces such an ephemeral message names it, buttons
		// or not, through its own webhook: the same message ID tells the
		// engine it is the message it knew under the earlier token.
		id: "renamed", shape: buttonsPress,
		replies:   []bot.Reply{to(bot.ReplaceClicked, "cancelled")},
		calls:     []string{`POST interactions/renamed/renamed/callback type 7 "cancelled"`},
		delivered: []string{"cancelled → wh/app/renamed/buttons.1"},
	}, {
		// A replaced ephemeral message is named through the webhook of the
		// interaction that replaced it, the one whose token lives longest.
		id: "ephpress", shape: ephemeralPress,
		replies: []bot.Reply{tracked(to(bot.ReplaceClicked, "replaced")), to(bot.Ephemeral, "private")},
		event:   `press ephpress from nelly adele.vance@contoso.com in general shared action act on general/ephmsg ephemeral`,
		calls: []string{
			`POST interactions/ephpress/ephpress/callback type 7 "replaced"`,
			`POST webhooks/app/ephpress ephemeral "private"`,
		},
		delivered: []string{"replaced → wh/app/ephpress/ephmsg", "private → "},
	}, {
		id: "decide", shape: cardPress,
		replies: []bot.Reply{{Text: "decided", Card: "req-1", Target: bot.Target{Kind: bot.ReplaceClicked}},
			dm(mason, "your next step"), to(bot.Ephemeral, "only you"), to(bot.HelpdeskChannel, "to the helpdesk"), dm(nelly, "to nelly")},
		event: `press decide from mason (approver) in helpdesk shared action act on helpdesk/card public`,
		calls: []string{
			`POST interactions/decide/decide/callback type 7 "decided"`,
			`POST users/@me/channels to mason`,
			`POST channels/dm-mason/messages "your next step"`,
			`POST webhooks/app/decide ephemeral "only you"`,
			`POST channels/helpdesk/messages "to the helpdesk"`,
			`POST channels/dm-nelly/messages "to nelly"`,
		},
		delivered: []string{"decided → helpdesk/card", "your next step → dm-mason/decide.1", "only you → ",
			"to the helpdesk → helpdesk/decide.3", "to nelly → dm-nelly/decide.4"},
	}, {
		// A DM closed to the bot is an error the engine sees: it sends
		// the clicker's own ephemerally instead (bot's fallback table,
		// TestAnApproverWhoTakesNoDMsIsAskedForTheReasonPrivately).
		id: "closed", shape: cardPress, blocked: []person{mason, nelly},
		replies: []bot.Reply{to(bot.ReplaceClicked, "decided"), dm(mason, "your next step"), dm(nelly, "to nelly")},
		calls: []string{
			`POST interactions/closed/closed/callback type 7 "decided"`,
			`POST channels/dm-mason/messages "your next step" → 403`,
			`POST channels/dm-nelly/messages "to nelly" → 403`,
		},
		delivered: []string{"decided → helpdesk/card", "your next step ✗", "to nelly ✗"},
	}, {
		// Outcomes change nothing in the mapping: the adapter sends what
		// it is given and logs the outcome of an error.
		id: "refused", shape: cardRefused, outcome: bot.OutcomeRefused,
		replies:   []bot.Reply{to(bot.Ephemeral, "not yours")},
		event:     `press refused from lieke lieke.devries@contoso.com in helpdesk shared action act on helpdesk/card public`,
		calls:     []string{`POST interactions/refused/refused/callback type 4 ephemeral "not yours"`},
		delivered: []string{"not yours → "},
	}, {
		id: "failed", shape: guildSlash, outcome: bot.OutcomeError, err: &bot.Error{Code: "error.unavailable", Err: errors.New("redis down")},
		replies:   []bot.Reply{to(bot.Ephemeral, "try again later")},
		calls:     []string{`POST interactions/failed/failed/callback type 4 ephemeral "try again later"`},
		delivered: []string{"try again later → "},
		log:       `"reason":"error.unavailable","outcome":"error"`,
	}, {
		// A redelivery: the first delivery answered the interaction.
		id: "again", shape: dmPress, outcome: bot.OutcomeDuplicate,
	}, {
		// The clicked message loses its buttons and keeps its text; the
		// private reply that could not take its place follows.
		id: "disarm", shape: dmPress,
		replies: []bot.Reply{to(bot.DisarmClicked, ""), to(bot.Ephemeral, "private")},
		calls: []string{
			`POST interactions/disarm/disarm/callback type 7 "dmcard"`,
			`POST webhooks/app/disarm ephemeral "private"`,
		},
		delivered: []string{" → dm-nelly/dmcard", "private → "},
	}, {
		// What the engine sends on its own.
		id: "send", shape: send,
		replies: []bot.Reply{to(bot.HelpdeskChannel, "a card"), dm(nelly, "later"), update("helpdesk/card", "closed"),
			update("$secret", "secret removed"), dm(person{}, "to nobody"), {Text: "to slack", Target: bot.Target{Kind: bot.DirectMessage, User: bot.User{Platform: bot.Slack, ID: "U1"}}},
			update("nonsense", "bad ref"), to(bot.Chat, "no event to answer"), {Text: "no target"}},
		calls: []string{
			`POST channels/helpdesk/messages "a card"`,
			`POST channels/dm-nelly/messages "later"`,
			`PATCH channels/helpdesk/messages/card "closed"`,
			`PATCH webhooks/app/slash/messages/slash.1 "secret removed"`,
		},
		delivered: []string{"a card → helpdesk/send.1", "later → dm-nelly/send.2", "closed → helpdesk/card",
			"secret removed → wh/app/slash/slash.1", "to nobody ✗", "to slack ✗", "bad ref ✗", "no event to answer ✗", "no target ✗"},
	}, {
		// Held past the deadline, /passcode shows "thinking" (type 5),
		// ephemeral in the guild; the first reply of its visibility fills
		// it in.
		id: "slow", shape: guildSlash, slow: true,
		replies: []bot.Reply{tracked(to(bot.Ephemeral, "secret")), to(bot.Chat, "public")},
		calls: []string{
			`POST interactions/slow/slow/callback type 5 ephemeral`,
			`PATCH webhooks/app/slow/messages/@original "secret"`,
			`POST webhooks/app/slow "public"`,
		},
		delivered: []string{"secret → wh/app/slow/slow.1", "public → general/slow.2"},
		log:       "interaction deferred",
	}, {
		// Nothing fits the ephemeral "thinking": it is removed.
		id: "slowpublic", shape: guildSlash, slow: true,
		replies: []bot.Reply{to(bot.Chat, "public")},
		calls: []string{
			`POST interactions/slowpublic/slowpublic/callback type 5 ephemeral`,
			`POST webhooks/app/slowpublic "public"`,
			`DELETE webhooks/app/slowpublic/messages/@original`,
		},
		delivered: []string{"public → general/slowpublic.2"},
	}, {
		id: "slowdm", shape: dmSlash, slow: true,
		replies: []bot.Reply{to(bot.Chat, "public")},
		calls: []string{
			`POST interactions/slowdm/slowdm/callback type 5`,
			`PATCH webhooks/app/slowdm/messages/@original "public"`,
		},
		delivered: []string{"public → dm-nelly/slowdm.1"},
	}, {
		// A held press keeps its message (type 6), then edits it.
		id: "slowpress", shape: dmPress, slow: true,
		replies: []bot.Reply{to(bot.ReplaceClicked, "replaced"), to(bot.Ephemeral, "private")},
		calls: []string{
			`POST interactions/slowpress/slowpress/callback type 6`,
			`PATCH webhooks/app/slowpress/messages/@original "replaced"`,
			`POST webhooks/app/slowpress ephemeral "private"`,
		},
		delivered: []string{"replaced → dm-nelly/dmcard", "private → "},
	}, {
		id: "slowagain", shape: guildSlash, slow: true, outcome: bot.OutcomeDuplicate,
		calls: []string{
			`POST interactions/slowagain/slowagain/callback type 5 ephemeral`,
			`DELETE webhooks/app/slowagain/messages/@original`,
		},
	}}

	for _, slow := range []bool{false, true} {
		t.Run(map[bool]string{false: "prompt", true: "slow"}[slow], func(t *testing.T) {
			t.Parallel()
			s := &enginetest.Scripted{}
			h := start(t, options{guild: testGuild, helpdesk: helpdeskChannel, handler: s, deferAfter: map[bool]time.Duration{true: time.Nanosecond}[slow]})
			f := h.fake
			if err := h.links.Set(t.Context(), "test", lieke.ID, "lieke.devries@contoso.com"); err != nil {
				t.Fatal(err)
			}
			names := namer{nelly.ID: "nelly", mason.ID: "mason", lieke.ID: "lieke", testApp: "app", testGuild: "guild",
				guildChannel: "general", helpdeskChannel: "helpdesk"}
			seed := func(name, channelID string, flags int) fakeMessage {
				f.mu.Lock()
				defer f.mu.Unlock()
				guild := map[bool]string{true: testGuild}[guildChannels[channelID]]
				button := map[string]any{"type": 2, "style": 2, "label": "Press", "custom_id": "act"}
				m := f.store(channelID, guild, map[string]any{"content": name, "flags": float64(flags),
					"components": []any{map[string]any{"type": 1, "components": []any{button}}}}, "")
				names[m.ID] = name
				return *m
			}
			// named returns the message a case named.
			named := func(name string) fakeMessage {
				f.mu.Lock()
				defer f.mu.Unlock()
				for id, n := range names {
					if n == name && f.messages[id] != nil {
						return *f.messages[id]
					}
				}
				t.Fatalf("no message %s", name)
				return fakeMessage{}
			}
			dmcard, ephmsg, card := seed("dmcard", dmChannel(nelly.ID), 0), seed("ephmsg", guildChannel, 64), seed("card", helpdeskChannel, 0)
			shapes := map[string]func() string{
				dmMessage:      func() string { return f.sendDM(nelly, "hello") },
				guildSlash:     func() string { return f.slash(nelly, true, nil, nil) },
				dmSlash:        func() string { return f.slash(nelly, false, nil, nil) },
				dmPress:        func() string { return f.click(t, nelly, dmcard, "Press") },
				ephemeralPress: func() string { return f.click(t, nelly, ephmsg, "Press") },
				cardPress:      func() string { return f.click(t, mason, card, "Press") },
				cardRefused:    func() string { return f.click(t, lieke, card, "Press") },
				buttonsPress:   func() string { return f.click(t, nelly, named("buttons.1"), "Press") },
			}
			delivered := map[string]bot.MessageRef{} // by reply text, over all cases
			// resolve turns a named reference into the adapter's: "$text"
			// is the one delivered for that reply in an earlier case.
			resolve := func(ref bot.MessageRef) bot.MessageRef {
				if text, ok := strings.CutPrefix(string(ref), "$"); ok {
					return delivered[text]
				}
				parts := strings.Split(string(ref), "/")
				for i, p := range parts {
					for id, name := range names {
						if name == p {
							parts[i] = id
						}
					}
				}
				return bot.MessageRef(strings.Join(parts, "/"))
			}
			// fire delivers an event of a shape and returns its ID once the
			// adapter has sent every reply.
			handled := 0
			fire := func(shape string) string {
				release := func() {}
				if slow {
					gate := make(chan struct{})
					release = sync.OnceFunc(func() { close(gate) })
					t.Cleanup(release) // a failed wait leaves no event held
					h.handler.mu.Lock()
					h.handler.hold = gate
					h.handler.mu.Unlock()
				}
				id := shapes[shape]()
				if slow {
					// Held until Discord has the deferred response.
					f.waitFor(t, "the deferred response", func() bool { return len(f.answered[id]) > 0 })
				}
				release()
				handled++
				h.handler.waitCount(t, handled)
				h.adapter.inflight.Wait()
				return id
			}
			for _, tc := range cases {
				if tc.slow != slow {
					continue
				}
				replies := slices.Clone(tc.replies)
				for i, r := range replies {
					replies[i].Target.Ref = resolve(r.Target.Ref)
				}
				s.Take() // forget the last case's
				s.Answer(bot.Handled{Outcome: cmp.Or(tc.outcome, bot.OutcomeOK), Replies: replies}, tc.err)
				blocked := map[string]bool{}
				for _, p := range tc.blocked {
					blocked[dmChannel(p.ID)] = true
				}
				f.mu.Lock()
				f.blocked = blocked
				calls, msgs := len(f.calls), len(f.order)
				f.mu.Unlock()
				logs := len(h.logs.String())

				got := map[string]bot.MessageRef{}
				failed := map[string]bool{}
				if tc.shape == send {
					for _, r := range replies {
						ref, err := h.adapter.Send(t.Context(), r)
						got[r.Text], failed[r.Text] = ref, err != nil
					}
				} else {
					id := fire(tc.shape)
					names[id] = tc.id
					events, ds := s.Take()
					for _, d := range ds {
						got[d.Reply.Text] = d.Ref
					}
					if len(events) != 1 {
						t.Fatalf("%s: the handler saw %d events", tc.id, len(events))
					}
					if e := names.event(events[0]); tc.event != "" && e != tc.event {
						t.Errorf("%s: event\n%s\nwant\n%s", tc.id, e, tc.event)
					}
				}

				f.mu.Lock()
				for i, id := range f.order[msgs:] {
					names[id] = tc.id + "." + strconv.Itoa(i+1)
				}
				var sent []string
				for _, c := range f.calls[calls:] {
					// Looking up an approver's roles sends nothing.
					if c.Method != "GET" || strings.HasPrefix(c.Path, "webhooks/") {
						sent = append(sent, names.call(c))
					}
				}
				f.mu.Unlock()
				if !slices.Equal(sent, tc.calls) {
					t.Errorf("%s: calls\n%s\nwant\n%s", tc.id, strings.Join(sent, "\n"), strings.Join(tc.calls, "\n"))
				}
				var refs []string
				for _, r := range replies {
					ref, ok := got[r.Text]
					if ok && !failed[r.Text] {
						refs = append(refs, r.Text+" → "+names.of(string(ref)))
						delivered[r.Text] = ref
					} else {
						refs = append(refs, r.Text+" ✗")
					}
				}
				if !slices.Equal(refs, tc.delivered) {
					t.Errorf("%s: delivered\n%s\nwant\n%s", tc.id, strings.Join(refs, "\n"), strings.Join(tc.delivered, "\n"))
				}
				if tc.log != "" && !strings.Contains(h.logs.String()[logs:], tc.log) {
					t.Errorf("%s: the log does not say %q", tc.id, tc.log)
				}
			}
		})
	}
}
