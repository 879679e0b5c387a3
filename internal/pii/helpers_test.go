package pii_test

import (
	"strings"
	"time"
)

// refCheckChar computes the GB 11643-1999 check character of the first 17
// digits with the recursive form of ISO 7064 MOD 11-2, independently of the
// weight table used by the package.
func refCheckChar(digits17 string) byte {
	p := 0
	for i := 0; i < len(digits17); i++ {
		p = (p + int(digits17[i]-'0')) * 2 % 11
	}
	c := (12 - p) % 11
	if c == 10 {
		return 'X'
	}
	return byte('0' + c)
}

// makeID appends the correct check character to 17 digits.
func makeID(digits17 string) string {
	return digits17 + string(refCheckChar(digits17))
}

// withWrongCheck returns a complete ID number whose check character is wrong.
func withWrongCheck(digits17 string) string {
	good := refCheckChar(digits17)
	for _, c := range "0123456789X" {
		if byte(c) != good {
			return digits17 + string(c)
		}
	}
	panic("unreachable")
}

// toFullWidth converts ASCII digits and letters to their full-width forms.
func toFullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '!' && r <= '~' {
			return r - '!' + '！'
		}
		return r
	}, s)
}

// testNow is a fixed reference time: 2024-06-15 12:00 in China.
var testNow = time.Date(2024, 6, 15, 4, 0, 0, 0, time.UTC)
