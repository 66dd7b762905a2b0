package discord

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/passbot/passbot/bot"
)

// rolesTTL is how long the roles looked up for a DM count: a role removed
// in the guild stops counting in DMs after at most this long.
const rolesTTL = 5 * time.Minute

// maxCachedRoles is when the roles cache drops its expired entries.
const maxCachedRoles = 1000

type memberRoles struct {
	roles []string
	until time.Time
}

// isApprover reports whether the user is in PASSBOT_APPROVERS by ID or by
// one of their roles. A guild interaction carries the member's roles; a DM
// (message or interaction) does not, so the roles are looked up in the
// guild (PASSBOT_DISCORD_GUILD_ID, else the helpdesk channel's guild). A
// failed lookup never grants.
func (a *Adapter) isApprover(ctx context.Context, i *discordgo.Interaction, userID string) bool {
	ap := bot.Approvers(a.approvers)
	switch {
	case len(ap) == 0 || userID == "":
		return false
	case ap.Allows(userID):
		return true
	case i != nil && i.Member != nil:
		return ap.Allows(userID, i.Member.Roles...)
	}
	roles, ok := a.memberRoles(ctx, userID)
	return ok && ap.Allows(userID, roles...)
}

// memberRoles returns the user's roles in the approvers' guild; ok is false
// when they could not be read. Answers are cached for rolesTTL, failures
// not; "not a member" is an answer (no roles).
func (a *Adapter) memberRoles(ctx context.Context, userID string) (roles []string, ok bool) {
	guild := a.rolesGuild(ctx)
	if guild == "" {
		return nil, false
	}
	now := time.Now()
	a.mu.Lock()
	c, hit := a.roles[userID]
	a.mu.Unlock()
	if hit && now.Before(c.until) {
		return c.roles, true
	}
	m, err := a.session.GuildMember(guild, userID, discordgo.WithContext(ctx))
	var rest *discordgo.RESTError
	switch {
	case errors.As(err, &rest) && rest.Response != nil && rest.Response.StatusCode == http.StatusNotFound:
		roles = nil // not in the guild
	case err != nil || m == nil:
		a.log.Warn("discord: look up member roles: not treated as an approver", "user", userID, "guild", guild, "err", err)
		return nil, false
	default:
		roles = m.Roles
	}
	a.mu.Lock()
	if len(a.roles) >= maxCachedRoles {
		for id, c := range a.roles {
			if !now.Before(c.until) {
				delete(a.roles, id)
			}
		}
	}
	a.roles[userID] = memberRoles{roles: roles, until: now.Add(rolesTTL)}
	a.mu.Unlock()
	return roles, true
}

// rolesGuild is the guild whose roles count: the configured guild, else the
// helpdesk channel's, read once.
func (a *Adapter) rolesGuild(ctx context.Context) string {
	if a.cfg.DiscordGuildID != "" {
		return a.cfg.DiscordGuildID
	}
	a.mu.Lock()
	g := a.helpdeskGuild
	a.mu.Unlock()
	if g != "" || a.cfg.DiscordHelpdeskChannel == "" {
		return g
	}
	ch, err := a.session.Channel(a.cfg.DiscordHelpdeskChannel, discordgo.WithContext(ctx))
	if err != nil || ch.GuildID == "" {
		a.log.Warn("discord: read the helpdesk channel's guild: approver roles do not count in DMs", "channel", a.cfg.DiscordHelpdeskChannel, "err", err)
		return ""
	}
	a.mu.Lock()
	a.helpdeskGuild = ch.GuildID
	a.mu.Unlock()
	return ch.GuildID
}
