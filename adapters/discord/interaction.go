package discord

import (
	"context"
	"slices"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/passbot/passbot/bot"
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
	r := &responder{a: a, i: i, ctx: ctx, userID: du.ID}
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
	upn, refusal := a.upn(ctx, u, u.Approver)
	if refusal != "" {
		_ = r.reply(bot.Reply{Text: refusal, Private: true}) // logged by reply
		return
	}
	u.UPN = upn
	ev.DeliveryID, ev.User, ev.Channel = i.ID, u, i.ChannelID
	r.run(ev)
}

// responder answers one interaction exactly once, then follows up through
// the interaction's webhook: a second callback would get 40060.
type responder struct {
	a      *Adapter
	i      *discordgo.Interaction
	ctx    context.Context
	userID string // who clicked or typed

	acked    bool // the one callback was sent
	original bool // a deferred (type 5) "thinking" message waits for content
	origEph  bool // ... and it is ephemeral
	replaced bool // the clicked message shows a reply already
}

func (r *responder) component() bool { return r.i.Type == discordgo.InteractionMessageComponent }

// ephemeral: private replies always; in a guild channel the whole
// conversation, so colleagues see nothing of it.
func (r *responder) ephemeral(rep bot.Reply) bool { return rep.Private || r.i.GuildID != "" }

func (r *responder) flags(rep bot.Reply) discordgo.MessageFlags {
	if r.ephemeral(rep) {
		return discordgo.MessageFlagsEphemeral
	}
	return 0
}

// cardClick: the clicked message is public in a guild channel, so it is a
// helpdesk card (the bot answers everything else in a guild ephemerally).
func (r *responder) cardClick() bool {
	return r.component() && r.i.GuildID != "" && (r.i.Message == nil || r.i.Message.Flags&discordgo.MessageFlagsEphemeral == 0)
}

// canReplace: a click's reply may take the place of the clicked message,
// unless it is private and that message is not. On a helpdesk card that is
// the decision, shown to the whole channel.
func (r *responder) canReplace(rep bot.Reply) bool {
	if !r.component() || !rep.Replace || rep.Audience != bot.ToUser || r.replaced {
		return false
	}
	clickedEph := r.i.Message != nil && r.i.Message.Flags&discordgo.MessageFlagsEphemeral != 0
	return !rep.Private || clickedEph
}

// run hands the event to the engine and answers with its replies, after a
// deferred acknowledgement if the engine takes longer than deferAfter.
func (r *responder) run(ev bot.Event) {
	done := make(chan []bot.Reply, 1)
	go func() { done <- r.a.handle(r.ctx, ev) }()
	timer := time.NewTimer(r.a.deferAfter)
	defer timer.Stop()
	var replies []bot.Reply
	select {
	case replies = <-done:
	case <-timer.C:
		r.deferNow()
		replies = <-done
	}
	r.deliver(replies)
}

// deferNow acknowledges the interaction without content: a click keeps its
// message for now (type 6), a command shows "thinking" (type 5).
func (r *responder) deferNow() {
	resp := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}
	if !r.component() {
		r.original, r.origEph = true, r.i.GuildID != ""
		resp = &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}
		if r.origEph {
			resp.Data = &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}
		}
	}
	_ = r.callback(resp) // logged by callback
	r.a.log.Info("discord: interaction deferred: the engine is slow", "interaction", r.i.ID, "after", r.a.deferAfter)
}

// deliver sends the replies: for a click, the first that may replace the
// clicked message does so (old buttons go with it), the others follow.
func (r *responder) deliver(replies []bot.Reply) {
	for k, rep := range replies {
		if r.canReplace(rep) {
			r.delivered(rep, r.update(rep))
			replies = slices.Delete(slices.Clone(replies), k, k+1)
			break
		}
	}
	decided := r.replaced && r.cardClick()
	for _, rep := range replies {
		switch {
		case rep.Audience == bot.ToHelpdesk:
			_ = r.a.helpdesk(r.ctx, rep) // logged by send
		case decided && rep.Private && (rep.To.ID == "" || rep.To.ID == r.userID):
			// The agent's next step after a decision on a card (the reason
			// for a denial) happens in their DM with the bot: say it there.
			// Refusals, with no decision, stay ephemeral next to the card.
			r.delivered(rep, r.toDM(rep))
		default:
			r.delivered(rep, r.reply(rep))
		}
	}
	if r.original {
		// Nothing could fill the "thinking" message (a redelivery, or only
		// private replies under a public one): remove it.
		if err := r.a.session.InteractionResponseDelete(r.i, discordgo.WithContext(r.ctx)); err != nil {
			r.a.log.Error("discord: delete deferred response", "interaction", r.i.ID, "err", err)
		}
		r.original = false
	}
}

