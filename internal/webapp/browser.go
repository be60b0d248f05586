package webapp

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
)

// OpenBrowser opens url in the default browser, when there is one. It
// returns at once; the browser runs on its own.
func OpenBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	case "android":
		cmd = exec.Command("am", "start", "-a", "android.intent.action.VIEW", "-d", url)
	default:
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return errors.New("no graphical session")
		}
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}
