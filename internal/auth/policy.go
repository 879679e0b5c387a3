package auth

import (
	"bufio"
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"shegong/internal/app"
	"shegong/internal/db"
)

// Password-policy profiles an organization chooses between (the platform's
// own setting governs platform operators).
const (
	// ProfileASVS follows OWASP ASVS (v4.0.3 §2.1, v5 §6.2): at least 12
	// characters, up to 128, any Unicode, no composition rules, common and
	// breached passwords and context words refused, no forced rotation.
	ProfileASVS = "asvs"
	// ProfileDengbao follows GB/T 22239-2019 level 3 (等保三级) as commonly
	// assessed: at least 8 characters of at least 3 of 4 classes, a change
	// every 90 days, none of the last 5 passwords reused; the sign-in
	// lockout applies as everywhere.
	ProfileDengbao = "dengbao"
)

// Profile rules.
const (
	MaxPasswordRunes   = 128
	asvsMinRunes       = 12
	dengbaoMinRunes    = 8
	dengbaoClasses     = 3
	DengbaoMaxAge      = 90 * 24 * time.Hour
	DengbaoHistorySize = 5
)

// ProfileInfo names a profile for the settings page.
type ProfileInfo struct {
	Code, Name, Desc string
}

// Profiles lists the profiles, default first.
var Profiles = []ProfileInfo{
	{ProfileASVS, "默认（OWASP ASVS）", "至少12个字符，可用任意字符（含中文和空格）；不能是常见或已泄露的密码，不能包含用户名或机构名称；不强制定期更换"},
	{ProfileDengbao, "等保三级（GB/T 22239-2019）", "至少8个字符，须包含大写字母、小写字母、数字、符号中的至少三类；每90天须更换一次；不能与最近5次使用过的密码相同"},
}

// ValidProfile reports whether code names a profile.
func ValidProfile(code string) bool { return code == ProfileASVS || code == ProfileDengbao }

// ProfileName returns the Chinese name of a profile.
func ProfileName(code string) string {
	for _, p := range Profiles {
		if p.Code == code {
			return p.Name
		}
	}
	return code
}

// Policy is the password policy in force for one organization.
type Policy struct {
	Profile string
	OrgName string
}

// Help is the hint shown under a new-password field.
func (pol Policy) Help() string {
	if pol.Profile == ProfileDengbao {
		return "至少8个字符，包含大写字母、小写字母、数字、符号中的至少三类，不能与最近5次的密码相同"
	}
	return "至少12个字符，可以是一句好记的话；不要使用常见密码，不要包含用户名或机构名称"
}

// MaxAge is how long a password may be used before it must be changed
// (0: no forced rotation).
func (pol Policy) MaxAge() time.Duration {
	if pol.Profile == ProfileDengbao {
		return DengbaoMaxAge
	}
	return 0
}

// Check validates a new password against the profile's rules that need no
// stored history; field is the form field.
func (pol Policy) Check(v *app.Validation, field, pw, username string) {
	n := utf8.RuneCountInString(pw)
	if pol.Profile != ProfileDengbao {
		// ASVS counts length after runs of spaces are combined.
		n = utf8.RuneCountInString(collapseSpaces(pw))
	}
	lower := strings.ToLower(pw)
	min := asvsMinRunes
	if pol.Profile == ProfileDengbao {
		min = dengbaoMinRunes
	}
	switch {
	case pw == "":
		v.Add(field, "请输入新密码")
	case n < min:
		v.Add(field, fmt.Sprintf("密码至少需要%d个字符", min))
	case utf8.RuneCountInString(pw) > MaxPasswordRunes:
		v.Add(field, fmt.Sprintf("密码不能超过%d个字符", MaxPasswordRunes))
	case !utf8.ValidString(pw):
		v.Add(field, "密码含有无效字符")
	case pol.Profile == ProfileDengbao && charClasses(pw) < dengbaoClasses:
		v.Add(field, "密码须包含大写字母、小写字母、数字、符号中的至少三类")
	case IsCommonPassword(pw):
		v.Add(field, "这个密码太常见或已在泄露的密码库中出现，容易被猜到，请换一个")
	case username != "" && strings.Contains(lower, strings.ToLower(username)):
		v.Add(field, "密码不能包含用户名")
	case pol.OrgName != "" && strings.Contains(lower, strings.ToLower(pol.OrgName)):
		v.Add(field, "密码不能包含机构名称")
	}
}

func collapseSpaces(s string) string {
	var b strings.Builder
	prev := false
	for _, r := range s {
		sp := r == ' '
		if sp && prev {
			continue
		}
		prev = sp
		b.WriteRune(r)
	}
	return b.String()
}

// charClasses counts the classes among upper-case letters, lower-case
// letters, digits and others (symbols, spaces, other scripts).
func charClasses(pw string) int {
	var up, low, dig, sym bool
	for _, r := range pw {
		switch {
		case r >= 'A' && r <= 'Z':
			up = true
		case r >= 'a' && r <= 'z':
			low = true
		case unicode.IsDigit(r):
			dig = true
		default:
			sym = true
		}
	}
	n := 0
	for _, b := range []bool{up, low, dig, sym} {
		if b {
			n++
		}
	}
	return n
}

//go:embed common_passwords.txt
var commonPasswordData string

var (
	commonOnce sync.Once
	commonSet  map[string]struct{}
)

