package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

type jsonAttachment struct {
	FileName    string `json:"file_name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Downloaded  bool   `json:"downloaded"`
}

// send --file, read --json's attachments, save --out, and the 10 MB limit
// (exit 2, before anything is sent), through the CLI on a devnet.
func TestFilesThroughTheCLI(t *testing.T) {
	alice, bob := newUser(t), newUser(t)
	var who struct {
		SessionID string `json:"session_id"`
	}
	alice.json(&who, "init", "--name", "Alice")
	aliceID := who.SessionID
	bob.json(&who, "init", "--name", "Bob")
	bobID := who.SessionID
	bob.run(0, "", "send", aliceID, "hi Alice") // Bob approves Alice
	alice.receiveAll(1)

	dir := t.TempDir()
	big := filepath.Join(dir, "big.bin")
	os.WriteFile(big, make([]byte, 11<<20), 0o600)
	var out, errOut strings.Builder
	code := Run(t.Context(), []string{"--home", alice.home, "send", bobID, "--file", big, "too big"}, Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Version: "test",
		Getenv: func(k string) string {
			if k == "SESSION_NETWORK" {
				return alice.net
			}
			return ""
		},
	})
	if code != 2 || !strings.Contains(errOut.String(), "10 MB") {
		t.Fatalf("11 MiB file: exit %d, stderr %q (want 2 naming the 10 MB limit)", code, errOut.String())
	}

	doc := []byte("%PDF-1.4 a small document\n")
	pdf := filepath.Join(dir, "report.pdf")
	os.WriteFile(pdf, doc, 0o600)
	pic := filepath.Join(dir, "pic.txt")
	os.WriteFile(pic, []byte("second file"), 0o600)
	var sent jsonMessage
	alice.json(&sent, "send", bobID, "--file", pdf, "--file", pic, "two", "files")
	if sent.Status != "sent" || sent.Body != "two files" {
		t.Fatalf("send --file: %+v", sent)
	}
	alice.json(&sent, "send", bobID, "--file", pic) // no text
	bob.receiveAll(2)

	var ms []struct {
		jsonMessage
		Attachments []jsonAttachment `json:"attachments"`
	}
	bob.json(&ms, "read", aliceID)
	var withFiles []int64
	for _, m := range ms {
		if m.Body == "hi Alice" && len(m.Attachments) != 0 {
			t.Fatalf("a text message has attachments: %+v", m)
		}
		if m.Body == "two files" {
			if len(m.Attachments) != 2 || m.Attachments[0].FileName != "report.pdf" || m.Attachments[0].ContentType != "application/pdf" ||
				m.Attachments[0].Size != int64(len(doc)) || !m.Attachments[0].Downloaded {
				t.Fatalf("read --json attachments: %+v", m.Attachments)
			}
			withFiles = append(withFiles, m.ID)
		}
	}
	if len(withFiles) != 1 {
		t.Fatalf("read --json: %+v", ms)
	}
	saveDir := filepath.Join(t.TempDir(), "saved")
	var saved struct {
		Files []string `json:"files"`
	}
	bob.json(&saved, "save", strconv.FormatInt(withFiles[0], 10), "--out", saveDir)
	if len(saved.Files) != 2 {
		t.Fatalf("save: %+v", saved)
	}
	if b, _ := os.ReadFile(filepath.Join(saveDir, "report.pdf")); !bytes.Equal(b, doc) {
		t.Fatal("saved report.pdf differs")
	}
	// Saving again never overwrites: a numbered name is used.
	bob.json(&saved, "save", strconv.FormatInt(withFiles[0], 10), "--out", saveDir)
	if filepath.Base(saved.Files[0]) != "report (1).pdf" {
		t.Fatalf("second save: %+v", saved.Files)
	}
	bob.run(2, "", "save", "999999", "--out", saveDir)

	// The sender can put a message's files back on the file server; a
	// message of someone else's cannot be re-uploaded (exit 2).
	var again struct {
		ID          int64            `json:"id"`
		Attachments []jsonAttachment `json:"attachments"`
	}
	alice.json(&again, "reupload", strconv.FormatInt(sent.ID, 10))
	if again.ID != sent.ID || len(again.Attachments) != 1 {
		t.Fatalf("reupload: %+v", again)
	}
	bob.run(2, "", "reupload", strconv.FormatInt(withFiles[0], 10))

	// --legacy-format sends in Session's older format; it arrives whole.
	var old jsonMessage
	alice.json(&old, "send", bobID, "--file", pdf, "--legacy-format", "old", "format")
	got := bob.receiveAll(1)
	if got[len(got)-1].Body != "old format" {
		t.Fatalf("received %+v", got)
	}
	oldDir := filepath.Join(t.TempDir(), "old")
	bob.json(&saved, "save", strconv.FormatInt(got[len(got)-1].ID, 10), "--out", oldDir)
	if b, _ := os.ReadFile(filepath.Join(oldDir, "report.pdf")); !bytes.Equal(b, doc) {
		t.Fatal("the legacy-format file differs")
	}
	alice.run(2, "", "send", bobID, "--file", pdf, "--legacy-format", "--reply-to", strconv.FormatInt(old.ID, 10), "x")
}
