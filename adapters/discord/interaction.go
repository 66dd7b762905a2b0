package discord

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/locales"
)

// onInteraction handles /passcode and button clicks (INTERACTION_CREATE).
// The engine dedupes redelivered interactions by their ID.
func (a *Adapter) onInteraction(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
	i := ic.Interaction
	du := i.User // in a DM
	if i.Member != nil && i.Member.User != nil {
		du = i.Member.User // in a guild
	}
	if du == nil || du.Bot {
		return
	}
	a.rememberLocale(du.ID, i.Locale)
	ctx, end, ok := a.begin()
	if !ok {
		return
	}
	defer end()
	r := &responder{a: a, i: i, ctx: ctx}
	u := user(du, string(i.Locale))
	u.Approver = a.isApprover(ctx, i, u.ID)
	var ev bot.Event
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		req := parseCommand(i.ApplicationCommandData())
		if req.Link {
			a.link(ctx, r, u, req)
			return
		}
		ev = bot.Event{Kind: bot.Message, Text: req.Text}
	case discordgo.InteractionMessageComponent:
		ev = bot.Event{Kind: bot.Press, Action: i.MessageComponentData().CustomID}
	default:
		return
	}
	acc, refusal := a.account(ctx, u, u.Approver)
	if refusal != "" {
		_, _ = r.reply(ctx, bot.Reply{Text: refusal}, true) // logged by reply
		return
	}
	u = acc.Of(u)
	ev.DeliveryID, ev.User, ev.Channel, ev.Shared = i.ID, u, i.ChannelID, i.GuildID != ""
	if r.component() && i.Message != nil {
		ev.Clicked = ref(i.ChannelID, i.Message.ID)
		ev.ClickedEphemeral = r.clickedEphemeral()
		ev.ClickedPublic = i.GuildID != "" && !ev.ClickedEphemeral
	}
	r.run(ev)
}

// responder is an interaction's bot.Sender: it answers the interaction
// exactly once, then follows up through the interaction's webhook (a
// second callback would get 40060). The engine sends through it while the
// deferred acknowledgement of a slow engine may fire: mu makes the one
// answer either's, never both's.
type responder struct {
	a   *Adapter
	i   *discordgo.Interaction
	ctx context.Context // the event's

	mu       sync.Mutex
	acked    bool // the one callback was sent
	original bool // a deferred (type 5) "thinking" message waits for content
	origEph  bool // ... and it is ephemeral
}

func (r *responder) component() bool { return r.i.Type == discordgo.InteractionMessageComponent }

func (r *responder) clickedEphemeral() bool {
	return r.i.Message != nil && r.i.Message.Flags&discordgo.MessageFlagsEphemeral != 0
}

func flags(ephemeral bool) discordgo.MessageFlags {
	if ephemeral {
		return discordgo.MessageFlagsEphemeral
	}
	return 0
}

// run hands the event to the engine, which sends its replies through r,
// and acknowledges the interaction if the engine takes longer than
// deferAfter.
func (r *responder) run(ev bot.Event) {
	done := make(chan bot.Handled, 1)
	go func() { done <- r.a.handle(r.ctx, ev, r) }()
	timer := time.NewTimer(r.a.deferAfter)
	defer timer.Stop()
	var h bot.Handled
	select {
	case h = <-done:
	case <-timer.C:
		if r.acknowledge() {
			r.a.log.Info("discord: interaction deferred: the engine is slow", "interaction", r.i.ID, "after", r.a.deferAfter)
		}
		h = <-done
	}
	r.finish(h.Outcome)
}

// finish gives the interaction its answer if no reply did, and removes a
// "thinking" message nothing filled in.
func (r *responder) finish(outcome bot.EventOutcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.acked && outcome != bot.OutcomeDuplicate {
		// Every reply went elsewhere (a DM, the helpdesk channel, another
		// message): the interaction still wants its one answer, or Discord
		// shows "This interaction failed". A redelivery was answered by
		// its first delivery.
		r.ack()
	}
	if r.original {
		// Nothing could fill the "thinking" message (a redelivery, or only
		// ephemeral replies under a public one): remove it.
		if err := r.a.session.InteractionResponseDelete(r.i, discordgo.WithContext(r.ctx)); err != nil {
			r.a.log.Error("discord: delete deferred response", "interaction", r.i.ID, "err", err)
		}
		r.original = false
	}
}