// IsCommonPassword reports whether pw (ignoring letter case) is on the
// embedded list of common and breached passwords.
func IsCommonPassword(pw string) bool {
	commonOnce.Do(func() {
		commonSet = make(map[string]struct{}, 12000)
		sc := bufio.NewScanner(strings.NewReader(commonPasswordData))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			commonSet[strings.ToLower(line)] = struct{}{}
		}
	})
	_, ok := commonSet[strings.ToLower(pw)]
	return ok
}

// LoadPolicy reads an organization's password policy.
func LoadPolicy(ctx context.Context, q db.Querier, orgID int64) (Policy, error) {
	var pol Policy
	err := q.QueryRowContext(ctx, `SELECT password_profile, name FROM organizations WHERE id = $1`, orgID).
		Scan(&pol.Profile, &pol.OrgName)
	if errors.Is(err, sql.ErrNoRows) {
		return Policy{Profile: ProfileASVS}, nil
	}
	if err != nil {
		return pol, fmt.Errorf("auth: password policy: %w", err)
	}
	if !ValidProfile(pol.Profile) {
		pol.Profile = ProfileASVS
	}
	return pol, nil
}

// CheckNewPassword validates pw as userID's next password in orgID under
// the organization's policy, including (dengbao) the last passwords used.
// userID is 0 for an account being created. Problems go into v under field.
func CheckNewPassword(ctx context.Context, q db.Querier, v *app.Validation, field string, orgID, userID int64, username, pw string) (Policy, error) {
	pol, err := LoadPolicy(ctx, q, orgID)
	if err != nil {
		return pol, err
	}
	pol.Check(v, field, pw, username)
	if v.Has(field) || userID == 0 || pol.Profile != ProfileDengbao {
		return pol, nil
	}
	hashes, err := recentPasswordHashes(ctx, q, orgID, userID, DengbaoHistorySize)
	if err != nil {
		return pol, err
	}
	for _, h := range hashes {
		if VerifyPassword(h, pw) {
			v.Add(field, fmt.Sprintf("不能使用最近%d次用过的密码", DengbaoHistorySize))
			break
		}
	}
	return pol, nil
}

// recentPasswordHashes returns the current hash and the newest history
// entries, n in all at most (the current one usually heads the history).
func recentPasswordHashes(ctx context.Context, q db.Querier, orgID, userID int64, n int) ([]string, error) {
	var current string
	if err := q.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE org_id = $1 AND id = $2`, orgID, userID).
		Scan(&current); err != nil {
		return nil, fmt.Errorf("auth: current password: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT password_hash FROM password_history WHERE org_id = $1 AND user_id = $2
		ORDER BY seq DESC LIMIT $3`, orgID, userID, n)
	if err != nil {
		return nil, fmt.Errorf("auth: password history: %w", err)
	}
	defer rows.Close()
	out := []string{current}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		if h != current && len(out) < n {
			out = append(out, h)
		}
	}
	return out, rows.Err()
}

// RecordPassword appends hash to userID's password history (inside the
// transaction that sets it) and keeps only the newest entries.
func RecordPassword(ctx context.Context, q db.Querier, orgID, userID int64, hash string, at time.Time) error {
	var seq int
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM password_history WHERE org_id = $1 AND user_id = $2`,
		orgID, userID).Scan(&seq); err != nil {
		return fmt.Errorf("auth: history seq: %w", err)
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO password_history (org_id, user_id, seq, password_hash, set_at)
		VALUES ($1, $2, $3, $4, $5)`, orgID, userID, seq, hash, at.UTC()); err != nil {
		return fmt.Errorf("auth: record password: %w", err)
	}
	// Keep a few more than the rule needs; older hashes serve no purpose.
	if _, err := q.ExecContext(ctx, `DELETE FROM password_history WHERE org_id = $1 AND user_id = $2 AND seq <= $3`,
		orgID, userID, seq-2*DengbaoHistorySize); err != nil {
		return fmt.Errorf("auth: trim history: %w", err)
	}
	return nil
}

// passwordExpired reports whether the password of a user set at changed
// (or created, when never changed) is past the policy's maximum age.
func (pol Policy) expired(changed, now time.Time) bool {
	age := pol.MaxAge()
	return age > 0 && !changed.IsZero() && !now.Before(changed.Add(age))
}

// PasswordExpiry returns when p's password must be changed under its
// organization's policy (zero when it never must).
func (s *Service) PasswordExpiry(ctx context.Context, orgID, userID int64) (Policy, time.Time, error) {
	pol, err := LoadPolicy(ctx, s.DB.R, orgID)
	if err != nil || pol.MaxAge() == 0 {
		return pol, time.Time{}, err
	}
	changed, err := passwordSetAt(ctx, s.DB.R, orgID, userID)
	if err != nil {
		return pol, time.Time{}, err
	}
	return pol, changed.Add(pol.MaxAge()), nil
}

func passwordSetAt(ctx context.Context, q db.Querier, orgID, userID int64) (time.Time, error) {
	var changed sql.NullTime
	var created time.Time
	if err := q.QueryRowContext(ctx, `SELECT password_changed_at, created_at FROM users WHERE org_id = $1 AND id = $2`,
		orgID, userID).Scan(&changed, &created); err != nil {
		return time.Time{}, fmt.Errorf("auth: password age: %w", err)
	}
	if changed.Valid {
		return changed.Time, nil
	}
	return created, nil
}
