package bot

import "testing"

// TestRoute is the one table of where replies go: every reply kind on every
// kind of event, per platform. The adapters' tests only check that each
// target becomes the right platform call.
func TestRoute(t *testing.T) {
	adele := func(p Platform) User { return User{Platform: p, ID: "adele"} }
	hank := User{Platform: Slack, ID: "hank"}
	var (
		plain       = Reply{Text: "plain"}
		private     = Reply{Text: "private", Private: true}
		replace     = Reply{Text: "replace", Replace: true}
		privReplace = Reply{Text: "private replace", Private: true, Replace: true}
		helpdesk    = Reply{Text: "helpdesk", Audience: ToHelpdesk}
		other       = Reply{Text: "for hank", To: hank}
		otherPriv   = Reply{Text: "for hank only", To: hank, Private: true}
	)
	msg := func(p Platform) Event { return Event{Kind: Message, User: adele(p)} }
	click := func(p Platform) Event { return Event{Kind: Press, User: adele(p), Clicked: "dm/1"} }
	ephClick := func(p Platform) Event {
		return Event{Kind: Press, User: adele(p), Clicked: "dm/1", ClickedEphemeral: true}
	}
	channel := func(p Platform) Event { return Event{Kind: Message, User: adele(p), Shared: true} }
	channelClick := func(p Platform) Event {
		return Event{Kind: Press, User: adele(p), Shared: true, Clicked: "c/1", ClickedEphemeral: true}
	}
	card := func(p Platform) Event {
		return Event{Kind: Press, User: adele(p), Shared: true, Clicked: "hd/1", ClickedPublic: true}
	}
	// foreign is a press on a button of hank's conversation, in what the
	// platform calls the presser's chat (a forwarded card, a crafted press).
	foreign := func(p Platform) Event {
		return Event{Kind: Press, User: adele(p), Clicked: "dm/1", Action: "c1|3|hank|act"}
	}
	dmTo := func(u User) Target { return Target{Kind: DirectMessage, User: u} }
	var (
		chat = Target{Kind: Chat}
		repl = Target{Kind: ReplaceClicked}
		eph  = Target{Kind: Ephemeral}
		hd   = Target{Kind: HelpdeskChannel}
	)
	for _, tc := range []struct {
		name    string
		ev      Event
		replies []Reply
		want    []Target
	}{
		// A DM conversation: everything in the DM.
		{"slack message", msg(Slack), []Reply{plain, private, replace, helpdesk, other, otherPriv}, []Target{chat, chat, chat, hd, dmTo(hank), dmTo(hank)}},
		{"console message", msg(Console), []Reply{plain, private}, []Target{chat, chat}},
		{"teams message", msg(Teams), []Reply{plain, private}, []Target{chat, chat}},
		// A click replaces the clicked message with the first reply that asks to; the rest follow.
		{"slack click", click(Slack), []Reply{replace, replace, plain}, []Target{repl, chat, chat}},
		{"slack click, private replace", click(Slack), []Reply{privReplace, private}, []Target{repl, chat}},
		{"teams click, private replace", click(Teams), []Reply{privReplace}, []Target{repl}},
		// On Discord private means ephemeral: a private reply never takes the place of a
		// message everyone in the DM history keeps, and never goes as a plain message.
		{"discord message", msg(Discord), []Reply{plain, private}, []Target{chat, eph}},
		{"discord click", click(Discord), []Reply{privReplace, replace, private}, []Target{eph, repl, eph}},
		{"discord click on ephemeral", ephClick(Discord), []Reply{privReplace, private}, []Target{repl, eph}},
		// ... and when nothing may take the clicked message's place, it loses its buttons
		// (a sign-in link answering the banner's Sign in again): no live button is left.
		{"discord click, only a private replace", click(Discord), []Reply{privReplace, plain}, []Target{{Kind: DisarmClicked}, eph, chat}},
		// A conversation started in a channel stays between the person and the bot.
		{"discord channel command", channel(Discord), []Reply{plain, private, helpdesk}, []Target{eph, eph, hd}},
		{"discord channel click", channelClick(Discord), []Reply{replace, plain, private}, []Target{repl, eph, eph}},
		{"teams channel message", channel(Teams), []Reply{plain}, []Target{eph}},
		// A helpdesk card: a decision replaces the card for everyone and the agent's next
		// step goes to their DM; a refusal is shown to the clicker only, next to the card.
		{"slack card decided", card(Slack), []Reply{replace, private, other}, []Target{repl, dmTo(adele(Slack)), dmTo(hank)}},
		{"slack card refused", card(Slack), []Reply{private}, []Target{eph}},
		{"discord card refused", card(Discord), []Reply{private, plain}, []Target{eph, eph}},
		{"card, private replace", card(Slack), []Reply{privReplace}, []Target{eph}},
		// A press on someone else's card: the refusal is the presser's alone, never a
		// message in that chat, and the card stays as it was.
		{"teams foreign click", foreign(Teams), []Reply{private, privReplace}, []Target{eph, eph}},
		{"slack foreign click", foreign(Slack), []Reply{plain}, []Target{eph}},
		// A reply for the event's own person counts as theirs, whoever filled in To.
		{"own To", msg(Slack), []Reply{{Text: "mine", To: adele(Slack)}}, []Target{chat}},
		{"same ID, other platform", msg(Slack), []Reply{{Text: "console twin", To: adele(Console)}}, []Target{dmTo(adele(Console))}},
		// A message never replaces anything.
		{"message, replace", msg(Slack), []Reply{replace}, []Target{chat}},
		// A target set by the engine itself stays.
		{"update", msg(Slack), []Reply{{Text: "u", Target: Target{Kind: UpdateRef, Ref: "c/9"}}}, []Target{{Kind: UpdateRef, Ref: "c/9"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := route(tc.ev, append([]Reply(nil), tc.replies...), Caps{EphemeralPrivacy: tc.ev.User.Platform == Discord})
			if len(got) != len(tc.want) {
				t.Fatalf("%d replies routed, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, r := range got {
				if r.Target != tc.want[i] {
					t.Errorf("reply %q: target %+v, want %+v", r.Text, r.Target, tc.want[i])
				}
			}
		})
	}
}

// TestRouteLater: what the engine sends on its own goes to its person's DM
// or to the helpdesk channel, never "here".
func TestRouteLater(t *testing.T) {
	lieke := User{Platform: Discord, ID: "lieke"}
	got := routeLater([]Reply{
		{Text: "result", To: lieke, Private: true},
		{Text: "card", Audience: ToHelpdesk},
		{Text: "decided", Target: Target{Kind: UpdateRef, Ref: "c/1"}},
	})
	want := []Target{{Kind: DirectMessage, User: lieke}, {Kind: HelpdeskChannel}, {Kind: UpdateRef, Ref: "c/1"}}
	for i, r := range got {
		if r.Target != want[i] {
			t.Errorf("%q: %+v, want %+v", r.Text, r.Target, want[i])
		}
	}
}

// TestRoutePrivacyOverEveryEventShape checks the privacy rule itself over
// every platform, event kind, place and pair of reply flags: a private
// reply never reaches the helpdesk channel, never takes the place of a
// message everyone sees (on Discord: of any message that is not
// ephemeral), and never lands as a plain message in a channel.
func TestRoutePrivacyOverEveryEventShape(t *testing.T) {
	for _, p := range []Platform{Slack, Discord, Teams, Console} {
		owner := User{Platform: p, ID: "U1"}
		for _, kind := range []EventKind{Message, Press} {
			for mask := range 8 {
				ev := Event{Kind: kind, User: owner, Shared: mask&1 != 0, ClickedPublic: mask&2 != 0, ClickedEphemeral: mask&4 != 0}
				if ev.ClickedPublic && ev.ClickedEphemeral {
					continue // no message is both
				}
				for flags := range 16 {
					replies := route(ev, []Reply{
						{Text: "a", Replace: flags&1 != 0, Private: flags&2 != 0, To: owner},
						{Text: "b", Replace: flags&4 != 0, Private: flags&8 != 0, To: owner},
					}, Caps{EphemeralPrivacy: ev.User.Platform == Discord})
					for _, r := range replies {
						k := r.Target.Kind
						if r.Private && (k == HelpdeskChannel ||
							k == ReplaceClicked && (ev.ClickedPublic || p == Discord && !ev.ClickedEphemeral) ||
							k == Chat && ev.Shared) {
							t.Errorf("%s %s %+v: private reply %q → %s", p, kind, ev, r.Text, k)
						}
					}
				}
			}
		}
	}
}
