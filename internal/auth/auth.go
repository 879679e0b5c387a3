// Package auth signs people in: argon2id passwords, server-side sessions in
// the database (so several instances share them), login throttling with
// lockout, forced change of initial passwords, and revocable API tokens.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/pii"
)

// Config holds the session and lockout settings.
type Config struct {
	IdleTimeout     time.Duration // web sessions end after this much inactivity
	AbsoluteTimeout time.Duration // and after this long in any case
	TokenLifetime   time.Duration // API tokens
	MaxFailures     int           // failures within LockWindow that lock the account
	LockWindow      time.Duration
	LockDuration    time.Duration
}

// DefaultConfig is the shipped configuration.
var DefaultConfig = Config{
	IdleTimeout:     30 * time.Minute,
	AbsoluteTimeout: 12 * time.Hour,
	TokenLifetime:   90 * 24 * time.Hour,
	MaxFailures:     5,
	LockWindow:      15 * time.Minute,
	LockDuration:    30 * time.Minute,
}

// Kinds of session.
const (
	KindWeb = "web"
	KindAPI = "api"
)

// Service is the sign-in service.
type Service struct {
	DB  *db.DB
	Now func() time.Time
	Cfg Config
	// Cipher encrypts second-factor secrets with the app key.
	Cipher *pii.Cipher
}

// New returns a service with cfg (zero fields take defaults).
func New(d *db.DB, now func() time.Time, cfg Config) *Service {
	def := DefaultConfig
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = def.IdleTimeout
	}
	if cfg.AbsoluteTimeout == 0 {
		cfg.AbsoluteTimeout = def.AbsoluteTimeout
	}
	if cfg.TokenLifetime == 0 {
		cfg.TokenLifetime = def.TokenLifetime
	}
	if cfg.MaxFailures == 0 {
		cfg.MaxFailures = def.MaxFailures
	}
	if cfg.LockWindow == 0 {
		cfg.LockWindow = def.LockWindow
	}
	if cfg.LockDuration == 0 {
		cfg.LockDuration = def.LockDuration
	}
	return &Service{DB: d, Now: now, Cfg: cfg}
}

var errBadLogin = app.Errorf(app.EUnauthorized, "用户名或密码错误")

// Client describes where a request comes from, for the session row.
type Client struct {
	IP        string
	UserAgent string
}

const (
	sqlFindLogin = `SELECT u.id, u.org_id, u.password_hash, u.status, o.status FROM users u
		JOIN organizations o ON o.id = u.org_id WHERE u.username = $1`
	sqlRecentAttempts = `SELECT at, success FROM login_attempts WHERE username = $1 AND at >= $2 ORDER BY at DESC, id DESC`
	sqlInsertAttempt  = `INSERT INTO login_attempts (username, ip, at, success) VALUES ($1, $2, $3, $4)`
	sqlInsertSession  = `INSERT INTO sessions (id, org_id, user_id, kind, name, created_at, last_seen_at, expires_at, ip, user_agent, stage)
		VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10)`
)

// lockedUntil returns when the username's lock ends, or zero when not locked.
// Failures count until a success; MaxFailures within LockWindow lock it for
// LockDuration from the last failure.
func (s *Service) lockedUntil(ctx context.Context, q db.Querier, username string, now time.Time) (time.Time, error) {
	since := now.Add(-(s.Cfg.LockWindow + s.Cfg.LockDuration))
	rows, err := q.QueryContext(ctx, sqlRecentAttempts, username, since.UTC())
	if err != nil {
		return time.Time{}, fmt.Errorf("auth: attempts: %w", err)
	}
	defer rows.Close()
	var fails []time.Time
	for rows.Next() {
		var at time.Time
		var ok bool
		if err := rows.Scan(&at, &ok); err != nil {
			return time.Time{}, err
		}
		if ok {
			break
		}
		fails = append(fails, at)
	}
	if err := rows.Err(); err != nil {
		return time.Time{}, err
	}
	// fails are newest first; look for MaxFailures of them within one window.
	n := s.Cfg.MaxFailures
	for i := 0; i+n-1 < len(fails); i++ {
		newest, oldest := fails[i], fails[i+n-1]
		if newest.Sub(oldest) <= s.Cfg.LockWindow {
			until := fails[0].Add(s.Cfg.LockDuration)
			if until.After(now) {
				return until, nil
			}
			return time.Time{}, nil
		}
	}
	return time.Time{}, nil
}

