package pii_test

import (
	"errors"
	"testing"

	"shegong/internal/pii"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"13812345678", "13812345678"},
		{" 138 1234 5678 ", "13812345678"},
		{"138-1234-5678", "13812345678"},
		{"+86 138 1234 5678", "13812345678"},
		{"+8613812345678", "13812345678"},
		{"+86-138-1234-5678", "13812345678"},
		{"(+86) 13812345678", "13812345678"},
		{"008613812345678", "13812345678"},
		{"8613812345678", "13812345678"},
		{toFullWidth("13812345678"), "13812345678"},
		{"＋８６\u3000１３８－１２３４－５６７８", "13812345678"},
		{"0769-83212345", "076983212345"},
		{"(0769) 8321 2345", "076983212345"},
		{"（０７６９）８３２１２３４５", "076983212345"},
		{"0769—83212345", "076983212345"},
		{"+86 769 83212345", "076983212345"},
		{"+86-10-87654321", "01087654321"},
		{"0086 20 87654321", "02087654321"},
		{"+86 0769 83212345", "076983212345"},
		// A bare 86 is only a country code in front of a mobile number.
		{"86123", "86123"},
		{"8683212345", "8683212345"},
		{"+1 415 555 0100", "+14155550100"},
		{"abc", "abc"},
	}
	for _, tt := range tests {
		if got := pii.NormalizePhone(tt.in); got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidateMobile(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"13812345678", nil},
		{"19912345678", nil},
		{"16612345678", nil},
		{"+86 138-1234-5678", nil},
		{toFullWidth("15012345678"), nil},
		{"", pii.ErrPhoneEmpty},
		{" - ", pii.ErrPhoneEmpty},
		{"12812345678", pii.ErrMobileFormat},
		{"10012345678", pii.ErrMobileFormat},
		{"23812345678", pii.ErrMobileFormat},
		{"1381234567", pii.ErrMobileFormat},
		{"138123456789", pii.ErrMobileFormat},
		{"1381234567a", pii.ErrMobileFormat},
		{"0769-83212345", pii.ErrMobileFormat},
		{"一三八一二三四五六七八", pii.ErrMobileFormat},
	}
	for _, tt := range tests {
		if err := pii.ValidateMobile(tt.in); !errors.Is(err, tt.want) {
			t.Errorf("ValidateMobile(%q) = %v, want %v", tt.in, err, tt.want)
		}
	}
}

func TestValidatePhone(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"13812345678", nil},
		{"+86 13812345678", nil},
		{"0769-83212345", nil},
		{"0769-8321234", nil},
		{"010-87654321", nil},
		{"020-87654321", nil},
		{"029 8765 4321", nil},
		{"0371-6543210", nil},
		{"+86 769 83212345", nil},
		{"+86 10 87654321", nil},
		{"", pii.ErrPhoneEmpty},
		{"83212345", pii.ErrPhoneFormat},
		{"0769-832123", pii.ErrPhoneFormat},
		{"0769-832123456", pii.ErrPhoneFormat},
		{"0769-13212345", pii.ErrPhoneFormat},
		{"0769-03212345", pii.ErrPhoneFormat},
		{"011-87654321", pii.ErrPhoneFormat},
		{"000-87654321", pii.ErrPhoneFormat},
		{"0769-8321234a", pii.ErrPhoneFormat},
		{"12812345678", pii.ErrPhoneFormat},
		{"0769-83212345-801", pii.ErrPhoneFormat},
	}
	for _, tt := range tests {
		if err := pii.ValidatePhone(tt.in); !errors.Is(err, tt.want) {
			t.Errorf("ValidatePhone(%q) = %v, want %v", tt.in, err, tt.want)
		}
	}
}
