package store_test

import (
	"slices"
	"testing"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
)

func TestLinks(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := srv.Client()
	links := store.NewLinks(client, bot.Discord)
	ctx := t.Context()

	t.Run("an unlinked user has no account", func(t *testing.T) {
		acc, err := links.Get(ctx, "80351110224678912")
		if err != nil || acc != (bot.Account{}) {
			t.Fatalf("Get = %+v, %v; want empty, nil", acc, err)
		}
	})
	t.Run("an approver links a user, later relinks and unlinks", func(t *testing.T) {
		if err := links.Set(ctx, "discord:approver", "80351110224678912", "adele.vance@contoso.com"); err != nil {
			t.Fatal(err)
		}
		if acc, err := links.Get(ctx, "80351110224678912"); err != nil || acc != (bot.Account{UPN: "adele.vance@contoso.com"}) {
			t.Fatalf("Get = %+v, %v", acc, err)
		}
		if got, _ := client.Get(ctx, "passbot:link:discord:80351110224678912").Result(); got != "adele.vance@contoso.com" {
			t.Errorf("key passbot:link:discord:<id> holds %q", got)
		}
		if ttl, _ := client.TTL(ctx, "passbot:link:discord:80351110224678912").Result(); ttl > 0 {
			t.Errorf("link expires after %v; links must not expire", ttl)
		}
		if err := links.Set(ctx, "discord:approver", "80351110224678912", "lieke.devries@contoso.com"); err != nil {
			t.Fatal(err)
		}
		if acc, _ := links.Get(ctx, "80351110224678912"); acc.UPN != "lieke.devries@contoso.com" {
			t.Fatalf("after relink Get = %+v", acc)
		}
		if err := links.Delete(ctx, "discord:approver", "80351110224678912"); err != nil {
			t.Fatal(err)
		}
		if acc, err := links.Get(ctx, "80351110224678912"); err != nil || acc != (bot.Account{}) {
			t.Fatalf("after Delete Get = %+v, %v", acc, err)
		}
		if err := links.Delete(ctx, "discord:approver", "80351110224678912"); err != nil {
			t.Errorf("deleting a missing link: %v", err)
		}
		// Every change is in the audit trail, by whom and of whom.
		audit, err := store.New(client).RecentAudit(ctx, "discord:80351110224678912", 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range audit {
			got = append(got, a.Action+" "+a.UPN+" by "+a.Actor)
		}
		want := []string{"unlink  by discord:approver", "unlink  by discord:approver", "link lieke.devries@contoso.com by discord:approver", "link adele.vance@contoso.com by discord:approver"}
		if !slices.Equal(got, want) {
			t.Errorf("audit %q, want %q", got, want)
		}
	})
	t.Run("a sign-in links by object ID; an approver's UPN link replaces it until the next sign-in", func(t *testing.T) {
		adele := bot.Account{OID: "4f2b6c1e-8d3a-4c55-9a6e-1b2c3d4e5f60", UPN: "adele.vance@contoso.com"}
		if err := links.Link(ctx, "discord:7", "7", adele); err != nil {
			t.Fatal(err)
		}
		if acc, err := links.Get(ctx, "7"); err != nil || acc != adele {
			t.Fatalf("Get = %+v, %v; want %+v", acc, err, adele)
		}
		if err := links.Set(ctx, "discord:approver", "7", "adele.vance@contoso.com"); err != nil {
			t.Fatal(err)
		}
		if acc, _ := links.Get(ctx, "7"); acc != (bot.Account{UPN: "adele.vance@contoso.com"}) {
			t.Fatalf("after the approver's link Get = %+v, want the UPN alone", acc)
		}
		if err := links.Link(ctx, "discord:7", "7", adele); err != nil {
			t.Fatal(err)
		}
		audit, err := store.New(client).RecentAudit(ctx, "discord:7", 1)
		if err != nil || len(audit) != 1 || audit[0].OID != adele.OID || audit[0].UPN != adele.UPN || audit[0].Action != "link" {
			t.Errorf("audit %+v %v, want the link with its object ID", audit, err)
		}
	})
	t.Run("a link written before links had object IDs still reads", func(t *testing.T) {
		if err := client.Set(ctx, "passbot:link:discord:8", "lieke.devries@contoso.com", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if acc, err := links.Get(ctx, "8"); err != nil || acc != (bot.Account{UPN: "lieke.devries@contoso.com"}) {
			t.Errorf("Get = %+v, %v", acc, err)
		}
	})
	t.Run("an empty UPN is refused", func(t *testing.T) {
		if err := links.Set(ctx, "discord:approver", "1", " "); err == nil {
			t.Error("Set with an empty UPN succeeded")
		}
	})
	t.Run("platforms do not share links", func(t *testing.T) {
		if err := links.Set(ctx, "discord:approver", "42", "adele.vance@contoso.com"); err != nil {
			t.Fatal(err)
		}
		if acc, _ := store.NewLinks(client, bot.Slack).Get(ctx, "42"); acc != (bot.Account{}) {
			t.Errorf("slack user 42 sees discord user 42's link %+v", acc)
		}
	})
	t.Run("Redis down is an error, not an unlinked user", func(t *testing.T) {
		srv.Stop()
		t.Cleanup(srv.Restart)
		if _, err := links.Get(ctx, "42"); err == nil {
			t.Error("Get with Redis down returned no error")
		}
	})
}
