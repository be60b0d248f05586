package keys

import (
	"strings"
	"testing"
)

// FuzzParseID checks that ParseID never panics and that whatever it accepts
// survives a round trip through both encodings.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{
		"05d2ad010eeb72d72e561d9de7bd7b6989af77dcabffa03a5111a6c859ae5c3a72",
		"15b74ed205f1f931e1bb1291183778a9456b835937d923b0f2e248aa3a44c07844",
		"253b991dcbba44cfdb45d5b38880d95cff723309e3ece6fd01415ad5fa1dccc7ac",
		"00bac6e71efd7dfa4a83c98ed24f254ab2c267f9ccdb172a5280a0444ad24e89cc",
		"03BAC6E71EFD7DFA4A83C98ED24F254AB2C267F9CCDB172A5280A0444AD24E89CC",
		"  05d2ad010eeb72d72e561d9de7bd7b6989af77dcabffa03a5111a6c859ae5c3a72\n",
		"07d2ad010eeb72d72e561d9de7bd7b6989af77dcabffa03a5111a6c859ae5c3a72",
		"05d2ad010eeb72d72e561d9de7bd7b6989af77dcabffa03a5111a6c859ae5c3a7",
		"05zzad010eeb72d72e561d9de7bd7b6989af77dcabffa03a5111a6c859ae5c3a72",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			if id != (ID{}) {
				t.Fatalf("error %v with a non-zero ID", err)
			}
			return
		}
		if got := id.String(); got != strings.ToLower(strings.TrimSpace(s)) {
			t.Fatalf("ParseID(%q).String() = %q", s, got)
		}
		again, err := ParseID(id.String())
		if err != nil || again != id {
			t.Fatalf("round trip of %q: %v, %v", s, again, err)
		}
		fromBytes, err := ParseIDBytes(id.Bytes())
		if err != nil || fromBytes != id {
			t.Fatalf("binary round trip of %q: %v, %v", s, fromBytes, err)
		}
		sid, err := ParseSessionID(s)
		if (err == nil) != (id.Prefix == PrefixStandard) || (err == nil && sid != id) {
			t.Fatalf("ParseSessionID(%q) = %v, %v for prefix %s", s, sid, err, id.Prefix)
		}
	})
}
