package pii_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"shegong/internal/pii"
)

var idErrors = []error{pii.ErrIDEmpty, pii.ErrIDLength, pii.ErrIDFormat, pii.ErrIDBirthDate, pii.ErrIDChecksum}

func addIDSeeds(f *testing.F) {
	for _, s := range []string{
		"",
		"11010519491231002X",
		"11010519491231002x",
		toFullWidth("11010519491231002X"),
		" 110105 19491231 002X ",
		makeID("44190019900101123"),
		makeID("44190020000229002"),
		makeID("44190019900230002"),
		"110105194912310021",
		"110105491231002",
		"\xff\xfe\xfd",
		"一一0105194912310029",
	} {
		f.Add(s)
	}
}

func addPhoneSeeds(f *testing.F) {
	for _, s := range []string{
		"",
		"13812345678",
		"+86 138-1234-5678",
		"008613812345678",
		"8613812345678",
		toFullWidth("13812345678"),
		"0769-83212345",
		"(0769) 8321234",
		"+86 769 83212345",
		"+86 10 87654321",
		"010-87654321",
		"+86",
		"+8",
		"0086",
		"86",
		"12812345678",
		"\xff\xfe",
		"电话",
	} {
		f.Add(s)
	}
}

// chinese reports whether a message is written for users: it has Han characters.
func chinese(msg string) bool {
	return strings.ContainsFunc(msg, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

// FuzzIDNumber: an ID number normalizes idempotently; a rejected one gets one
// of the known errors with a Chinese message and its normalized form is
// rejected too; an accepted one has a correct check character, the birth date
// and gender it encodes, and masks to its first 4 and last 4 characters.
// Masking anything keeps the length and hides at least half.
func FuzzIDNumber(f *testing.F) {
	addIDSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		if err := pii.ValidateIDNumberAt(s, testNow); err != nil && !chinese(err.Error()) {
			t.Fatalf("ValidateIDNumberAt(%q): message %q is not for users", s, err)
		}
		checkValidateID(t, s)
		checkMaskID(t, s)
	})
}

func checkValidateID(t *testing.T, s string) {
	id := pii.NormalizeIDNumber(s)
	if again := pii.NormalizeIDNumber(id); again != id {
		t.Fatalf("NormalizeIDNumber is not idempotent: %q -> %q -> %q", s, id, again)
	}
	err := pii.ValidateIDNumberAt(s, testNow)
	if err != nil {
		known := false
		for _, e := range idErrors {
			known = known || errors.Is(err, e)
		}
		if !known {
			t.Fatalf("ValidateIDNumberAt(%q) returned unexpected error %v", s, err)
		}
		if pii.ValidateIDNumberAt(id, testNow) == nil {
			t.Fatalf("normalized form %q valid but input %q not", id, s)
		}
		return
	}
	if len(id) != 18 {
		t.Fatalf("valid ID %q normalizes to %q", s, id)
	}
	if refCheckChar(id[:17]) != id[17] {
		t.Fatalf("valid ID %q fails the reference checksum", id)
	}
	if err := pii.ValidateIDNumberAt(id, testNow); err != nil {
		t.Fatalf("normalized form %q of valid ID rejected: %v", id, err)
	}
	// testNow is in the past, so the ID is valid now as well.
	birth, err := pii.BirthDateFromID(s)
	if err != nil {
		t.Fatalf("BirthDateFromID(%q): %v", s, err)
	}
	if got := birth.Format("20060102"); got != id[6:14] {
		t.Fatalf("BirthDateFromID(%q) = %s", s, got)
	}
	if g := pii.GenderFromID(s); g != "男" && g != "女" {
		t.Fatalf("GenderFromID(%q) = %q", s, g)
	}
	masked := pii.MaskIDNumber(s)
	if want := id[:4] + "**********" + id[14:]; masked != want {
		t.Fatalf("MaskIDNumber(%q) = %q, want %q", s, masked, want)
	}
	if strings.Contains(masked, id[4:14]) {
		t.Fatalf("MaskIDNumber(%q) = %q reveals the middle digits", s, masked)
	}
}

func checkMaskID(t *testing.T, s string) {
	out := pii.MaskIDNumber(s)
	if !utf8.ValidString(out) {
		t.Fatalf("MaskIDNumber(%q) = %q is not valid UTF-8", s, out)
	}
	norm := []rune(pii.NormalizeIDNumber(s))
	got := []rune(out)
	if len(got) != len(norm) {
		t.Fatalf("MaskIDNumber(%q) = %q changes the length", s, out)
	}
	hidden := 0
	for i := range got {
		if got[i] == '*' {
			hidden++
		} else if got[i] != norm[i] {
			t.Fatalf("MaskIDNumber(%q) = %q alters character %d", s, out, i)
		}
	}
	if hidden < (len(norm)+1)/2 {
		t.Fatalf("MaskIDNumber(%q) = %q hides fewer than half of the characters", s, out)
	}
	if id := string(norm); pii.ValidateIDNumberAt(s, testNow) == nil && strings.Contains(out, id[4:14]) {
		t.Fatalf("MaskIDNumber(%q) = %q reveals the middle digits", s, out)
	}
}

// FuzzPhone: a rejected number gets a known error with a Chinese message; an
// accepted one normalizes to 10–12 digits that validate and renormalize to
// themselves; masking shows the exact mobile or landline form.
func FuzzPhone(f *testing.F) {
	addPhoneSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		if err := pii.ValidatePhone(s); err != nil && !chinese(err.Error()) {
			t.Fatalf("ValidatePhone(%q): message %q is not for users", s, err)
		}
		checkNormalizePhone(t, s)
		checkMaskPhone(t, s)
	})
}

