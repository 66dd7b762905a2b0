// Package console is passbot's terminal chat: the embedded default, the demo
// and the harness of scripted tests. Replies print as text and buttons as
// "[1] Sign in again  [2] Cancel"; a button is pressed by typing its number or its
// label. It reads line by line, so a script can be piped into it.
//
// One terminal can play several people: "/as helpdesk" switches to another
// persona (an employee, or a helpdesk agent listed in Approvers), so the
// whole approval story runs in one window.
//
// The sign-in before a reset happens in a browser: open the link passbot
// prints. With the demo provider, "/signin" does it for you (as a browser
// would, through the same pages), and "/signin NAME" signs in as someone
// else, so a piped script runs the whole conversation.
package console

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/passbot/passbot/bot"
)

// Console is one person chatting with the bot in a terminal.
type Console struct {
	in      io.Reader
	out     io.Writer
	handler bot.Handler
	user    bot.User
	// Prompt prints "you> " before each line, for people at a terminal.
	Prompt bool
	// Approvers are the personas that may decide helpdesk requests.
	Approvers bot.Approvers
	// Browse, when set, signs in with a sign-in link as a browser would,
	// as login (the expected person when empty), and returns the text of
	// the page it ends on: the "/signin" command.
	Browse func(ctx context.Context, link, login string) (string, error)

	mu    sync.Mutex           // guards out, sent, buttons, cards and link: follow-ups print concurrently
	sent  int                  // messages printed, to number their references
	last  pressable            // the last message with buttons
	cards map[string]pressable // helpdesk cards by request ID
	link  string               // the last sign-in link printed
}

// pressable is a printed message with buttons, and its reference.
type pressable struct {
	buttons []bot.Button
	ref     bot.MessageRef
}

// signInLink finds a sign-in link in a reply.
var signInLink = regexp.MustCompile(`\bhttps?://\S+/signin/[A-Za-z0-9_-]+`)

// New returns a console chat for user, reading in and writing out.
func New(in io.Reader, out io.Writer, user bot.User, h bot.Handler) *Console {
	user.Platform = bot.Console
	return &Console{in: in, out: out, handler: h, user: user}
}

// Run chats until the input ends or ctx is cancelled.
func (c *Console) Run(ctx context.Context) error {
	// A refused line goes through lines too, so its note
	// prints in order with the replies to the lines before it.
	type read struct {
		line    string
		tooLong bool
	}
	lines := make(chan read)
	errc := make(chan error, 1)
	go func() {
		r := bufio.NewReaderSize(c.in, MaxLine)
		for {
			line, err := readLine(r)
			tooLong := errors.Is(err, errLineTooLong)
			if err != nil && !tooLong {
				if err == io.EOF {
					err = nil
				}
				errc <- err
				close(lines)
				return
			}
			select {
			case lines <- read{line, tooLong}:
			case <-ctx.Done():
				return
			}
		}
	}()
	c.prompt()
	for {
		select {
		case <-ctx.Done():
			return nil
		case in, ok := <-lines:
			if !ok {
				return <-errc
			}
			if in.tooLong {
				c.say(fmt.Sprintf("-- line ignored: it is longer than %d KiB", MaxLine>>10))
			} else {
				c.handle(ctx, in.line)
			}
			c.prompt()
		}
	}
}

// MaxLine is the longest line the console reads; a longer one is skipped
// with a note, and the chat goes on.
const MaxLine = 64 << 10

var errLineTooLong = errors.New("console: line too long")

// readLine reads one line without its end ("\n" or "\r\n"). A line
// longer than r's buffer is read to its end and refused with
// errLineTooLong; the last line may lack its newline.
func readLine(r *bufio.Reader) (string, error) {
	b, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = r.ReadSlice('\n')
		}
		if err != nil && err != io.EOF {
			return "", err
		}
		return "", errLineTooLong
	}
	if err == io.EOF && len(b) > 0 {
		err = nil
	}
	if err != nil {
		return "", err
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	return string(bytes.TrimSuffix(b, []byte("\r"))), nil
}

func (c *Console) prompt() {
	if c.Prompt {
		c.mu.Lock()
		fmt.Fprintf(c.out, "%s> ", c.user.ID)
		c.mu.Unlock()
	}
}

