package cli

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/session-go/session-go/client"
	"github.com/session-go/session-go/internal/termtext"
)

// shownName is a display name safe to print, with the client's note when
// it should not be trusted at a glance (it looks like a Session ID, equals
// another contact's name, ...).
func shownName(name, note string) string {
	s := termtext.Line(name)
	if note != "" {
		s += " [!" + note + "]"
	}
	return s
}

// warningPrinter prints the client's warnings on stderr, each text once
// with a count, so that a thousand bad entries do not bury the output.
type warningPrinter struct {
	w    io.Writer
	mu   sync.Mutex
	seen map[string]int
}

func newWarningPrinter(w io.Writer) *warningPrinter {
	return &warningPrinter{w: w, seen: map[string]int{}}
}

func (p *warningPrinter) print(w client.Warning) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen[w.Text]++
	if n := p.seen[w.Text]; n == 1 || n&(n-1) == 0 { // 1, 2, 4, 8, …
		suffix := ""
		if n > 1 {
			suffix = fmt.Sprintf(" (%d times)", n)
		}
		fmt.Fprintf(p.w, "warning: %s%s\n", termtext.Line(w.Text), suffix)
	}
}

// collectWarnings gathers the client's warnings while a command runs and
// returns a function that prints them on stderr, one line per distinct
// warning with its count.
func collectWarnings(ctx context.Context, env *Env, c *client.Client) func() {
	var mu sync.Mutex
	var order []string
	count := map[string]int{}
	c.OnEvent(func(ev client.Event) {
		if w, ok := ev.(client.Warning); ok {
			mu.Lock()
			if count[w.Text] == 0 {
				order = append(order, w.Text)
			}
			count[w.Text]++
			mu.Unlock()
		}
	})
	return func() {
		mu.Lock()
		defer mu.Unlock()
		for _, t := range order {
			suffix := ""
			if n := count[t]; n > 1 {
				suffix = fmt.Sprintf(" (%d times)", n)
			}
			fmt.Fprintf(env.Stderr, "warning: %s%s\n", termtext.Line(t), suffix)
		}
		order = nil
	}
}

// cmdBulk runs decline --all or block --all-requests.
func cmdBulk(ctx context.Context, env *Env, g globals, c *client.Client, done string, f func(*client.Client, context.Context) (int, error)) error {
	n, err := f(c, ctx)
	if err != nil && n == 0 {
		return classify(err)
	}
	if err != nil {
		return fmt.Errorf("%s %d message requests, %v", done, n, err)
	}
	if g.json {
		return writeJSON(env.Stdout, map[string]any{"result": done, "count": n})
	}
	fmt.Fprintf(env.Stdout, "%s %d message requests\n", done, n)
	return nil
}

// cmdRefuse shows or changes the setting that refuses message requests.
func cmdRefuse(ctx context.Context, env *Env, g globals, c *client.Client, value string) error {
	switch value {
	case "on", "off":
		if err := c.SetRefuseRequests(ctx, value == "on"); err != nil {
			return err
		}
	default:
		return usagef("requests: --refuse takes on or off, not %q", value)
	}
	if g.json {
		return writeJSON(env.Stdout, map[string]bool{"refuse_requests": value == "on"})
	}
	if value == "on" {
		fmt.Fprintln(env.Stdout, "message requests are refused: only approved contacts can write to you")
	} else {
		fmt.Fprintln(env.Stdout, "message requests are accepted")
	}
	return nil
}

// namesCache holds the names watch shows, read again at most once a
// second: reading every contact for every event would make a flood of
// requests cost the square of its size.
type namesCache struct {
	names map[string]string
	at    time.Time
}

func (n *namesCache) get(ctx context.Context, c *client.Client) map[string]string {
	if n.names == nil || time.Since(n.at) >= time.Second {
		n.names, n.at = contactNames(ctx, c), time.Now()
	}
	return n.names
}
