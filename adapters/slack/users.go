package slack

import (
	"context"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/ttlcache"
)

// userTTL is how long a users.info answer is reused: users.info is a Tier 4
// method, and an e-mail or locale change can wait this long.
const userTTL = 10 * time.Minute

// maxCachedUsers bounds the cache; a full one drops the person looked up
// least recently, who costs a users.info call when next seen.
const maxCachedUsers = 10000

// person is what passbot knows of a Slack user.
type person struct {
	user bot.User
	bot  bool // a bot user: its events are ignored
}

// userCache remembers users.info answers and the bot DM of each user.
type userCache struct {
	people *ttlcache.Cache[string, person]
	mu     sync.Mutex
	dms    map[string]string // user ID → the user's DM channel with the bot
}

func newUserCache() *userCache {
	return &userCache{people: ttlcache.New[string, person](maxCachedUsers), dms: map[string]string{}}
}

// person returns the Slack user as a bot.User: users.info with the locale,
// and the account the user proved by signing in (object ID and UPN), else
// as UPN the e-mail
// ("" without users:read.email or without an e-mail). Both are kept for
// userTTL.
func (a *Adapter) person(ctx context.Context, id string) (person, error) {
	now := a.now()
	if p, ok := a.users.people.Get(id, now); ok {
		return p, nil
	}
	info, err := a.api.GetUserInfoContext(ctx, id, slackapi.GetUserInfoOptionIncludeLocale(true))
	if err != nil {
		return person{}, err
	}
	name := info.Profile.RealName
	if name == "" {
		name = info.RealName
	}
	if name == "" {
		name = info.Name
	}
	p := person{
		user: bot.User{Platform: bot.Slack, ID: id, Name: name, UPN: info.Profile.Email, Locale: info.Locale, TZ: info.TZ},
		bot:  info.IsBot,
	}
	if a.Links != nil {
		// The e-mail is a guess at the UPN; a sign-in proved the link,
		// and its object ID finds the devices.
		acc, err := a.Links.Get(ctx, id)
		if err != nil {
			return person{}, err
		}
		p.user = acc.Of(p.user)
	}
	a.users.people.Put(id, p, now.Add(userTTL))
	return p, nil
}

// dm returns the ID of the user's direct-message channel with the bot,
// opening it when needed. Private replies go there: nobody else is in it.
func (a *Adapter) dm(ctx context.Context, userID string) (string, error) {
	a.users.mu.Lock()
	ch, ok := a.users.dms[userID]
	a.users.mu.Unlock()
	if ok {
		return ch, nil
	}
	c, _, _, err := a.api.OpenConversationContext(ctx, &slackapi.OpenConversationParameters{Users: []string{userID}, ReturnIM: true})
	if err != nil {
		return "", err
	}
	a.rememberDM(userID, c.ID)
	return c.ID, nil
}

// rememberDM records a DM channel seen in a message.im event.
func (a *Adapter) rememberDM(userID, channel string) {
	if userID == "" || channel == "" {
		return
	}
	a.users.mu.Lock()
	a.users.dms[userID] = channel
	a.users.mu.Unlock()
}
