// Package buildinfo reports the version of the running binary.
package buildinfo

import "runtime/debug"

// version can be set at link time: -ldflags "-X github.com/session-go/session-go/internal/buildinfo.version=v1.2.3".
// It is only written by the linker, never at run time.
var version = ""

// Version returns the link-time version, or the module version and VCS
// revision recorded by the Go toolchain, or "devel".
func Version() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += "+" + s.Value[:12]
		}
	}
	return v
}
