package stats

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
)

// PeriodKind is the kind of a statistics period.
type PeriodKind string

const (
	KindMonth   PeriodKind = "month"
	KindQuarter PeriodKind = "quarter"
	KindHalf    PeriodKind = "half"
	KindYear    PeriodKind = "year"
	KindCustom  PeriodKind = "custom"
)

// PeriodKinds lists the kinds in the order the filter offers them.
var PeriodKinds = []PeriodKind{KindMonth, KindQuarter, KindHalf, KindYear, KindCustom}

// PeriodKindName is the Chinese name of a kind.
func PeriodKindName(k PeriodKind) string {
	switch k {
	case KindMonth:
		return "月度"
	case KindQuarter:
		return "季度"
	case KindHalf:
		return "半年度"
	case KindYear:
		return "年度"
	case KindCustom:
		return "自定义"
	}
	return string(k)
}

// periodExample is how a value of each kind is written.
var periodExample = map[PeriodKind]string{
	KindMonth: "2026-03", KindQuarter: "2026Q1", KindHalf: "2026H1", KindYear: "2026", KindCustom: "2026-01-01~2026-03-31",
}

// Period is a closed range of calendar days with the name people use for it.
type Period struct {
	Kind  PeriodKind `json:"kind"`
	Code  string     `json:"code"`  // 2026-03, 2026Q1, 2026H1, 2026 or 2026-01-05~2026-02-20; ParsePeriod reads it back
	Label string     `json:"label"` // 2026年3月, 2026年第一季度, 2026年上半年, 2026年, 2026-01-05 至 2026-02-20
	From  app.Date   `json:"from"`
	To    app.Date   `json:"to"`
}

// The years a period may fall in, and the longest custom period.
const (
	minYear        = 2000
	maxYear        = 2100
	maxCustomYears = 10
)

const msgPeriodFormat = "期间格式不正确，应为 2026-03（月）、2026Q1（季度）、2026H1（半年）、2026（年）或 2026-01-01~2026-03-31（自定义）"

func periodErr(field, format string, args ...any) *app.Error {
	e := app.Errorf(app.EInvalid, format, args...)
	e.Fields = map[string]string{field: e.Message}
	return e
}

func checkYear(y int) error {
	if y < minYear || y > maxYear {
		return periodErr("period", "年份应在 %d 至 %d 之间", minYear, maxYear)
	}
	return nil
}

// MonthPeriod is month m of year y.
func MonthPeriod(y int, m time.Month) (Period, error) {
	if err := checkYear(y); err != nil {
		return Period{}, err
	}
	if m < 1 || m > 12 {
		return Period{}, periodErr("period", "月份应在 1 至 12 之间")
	}
	from := app.NewDate(y, m, 1)
	return Period{Kind: KindMonth, Code: fmt.Sprintf("%04d-%02d", y, int(m)), Label: fmt.Sprintf("%d年%d月", y, int(m)),
		From: from, To: from.MonthEnd()}, nil
}

var quarterNames = []string{"一", "二", "三", "四"}

// QuarterPeriod is quarter q (1–4) of year y.
func QuarterPeriod(y, q int) (Period, error) {
	if err := checkYear(y); err != nil {
		return Period{}, err
	}
	if q < 1 || q > 4 {
		return Period{}, periodErr("period", "季度应为 Q1 至 Q4")
	}
	from := app.NewDate(y, time.Month(3*q-2), 1)
	return Period{Kind: KindQuarter, Code: fmt.Sprintf("%04dQ%d", y, q), Label: fmt.Sprintf("%d年第%s季度", y, quarterNames[q-1]),
		From: from, To: from.AddMonths(3).AddDays(-1)}, nil
}

// HalfPeriod is half h (1 first, 2 second) of year y.
func HalfPeriod(y, h int) (Period, error) {
	if err := checkYear(y); err != nil {
		return Period{}, err
	}
	if h < 1 || h > 2 {
		return Period{}, periodErr("period", "半年应为 H1（上半年）或 H2（下半年）")
	}
	from := app.NewDate(y, time.Month(6*h-5), 1)
	label := fmt.Sprintf("%d年上半年", y)
	if h == 2 {
		label = fmt.Sprintf("%d年下半年", y)
	}
	return Period{Kind: KindHalf, Code: fmt.Sprintf("%04dH%d", y, h), Label: label, From: from, To: from.AddMonths(6).AddDays(-1)}, nil
}

