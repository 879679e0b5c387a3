package pii_test

import (
	"errors"
	"testing"
	"time"

	"shegong/internal/pii"
)

func TestRefCheckChar(t *testing.T) {
	// Published example from GB 11643-1999.
	if got := refCheckChar("11010519491231002"); got != 'X' {
		t.Fatalf("refCheckChar = %c, want X", got)
	}
}

func TestNormalizeIDNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"11010519491231002X", "11010519491231002X"},
		{"11010519491231002x", "11010519491231002X"},
		{"  11010519491231002X\n", "11010519491231002X"},
		{"110105 19491231 002X", "11010519491231002X"},
		{"\u3000" + toFullWidth("11010519491231002X") + "\u3000", "11010519491231002X"},
		{toFullWidth("11010519491231002x"), "11010519491231002X"},
		{"abc", "abc"},
	}
	for _, tt := range tests {
		if got := pii.NormalizeIDNumber(tt.in); got != tt.want {
			t.Errorf("NormalizeIDNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidateIDNumberAt(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"published example", "11010519491231002X", nil},
		{"lowercase x", "11010519491231002x", nil},
		{"full-width", toFullWidth("11010519491231002X"), nil},
		{"full-width lowercase x", toFullWidth("11010519491231002x"), nil},
		{"surrounding spaces", " 11010519491231002X ", nil},
		{"computed", makeID("44190019900101123"), nil},
		{"computed digit check", makeID("44190019900101124"), nil},
		{"leap day", makeID("44190020000229002"), nil},
		{"born today", makeID("44190020240615002"), nil},
		{"year 1900", makeID("44190019000101002"), nil},

		{"empty", "", pii.ErrIDEmpty},
		{"blank", " \t\u3000", pii.ErrIDEmpty},
		{"15 digits", "110105491231002", pii.ErrIDLength},
		{"17 digits", "11010519491231002", pii.ErrIDLength},
		{"19 chars", "11010519491231002X1", pii.ErrIDLength},
		{"letter inside", "1101051949123A002X", pii.ErrIDFormat},
		{"bad last char", "11010519491231002A", pii.ErrIDFormat},
		{"X not last", "1101051949123100X2", pii.ErrIDFormat},
		{"Chinese chars", "一一0105194912310029", pii.ErrIDFormat},
		{"dash", "110105-1949123100X", pii.ErrIDFormat},
		{"wrong check", withWrongCheck("11010519491231002"), pii.ErrIDChecksum},
		{"wrong check digit", "110105194912310021", pii.ErrIDChecksum},
		{"February 30", makeID("44190019900230002"), pii.ErrIDBirthDate},
		{"1900 not leap", makeID("44190019000229002"), pii.ErrIDBirthDate},
		{"month 13", makeID("44190019901301002"), pii.ErrIDBirthDate},
		{"month 00", makeID("44190019900001002"), pii.ErrIDBirthDate},
		{"day 00", makeID("44190019900100002"), pii.ErrIDBirthDate},
		{"day 32", makeID("44190019900132002"), pii.ErrIDBirthDate},
		{"April 31", makeID("44190019900431002"), pii.ErrIDBirthDate},
		{"before 1900", makeID("44190018991231002"), pii.ErrIDBirthDate},
		{"tomorrow", makeID("44190020240616002"), pii.ErrIDBirthDate},
		{"far future", makeID("44190030000101002"), pii.ErrIDBirthDate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := pii.ValidateIDNumberAt(tt.in, testNow)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ValidateIDNumberAt(%q) = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

func TestValidateIDNumberUsesChinaDate(t *testing.T) {
	id := makeID("44190020240615002")
	// 2024-06-14 20:00 UTC is already 2024-06-15 in China.
	now := time.Date(2024, 6, 14, 20, 0, 0, 0, time.UTC)
	if err := pii.ValidateIDNumberAt(id, now); err != nil {
		t.Fatalf("born today in China time: %v", err)
	}
	// 2024-06-14 15:00 UTC is still 2024-06-14 in China.
	now = time.Date(2024, 6, 14, 15, 0, 0, 0, time.UTC)
	if err := pii.ValidateIDNumberAt(id, now); !errors.Is(err, pii.ErrIDBirthDate) {
		t.Fatalf("born tomorrow in China time: got %v", err)
	}
}

func TestValidateIDNumber(t *testing.T) {
	if err := pii.ValidateIDNumber("11010519491231002X"); err != nil {
		t.Fatal(err)
	}
	if err := pii.ValidateIDNumber(makeID("44190099990101002")); !errors.Is(err, pii.ErrIDBirthDate) {
		t.Fatalf("future birth date: got %v", err)
	}
}

func TestIDErrorMessages(t *testing.T) {
	tests := map[error]string{
		pii.ErrIDLength:    "身份证号码应为18位",
		pii.ErrIDChecksum:  "身份证号码校验位不正确",
		pii.ErrIDBirthDate: "身份证号码中的出生日期无效",
	}
	for err, want := range tests {
		if err.Error() != want {
			t.Errorf("message = %q, want %q", err.Error(), want)
		}
	}
}

func TestBirthDateFromID(t *testing.T) {
	got, err := pii.BirthDateFromID(" 11010519491231002x ")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("BirthDateFromID = %v, want %v", got, want)
	}
	if _, err := pii.BirthDateFromID("110105194912310021"); !errors.Is(err, pii.ErrIDChecksum) {
		t.Fatalf("invalid ID: got %v", err)
	}
}

func TestGenderFromID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"11010519491231002X", "女"}, // 17th digit 2
		{makeID("44190019900101123"), "男"},
		{makeID("44190019900101120"), "女"},
		{makeID("44190019900101129"), "男"},
		{"110105194912310021", ""},
		{"", ""},
		{"abc", ""},
	}
	for _, tt := range tests {
		if got := pii.GenderFromID(tt.in); got != tt.want {
			t.Errorf("GenderFromID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
