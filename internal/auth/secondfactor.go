package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/auth/totp"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/pii"
)

// Stages of a web session: a session is fully signed in only at StageDone.
const (
	StageDone  = ""
	StageTOTP  = "totp"  // the password passed; the one-time code is due
	StageEnrol = "enrol" // a second factor is required but not set up yet
)

// Issuer names the system in authenticator apps.
const Issuer = "社工服务管理系统"

// RecoveryCodeCount is how many one-time recovery codes enrolment issues.
const RecoveryCodeCount = 10

// PermSecurityAdmin sets the organization's second-factor and password
// rules and resets a user's second factor.
var PermSecurityAdmin = authz.Define("auth.security", "设置登录安全（动态验证码、密码策略），重置他人的动态验证码",
	map[authz.Role]authz.Level{authz.RoleOrgAdmin: authz.Org, authz.RolePlatformOperator: authz.Org})

// DefaultTOTPRoles are the roles that must use a second factor unless the
// organization decides otherwise.
var DefaultTOTPRoles = []authz.Role{authz.RoleOrgAdmin, authz.RolePlatformOperator}

// Security is an organization's sign-in security settings.
type Security struct {
	TOTPAll         bool         `json:"totp_all" doc:"为真时所有账号都须使用动态验证码"`
	TOTPRoles       []authz.Role `json:"totp_roles" doc:"须使用动态验证码的角色（totp_all 为假时）"`
	PasswordProfile string       `json:"password_profile" doc:"密码策略：asvs 默认 / dengbao 等保三级"`
}

// Requires reports whether a user holding roles must use a second factor.
func (st Security) Requires(roles []authz.Role) bool {
	if st.TOTPAll {
		return true
	}
	for _, r := range roles {
		if slices.Contains(st.TOTPRoles, r) {
			return true
		}
	}
	return false
}

func (st Security) encodeRoles() string {
	if st.TOTPAll {
		return "*"
	}
	rs := slices.Clone(st.TOTPRoles)
	slices.Sort(rs)
	rs = slices.Compact(rs)
	var out []string
	for _, r := range rs {
		out = append(out, string(r))
	}
	return strings.Join(out, ",")
}

// LoadSecurity reads an organization's settings.
func LoadSecurity(ctx context.Context, q db.Querier, orgID int64) (Security, error) {
	var roles, profile string
	err := q.QueryRowContext(ctx, `SELECT totp_roles, password_profile FROM organizations WHERE id = $1`, orgID).Scan(&roles, &profile)
	if err != nil {
		return Security{}, fmt.Errorf("auth: security settings: %w", err)
	}
	st := Security{PasswordProfile: profile}
	if roles == "*" {
		st.TOTPAll = true
	} else {
		for _, r := range strings.Split(roles, ",") {
			if r = strings.TrimSpace(r); r != "" {
				st.TOTPRoles = append(st.TOTPRoles, authz.Role(r))
			}
		}
	}
	if !ValidProfile(st.PasswordProfile) {
		st.PasswordProfile = ProfileASVS
	}
	return st, nil
}