// YearPeriod is the calendar year y.
func YearPeriod(y int) (Period, error) {
	if err := checkYear(y); err != nil {
		return Period{}, err
	}
	return Period{Kind: KindYear, Code: fmt.Sprintf("%04d", y), Label: fmt.Sprintf("%d年", y),
		From: app.NewDate(y, 1, 1), To: app.NewDate(y, 12, 31)}, nil
}

// CustomPeriod is the days from through to, both included.
func CustomPeriod(from, to app.Date) (Period, error) {
	if from.IsZero() {
		return Period{}, periodErr("from", "请填写开始日期")
	}
	if to.IsZero() {
		return Period{}, periodErr("to", "请填写结束日期")
	}
	if from.Year() < minYear || from.Year() > maxYear {
		return Period{}, periodErr("from", "年份应在 %d 至 %d 之间", minYear, maxYear)
	}
	if to.Year() < minYear || to.Year() > maxYear {
		return Period{}, periodErr("to", "年份应在 %d 至 %d 之间", minYear, maxYear)
	}
	if to.Before(from) {
		return Period{}, periodErr("to", "结束日期不能早于开始日期")
	}
	if !to.Before(from.AddMonths(12 * maxCustomYears)) {
		return Period{}, periodErr("to", "自定义期间不能超过 %d 年", maxCustomYears)
	}
	return Period{Kind: KindCustom, Code: from.String() + "~" + to.String(), Label: from.String() + " 至 " + to.String(),
		From: from, To: to}, nil
}

var (
	reYear    = regexp.MustCompile(`^(\d{4})年?$`)
	reMonth   = regexp.MustCompile(`^(\d{4})(?:[-/.]|年)(\d{1,2})月?$`)
	reQuarter = regexp.MustCompile(`^(\d{4})(?:-?Q|年第?)(\d{1,2}|[一二三四])(?:季度)?$`)
	reHalf    = regexp.MustCompile(`^(\d{4})(?:-?H(\d{1,2})|年(上|下)半年)$`)
	// Full-width characters typed with a Chinese input method.
	widthFold = strings.NewReplacer("０", "0", "１", "1", "２", "2", "３", "3", "４", "4", "５", "5", "６", "6",
		"７", "7", "８", "8", "９", "9", "Ｑ", "Q", "ｑ", "Q", "Ｈ", "H", "ｈ", "H", "－", "-", "／", "/", "．", ".", "～", "~", "　", "")
)

// rangeSeparators split a custom period: 2026-01-05~2026-02-20, or with 至/到.
var rangeSeparators = []string{"~", "至", "到"}

// ParsePeriod reads a period written as 2026-03 (a month; also 2026-3,
// 2026/03, 2026年3月), 2026Q1 (a quarter; also 2026-Q1, 2026年第一季度),
// 2026H1 (a half-year; also 2026年上半年), 2026 (a year) or
// 2026-01-05~2026-02-20 (custom; also with 至). Errors are in Chinese.
func ParsePeriod(s string) (Period, error) {
	s = widthFold.Replace(strings.ToUpper(strings.TrimSpace(s)))
	if s == "" {
		return Period{}, periodErr("period", "请填写统计期间")
	}
	if len(s) > 64 {
		return Period{}, periodErr("period", msgPeriodFormat)
	}
	for _, sep := range rangeSeparators {
		if a, b, ok := strings.Cut(s, sep); ok {
			from, err := app.ParseDate(a)
			if err != nil {
				return Period{}, periodErr("from", "开始日期格式应为 2026-03-01")
			}
			to, err := app.ParseDate(b)
			if err != nil {
				return Period{}, periodErr("to", "结束日期格式应为 2026-03-01")
			}
			return CustomPeriod(from, to)
		}
	}
	s = strings.ReplaceAll(s, " ", "")
	if m := reYear.FindStringSubmatch(s); m != nil {
		return YearPeriod(atoi(m[1]))
	}
	if m := reMonth.FindStringSubmatch(s); m != nil {
		return MonthPeriod(atoi(m[1]), time.Month(atoi(m[2])))
	}
	if m := reQuarter.FindStringSubmatch(s); m != nil {
		q := atoi(m[2])
		for i, n := range quarterNames {
			if m[2] == n {
				q = i + 1
			}
		}
		return QuarterPeriod(atoi(m[1]), q)
	}
	if m := reHalf.FindStringSubmatch(s); m != nil {
		h := atoi(m[2])
		switch m[3] {
		case "上":
			h = 1
		case "下":
			h = 2
		}
		return HalfPeriod(atoi(m[1]), h)
	}
	return Period{}, periodErr("period", msgPeriodFormat)
}

