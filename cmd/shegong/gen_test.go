package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenCommand generates the small profile through the command, prints
// the sign-ins, refuses to generate again without --force, and leaves an
// intact audit log.
func TestGenCommand(t *testing.T) {
	bin := binary(t)
	data := filepath.Join(t.TempDir(), "data")
	out, err := exec.Command(bin, "gen", "--profile", "small", "--seed", "3", "--data", data).CombinedOutput()
	if err != nil {
		t.Fatalf("gen: %v\n%s", err, out)
	}
	for _, want := range []string{"gen login: worker ", "gen login: supervisor ", "gen login: director ",
		"case_followups                     2400", "profile small seed 3 on sqlite"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, err = exec.Command(bin, "gen", "--profile", "small", "--data", data).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--force") {
		t.Errorf("second gen without --force: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "audit", "verify", "--data", data).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "audit log intact") {
		t.Errorf("audit verify: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "gen", "--profile", "nosuch", "--data", data).CombinedOutput(); err == nil {
		t.Errorf("unknown profile accepted:\n%s", out)
	}
}