// SaveSecurity changes p's organization's settings (audited).
func (s *Service) SaveSecurity(ctx context.Context, p *authz.Principal, st Security) error {
	if !p.Scope(PermSecurityAdmin).Has(authz.Org) {
		return app.ErrForbidden()
	}
	var v app.Validation
	v.OneOf("password_profile", st.PasswordProfile, "密码策略", ProfileASVS, ProfileDengbao)
	for _, r := range st.TOTPRoles {
		if !authz.ValidRole(r) || (r == authz.RolePlatformOperator) != p.IsPlatform() {
			v.Add("totp_roles", "角色无效："+string(r))
			break
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	now := s.Now()
	roles := st.encodeRoles()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE organizations SET totp_roles = $2, password_profile = $3 WHERE id = $1`,
			p.OrgID, roles, st.PasswordProfile); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "auth.security_settings", ObjectType: "organization", ObjectID: strconv.FormatInt(p.OrgID, 10),
			Detail: "动态验证码=" + orNone(roles) + " 密码策略=" + st.PasswordProfile})
	})
}

func orNone(s string) string {
	if s == "" {
		return "不要求"
	}
	return s
}

// factorState is what the database holds about a user's authenticator.
type factorState struct {
	secret    string // encrypted
	confirmed bool
	lastStep  int64
	found     bool
}

func loadFactor(ctx context.Context, q db.Querier, orgID, userID int64) (factorState, error) {
	var f factorState
	var confirmed sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT secret, confirmed_at, last_step FROM user_totp WHERE org_id = $1 AND user_id = $2`,
		orgID, userID).Scan(&f.secret, &confirmed, &f.lastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("auth: second factor: %w", err)
	}
	f.found, f.confirmed = true, confirmed.Valid
	return f, nil
}

// stageFor decides the session stage after a correct password.
func stageFor(ctx context.Context, q db.Querier, orgID, userID int64) (string, factorState, error) {
	f, err := loadFactor(ctx, q, orgID, userID)
	if err != nil {
		return "", f, err
	}
	if f.confirmed {
		return StageTOTP, f, nil
	}
	st, err := LoadSecurity(ctx, q, orgID)
	if err != nil {
		return "", f, err
	}
	roles, err := userRoles(ctx, q, orgID, userID)
	if err != nil {
		return "", f, err
	}
	if st.Requires(roles) {
		return StageEnrol, f, nil
	}
	return StageDone, f, nil
}

func userRoles(ctx context.Context, q db.Querier, orgID, userID int64) ([]authz.Role, error) {
	rows, err := q.QueryContext(ctx, `SELECT role FROM user_roles WHERE org_id = $1 AND user_id = $2`, orgID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []authz.Role
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		out = append(out, authz.Role(r))
	}
	return out, rows.Err()
}

func (s *Service) cipher() (*pii.Cipher, error) {
	if s.Cipher == nil {
		return nil, errors.New("auth: no encryption key configured for second factors")
	}
	return s.Cipher, nil
}

// Enrolment is a second factor being set up, as the enrolment page shows it.
type Enrolment struct {
	Secret  string // base32
	Grouped string // base32 in groups of four
	URI     string // otpauth://
}

// FactorStatus tells whether p has a confirmed second factor and whether
// p's organization requires one of p.
func (s *Service) FactorStatus(ctx context.Context, p *authz.Principal) (enrolled, required bool, err error) {
	f, err := loadFactor(ctx, s.DB.R, p.OrgID, p.UserID)
	if err != nil {
		return false, false, err
	}
	st, err := LoadSecurity(ctx, s.DB.R, p.OrgID)
	if err != nil {
		return false, false, err
	}
	return f.confirmed, st.Requires(p.Roles), nil
}

// BeginEnrol returns the authenticator secret p is asked to enrol in this
// session. It is derived from the server's key and the session, so showing
// the enrolment page changes nothing in the database (the same secret on
// every view and on the QR code, a new one in a new session); only
// ConfirmEnrol stores it. A confirmed secret is never shown again.
func (s *Service) BeginEnrol(ctx context.Context, p *authz.Principal) (Enrolment, error) {
	secret, err := s.pendingSecret(p)
	if err != nil {
		return Enrolment{}, err
	}
	f, err := loadFactor(ctx, s.DB.R, p.OrgID, p.UserID)
	if err != nil {
		return Enrolment{}, err
	}
	if f.confirmed {
		return Enrolment{}, app.Errorf(app.EConflict, "已绑定动态验证码；如需更换，请联系机构管理员重置")
	}
	b32 := totp.Encode(secret)
	return Enrolment{Secret: b32, Grouped: totp.Group(b32), URI: totp.URI(Issuer, p.Username, secret)}, nil
}

// pendingSecret derives p's enrolment secret for p's session: a keyed hash
// of the organization, the user and the session id, which only the server
// can compute and which nobody else learns from the page of another session.
func (s *Service) pendingSecret(p *authz.Principal) ([]byte, error) {
	if p.SessionID == "" {
		return nil, app.Errorf(app.EConflict, "请在网页上登录后绑定动态验证码")
	}
	c, err := s.cipher()
	if err != nil {
		return nil, err
	}
	mac, err := hex.DecodeString(c.BlindIndex("auth.totp_enrol", fmt.Sprintf("%d/%d/%s", p.OrgID, p.UserID, p.SessionID)))
	if err != nil || len(mac) < totp.SecretSize {
		return nil, fmt.Errorf("auth: derive enrolment secret: %v", err)
	}
	return mac[:totp.SecretSize], nil
}

// ConfirmEnrol checks the first code from the app, marks the factor
// confirmed, completes p's session if it was waiting for enrolment, and
// returns the one-time recovery codes (shown once; stored hashed).
func (s *Service) ConfirmEnrol(ctx context.Context, p *authz.Principal, code string) ([]string, error) {
	c, err := s.cipher()
	if err != nil {
		return nil, err
	}
	f, err := loadFactor(ctx, s.DB.R, p.OrgID, p.UserID)
	if err != nil {
		return nil, err
	}
	if f.confirmed {
		return nil, app.Errorf(app.EConflict, "已绑定动态验证码")
	}
	secret, err := s.pendingSecret(p)
	if err != nil {
		return nil, err
	}
	enc, err := c.Encrypt(totp.Encode(secret))
	if err != nil {
		return nil, err
	}
	now := s.Now()
	step, ok := totp.Verify(secret, normalizeCode(code), now, 0)
	if !ok {
		var v app.Validation
		v.Add("code", "验证码不正确，请确认手机时间准确后输入应用中显示的6位数字")
		return nil, v.Err()
	}
	codes := make([]string, RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		// A row without confirmation is a pending secret an earlier
		// version kept; it is replaced.
		res, err := tx.ExecContext(ctx, `INSERT INTO user_totp (org_id, user_id, secret, last_step, created_at, confirmed_at)
			VALUES ($1, $2, $3, $4, $5, $5)
			ON CONFLICT (org_id, user_id) DO UPDATE SET secret = excluded.secret, last_step = excluded.last_step,
				created_at = excluded.created_at, confirmed_at = excluded.confirmed_at
			WHERE user_totp.confirmed_at IS NULL`, p.OrgID, p.UserID, enc, step, now.UTC())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.EConflict, "已绑定动态验证码")
		}
		if err := storeRecoveryCodes(ctx, tx, p.OrgID, p.UserID, codes); err != nil {
			return err
		}
		if p.SessionID != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET stage = '' WHERE id = $1 AND stage = $2`,
				p.SessionID, StageEnrol); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "auth.totp_enrol", ObjectType: "user", ObjectID: strconv.FormatInt(p.UserID, 10)})
	})
	if err != nil {
		return nil, err
	}
	p.Stage = StageDone
	return codes, nil
}

func storeRecoveryCodes(ctx context.Context, tx *sql.Tx, orgID, userID int64, codes []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_recovery_codes WHERE org_id = $1 AND user_id = $2`, orgID, userID); err != nil {
		return err
	}
	for _, c := range codes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_recovery_codes (org_id, user_id, code_hash) VALUES ($1, $2, $3)`,
			orgID, userID, recoveryHash(c)); err != nil {
			return err
		}
	}
	return nil
}

// Recovery codes: 10 characters of an unambiguous alphabet (about 50 bits),
// shown as xxxxx-xxxxx. Their entropy makes a plain SHA-256 adequate.
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

func newRecoveryCode() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = recoveryAlphabet[int(b[i])%len(recoveryAlphabet)]
	}
	return string(b[:5]) + "-" + string(b[5:])
}

func normalizeRecovery(s string) string {
	return strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(s)))
}

func recoveryHash(code string) string {
	sum := sha256.Sum256([]byte("shegong recovery v1:" + normalizeRecovery(code)))
	return hex.EncodeToString(sum[:])
}

func normalizeCode(s string) string {
	return strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s))
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Messages of the second step.
var (
	errCodeUsed  = app.Errorf(app.EUnauthorized, "该验证码已使用，请等待下一个验证码")
	errCodeWrong = app.Errorf(app.EUnauthorized, "验证码不正确")
)

// checkCode verifies a TOTP or recovery code for a confirmed factor inside
// tx and consumes it. It returns errCodeUsed or errCodeWrong on refusal.
func (s *Service) checkCode(ctx context.Context, tx *sql.Tx, orgID, userID int64, f factorState, code string, now time.Time) (string, error) {
	c, err := s.cipher()
	if err != nil {
		return "", err
	}
	code = normalizeCode(code)
	if isDigits(code) {
		plain, err := c.Decrypt(f.secret)
		if err != nil {
			return "", fmt.Errorf("auth: decrypt secret: %w", err)
		}
		secret, err := totp.Decode(plain)
		if err != nil {
			return "", err
		}
		// Read the last step inside the transaction, so two requests with
		// one code cannot both pass.
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT last_step FROM user_totp WHERE org_id = $1 AND user_id = $2`,
			orgID, userID).Scan(&last); err != nil {
			return "", err
		}
		step, ok := totp.Verify(secret, code, now, last)
		if !ok {
			if _, used := totp.Verify(secret, code, now, -1); used {
				return "", errCodeUsed
			}
			return "", errCodeWrong
		}
		res, err := tx.ExecContext(ctx, `UPDATE user_totp SET last_step = $3 WHERE org_id = $1 AND user_id = $2 AND last_step < $3`,
			orgID, userID, step)
		if err != nil {
			return "", err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return "", errCodeUsed
		}
		return "totp", nil
	}
	if len(normalizeRecovery(code)) != 10 {
		return "", errCodeWrong
	}
	res, err := tx.ExecContext(ctx, `UPDATE user_recovery_codes SET used_at = $4 WHERE org_id = $1 AND user_id = $2
		AND code_hash = $3 AND used_at IS NULL`, orgID, userID, recoveryHash(code), now.UTC())
	if err != nil {
		return "", err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", errCodeWrong
	}
	return "recovery", nil
}

