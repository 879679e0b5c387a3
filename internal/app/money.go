package app

import (
	"strconv"
	"strings"
)

// Fen is an amount of money in fen (1/100 yuan). Money is never a float.
type Fen int64

// String formats as ¥1,234.56.
func (f Fen) String() string { return "¥" + f.Plain(true) }

// Plain formats as 1234.56, with thousands separators when grouped.
func (f Fen) Plain(grouped bool) string {
	n := int64(f)
	neg := n < 0
	if neg {
		n = -n
	}
	yuan := strconv.FormatInt(n/100, 10)
	if grouped && len(yuan) > 3 {
		var b strings.Builder
		pre := len(yuan) % 3
		if pre > 0 {
			b.WriteString(yuan[:pre])
		}
		for i := pre; i < len(yuan); i += 3 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(yuan[i : i+3])
		}
		yuan = b.String()
	}
	cents := n % 100
	s := yuan + "." + string(rune('0'+cents/10)) + string(rune('0'+cents%10))
	if neg {
		return "-" + s
	}
	return s
}

// ParseFen parses "1234.5", "1,234.56", "¥12" into fen exactly.
func ParseFen(s string) (Fen, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "¥"), "￥")
	s = strings.ReplaceAll(s, ",", "")
	bad := Errorf(EInvalid, "金额格式不正确，例如 1234.56")
	if s == "" {
		return 0, bad
	}
	neg := false
	if s[0] == '-' {
		neg, s = true, s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || len(whole) > 13 || (hasFrac && (len(frac) == 0 || len(frac) > 2)) {
		return 0, bad
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, bad
		}
	}
	y, _ := strconv.ParseInt(whole, 10, 64)
	var c int64
	if hasFrac {
		if len(frac) == 1 {
			frac += "0"
		}
		c, _ = strconv.ParseInt(frac, 10, 64)
	}
	v := y*100 + c
	if neg {
		v = -v
	}
	return Fen(v), nil
}