// Login checks the credentials and opens a session of kind. It returns the
// secret token (the cookie value or bearer token) and the principal. A web
// session of a user with a second factor (or who must set one up) starts at
// a later stage (p.Stage) and is fully signed in only when that passes; an
// API sign-in of such a user must carry the code (LoginWithCode).
func (s *Service) Login(ctx context.Context, username, password, kind string, c Client) (string, *authz.Principal, error) {
	return s.LoginWithCode(ctx, username, password, "", kind, c)
}

var (
	errCodeNeeded = app.Errorf(app.EUnauthorized, "请输入动态验证码")
	errEnrolFirst = app.Errorf(app.EForbidden, "本机构要求使用动态验证码，请先在网页上登录并完成绑定")
)

// LoginWithCode is Login with the one-time code of an API sign-in.
func (s *Service) LoginWithCode(ctx context.Context, username, password, code, kind string, c Client) (string, *authz.Principal, error) {
	// The organization is not known until the account is found.
	ctx = db.System(ctx)
	now := s.Now()
	username = strings.TrimSpace(username)
	if username == "" || password == "" || len(username) > 64 || len(password) > 256 {
		return "", nil, errBadLogin
	}
	until, err := s.lockedUntil(ctx, s.DB.R, username, now)
	if err != nil {
		return "", nil, err
	}
	var (
		userID, orgID          int64
		hash, ustatus, ostatus string
	)
	err = s.DB.R.QueryRowContext(ctx, sqlFindLogin, username).Scan(&userID, &orgID, &hash, &ustatus, &ostatus)
	found := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("auth: find user: %w", err)
	}
	auditOrg := orgID
	if !found {
		auditOrg = 1 // the platform's chain records attempts on unknown names
	}
	if !until.IsZero() {
		_ = audit.Append(ctx, s.DB, audit.Entry{OrgID: auditOrg, At: now, UserID: userID, Username: username,
			Action: "auth.login", Outcome: audit.Denied, Detail: "账号锁定中", IP: c.IP})
		mins := int(until.Sub(now).Minutes()) + 1
		return "", nil, app.Errorf(app.ELocked, "登录失败次数过多，账号已临时锁定，请%d分钟后再试", mins)
	}
	if !found {
		VerifyPassword(dummyHash(), password)
	}
	ok := found && VerifyPassword(hash, password) && ustatus == "active" && ostatus == "active"
	if !ok {
		err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, sqlInsertAttempt, username, c.IP, now.UTC(), false); err != nil {
				return err
			}
			return audit.Write(ctx, tx, audit.Entry{OrgID: auditOrg, At: now, UserID: userID, Username: username,
				Action: "auth.login", Outcome: audit.Failed, Detail: "用户名或密码错误", IP: c.IP})
		})
		if err != nil {
			return "", nil, fmt.Errorf("auth: record failure: %w", err)
		}
		return "", nil, errBadLogin
	}
	stage, factor, err := stageFor(ctx, s.DB.R, orgID, userID)
	if err != nil {
		return "", nil, err
	}
	if kind == KindAPI {
		switch stage {
		case StageEnrol:
			return "", nil, errEnrolFirst
		case StageTOTP:
			if strings.TrimSpace(code) == "" {
				return "", nil, errCodeNeeded
			}
			var refused error
			err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
				_, err := s.checkCode(ctx, tx, orgID, userID, factor, code, now)
				refused = err
				return err
			})
			if refused != nil {
				if ferr := s.recordCodeFailure(ctx, orgID, userID, username, refused, c, now); ferr != nil {
					return "", nil, ferr
				}
				return "", nil, refused
			}
			if err != nil {
				return "", nil, err
			}
		}
		stage = StageDone
	}
	pol, err := LoadPolicy(ctx, s.DB.R, orgID)
	if err != nil {
		return "", nil, err
	}
	setAt, err := passwordSetAt(ctx, s.DB.R, orgID, userID)
	if err != nil {
		return "", nil, err
	}
	expired := pol.expired(setAt, now)
	token, id := newToken()
	expires := now.Add(s.Cfg.AbsoluteTimeout)
	if kind == KindAPI {
		expires = now.Add(s.Cfg.TokenLifetime)
	}
	var p *authz.Principal
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		// While the code is still due, the password's success does not
		// clear the failure count: wrong codes add up to the lockout.
		if stage != StageTOTP {
			if _, err := tx.ExecContext(ctx, sqlInsertAttempt, username, c.IP, now.UTC(), true); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, sqlInsertSession, id, orgID, userID, kind, "", now.UTC(), expires.UTC(),
			trunc(c.IP, 64), trunc(c.UserAgent, 256), stage); err != nil {
			return err
		}
		if expired {
			res, err := tx.ExecContext(ctx, `UPDATE users SET must_change_password = TRUE WHERE org_id = $1 AND id = $2
				AND must_change_password = FALSE`, orgID, userID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				if err := audit.Write(ctx, tx, audit.Entry{OrgID: orgID, At: now, UserID: userID, Username: username,
					Action: "auth.password_expired", ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10),
					Detail: setAt.UTC().Format(time.RFC3339)}); err != nil {
					return err
				}
			}
		}
		var err error
		if p, err = authz.Load(ctx, tx, userID, app.Today(now)); err != nil {
			return err
		}
		p.SessionID = id
		p.Stage = stage
		detail := kind
		if stage != StageDone {
			detail += " " + stage
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: orgID, At: now, UserID: userID, Username: username,
			Action: "auth.login", ObjectType: "session", ObjectID: id[:12], Detail: detail, IP: c.IP})
	})
	if err != nil {
		return "", nil, fmt.Errorf("auth: open session: %w", err)
	}
	return token, p, nil
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// newToken returns a random secret and the id under which its hash is stored.
func newToken() (token, id string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, tokenID(token)
}