// VerifySecondStep completes p's web session with a code from the
// authenticator app or a recovery code. Failures count towards the
// sign-in lockout like wrong passwords.
func (s *Service) VerifySecondStep(ctx context.Context, p *authz.Principal, code string, c Client) error {
	if p.Stage != StageTOTP {
		return app.Errorf(app.EConflict, "当前无需输入动态验证码")
	}
	now := s.Now()
	until, err := s.lockedUntil(ctx, s.DB.R, p.Username, now)
	if err != nil {
		return err
	}
	if !until.IsZero() {
		_ = audit.Append(ctx, s.DB, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "auth.totp_verify", Outcome: audit.Denied, Detail: "账号锁定中", IP: c.IP})
		mins := int(until.Sub(now).Minutes()) + 1
		return app.Errorf(app.ELocked, "登录失败次数过多，账号已临时锁定，请%d分钟后再试", mins)
	}
	f, err := loadFactor(ctx, s.DB.R, p.OrgID, p.UserID)
	if err != nil {
		return err
	}
	if !f.confirmed {
		return app.Errorf(app.EConflict, "尚未绑定动态验证码")
	}
	var refused error
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		how, err := s.checkCode(ctx, tx, p.OrgID, p.UserID, f, code, now)
		if err != nil {
			refused = err
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET stage = '' WHERE id = $1`, p.SessionID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, sqlInsertAttempt, p.Username, c.IP, now.UTC(), true); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "auth.totp_verify", ObjectType: "session", ObjectID: p.SessionID[:12], Detail: how, IP: c.IP})
	})
	if refused != nil {
		if ferr := s.recordCodeFailure(ctx, p.OrgID, p.UserID, p.Username, refused, c, now); ferr != nil {
			return ferr
		}
		return refused
	}
	if err != nil {
		return fmt.Errorf("auth: second step: %w", err)
	}
	p.Stage = StageDone
	return nil
}

func (s *Service) recordCodeFailure(ctx context.Context, orgID, userID int64, username string, why error, c Client, now time.Time) error {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, sqlInsertAttempt, username, c.IP, now.UTC(), false); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: orgID, At: now, UserID: userID, Username: username,
			Action: "auth.totp_verify", Outcome: audit.Failed, Detail: app.ErrorMessage(why), IP: c.IP})
	})
	if err != nil {
		return fmt.Errorf("auth: record code failure: %w", err)
	}
	return nil
}

// ResetFactor removes another user's second factor (and recovery codes)
// in p's organization and ends that user's sessions; the user enrols
// again at the next sign-in when the organization requires it.
func (s *Service) ResetFactor(ctx context.Context, p *authz.Principal, userID int64) error {
	if !p.Scope(PermSecurityAdmin).Has(authz.Org) {
		return app.ErrForbidden()
	}
	if userID == p.UserID {
		return app.Errorf(app.EForbidden, "不能重置自己的动态验证码，请联系其他管理员")
	}
	now := s.Now()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var username string
		err := tx.QueryRowContext(ctx, `SELECT username FROM users WHERE org_id = $1 AND id = $2`, p.OrgID, userID).Scan(&username)
		if errors.Is(err, sql.ErrNoRows) {
			return app.ErrNotFound("账号")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_totp WHERE org_id = $1 AND user_id = $2`, p.OrgID, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_recovery_codes WHERE org_id = $1 AND user_id = $2`, p.OrgID, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $3 WHERE org_id = $1 AND user_id = $2
			AND kind = 'web' AND revoked_at IS NULL`, p.OrgID, userID, now.UTC()); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "auth.totp_reset", ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10), Detail: username})
	})
}

