package pii

import (
	"errors"
	"strings"
	"unicode"
)

// Errors returned by the phone number functions. Their messages are meant to
// be shown to users as is.
var (
	ErrPhoneEmpty   = errors.New("电话号码不能为空")
	ErrMobileFormat = errors.New("手机号码格式不正确，应为以13～19开头的11位数字")
	ErrPhoneFormat  = errors.New("电话号码格式不正确，应为11位手机号码或带区号的固定电话（如0769-83212345）")
)

// NormalizePhone returns the canonical form of a phone number: white space,
// dashes and parentheses removed, full-width characters converted to ASCII,
// and the international prefix "+86" or "0086" removed. A bare "86" is
// removed only when it is followed by an 11-digit mobile number. When an
// international prefix is followed by a landline number without its trunk
// prefix (for example "+86 769 83212345"), the leading 0 of the area code is
// restored. It does not validate the result; extensions are not supported.
func NormalizePhone(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			continue
		case r >= '０' && r <= '９':
			b.WriteByte(byte('0' + (r - '０')))
		case r == '＋':
			b.WriteByte('+')
		case isPhoneSeparator(r):
			continue
		default:
			b.WriteRune(r)
		}
	}
	p := b.String()

	international := false
	switch {
	case strings.HasPrefix(p, "+86"):
		p, international = p[3:], true
	case strings.HasPrefix(p, "0086"):
		p, international = p[4:], true
	case len(p) == 13 && strings.HasPrefix(p, "86") && isMobile(p[2:]):
		p = p[2:]
	}
	// In international notation the area code loses its leading 0:
	// +86 10 ... is Beijing, +86 769 ... is Dongguan. Mobile numbers start
	// with 13 to 19, so "10" and 2 to 9 can only begin an area code.
	if international && len(p) > 1 && (p[0] >= '2' && p[0] <= '9' || p[0] == '1' && p[1] == '0') {
		p = "0" + p
	}
	return p
}

// ValidateMobile reports whether s is a mainland mobile number: 11 digits
// starting with 13 to 19. The input is normalized with [NormalizePhone]
// first, so callers should store the normalized form. The returned error is
// [ErrPhoneEmpty] or [ErrMobileFormat].
func ValidateMobile(s string) error {
	p := NormalizePhone(s)
	if p == "" {
		return ErrPhoneEmpty
	}
	if !isMobile(p) {
		return ErrMobileFormat
	}
	return nil
}

// ValidatePhone reports whether s is a mainland mobile number or a landline
// number with area code, such as 0769-83212345 or 010-87654321. Area codes
// 010 and 02X have three digits and all others four; the subscriber number
// has 7 or 8 digits and does not start with 0 or 1. The input is normalized
// with [NormalizePhone] first. The returned error is [ErrPhoneEmpty] or
// [ErrPhoneFormat].
func ValidatePhone(s string) error {
	p := NormalizePhone(s)
	if p == "" {
		return ErrPhoneEmpty
	}
	if !isMobile(p) && landlineAreaLen(p) == 0 {
		return ErrPhoneFormat
	}
	return nil
}

// isPhoneSeparator reports whether r is a character people commonly use to
// group the digits of a phone number.
func isPhoneSeparator(r rune) bool {
	switch r {
	case '-', '－', '‐', '‑', '‒', '–', '—', '―', '(', ')', '（', '）':
		return true
	}
	return false
}

// isMobile reports whether p is a normalized mainland mobile number.
func isMobile(p string) bool {
	return len(p) == 11 && p[0] == '1' && p[1] >= '3' && p[1] <= '9' && allDigits(p)
}

// landlineAreaLen returns the length of the area code if p is a normalized
// landline number with area code, and 0 otherwise.
func landlineAreaLen(p string) int {
	if len(p) < 3 || p[0] != '0' || !allDigits(p) {
		return 0
	}
	var area int
	switch {
	case p[1] == '1' && p[2] == '0', p[1] == '2':
		area = 3
	case p[1] >= '3' && p[1] <= '9':
		area = 4
	default:
		return 0
	}
	n := len(p) - area
	if n < 7 || n > 8 || p[area] < '2' {
		return 0
	}
	return area
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
