package discord

import (
	"context"
	"errors"
	"slices"
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
	acc, refusal := a.account(ctx, u, u.Approver)
	if refusal != "" {
		_, _ = r.reply(bot.Reply{Text: refusal}, true) // logged by reply
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

// run hands the event to the engine and answers with its replies, after a
// deferred acknowledgement if the engine takes longer than deferAfter.
func (r *responder) run(ev bot.Event) {
	done := make(chan bot.Handled, 1)
	go func() { done <- r.a.handle(r.ctx, ev) }()
	timer := time.NewTimer(r.a.deferAfter)
	defer timer.Stop()
	var h bot.Handled
	select {
	case h = <-done:
	case <-timer.C:
		r.acknowledge()
		r.a.log.Info("discord: interaction deferred: the engine is slow", "interaction", r.i.ID, "after", r.a.deferAfter)
		h = <-done
	}
	if !r.acked && h.Outcome != bot.OutcomeDuplicate && !slices.ContainsFunc(h.Replies, r.answers) {
		// Every reply goes elsewhere (a DM, the helpdesk channel, another
		// message): the interaction still wants its one answer, or Discord
		// shows "This interaction failed". A redelivery was answered by its
		// first delivery.
		r.acknowledge()
	}
	r.deliver(h.Replies)
}

// answers reports whether rep is sent as this interaction's answer (or
// through its webhook), so the interaction needs no answer of its own.
func (r *responder) answers(rep bot.Reply) bool {
	switch rep.Target.Kind {
	case bot.ReplaceClicked, bot.DisarmClicked, bot.Ephemeral, bot.Chat:
		return true
	}
	return false
}

// acknowledge acknowledges the interaction without content: a click keeps its
// message for now (type 6), a command shows "thinking" (type 5), which a
// reply fills in or deliver removes.
func (r *responder) acknowledge() {
	resp := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}
	if !r.component() {
		r.original, r.origEph = true, r.i.GuildID != ""
		resp = &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}
		if r.origEph {
			resp.Data = &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}
		}
	}
	_ = r.callback(resp) // logged by callback
}

// deliver sends each reply where the engine said and reports what it
// became (see bot.Engine.Delivered).
func (r *responder) deliver(replies []bot.Reply) {
	// The clicked message is replaced by the interaction's one response
	// (type 7), or after a deferred update (type 6) by an edit of
	// @original; once a reply before it answered with a new message,
	// @original is that message. So the replacement goes first.
	if i := slices.IndexFunc(replies, func(rep bot.Reply) bool {
		return rep.Target.Kind == bot.ReplaceClicked || rep.Target.Kind == bot.DisarmClicked
	}); i > 0 {
		replies = slices.Concat(replies[i:i+1], replies[:i], replies[i+1:])
	}
	for _, rep := range replies {
		ref, err := r.send(rep)
		if err == nil {
			err = r.a.handler.Delivered(r.ctx, rep, ref)
		}
		if err != nil {
			r.a.log.Error("discord: send reply", "interaction", r.i.ID, "target", rep.Target.Kind.String(), "err", err)
		}
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

// send maps a reply's target to the interaction's answers or a message.
func (r *responder) send(rep bot.Reply) (bot.MessageRef, error) {
	switch t := rep.Target; t.Kind {
	case bot.ReplaceClicked:
		return r.update(rep)
	case bot.DisarmClicked:
		if r.i.Message == nil {
			return "", errors.New("discord: no clicked message to take the buttons off")
		}
		return r.update(bot.Reply{Text: r.i.Message.Content})
	case bot.Ephemeral:
		return r.reply(rep, true)
	case bot.Chat:
		return r.reply(rep, false)
	case bot.DirectMessage:
		ref, err := r.a.post(r.ctx, rep)
		if err != nil && t.User.ID == r.userID {
			// DMs from server members turned off: the clicker still
			// sees it, privately, here.
			r.a.log.Warn("discord: DM unreachable: answering ephemerally instead", "user", r.userID, "err", err)
			return r.reply(rep, true)
		}
		return ref, err
	}
	return r.a.post(r.ctx, rep)
}

// update replaces the clicked message: type 7 as the first answer, else an
// edit of the message after the type 6 acknowledgement. discordgo always
// sends content, so the full message goes every time.
func (r *responder) update(rep bot.Reply) (bot.MessageRef, error) {
	msg := render(rep, r.a.log)
	var err error
	if !r.acked {
		err = r.callback(&discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseUpdateMessage,
			Data: &discordgo.InteractionResponseData{Content: msg.Content, Components: msg.Components, AllowedMentions: noMentions()},
		})
	} else {
		_, err = r.edit(msg)
	}
	if err != nil || r.i.Message == nil {
		return "", err
	}
	return r.answerRef(rep, r.i.ChannelID, r.i.Message.ID, r.clickedEphemeral()), nil
}

// reply posts a new message: the interaction's answer (type 4) if none was
// sent yet, the deferred message if its visibility fits, else a follow-up.
func (r *responder) reply(rep bot.Reply, ephemeral bool) (bot.MessageRef, error) {
	msg := render(rep, r.a.log)
	var m *discordgo.Message
	var err error
	switch {
	case !r.acked:
		err = r.callback(&discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: msg.Content, Components: msg.Components, Flags: flags(ephemeral), AllowedMentions: noMentions()},
		})
		if err == nil && tracked(rep) {
			// The answer's message ID comes only from asking for it.
			m, err = r.a.session.InteractionResponse(r.i, discordgo.WithContext(r.ctx))
		}
	case r.original && ephemeral == r.origEph:
		r.original = false
		m, err = r.edit(msg)
	default:
		m, err = r.a.session.FollowupMessageCreate(r.i, true, &discordgo.WebhookParams{
			Content: msg.Content, Components: msg.Components, Flags: flags(ephemeral), AllowedMentions: noMentions(),
		}, discordgo.WithContext(r.ctx))
		if err != nil {
			r.a.log.Error("discord: follow-up message", "interaction", r.i.ID, "err", err)
		}
	}
	if err != nil || m == nil {
		return "", err
	}
	return r.answerRef(rep, m.ChannelID, m.ID, ephemeral), nil
}

// answerRef names a message this interaction answered with. An ephemeral
// message can be changed only through the interaction's webhook, while its
// token lives (15 minutes): its reference holds that token, so it is
// handed out only for a reply the engine will change (a temporary
// passcode), never otherwise.
func (r *responder) answerRef(rep bot.Reply, channelID, messageID string, ephemeral bool) bot.MessageRef {
	switch {
	case !ephemeral:
		return ref(channelID, messageID)
	case tracked(rep):
		return bot.MessageRef(webhookRef + r.i.AppID + "/" + r.i.Token + "/" + messageID)
	}
	return ""
}

// webhookRef starts the reference of an ephemeral message.
const webhookRef = "wh/"

// tracked: the engine wants the reply's message reference, to change it later.
func tracked(rep bot.Reply) bool { return rep.Scrub != "" || rep.Card != "" }

// edit changes the interaction's original message (@original).
func (r *responder) edit(msg message) (*discordgo.Message, error) {
	m, err := r.a.session.InteractionResponseEdit(r.i, &discordgo.WebhookEdit{
		Content: &msg.Content, Components: &msg.Components, AllowedMentions: noMentions(),
	}, discordgo.WithContext(r.ctx))
	if err != nil {
		r.a.log.Error("discord: edit interaction response", "interaction", r.i.ID, "err", err)
	}
	return m, err
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
		_, _ = r.reply(bot.Reply{Text: locales.ForLocale(u.Locale, key, args...)}, true) // logged by reply
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