func tokenID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

const (
	sqlFindSession = `SELECT user_id, kind, created_at, last_seen_at, expires_at, revoked_at, stage FROM sessions WHERE id = $1`
	sqlTouch       = `UPDATE sessions SET last_seen_at = $2 WHERE id = $1`
	sqlRevoke      = `UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`
)

// ErrNoSession is returned for a missing, expired or revoked session.
var ErrNoSession = app.Errorf(app.EUnauthorized, "请先登录")

// Authenticate returns the principal of a live session of kind. A web
// session's idle clock is advanced at most once a minute, to keep reads cheap.
func (s *Service) Authenticate(ctx context.Context, token, kind string) (*authz.Principal, error) {
	// The session names the organization; until it is read, none is known.
	ctx = db.System(ctx)
	if token == "" || len(token) > 128 {
		return nil, ErrNoSession
	}
	id := tokenID(token)
	now := s.Now()
	var (
		userID                     int64
		k                          string
		created, lastSeen, expires time.Time
		revoked                    sql.NullTime
		stage                      string
	)
	err := s.DB.R.QueryRowContext(ctx, sqlFindSession, id).Scan(&userID, &k, &created, &lastSeen, &expires, &revoked, &stage)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("auth: find session: %w", err)
	}
	if k != kind || revoked.Valid || !now.Before(expires) {
		return nil, ErrNoSession
	}
	if kind == KindWeb && now.Sub(lastSeen) >= s.Cfg.IdleTimeout {
		return nil, ErrNoSession
	}
	if now.Sub(lastSeen) >= time.Minute {
		if _, err := s.DB.W.ExecContext(ctx, sqlTouch, id, now.UTC()); err != nil {
			return nil, fmt.Errorf("auth: touch session: %w", err)
		}
	}
	p, err := authz.Load(ctx, s.DB.R, userID, app.Today(now))
	if err != nil {
		if app.ErrorCode(err) == app.EUnauthorized {
			return nil, ErrNoSession
		}
		return nil, err
	}
	p.SessionID = id
	p.Stage = stage
	return p, nil
}

// Logout revokes the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return s.revoke(ctx, tokenID(token), "auth.logout")
}

func (s *Service) revoke(ctx context.Context, id, action string) error {
	now := s.Now()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var org, user int64
		var username string
		err := tx.QueryRowContext(ctx, `SELECT s.org_id, s.user_id, u.username FROM sessions s
			JOIN users u ON u.org_id = s.org_id AND u.id = s.user_id WHERE s.id = $1`, id).Scan(&org, &user, &username)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, sqlRevoke, id, now.UTC())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: org, At: now, UserID: user, Username: username,
			Action: action, ObjectType: "session", ObjectID: id[:12]})
	})
}

