package bot

import (
	"strconv"
	"strings"
)

// action is the decoded form of a button's Action string. Buttons carry the
// conversation ID and version they were made for, and their owner, so the
// engine can refuse stale and foreign clicks before anything happens.
type action struct {
	Conv    string
	Version int64
	Owner   string
	Name    string
	Arg     string
}

// sep separates the stamp's fields; platform user IDs never contain it.
const sep = "|"

// stamp turns a flow's "name" or "name:arg" into a button action string.
func stamp(c *Conversation, nameArg string) string {
	return c.ID + sep + strconv.FormatInt(c.Version, 10) + sep + c.Owner.ID + sep + nameArg
}

// parseAction decodes an action string; ok is false for anything this bot
// did not produce.
func parseAction(s string) (a action, ok bool) {
	f := strings.SplitN(s, sep, 4)
	if len(f) != 4 || f[0] == "" || f[2] == "" {
		return a, false
	}
	v, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || v < 0 {
		return a, false
	}
	a = action{Conv: f[0], Version: v, Owner: f[2]}
	a.Name, a.Arg, _ = strings.Cut(f[3], ":")
	return a, a.Name != ""
}