// acknowledge acknowledges the interaction unless a reply answered it
// already, and reports whether it did.
func (r *responder) acknowledge() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.acked {
		return false
	}
	r.ack()
	return true
}

// ack acknowledges the interaction without content: a click keeps its
// message for now (type 6), a command shows "thinking" (type 5), which a
// reply fills in or finish removes. r.mu is held.
func (r *responder) ack() {
	resp := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}
	if !r.component() {
		r.original, r.origEph = true, r.i.GuildID != ""
		resp = &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}
		if r.origEph {
			resp.Data = &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}
		}
	}
	_ = r.callback(r.ctx, resp) // logged by callback
}

// Send implements bot.Sender: a reply's target becomes the interaction's
// answer, a follow-up through its webhook, or a message. A target it
// cannot do is an error: the engine decides where the reply goes instead.
func (r *responder) Send(ctx context.Context, rep bot.Reply) (bot.MessageRef, error) {
	switch rep.Target.Kind {
	case bot.ReplaceClicked:
		return r.update(ctx, rep)
	case bot.DisarmClicked:
		if r.i.Message == nil {
			return "", errors.New("discord: no clicked message to take the buttons off")
		}
		return r.update(ctx, bot.Reply{Text: r.i.Message.Content})
	case bot.Ephemeral:
		return r.reply(ctx, rep, true)
	case bot.Chat:
		return r.reply(ctx, rep, false)
	}
	return r.a.Send(ctx, rep)
}

// update replaces the clicked message: type 7 as the first answer, else an
// edit of the message after the type 6 acknowledgement. discordgo always
// sends content, so the full message goes every time.
func (r *responder) update(ctx context.Context, rep bot.Reply) (bot.MessageRef, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	msg := render(rep, r.a.log)
	var err error
	if !r.acked {
		err = r.callback(ctx, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseUpdateMessage,
			Data: &discordgo.InteractionResponseData{Content: msg.Content, Components: msg.Components, AllowedMentions: noMentions()},
		})
	} else {
		_, err = r.edit(ctx, msg)
	}
	if err != nil || r.i.Message == nil {
		return "", err
	}
	// Named even when the engine keeps nothing of the reply: it tells the
	// engine which message changed.
	return r.answerRef(true, r.i.ChannelID, r.i.Message.ID, r.clickedEphemeral()), nil
}

// reply posts a new message: the interaction's answer (type 4) if none was
// sent yet, the deferred message if its visibility fits, else a follow-up.
func (r *responder) reply(ctx context.Context, rep bot.Reply, ephemeral bool) (bot.MessageRef, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	msg := render(rep, r.a.log)
	var m *discordgo.Message
	var err error
	switch {
	case !r.acked:
		err = r.callback(ctx, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: msg.Content, Components: msg.Components, Flags: flags(ephemeral), AllowedMentions: noMentions()},
		})
		if err == nil && tracked(rep) {
			// The answer's message ID comes only from asking for it. The
			// answer is shown either way: sent, only its name is missing
			// (the engine must not send it again elsewhere).
			if m, err = r.a.session.InteractionResponse(r.i, discordgo.WithContext(ctx)); err != nil {
				r.a.log.Warn("discord: the answer was sent but its message ID could not be read", "interaction", r.i.ID, "err", err)
				return "", nil
			}
		}
	case r.original && ephemeral == r.origEph:
		r.original = false
		m, err = r.edit(ctx, msg)
	default:
		m, err = r.a.session.FollowupMessageCreate(r.i, true, &discordgo.WebhookParams{
			Content: msg.Content, Components: msg.Components, Flags: flags(ephemeral), AllowedMentions: noMentions(),
		}, discordgo.WithContext(ctx))
		if err != nil {
			r.a.log.Error("discord: follow-up message", "interaction", r.i.ID, "err", err)
		}
	}
	if err != nil || m == nil {
		return "", err
	}
	return r.answerRef(tracked(rep), m.ChannelID, m.ID, ephemeral), nil
}