// ChangePassword sets a new password for p after checking the old one, clears
// the forced-change flag and ends p's other sessions.
func (s *Service) ChangePassword(ctx context.Context, p *authz.Principal, oldPW, newPW, confirm string) error {
	var v app.Validation
	var hash string
	if err := s.DB.R.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE org_id = $1 AND id = $2`,
		p.OrgID, p.UserID).Scan(&hash); err != nil {
		return fmt.Errorf("auth: load hash: %w", err)
	}
	if !VerifyPassword(hash, oldPW) {
		v.Add("old_password", "当前密码不正确")
	}
	if newPW != "" && newPW == oldPW {
		v.Add("new_password", "新密码不能与当前密码相同")
	} else if _, err := CheckNewPassword(ctx, s.DB.R, &v, "new_password", p.OrgID, p.UserID, p.Username, newPW); err != nil {
		return err
	}
	if newPW != confirm {
		v.Add("confirm_password", "两次输入的新密码不一致")
	}
	if err := v.Err(); err != nil {
		return err
	}
	newHash, err := HashPassword(newPW)
	if err != nil {
		return err
	}
	now := s.Now()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $3, must_change_password = FALSE,
			password_changed_at = $4, updated_at = $4 WHERE org_id = $1 AND id = $2`,
			p.OrgID, p.UserID, newHash, now.UTC()); err != nil {
			return err
		}
		// Accounts made before the history was kept start it with the
		// password being replaced.
		var kept int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM password_history WHERE org_id = $1 AND user_id = $2`,
			p.OrgID, p.UserID).Scan(&kept); err != nil {
			return err
		}
		if kept == 0 {
			if err := RecordPassword(ctx, tx, p.OrgID, p.UserID, hash, now); err != nil {
				return err
			}
		}
		if err := RecordPassword(ctx, tx, p.OrgID, p.UserID, newHash, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $3 WHERE org_id = $1 AND user_id = $2
			AND kind = 'web' AND id <> $4 AND revoked_at IS NULL`, p.OrgID, p.UserID, now.UTC(), p.SessionID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "auth.password_change", ObjectType: "user", ObjectID: strconv.FormatInt(p.UserID, 10)})
	})
}

// Token is an API token as listed to its owner.
type Token struct {
	ID        string    `json:"id"` // first 12 hex characters of the stored hash
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	LastSeen  time.Time `json:"last_seen_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Revoked   bool      `json:"revoked"`
}

// CreateToken issues a named API token for p; the secret is shown once.
func (s *Service) CreateToken(ctx context.Context, p *authz.Principal, name string) (string, error) {
	var v app.Validation
	name = strings.TrimSpace(name)
	if v.Required("name", name, "令牌名称") {
		v.MaxLen("name", name, "令牌名称", 60)
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	now := s.Now()
	token, id := newToken()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, sqlInsertSession, id, p.OrgID, p.UserID, KindAPI, name, now.UTC(),
			now.Add(s.Cfg.TokenLifetime).UTC(), "", "", StageDone); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "auth.token_create", ObjectType: "session", ObjectID: id[:12], Detail: name})
	})
	return token, err
}

// ListTokens lists p's API tokens.
func (s *Service) ListTokens(ctx context.Context, p *authz.Principal) ([]Token, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, name, created_at, last_seen_at, expires_at, revoked_at IS NOT NULL
		FROM sessions WHERE org_id = $1 AND user_id = $2 AND kind = 'api' ORDER BY created_at DESC`, p.OrgID, p.UserID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		if err := rows.Scan(&t.ID, &t.Name, &t.CreatedAt, &t.LastSeen, &t.ExpiresAt, &t.Revoked); err != nil {
			return nil, err
		}
		t.ID = t.ID[:12]
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes one of p's API tokens by its listed id, or the session
// of the given bearer token when it is p's own.
func (s *Service) RevokeToken(ctx context.Context, p *authz.Principal, shortID string) error {
	if len(shortID) != 12 {
		return app.ErrNotFound("令牌")
	}
	var id string
	err := s.DB.R.QueryRowContext(ctx, `SELECT id FROM sessions WHERE org_id = $1 AND user_id = $2 AND kind = 'api'
		AND id LIKE $3`, p.OrgID, p.UserID, shortID+"%").Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return app.ErrNotFound("令牌")
	}
	if err != nil {
		return err
	}
	return s.revoke(ctx, id, "auth.token_revoke")
}

// RevokeSession ends p's current session or token (sign-out).
func (s *Service) RevokeSession(ctx context.Context, p *authz.Principal) error {
	if p == nil || p.SessionID == "" {
		return nil
	}
	return s.revoke(ctx, p.SessionID, "auth.logout")
}
