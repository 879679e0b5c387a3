package app

import (
	"strings"
	"unicode/utf8"
)

// Required checks that s is not blank. label is the Chinese field label.
func (v *Validation) Required(field, s, label string) bool {
	if strings.TrimSpace(s) == "" {
		v.Add(field, label+"不能为空")
		return false
	}
	return true
}

// MaxLen checks that s has at most n characters (runes, not bytes).
func (v *Validation) MaxLen(field, s, label string, n int) bool {
	if utf8.RuneCountInString(s) > n {
		v.Add(field, label+"不能超过"+itoa(n)+"个字")
		return false
	}
	if !utf8.ValidString(s) {
		v.Add(field, label+"包含无效字符")
		return false
	}
	return true
}

// OneOf checks that s is one of the allowed values.
func (v *Validation) OneOf(field, s, label string, allowed ...string) bool {
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	v.Add(field, "请选择有效的"+label)
	return false
}

// Positive checks that id refers to something chosen (> 0).
func (v *Validation) Chosen(field string, id int64, label string) bool {
	if id <= 0 {
		v.Add(field, "请选择"+label)
		return false
	}
	return true
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
