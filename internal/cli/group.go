package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/session-go/session-go/client"
	"github.com/session-go/session-go/internal/termtext"
)

// groupCommand is `session group SUBCOMMAND …` (Session's groups v2).
func groupCommand(g globals) command {
	mc := messengerCommand{
		name: "group",
		summary: "groups: create NAME MEMBER… | add GROUP MEMBER… | remove GROUP MEMBER… | rename GROUP NAME | " +
			"promote GROUP MEMBER | leave GROUP | members GROUP | list | accept GROUP (send and read take a group ID or name too)",
		usage:   "create|add|remove|rename|promote|leave|members|list|accept …",
		minArgs: 1, maxArgs: -1,
		body: cmdGroup,
	}
	return command{name: mc.name, summary: mc.summary, run: mc.run(g), help: mc.help}
}

func cmdGroup(ctx context.Context, env *Env, g globals, c *client.Client, args []string) error {
	sub, rest := args[0], args[1:]
	need := func(n int, usage string) error {
		if len(rest) < n {
			return usagef("usage: session group %s %s", sub, usage)
		}
		return nil
	}
	var err error
	switch sub {
	case "create":
		if err := need(1, "NAME MEMBER…"); err != nil {
			return err
		}
		id, cerr := c.CreateGroup(ctx, rest[0], rest[1:]...)
		if id == "" {
			return groupError(cerr)
		}
		if g.json {
			err = writeJSON(env.Stdout, map[string]string{"group_id": id})
		} else {
			fmt.Fprintln(env.Stdout, id)
		}
		if cerr != nil {
			return fmt.Errorf("group create: %v", cerr)
		}
		return err
	case "add":
		if err := need(2, "GROUP MEMBER…"); err != nil {
			return err
		}
		err = c.AddGroupMembers(ctx, rest[0], rest[1:]...)
	case "remove":
		if err := need(2, "GROUP MEMBER…"); err != nil {
			return err
		}
		for _, m := range rest[1:] {
			if err = c.RemoveGroupMember(ctx, rest[0], m); err != nil {
				break
			}
		}
	case "promote":
		if err := need(2, "GROUP MEMBER"); err != nil {
			return err
		}
		err = c.PromoteGroupMember(ctx, rest[0], rest[1])
	case "leave":
		if err := need(1, "GROUP"); err != nil {
			return err
		}
		err = c.LeaveGroup(ctx, rest[0])
	case "rename":
		if err := need(2, "GROUP NAME"); err != nil {
			return err
		}
		err = c.RenameGroup(ctx, rest[0], rest[1])
	case "accept":
		if err := need(1, "GROUP"); err != nil {
			return err
		}
		err = c.AcceptGroup(ctx, rest[0])
	case "members":
		if err := need(1, "GROUP"); err != nil {
			return err
		}
		ms, merr := c.GroupMembers(ctx, rest[0])
		if merr != nil {
			return groupError(merr)
		}
		if g.json {
			return writeJSON(env.Stdout, ms)
		}
		for _, m := range ms {
			role := ""
			if m.Admin {
				role = " (admin)"
			}
			fmt.Fprintf(env.Stdout, "%s %s%s %s\n", m.SessionID, termtext.Line(orDash(m.Name)), role, m.Status)
		}
		return nil
	case "list":
		gs, lerr := c.Groups(ctx)
		if lerr != nil {
			return lerr
		}
		if g.json {
			return writeJSON(env.Stdout, gs)
		}
		for _, x := range gs {
			note := ""
			switch {
			case x.Invited:
				note = " [invitation: session group accept " + x.ID + "]"
			case x.Removed:
				note = " [removed by an admin: session group leave " + x.ID + " forgets it]"
			}
			fmt.Fprintf(env.Stdout, "%s %s%s\n", x.ID, termtext.Line(x.Name), note)
		}
		return nil
	default:
		return usagef("group: unknown subcommand %q (create, add, remove, rename, promote, leave, members, list, accept)", sub)
	}
	if err != nil {
		return groupError(err)
	}
	if !g.json {
		fmt.Fprintln(env.Stdout, "done")
	}
	return nil
}

func groupError(err error) error {
	if errors.Is(err, client.ErrUnknownGroup) || errors.Is(err, client.ErrNotGroupAdmin) {
		return usagef("group: %v", err)
	}
	return classify(fmt.Errorf("group: %w", err))
}