// RegenerateRecoveryCodes replaces p's recovery codes with a new set (the
// old ones, used or not, stop working) and returns them to show once. It
// takes a code from the authenticator app, not a recovery code: whoever
// holds only the printed codes cannot renew them. A wrong code counts
// towards the sign-in lockout like one at the second step.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, p *authz.Principal, code string, c Client) ([]string, error) {
	if p.Stage != StageDone {
		return nil, app.Errorf(app.EConflict, "请先完成登录")
	}
	now := s.Now()
	until, err := s.lockedUntil(ctx, s.DB.R, p.Username, now)
	if err != nil {
		return nil, err
	}
	if !until.IsZero() {
		mins := int(until.Sub(now).Minutes()) + 1
		return nil, app.Errorf(app.ELocked, "验证失败次数过多，账号已临时锁定，请%d分钟后再试", mins)
	}
	f, err := loadFactor(ctx, s.DB.R, p.OrgID, p.UserID)
	if err != nil {
		return nil, err
	}
	if !f.confirmed {
		return nil, app.Errorf(app.EConflict, "尚未绑定动态验证码")
	}
	if code = normalizeCode(code); !isDigits(code) || len(code) != 6 {
		var v app.Validation
		v.Add("code", "请输入验证器应用中显示的6位数字（恢复码不能用来生成新的恢复码）")
		return nil, v.Err()
	}
	codes := make([]string, RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
	}
	var refused error
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.checkCode(ctx, tx, p.OrgID, p.UserID, f, code, now); err != nil {
			refused = err
			return err
		}
		if err := storeRecoveryCodes(ctx, tx, p.OrgID, p.UserID, codes); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "auth.recovery_codes", ObjectType: "user", ObjectID: strconv.FormatInt(p.UserID, 10),
			Detail: fmt.Sprintf("重新生成 %d 个恢复码，原有恢复码作废", len(codes)), IP: c.IP})
	})
	if refused != nil {
		if ferr := s.recordCodeFailure(ctx, p.OrgID, p.UserID, p.Username, refused, c, now); ferr != nil {
			return nil, ferr
		}
		var v app.Validation
		v.Add("code", app.ErrorMessage(refused))
		return nil, v.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("auth: new recovery codes: %w", err)
	}
	return codes, nil
}

// HasFactor reports whether a user has a confirmed second factor.
func (s *Service) HasFactor(ctx context.Context, orgID, userID int64) (bool, error) {
	f, err := loadFactor(ctx, s.DB.R, orgID, userID)
	return f.confirmed, err
}

// RecoveryCodesLeft counts p's unused recovery codes.
func (s *Service) RecoveryCodesLeft(ctx context.Context, p *authz.Principal) (int, error) {
	var n int
	err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_recovery_codes WHERE org_id = $1 AND user_id = $2 AND used_at IS NULL`,
		p.OrgID, p.UserID).Scan(&n)
	return n, err
}
