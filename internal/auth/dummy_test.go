package auth

import (
	"fmt"
	"strings"
	"testing"
)

// The hash used for unknown users is made on first use (not at package
// init, which every command paid for at start) and is a real argon2id hash
// of the production cost, so that an unknown name costs as much as a known
// one.
func TestDummyHashIsARealHash(t *testing.T) {
	h := dummyHash()
	if !strings.HasPrefix(h, "$argon2id$") || !strings.Contains(h, "m=") {
		t.Fatalf("dummy hash %q is not an argon2id hash", h)
	}
	if want := fmt.Sprintf("m=%d,t=%d", argonMemory, argonTime); !strings.Contains(h, want) {
		t.Errorf("dummy hash %q does not use the production cost %s", h, want)
	}
	if !VerifyPassword(h, "not-a-real-password") || VerifyPassword(h, "anything else") {
		t.Error("dummy hash does not verify like a real one")
	}
	if dummyHash() != h {
		t.Error("dummy hash computed twice")
	}
}
