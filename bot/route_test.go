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
		// The clicked message changes first (Discord answers a press once).
		{"discord click", click(Discord), []Reply{privReplace, replace, private}, []Target{repl, eph, eph}},
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
			got := route(tc.ev, append([]Reply(nil), tc.replies...), capsOf(tc.ev.User.Platform))
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

// capsOf are the platforms' adapters' capabilities.
func capsOf(p Platform) Caps { return Caps{EphemeralPrivacy: p == Discord} }

// TestFallback is the one table of where a reply goes when its chat did not
// take it where route put it (a response_url expired, an invoke answered
// already, a message deleted, DMs turned off), on every platform.
func TestFallback(t *testing.T) {
	adele := func(p Platform) User { return User{Platform: p, ID: "adele"} }
	hank := User{Platform: Slack, ID: "hank"}
	at := func(k TargetKind) Target { return Target{Kind: k} }
	dm := func(p Platform) Target { return Target{Kind: DirectMessage, User: adele(p)} }
	none := Target{}
	for _, tc := range []struct {
		name string
		p    Platform
		ev   Event // its User is adele on p
		r    Reply
		want Target
	}{
		// An ephemeral answer that could not be given goes to the person's DM …
		{"slack response_url expired", Slack, Event{Kind: Press}, Reply{Target: at(Ephemeral), Private: true}, dm(Slack)},
		{"teams invoke answered already", Teams, Event{Kind: Press, Shared: true}, Reply{Target: at(Ephemeral)}, dm(Teams)},
		{"discord plain ephemeral", Discord, Event{Kind: Press}, Reply{Target: at(Ephemeral)}, dm(Discord)},
		// … except where private means ephemeral: a passcode or a link never lasts in a DM.
		{"discord private ephemeral", Discord, Event{Kind: Press}, Reply{Target: at(Ephemeral), Private: true}, none},
		// A clicked message that cannot be changed: the reply comes as a new message.
		{"slack replace, plain", Slack, Event{Kind: Press}, Reply{Target: at(ReplaceClicked)}, at(Chat)},
		{"slack replace, private", Slack, Event{Kind: Press}, Reply{Target: at(ReplaceClicked), Private: true}, dm(Slack)},
		{"discord replace, private", Discord, Event{Kind: Press, ClickedEphemeral: true}, Reply{Target: at(ReplaceClicked), Private: true}, at(Ephemeral)},
		{"teams card decided", Teams, Event{Kind: Press, ClickedPublic: true, Action: "req:R1|1|*|approve"}, Reply{Target: at(ReplaceClicked)}, at(HelpdeskChannel)},
		{"slack card, private replace", Slack, Event{Kind: Press, ClickedPublic: true, Action: "req:R1|1|*|deny"}, Reply{Target: at(ReplaceClicked), Private: true}, dm(Slack)},
		// A step of a conversation run in a channel, or of a card the person
		// forwarded there, never falls back into that channel or the helpdesk's.
		{"discord channel command", Discord, Event{Kind: Press, Shared: true, ClickedEphemeral: true}, Reply{Target: at(ReplaceClicked)}, at(Ephemeral)},
		{"slack channel command", Slack, Event{Kind: Press, Shared: true, ClickedEphemeral: true}, Reply{Target: at(ReplaceClicked)}, dm(Slack)},
		{"teams forwarded card", Teams, Event{Kind: Press, Shared: true, ClickedPublic: true, Action: "c1|3|adele|pick:0"}, Reply{Target: at(ReplaceClicked)}, dm(Teams)},
		// DMs turned off (Discord, for a server's members): the presser still sees it, privately.
		{"discord DM to the presser", Discord, Event{Kind: Press}, Reply{Target: dm(Discord), Private: true}, at(Ephemeral)},
		{"slack DM to the presser", Slack, Event{Kind: Message}, Reply{Target: dm(Slack)}, at(Ephemeral)},
		// What is for someone else, the helpdesk channel, and updates have nowhere else to go.
		{"DM to someone else", Slack, Event{Kind: Press}, Reply{Target: Target{Kind: DirectMessage, User: hank}}, none},
		{"helpdesk channel", Slack, Event{Kind: Press}, Reply{Target: at(HelpdeskChannel)}, none},
		{"update", Discord, Event{Kind: Press}, Reply{Target: Target{Kind: UpdateRef, Ref: "c/1"}}, none},
		{"chat", Console, Event{Kind: Message}, Reply{Target: at(Chat)}, none},
		{"disarm", Discord, Event{Kind: Press}, Reply{Target: at(DisarmClicked)}, none},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.ev.User = adele(tc.p)
			got, ok := fallback(tc.ev, tc.r, capsOf(tc.p))
			if !ok {
				got = Target{}
			}
			if got != tc.want {
				t.Errorf("fallback of %s: %+v, want %+v", tc.r.Target.Kind, got, tc.want)
			}
			if (tc.r.Private || !helpdeskCard(tc.ev)) && got.Kind == HelpdeskChannel || got.Kind == Chat && (tc.ev.Shared || tc.ev.ClickedPublic) {
				t.Errorf("a reply of %+v falls back to %s", tc.ev, got.Kind)
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
// ephemeral), and never lands as a plain message in a channel; nor does
// any reply where its platform did not take it (fallback).
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
					}, capsOf(p))
					for _, r := range replies {
						k := r.Target.Kind
						if r.Private && (k == HelpdeskChannel ||
							k == ReplaceClicked && (ev.ClickedPublic || p == Discord && !ev.ClickedEphemeral) ||
							k == Chat && ev.Shared) {
							t.Errorf("%s %s %+v: private reply %q → %s", p, kind, ev, r.Text, k)
						}
						// Where the platform did not take it, it goes no more public.
						if fb, ok := fallback(ev, r, capsOf(p)); ok && (fb.Kind == HelpdeskChannel || fb.Kind == Chat && (ev.Shared || ev.ClickedPublic) ||
							r.Private && p == Discord && fb.Kind == DirectMessage) {
							t.Errorf("%s %s %+v: reply %q → %s falls back to %s", p, kind, ev, r.Text, k, fb.Kind)
						}
					}
				}
			}
		}
	}
}
