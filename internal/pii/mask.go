package pii

import "strings"

// maskRune replaces hidden characters in masked output.
const maskRune = '*'

// MaskIDNumber returns id with all but the first 4 and last 4 characters
// replaced by '*', for example "4419**********123X". The input is normalized
// with [NormalizeIDNumber] first. Inputs too short to hide the middle part
// are masked more strongly so that at least half of the characters are
// hidden.
func MaskIDNumber(id string) string {
	return maskMiddle([]rune(NormalizeIDNumber(id)), 4, 4)
}

// MaskPhone returns a phone number with its middle digits hidden. The input
// is normalized with [NormalizePhone] first. Mobile numbers keep the first 3
// and last 4 digits ("138****5678"); landline numbers keep the area code and
// the last 4 digits ("0769-****2345"). Any other input is masked so that at
// least half of the characters are hidden.
func MaskPhone(phone string) string {
	p := NormalizePhone(phone)
	if isMobile(p) {
		return p[:3] + "****" + p[7:]
	}
	if area := landlineAreaLen(p); area > 0 {
		return p[:area] + "-" + strings.Repeat(string(maskRune), len(p)-area-4) + p[len(p)-4:]
	}
	return maskMiddle([]rune(p), 3, 4)
}

// MaskName returns a person's name with every character except the first
// and, for names of three or more characters, the last replaced by '*':
// "张三" becomes "张*", "张三丰" becomes "张*丰" and "欧阳娜娜" becomes
// "欧**娜". A single-character name is fully hidden. Surrounding white space
// is removed.
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	switch len(r) {
	case 0:
		return ""
	case 1:
		return string(maskRune)
	case 2:
		return string(r[0]) + string(maskRune)
	}
	return string(r[0]) + strings.Repeat(string(maskRune), len(r)-2) + string(r[len(r)-1])
}

// MaskAddress keeps the first 6 characters of an address (typically the
// province and city) and replaces the rest with "****". Addresses of 6
// characters or fewer keep only their first half. Surrounding white space is
// removed.
func MaskAddress(addr string) string {
	r := []rune(strings.TrimSpace(addr))
	if len(r) == 0 {
		return ""
	}
	keep := 6
	if len(r) <= keep {
		keep = len(r) / 2
	}
	return string(r[:keep]) + "****"
}

// maskMiddle keeps head runes at the start and tail runes at the end of r and
// replaces the rest with '*'. If that would leave fewer than half of the runes
// hidden, it keeps only a quarter of the runes at each end instead.
func maskMiddle(r []rune, head, tail int) string {
	n := len(r)
	if head+tail > n/2 {
		head, tail = n/4, n/4
	}
	var b strings.Builder
	b.Grow(n)
	for i, c := range r {
		if i < head || i >= n-tail {
			b.WriteRune(c)
		} else {
			b.WriteRune(maskRune)
		}
	}
	return b.String()
}
