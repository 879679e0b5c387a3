package pii_test

import (
	"testing"
	"unicode/utf8"

	"shegong/internal/pii"
)

func TestMaskIDNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"44190019900101123X", "4419**********123X"},
		{"44190019900101123x", "4419**********123X"},
		{toFullWidth("11010519491231002X"), "1101**********002X"},
		{" 11010519491231002X ", "1101**********002X"},
		{"110105491231002", "110*********002"}, // old 15-digit form
		{"", ""},
		{"1", "*"},
		{"1234", "1**4"},
		{"12345678", "12****78"},
		{"\xff\xfe", "**"},
	}
	for _, tt := range tests {
		if got := pii.MaskIDNumber(tt.in); got != tt.want {
			t.Errorf("MaskIDNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13812345678", "138****5678"},
		{"+86 138-1234-5678", "138****5678"},
		{toFullWidth("13812345678"), "138****5678"},
		{"0769-83212345", "0769-****2345"},
		{"(0769) 8321234", "0769-***1234"},
		{"010-87654321", "010-****4321"},
		{"+86 20 87654321", "020-****4321"},
		{"", ""},
		{"1", "*"},
		{"123", "***"},
		{"12345678", "12****78"},
		{"12812345678", "12*******78"},
		{"电话号码", "电**码"},
		{"\xff", "*"},
	}
	for _, tt := range tests {
		if got := pii.MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"张三丰", "张*丰"},
		{"张三", "张*"},
		{"张", "*"},
		{"欧阳娜娜", "欧**娜"},
		{"买买提·艾力", "买****力"},
		{" 李四 ", "李*"},
		{"John Smith", "J********h"},
		{"", ""},
		{"   ", ""},
		{"\xff\xfe", "\uFFFD*"},
	}
	for _, tt := range tests {
		if got := pii.MaskName(tt.in); got != tt.want {
			t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskAddress(t *testing.T) {
	tests := []struct{ in, want string }{
		{"广东省东莞市莞城区某某路1号", "广东省东莞市****"},
		{"  广东省东莞市莞城区  ", "广东省东莞市****"},
		{"广东省东莞市", "广东省****"},
		{"东莞", "东****"},
		{"莞", "****"},
		{"", ""},
		{"\xff\xfe\xfd\xfc\xfb\xfa\xf9", "\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD****"},
	}
	for _, tt := range tests {
		if got := pii.MaskAddress(tt.in); got != tt.want {
			t.Errorf("MaskAddress(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskOutputIsValidUTF8(t *testing.T) {
	inputs := []string{"", "\xff", "张\xe5\xbc", "\xe5\xbc\xa0\xe4", "138\x00\x01", "\u3000\xff\u3000"}
	for _, in := range inputs {
		for name, f := range map[string]func(string) string{
			"MaskIDNumber": pii.MaskIDNumber,
			"MaskPhone":    pii.MaskPhone,
			"MaskName":     pii.MaskName,
			"MaskAddress":  pii.MaskAddress,
		} {
			if out := f(in); !utf8.ValidString(out) {
				t.Errorf("%s(%q) = %q is not valid UTF-8", name, in, out)
			}
		}
	}
}
