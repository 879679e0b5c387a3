package testenv

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"shegong/internal/auth/totp"
)

// Second factor for fixture sign-ins. Organization admins and platform
// operators must use a second factor by default, so Login and APIClient
// complete it the way a person would: enrol an authenticator when the
// organization requires one and none is set up, and type the code of the
// test clock's current time step.

// EnrolmentSecret reads the secret off an enrolment page, as a person types
// it into an authenticator app.
func (e *Env) EnrolmentSecret(body string) []byte {
	e.T.Helper()
	m := enrolSecretRE.FindStringSubmatch(body)
	if m == nil {
		e.T.Fatalf("no secret on the enrolment page: %s", body)
	}
	secret, err := totp.Decode(m[1])
	if err != nil {
		e.T.Fatal(err)
	}
	return secret
}

var enrolSecretRE = regexp.MustCompile(`data-secret="([A-Z2-7]+)"`)

// TOTPSecret returns the confirmed authenticator secret of the user named
// username, decrypted with the system's key; nil when none.
func (e *Env) TOTPSecret(username string) []byte {
	e.T.Helper()
	var enc string
	err := e.Sys.DB.R.QueryRowContext(e.Ctx, `SELECT t.secret FROM user_totp t JOIN users u ON u.org_id = t.org_id AND u.id = t.user_id
		WHERE u.username = $1`, username).Scan(&enc)
	if err != nil {
		return nil
	}
	plain, err := e.Sys.Cipher.Decrypt(enc)
	if err != nil {
		e.T.Fatalf("decrypt totp secret of %s: %v", username, err)
	}
	secret, err := totp.Decode(plain)
	if err != nil {
		e.T.Fatal(err)
	}
	return secret
}

// TOTPCode is the code username's authenticator shows at the test clock's
// time.
func (e *Env) TOTPCode(username string) string {
	e.T.Helper()
	secret := e.TOTPSecret(username)
	if secret == nil {
		e.T.Fatalf("%s has no authenticator", username)
	}
	return totp.Code(secret, e.Clock.Now())
}

// FreshTOTPCode is TOTPCode for a fixture sign-in. The test clock stands
// still, so one user's sign-ins often fall in one 30-second step, whose
// code the system refuses a second time; a person would wait for the next
// code. The helper instead forgets that the step was used. Tests of the
// replay rule type codes through the pages and never call this.
func (e *Env) FreshTOTPCode(username string) string {
	e.T.Helper()
	step := totp.Step(e.Clock.Now())
	e.Exec(`UPDATE user_totp SET last_step = $2 WHERE last_step >= $2
		AND user_id = (SELECT id FROM users WHERE username = $1)`, username, step-1)
	return e.TOTPCode(username)
}

// finishSignIn completes the second step (or enrolment) after a password
// sign-in that redirected to it.
func (e *Env) finishSignIn(c *Client, username string, res Response) {
	e.T.Helper()
	switch {
	case strings.HasPrefix(res.Location, "/login/totp"):
		r := c.PostForm("/login/totp", url.Values{"code": {e.FreshTOTPCode(username)}})
		if r.Status != http.StatusSeeOther {
			e.T.Fatalf("second step of %s: status %d: %s", username, r.Status, r.Body)
		}
	case res.Location == "/account/totp":
		page := c.Get("/account/totp")
		if page.Status != http.StatusOK {
			e.T.Fatalf("enrolment page of %s: status %d", username, page.Status)
		}
		r := c.PostForm("/account/totp", url.Values{"code": {totp.Code(e.EnrolmentSecret(page.Body), e.Clock.Now())}})
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "recovery-codes") {
			e.T.Fatalf("enrolment of %s: status %d: %s", username, r.Status, r.Body)
		}
	}
}

// apiCode is the code an API sign-in of username must carry ("" when the
// user has no confirmed authenticator). A user who must enrol first does
// so through the pages.
func (e *Env) apiCode(username string) string {
	e.T.Helper()
	var confirmed bool
	err := e.Sys.DB.R.QueryRowContext(e.Ctx, `SELECT t.confirmed_at IS NOT NULL FROM user_totp t JOIN users u ON u.org_id = t.org_id AND u.id = t.user_id
		WHERE u.username = $1`, username).Scan(&confirmed)
	if err == nil && confirmed {
		return e.FreshTOTPCode(username)
	}
	return ""
}
