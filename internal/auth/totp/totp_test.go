package totp

import (
	"strings"
	"testing"
	"time"
)

// The test vectors of RFC 6238 appendix B for SHA-1: the seed is the ASCII
// string "12345678901234567890" and the codes have 8 digits.
func TestRFC6238Vectors(t *testing.T) {
	seed := []byte("12345678901234567890")
	for _, c := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		got := HOTP(seed, Step(time.Unix(c.unix, 0)), 8)
		if got != c.want {
			t.Errorf("T=%d: got %s, want %s", c.unix, got, c.want)
		}
		// The 6-digit code is the last 6 digits of the same truncation.
		if six := Code(seed, time.Unix(c.unix, 0)); six != c.want[2:] {
			t.Errorf("T=%d: 6-digit code %s, want %s", c.unix, six, c.want[2:])
		}
	}
}

// RFC 4226 appendix D: HOTP values for counters 0..9.
func TestRFC4226Vectors(t *testing.T) {
	seed := []byte("12345678901234567890")
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for i, w := range want {
		if got := HOTP(seed, int64(i), 6); got != w {
			t.Errorf("counter %d: got %s, want %s", i, got, w)
		}
	}
}

func TestVerifyWindowAndReplay(t *testing.T) {
	secret := []byte("12345678901234567890")
	at := time.Unix(1234567890, 0)
	now := Step(at)
	for d, want := range map[int64]bool{-2: false, -1: true, 0: true, 1: true, 2: false} {
		code := HOTP(secret, now+d, Digits)
		step, ok := Verify(secret, code, at, 0)
		if ok != want {
			t.Errorf("offset %d: ok=%v, want %v", d, ok, want)
		}
		if ok && step != now+d {
			t.Errorf("offset %d: matched step %d, want %d", d, step, now+d)
		}
	}
	// A code of a step already used (or earlier) is refused.
	code := Code(secret, at)
	if _, ok := Verify(secret, code, at, now); ok {
		t.Error("the code of an already used step was accepted")
	}
	if _, ok := Verify(secret, HOTP(secret, now-1, Digits), at, now); ok {
		t.Error("the code of an earlier step was accepted after a later one was used")
	}
	if _, ok := Verify(secret, HOTP(secret, now+1, Digits), at, now); !ok {
		t.Error("the next step's code was refused")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := Verify(secret, bad, at, 0); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSecretEncoding(t *testing.T) {
	s := NewSecret()
	if len(s) != SecretSize {
		t.Fatalf("secret size %d", len(s))
	}
	enc := Encode(s)
	if len(enc) != 32 || strings.ContainsAny(enc, "=") {
		t.Fatalf("encoded secret %q", enc)
	}
	grouped := Group(enc)
	if strings.Count(grouped, " ") != 7 {
		t.Fatalf("groups %q", grouped)
	}
	back, err := Decode(strings.ToLower(grouped))
	if err != nil || string(back) != string(s) {
		t.Fatalf("decode %q: %v", grouped, err)
	}
	if _, err := Decode("!!!"); err == nil {
		t.Fatal("bad secret decoded")
	}
	u := URI("社工服务管理系统", "admin", []byte("12345678901234567890"))
	if !strings.HasPrefix(u, "otpauth://totp/") || !strings.Contains(u, "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ") ||
		!strings.Contains(u, ":admin?") || !strings.Contains(u, "issuer=%E7%A4%BE") {
		t.Fatalf("uri %s", u)
	}
}