// answerRef names a message this interaction answered with. An ephemeral
// message changes only through the webhook of an interaction that touched
// it, while its token lives (15 minutes): its reference holds that token,
// so it is handed out only when track is set (a reply the engine will
// change: a temporary passcode, a card, a message with buttons; or a
// message a press replaced). Its last part is the message's ID, so the
// engine knows it for the same message as under an earlier token.
func (r *responder) answerRef(track bool, channelID, messageID string, ephemeral bool) bot.MessageRef {
	switch {
	case !ephemeral:
		return ref(channelID, messageID)
	case track:
		return bot.MessageRef(webhookRef + r.i.AppID + "/" + r.i.Token + "/" + messageID)
	}
	return ""
}

// webhookRef starts the reference of an ephemeral message.
const webhookRef = "wh/"

// tracked: the engine wants the reply's message reference, to change it
// later: a temporary passcode's, a card's, and every message with buttons,
// which the engine takes off once their step is over.
func tracked(rep bot.Reply) bool { return rep.Scrub != "" || rep.Card != "" || len(rep.Buttons) > 0 }

// edit changes the interaction's original message (@original).
func (r *responder) edit(ctx context.Context, msg message) (*discordgo.Message, error) {
	m, err := r.a.session.InteractionResponseEdit(r.i, &discordgo.WebhookEdit{
		Content: &msg.Content, Components: &msg.Components, AllowedMentions: noMentions(),
	}, discordgo.WithContext(ctx))
	if err != nil {
		r.a.log.Error("discord: edit interaction response", "interaction", r.i.ID, "err", err)
	}
	return m, err
}

// callback sends the interaction's one response. It counts as sent even if
// the request failed: Discord may have taken it, and a second one is
// refused. r.mu is held.
func (r *responder) callback(ctx context.Context, resp *discordgo.InteractionResponse) error {
	r.acked = true
	err := r.a.session.InteractionRespond(r.i, resp, discordgo.WithContext(ctx))
	if err != nil {
		r.a.log.Error("discord: interaction response", "interaction", r.i.ID, "type", int(resp.Type), "err", err)
	}
	return err
}

// link handles /passcode link and unlink: approvers only, answered
// privately to the approver.
func (a *Adapter) link(ctx context.Context, r *responder, u bot.User, req request) {
	say := func(key string, args ...string) {
		_, _ = r.reply(ctx, bot.Reply{Text: locales.ForLocale(u.Locale, key, args...)}, true) // logged by reply
	}
	if !u.Approver {
		a.log.Warn("discord: link refused: not an approver", "by", u.ID)
		say("discord.link.denied")
		return
	}
	if req.UserID == "" || (!req.Unlink && req.UPN == "") {
		say("discord.link.usage")
		return
	}
	if res := r.i.ApplicationCommandData().Resolved; res != nil {
		if target := res.Users[req.UserID]; target != nil && target.Bot {
			say("discord.link.bot")
			return
		}
	}
	if req.Unlink {
		if err := a.links.Delete(ctx, u.Key(), req.UserID); err != nil {
			a.log.Error("discord: remove link", "user", req.UserID, "err", err)
			say("error.unavailable")
			return
		}
		a.log.Info("discord: link removed", "user", req.UserID, "by", u.ID)
		say("discord.unlink.done", "id", req.UserID)
		return
	}
	if !validUPN(req.UPN) {
		say("discord.link.badupn", "upn", req.UPN)
		return
	}
	if err := a.links.Set(ctx, u.Key(), req.UserID, req.UPN); err != nil {
		a.log.Error("discord: set link", "user", req.UserID, "err", err)
		say("error.unavailable")
		return
	}
	a.log.Info("discord: user linked", "user", req.UserID, "upn", req.UPN, "by", u.ID)
	say("discord.link.done", "id", req.UserID, "upn", req.UPN)
}
