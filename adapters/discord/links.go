package discord

import (
	"context"
	"strings"

	"github.com/passbot/passbot/bot"
)

// Links maps Discord user IDs to company accounts: Discord gives bots no
// e-mail address. *store.Links is the Redis implementation.
type Links interface {
	// Get returns the account linked to a Discord user: by object ID
	// after the person signed in, by UPN where an approver linked them;
	// the zero Account when there is none.
	Get(ctx context.Context, discordUserID string) (bot.Account, error)
	// Set (an approver's UPN link) and Delete change a link and audit the
	// change as actor's (platform:id).
	Set(ctx context.Context, actor, discordUserID, upn string) error
	Delete(ctx context.Context, actor, discordUserID string) error
}

// withFile answers from the store first, so an approver's /passcode link
// overrides the static file, then from the file's map.
type withFile struct {
	Links
	file map[string]string
}

func (w withFile) Get(ctx context.Context, id string) (bot.Account, error) {
	acc, err := w.Links.Get(ctx, id)
	if err != nil || acc != (bot.Account{}) {
		return acc, err
	}
	return bot.Account{UPN: w.file[id]}, nil
}

// validUPN is a light check that catches a Discord name typed where the
// work account belongs; Intune has the final word.
func validUPN(upn string) bool {
	at := strings.IndexByte(upn, '@')
	return at > 0 && at < len(upn)-1 && !strings.ContainsAny(upn, " \t\n<>`")
}
