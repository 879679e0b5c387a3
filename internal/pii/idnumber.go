package pii

import (
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Errors returned by the ID number functions. Their messages are meant to be
// shown to users as is.
var (
	ErrIDEmpty     = errors.New("身份证号码不能为空")
	ErrIDLength    = errors.New("身份证号码应为18位")
	ErrIDFormat    = errors.New("身份证号码格式不正确：前17位应为数字，最后一位应为数字或X")
	ErrIDBirthDate = errors.New("身份证号码中的出生日期无效")
	ErrIDChecksum  = errors.New("身份证号码校验位不正确")
)

const idLength = 18

// earliestBirthYear is the lowest birth year accepted in an ID number.
const earliestBirthYear = 1900

// chinaTime is the time zone used to decide which calendar day "today" is.
// Mainland China uses UTC+8 all year round.
var chinaTime = time.FixedZone("CST", 8*60*60)

// idWeights holds the GB 11643-1999 weights 2^(17-i) mod 11 for the first
// 17 characters.
var idWeights = [idLength - 1]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps the weighted sum modulo 11 to the check character.
const idCheckChars = "10X98765432"

// NormalizeIDNumber returns the canonical form of an ID number: all white
// space (including full-width spaces) removed, full-width digits converted to
// ASCII digits and the check character x uppercased to X. It does not
// validate the result.
func NormalizeIDNumber(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			continue
		case r >= '０' && r <= '９':
			b.WriteByte(byte('0' + (r - '０')))
		case r == 'x' || r == 'ｘ' || r == 'Ｘ':
			b.WriteByte('X')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ValidateIDNumber reports whether s is a valid 18-character mainland
// resident ID number, using the current time to reject future birth dates.
// See [ValidateIDNumberAt].
func ValidateIDNumber(s string) error {
	return ValidateIDNumberAt(s, time.Now())
}

// ValidateIDNumberAt reports whether s is a valid 18-character mainland
// resident ID number. The input is normalized with [NormalizeIDNumber] first,
// so callers should store the normalized form.
//
// It checks the length and character set, that the birth date part
// (characters 7 to 14) is a real calendar date between 1900-01-01 and the
// day of now in China time, and the ISO 7064 MOD 11-2 check character.
// The region code is not checked against a list of administrative areas.
// The returned error is one of the ErrID* values.
func ValidateIDNumberAt(s string, now time.Time) error {
	id := NormalizeIDNumber(s)
	if id == "" {
		return ErrIDEmpty
	}
	if utf8.RuneCountInString(id) != idLength {
		return ErrIDLength
	}
	if !idWellFormed(id) {
		return ErrIDFormat
	}
	birth, ok := idBirthDate(id)
	if !ok || birth.Year() < earliestBirthYear || birth.After(civilDate(now.In(chinaTime))) {
		return ErrIDBirthDate
	}
	if idCheckChar(id) != id[idLength-1] {
		return ErrIDChecksum
	}
	return nil
}

// BirthDateFromID returns the birth date encoded in a valid ID number as
// midnight UTC of that calendar day. It returns the validation error if id is
// not valid according to [ValidateIDNumber].
func BirthDateFromID(id string) (time.Time, error) {
	if err := ValidateIDNumber(id); err != nil {
		return time.Time{}, err
	}
	birth, _ := idBirthDate(NormalizeIDNumber(id))
	return birth, nil
}

// GenderFromID returns "男" or "女" according to the parity of the 17th
// character of a valid ID number, or "" if id is not valid according to
// [ValidateIDNumber].
func GenderFromID(id string) string {
	if ValidateIDNumber(id) != nil {
		return ""
	}
	if (NormalizeIDNumber(id)[16]-'0')%2 == 1 {
		return "男"
	}
	return "女"
}

// idWellFormed reports whether id consists of 17 ASCII digits followed by an
// ASCII digit or X. It assumes id has 18 runes.
func idWellFormed(id string) bool {
	if len(id) != idLength {
		return false
	}
	for i := 0; i < idLength-1; i++ {
		if !isDigit(id[i]) {
			return false
		}
	}
	last := id[idLength-1]
	return isDigit(last) || last == 'X'
}

// idCheckChar computes the check character for a well-formed id.
func idCheckChar(id string) byte {
	sum := 0
	for i, w := range idWeights {
		sum += int(id[i]-'0') * w
	}
	return idCheckChars[sum%11]
}

// idBirthDate parses the YYYYMMDD part of a well-formed id. It reports false
// if the digits do not form a real calendar date.
func idBirthDate(id string) (time.Time, bool) {
	year := atoi(id[6:10])
	month := atoi(id[10:12])
	day := atoi(id[12:14])
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	// time.Date normalizes overflowing days (e.g. February 30), so a
	// mismatch means the date does not exist.
	if t.Year() != year || t.Month() != time.Month(month) || t.Day() != day {
		return time.Time{}, false
	}
	return t, true
}

// civilDate returns midnight UTC of t's calendar day in t's location.
func civilDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// atoi converts a string of ASCII digits to an int.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