// update replaces the clicked message: type 7 as the first answer, else an
// edit of the message after the type 6 acknowledgement. discordgo always
// sends content, so the full message goes every time.
func (r *responder) update(rep bot.Reply) error {
	r.replaced = true
	msg := render(rep, r.a.log)
	if !r.acked {
		return r.callback(&discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseUpdateMessage,
			Data: &discordgo.InteractionResponseData{Content: msg.Content, Components: msg.Components, AllowedMentions: noMentions()},
		})
	}
	return r.edit(msg)
}

// delivered reports a sent reply that carries a reset's result to the
// engine, which otherwise sends it again later.
func (r *responder) delivered(rep bot.Reply, err error) {
	if err != nil || rep.Receipt == "" {
		return
	}
	if err := r.a.handler.Delivered(r.ctx, rep); err != nil {
		r.a.log.Error("discord: report a delivered result", "interaction", r.i.ID, "err", err)
	}
}

// reply posts a new message: the interaction's answer (type 4) if none was
// sent yet, the deferred message if its visibility fits, else a follow-up.
func (r *responder) reply(rep bot.Reply) error {
	msg := render(rep, r.a.log)
	switch {
	case !r.acked:
		return r.callback(&discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: msg.Content, Components: msg.Components, Flags: r.flags(rep), AllowedMentions: noMentions()},
		})
	case r.original && (!r.ephemeral(rep) || r.origEph):
		r.original = false
		return r.edit(msg)
	default:
		_, err := r.a.session.FollowupMessageCreate(r.i, true, &discordgo.WebhookParams{
			Content: msg.Content, Components: msg.Components, Flags: r.flags(rep), AllowedMentions: noMentions(),
		}, discordgo.WithContext(r.ctx))
		if err != nil {
			r.a.log.Error("discord: follow-up message", "interaction", r.i.ID, "err", err)
		}
		return err
	}
}

// toDM posts a reply in the user's DM with the bot, or ephemerally here
// when the DM cannot be reached (DMs from server members turned off).
func (r *responder) toDM(rep bot.Reply) error {
	ch, err := r.a.dmChannel(r.ctx, r.userID)
	if err == nil {
		err = r.a.send(r.ctx, ch, rep)
	}
	if err != nil {
		r.a.log.Warn("discord: DM unreachable: answering ephemerally instead", "user", r.userID, "err", err)
		return r.reply(rep)
	}
	return nil
}

// edit changes the interaction's original message (@original).
func (r *responder) edit(msg message) error {
	_, err := r.a.session.InteractionResponseEdit(r.i, &discordgo.WebhookEdit{
		Content: &msg.Content, Components: &msg.Components, AllowedMentions: noMentions(),
	}, discordgo.WithContext(r.ctx))
	if err != nil {
		r.a.log.Error("discord: edit interaction response", "interaction", r.i.ID, "err", err)
	}
	return err
}

// callback sends the interaction's one response. It counts as sent even if
// the request failed: Discord may have taken it, and a second one is refused.
func (r *responder) callback(resp *discordgo.InteractionResponse) error {
	r.acked = true
	err := r.a.session.InteractionRespond(r.i, resp, discordgo.WithContext(r.ctx))
	if err != nil {
		r.a.log.Error("discord: interaction response", "interaction", r.i.ID, "type", int(resp.Type), "err", err)
	}
	return err
}

// link handles /passcode link and unlink: approvers only, answered
// privately to the approver.
func (a *Adapter) link(ctx context.Context, r *responder, u bot.User, req request) {
	say := func(key string, args ...string) {
		_ = r.reply(bot.Reply{Text: text(u.Locale, key, args...), Private: true}) // logged by reply
	}
	if !u.Approver {
		a.log.Warn("discord: link refused: not an approver", "by", u.ID)
		say("link.denied")
		return
	}
	if req.UserID == "" || (!req.Unlink && req.UPN == "") {
		say("link.usage")
		return
	}
	if res := r.i.ApplicationCommandData().Resolved; res != nil {
		if target := res.Users[req.UserID]; target != nil && target.Bot {
			say("link.bot")
			return
		}
	}
	if req.Unlink {
		if err := a.links.Delete(ctx, u.Key(), req.UserID); err != nil {
			a.log.Error("discord: remove link", "user", req.UserID, "err", err)
			say("unavailable")
			return
		}
		a.log.Info("discord: link removed", "user", req.UserID, "by", u.ID)
		say("unlink.done", "id", req.UserID)
		return
	}
	if !validUPN(req.UPN) {
		say("link.badupn", "upn", req.UPN)
		return
	}
	if err := a.links.Set(ctx, u.Key(), req.UserID, req.UPN); err != nil {
		a.log.Error("discord: set link", "user", req.UserID, "err", err)
		say("unavailable")
		return
	}
	a.log.Info("discord: user linked", "user", req.UserID, "upn", req.UPN, "by", u.ID)
	say("link.done", "id", req.UserID, "upn", req.UPN)
}