func checkNormalizePhone(t *testing.T, s string) {
	p := pii.NormalizePhone(s)
	if !utf8.ValidString(p) {
		t.Fatalf("NormalizePhone(%q) = %q is not valid UTF-8", s, p)
	}
	if strings.ContainsFunc(p, func(r rune) bool {
		return unicode.IsSpace(r) || r == '-' || r == '(' || r == ')' || (r >= '０' && r <= '９')
	}) {
		t.Fatalf("NormalizePhone(%q) = %q keeps separators or full-width digits", s, p)
	}
	mobileErr := pii.ValidateMobile(s)
	phoneErr := pii.ValidatePhone(s)
	if mobileErr == nil && phoneErr != nil {
		t.Fatalf("%q is a valid mobile number but not a valid phone number", s)
	}
	if phoneErr != nil {
		if !errors.Is(phoneErr, pii.ErrPhoneEmpty) && !errors.Is(phoneErr, pii.ErrPhoneFormat) {
			t.Fatalf("ValidatePhone(%q) returned unexpected error %v", s, phoneErr)
		}
		return
	}
	if q := pii.NormalizePhone(p); q != p {
		t.Fatalf("normalized valid number %q renormalizes to %q", p, q)
	}
	if err := pii.ValidatePhone(p); err != nil {
		t.Fatalf("normalized form %q of valid number %q rejected: %v", p, s, err)
	}
	if len(p) < 10 || len(p) > 12 || strings.Trim(p, "0123456789") != "" {
		t.Fatalf("valid number %q normalizes to %q", s, p)
	}
}

func checkMaskPhone(t *testing.T, s string) {
	out := pii.MaskPhone(s)
	if !utf8.ValidString(out) {
		t.Fatalf("MaskPhone(%q) = %q is not valid UTF-8", s, out)
	}
	p := pii.NormalizePhone(s)
	if p == "" {
		if out != "" {
			t.Fatalf("MaskPhone(%q) = %q, want empty", s, out)
		}
		return
	}
	if !strings.Contains(out, "*") {
		t.Fatalf("MaskPhone(%q) = %q hides nothing", s, out)
	}
	switch {
	case pii.ValidateMobile(s) == nil:
		if want := p[:3] + "****" + p[7:]; out != want {
			t.Fatalf("MaskPhone(%q) = %q, want %q", s, out, want)
		}
	case pii.ValidatePhone(s) == nil:
		// Landline: area code, dash, hidden digits, last 4 digits.
		// The exact form is checked rather than searching for the
		// middle digits, which may coincide with the visible ones
		// (for example 020-9832-9832).
		area, rest, ok := strings.Cut(out, "-")
		if !ok || !strings.HasPrefix(p, area) || len(area) < 3 || len(area) > 4 {
			t.Fatalf("MaskPhone(%q) = %q lacks the area code", s, out)
		}
		if want := strings.Repeat("*", len(p)-len(area)-4) + p[len(p)-4:]; rest != want {
			t.Fatalf("MaskPhone(%q) = %q, want %s-%s", s, out, area, want)
		}
	default:
		if n := utf8.RuneCountInString(p); strings.Count(out, "*") < (n+1)/2 {
			t.Fatalf("MaskPhone(%q) = %q hides fewer than half of the characters", s, out)
		}
	}
}

// FuzzPIIText: any text round-trips through encryption, arbitrary text is
// never accepted as ciphertext, and names and addresses mask to valid UTF-8
// that hides part of them.
func FuzzPIIText(f *testing.F) {
	for _, s := range []string{"", "a", "11010519491231002X", "13812345678", "广东省东莞市", "v1:", "v1:AAAA", "\x00\xff",
		"张", "张三", "张三丰", "欧阳娜娜", "广东省东莞市莞城区", "\xff\xfe", " \u3000 "} {
		f.Add(s)
	}
	c := newTestCipher(f, 3)
	f.Fuzz(func(t *testing.T, s string) {
		checkEncrypt(t, c, s)
		checkMaskNameAddress(t, s)
	})
}

func checkEncrypt(t *testing.T, c *pii.Cipher, s string) {
	enc, err := c.Encrypt(s)
	if err != nil {
		t.Fatalf("Encrypt(%q): %v", s, err)
	}
	dec, err := c.Decrypt(enc)
	if err != nil {
		t.Fatalf("Decrypt(Encrypt(%q)): %v", s, err)
	}
	if dec != s {
		t.Fatalf("round trip of %q gave %q", s, dec)
	}
	// Arbitrary input must be rejected cleanly, never accepted by chance
	// or cause a panic.
	if s != "" {
		if _, err := c.Decrypt(s); err == nil {
			t.Fatalf("Decrypt accepted arbitrary input %q", s)
		}
	}
}

func checkMaskNameAddress(t *testing.T, s string) {
	name := pii.MaskName(s)
	addr := pii.MaskAddress(s)
	if !utf8.ValidString(name) || !utf8.ValidString(addr) {
		t.Fatalf("masking %q gave invalid UTF-8: %q, %q", s, name, addr)
	}
	trimmed := []rune(strings.TrimSpace(s))
	if len(trimmed) == 0 {
		if name != "" || addr != "" {
			t.Fatalf("masking blank %q gave %q, %q", s, name, addr)
		}
		return
	}
	if utf8.RuneCountInString(name) != len(trimmed) || !strings.Contains(name, "*") {
		t.Fatalf("MaskName(%q) = %q", s, name)
	}
	if !strings.HasSuffix(addr, "****") || utf8.RuneCountInString(addr) > 10 {
		t.Fatalf("MaskAddress(%q) = %q", s, addr)
	}
}