// persona switches who is typing. The ID doubles as the user principal name,
// so a persona from the fleet sees its devices.
func (c *Console) persona(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.user = bot.User{Platform: bot.Console, ID: id, Name: id, UPN: id, Locale: c.user.Locale}
	role := "employee"
	if c.Approvers.Allows(id) {
		role = "helpdesk approver"
	}
	fmt.Fprintf(c.out, "-- you are now %s (%s)\n", id, role)
}

func (c *Console) handle(ctx context.Context, line string) {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return
	}
	if id, ok := strings.CutPrefix(line, "/as "); ok && strings.TrimSpace(id) != "" {
		c.persona(strings.TrimSpace(id))
		return
	}
	if login, ok := strings.CutPrefix(line+" ", "/signin "); ok && c.Browse != nil {
		c.signIn(ctx, strings.TrimSpace(login))
		return
	}
	c.mu.Lock()
	user := c.user
	c.mu.Unlock()
	user.Approver = c.Approvers.Allows(user.ID)
	ev := bot.Event{Kind: bot.Message, User: user, Text: line}
	if b, on, ok := c.pressed(line); ok {
		ev = bot.Event{Kind: bot.Press, User: user, Action: b.Action, Clicked: on, ClickedPublic: strings.HasPrefix(string(on), "helpdesk#")}
	}
	// The replies carry a user-facing message even on error; the error
	// itself was logged by whoever can say more.
	out := &outbox{c: c, clicked: ev.Clicked}
	_, _ = c.handler.Handle(ctx, ev, out)
	// A terminal cannot refuse a line, so the engine records each reply
	// as sent when the outbox takes it, and it is printed only once
	// Handle returns: whoever reads the line (a person, a script) finds
	// the engine already settled.
	c.print(out.replies, out.refs)
}

// outbox is the bot.Sender of one line: it numbers each reply as it takes
// it and keeps it for the console to print when the line is handled.
type outbox struct {
	c       *Console
	clicked bot.MessageRef
	replies []bot.Reply
	refs    []bot.MessageRef
}

// Send implements bot.Sender.
func (o *outbox) Send(_ context.Context, r bot.Reply) (bot.MessageRef, error) {
	ref := o.c.number(r, o.clicked)
	o.replies = append(o.replies, r)
	o.refs = append(o.refs, ref)
	return ref, nil
}

// signIn opens the last sign-in link as a browser would. It holds no lock
// meanwhile: the sign-in's callback prints the conversation's next step.
func (c *Console) signIn(ctx context.Context, login string) {
	c.mu.Lock()
	link := c.link
	c.mu.Unlock()
	if link == "" {
		c.say("-- no sign-in link yet: press Sign in again first")
		return
	}
	page, err := c.Browse(ctx, link, login)
	if err != nil {
		page = err.Error()
	}
	c.say("-- browser: " + page)
}

func (c *Console) say(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintln(c.out, line)
}

// pressed maps a typed number or label to a button of the last message that
// had buttons, and "approve ID" or "deny ID" to that button of the helpdesk
// card of request ID, however many messages came since.
func (c *Console) pressed(line string) (bot.Button, bot.MessageRef, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if verb, id, ok := strings.Cut(strings.ToLower(line), " "); ok && (verb == "approve" || verb == "deny") {
		card := c.cards[strings.ToUpper(strings.TrimSpace(id))]
		for _, b := range card.buttons {
			if strings.HasSuffix(b.Action, "|"+verb) {
				return b, card.ref, true
			}
		}
	}
	if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(c.last.buttons) {
		return c.last.buttons[n-1], c.last.ref, true
	}
	for _, b := range c.last.buttons {
		if strings.EqualFold(b.Label, line) {
			return b, c.last.ref, true
		}
	}
	return bot.Button{}, "", false
}

// Platform implements bot.ChatAdapter.
func (c *Console) Platform() bot.Platform { return bot.Console }

// Caps implements bot.ChatAdapter: one terminal, nobody else reading.
func (c *Console) Caps() bot.Caps { return bot.Caps{} }