// atoi reads the digits the patterns matched (at most four).
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// CurrentPeriod is the period of kind k that contains today; a custom
// period is the year to date.
func CurrentPeriod(k PeriodKind, today app.Date) Period {
	if k == KindCustom {
		p, err := CustomPeriod(app.NewDate(today.Year(), 1, 1), today)
		if err == nil {
			return p
		}
	}
	return periodContaining(k, today)
}

// periodContaining is the month, quarter, half-year or year (any other
// kind) that contains day d.
func periodContaining(k PeriodKind, d app.Date) Period {
	y := d.Year()
	var p Period
	var err error
	switch k {
	case KindMonth:
		p, err = MonthPeriod(y, d.Month())
	case KindQuarter:
		p, err = QuarterPeriod(y, (int(d.Month())+2)/3)
	case KindHalf:
		p, err = HalfPeriod(y, (int(d.Month())+5)/6)
	default:
		p, err = YearPeriod(y)
	}
	if err != nil {
		// Only a day outside the supported years gets here.
		return Period{Kind: KindCustom, Code: d.String() + "~" + d.String(), Label: d.String(), From: d, To: d}
	}
	return p
}

// PeriodOf reads the period of a filter: its kind (may be empty), the
// written value, and the from/to dates of a custom period. Nothing given is
// the current year; a kind without a value is the current period of that
// kind. A value of another kind than the one chosen becomes the period of
// the chosen kind where it starts (2026-05 as a quarter is 2026Q2; as a
// custom period, 2026-05-01 to 2026-05-31), so that changing the kind keeps
// the reader near the time they were looking at.
func PeriodOf(kind, value, from, to string, today app.Date) (Period, error) {
	k := PeriodKind(strings.TrimSpace(kind))
	value, from, to = strings.TrimSpace(value), strings.TrimSpace(from), strings.TrimSpace(to)
	if k != "" && periodExample[k] == "" {
		return Period{}, periodErr("kind", "请选择有效的期间类型")
	}
	if k == KindCustom || (k == "" && value == "" && (from != "" || to != "")) {
		if from == "" && to == "" && value != "" {
			p, err := ParsePeriod(value)
			if err != nil || p.Kind == KindCustom {
				return p, err
			}
			return CustomPeriod(p.From, p.To)
		}
		var f, t app.Date
		var err error
		if from != "" {
			if f, err = app.ParseDate(from); err != nil {
				return Period{}, periodErr("from", "开始日期格式应为 2026-03-01")
			}
		}
		if to != "" {
			if t, err = app.ParseDate(to); err != nil {
				return Period{}, periodErr("to", "结束日期格式应为 2026-03-01")
			}
		}
		return CustomPeriod(f, t)
	}
	if value == "" {
		return CurrentPeriod(k, today), nil
	}
	p, err := ParsePeriod(value)
	if err != nil {
		return Period{}, err
	}
	if k != "" && p.Kind != k {
		return periodContaining(k, p.From), nil
	}
	return p, nil
}

// Buckets splits the period into the rows of a table by time: calendar
// months, or calendar years when it spans more than 24 months; the first
// and last are cut to the period.
func (p Period) Buckets() []Period {
	var out []Period
	if !p.yearly() {
		for d := p.From.MonthStart(); !d.After(p.To); d = d.AddMonths(1) {
			b, _ := MonthPeriod(d.Year(), d.Month())
			out = append(out, b.clip(p))
		}
		return out
	}
	for y := p.From.Year(); y <= p.To.Year(); y++ {
		b, _ := YearPeriod(y)
		out = append(out, b.clip(p))
	}
	return out
}

// yearly reports whether the period spans more than 24 calendar months,
// so that its table by time has a row per year.
func (p Period) yearly() bool {
	return (p.To.Year()-p.From.Year())*12+int(p.To.Month())-int(p.From.Month())+1 > 24
}

// clip cuts b to the days of p; a cut bucket becomes a custom period that
// keeps b's label.
func (b Period) clip(p Period) Period {
	if !b.From.Before(p.From) && !b.To.After(p.To) {
		return b
	}
	from, to := b.From, b.To
	if from.Before(p.From) {
		from = p.From
	}
	if to.After(p.To) {
		to = p.To
	}
	c, err := CustomPeriod(from, to)
	if err != nil {
		return b
	}
	c.Label = b.Label
	return c
}