// Send implements bot.ChatAdapter: it prints a reply that answers no line,
// such as a follow-up arriving while the person is typing.
func (c *Console) Send(_ context.Context, r bot.Reply) (bot.MessageRef, error) {
	ref := c.number(r, "")
	c.print([]bot.Reply{r}, []bot.MessageRef{ref})
	return ref, nil
}

// number gives a reply the reference of the message it becomes: its
// place in the transcript, and whose screen it is on. An update keeps the
// reference of the message it replaces, as does a reply that takes the
// place of clicked, the message whose button was pressed.
func (c *Console) number(r bot.Reply, clicked bot.MessageRef) bot.MessageRef {
	switch {
	case r.Target.Kind == bot.UpdateRef:
		return r.Target.Ref
	case r.Target.Kind == bot.ReplaceClicked && clicked != "":
		return clicked
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent++
	where := "bot"
	if r.Target.Kind == bot.HelpdeskChannel {
		where = "helpdesk"
	}
	return bot.MessageRef(where + "#" + strconv.Itoa(c.sent))
}

func (c *Console) print(replies []bot.Reply, refs []bot.MessageRef) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, r := range replies {
		fmt.Fprint(c.out, render(r, refs[i], c.user))
		switch {
		case len(r.Buttons) > 0:
			c.last = pressable{r.Buttons, refs[i]}
		case refs[i] == c.last.ref:
			// Its buttons were taken off: a number typed now presses
			// nothing.
			c.last = pressable{}
		}
		if id, ok := cardID(r); ok {
			if c.cards == nil {
				c.cards = map[string]pressable{}
			}
			c.cards[id] = pressable{r.Buttons, refs[i]}
		}
		if link := signInLink.FindString(r.Text); link != "" {
			c.link = link
		}
	}
}

// cardID is the request ID of a helpdesk card: its buttons' actions name
// the conversation "req:<ID>" (ARCHITECTURE.md, the button action format).
func cardID(r bot.Reply) (string, bool) {
	if len(r.Buttons) == 0 {
		return "", false
	}
	conv, _, _ := strings.Cut(r.Buttons[0].Action, "|")
	id, ok := strings.CutPrefix(conv, "req:")
	return id, ok && id != ""
}

// render prints a reply as the target says: one for another persona than
// the current one says whom it is for, an update which message it replaces.
func render(r bot.Reply, ref bot.MessageRef, current bot.User) string {
	prefix := "bot> "
	switch t := r.Target; {
	case t.Kind == bot.UpdateRef || t.Kind == bot.ReplaceClicked && strings.HasPrefix(string(ref), "helpdesk#"):
		// A terminal cannot change what it printed: say it again, marked.
		where, _, _ := strings.Cut(string(ref), "#")
		if where == "helpdesk" {
			where = "helpdesk channel"
		}
		prefix = where + " (edits an earlier message)> "
	case t.Kind == bot.HelpdeskChannel:
		prefix = "helpdesk channel> "
	case t.Kind == bot.DirectMessage && t.User.ID != current.ID && r.Private:
		prefix = "bot to " + t.User.ID + " (only them)> "
	case t.Kind == bot.DirectMessage && t.User.ID != current.ID:
		prefix = "bot to " + t.User.ID + "> "
	case t.Kind == bot.Ephemeral || r.Private:
		prefix = "bot (only you)> "
	}
	var b strings.Builder
	indent := strings.Repeat(" ", len([]rune(prefix)))
	for i, line := range strings.Split(r.Text, "\n") {
		if i > 0 {
			prefix = indent
		}
		b.WriteString(strings.TrimRight(prefix+line, " ") + "\n")
	}
	if len(r.Buttons) == 0 {
		return b.String()
	}
	labels := make([]string, len(r.Buttons))
	width := 0
	for i, btn := range r.Buttons {
		labels[i] = fmt.Sprintf("[%d] %s", i+1, btn.Label)
		width += len(labels[i]) + 2
	}
	// A short choice fits on one line; a long list reads better one a line.
	sep := "  "
	if width > 80 {
		sep = "\n" + indent
	}
	b.WriteString(indent + strings.Join(labels, sep) + "\n")
	return b.String()
}
