package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Row-level security on PostgreSQL. Every table with an org_id column has a
// policy that shows and accepts only the rows of the organization named by
// the session setting app.org_id ("*" means every organization, "" none).
// The services pass the request's context down to every query; the
// connector below reads the organization from that context and, when it
// differs from what the pooled connection last had, sets app.org_id on the
// connection before the statement runs. So the services keep using d.W and
// d.R as they are, and a query that forgets its org_id filter still cannot
// read or write another organization's rows.

type ctxKey struct{}

// scope is what a context asks of the database: one organization, every
// organization (system work, platform aggregates) or none.
type scope struct {
	set   bool
	all   bool
	orgID int64
}

func (s scope) setting() string {
	switch {
	case s.all:
		return "*"
	case s.orgID > 0:
		return strconv.FormatInt(s.orgID, 10)
	}
	return ""
}

// WithOrg marks ctx as working for one organization: on PostgreSQL its
// queries see and write only that organization's rows.
func WithOrg(ctx context.Context, orgID int64) context.Context {
	return context.WithValue(ctx, ctxKey{}, scope{set: true, orgID: orgID})
}

// AllOrgs marks ctx as working across organizations on behalf of a
// signed-in platform operator (aggregates over the agencies it hosts).
func AllOrgs(ctx context.Context) context.Context {
	return context.WithValue(ctx, ctxKey{}, scope{set: true, all: true})
}

// System marks ctx as system work that legitimately crosses organizations:
// migrations, command-line tools, start-up bootstrap and demo load, and the
// sign-in lookups made before the organization is known.
func System(ctx context.Context) context.Context {
	return context.WithValue(ctx, ctxKey{}, scope{set: true, all: true})
}

// OrgOf returns the organization ctx is marked with, and whether ctx spans
// every organization.
func OrgOf(ctx context.Context) (orgID int64, all bool) {
	s, _ := ctx.Value(ctxKey{}).(scope)
	return s.orgID, s.all
}

// Mode is what an unmarked context gets.
type Mode int

const (
	// ModeSystem lets an unmarked context see every organization: command
	// line tools and store tests.
	ModeSystem Mode = iota
	// ModeDeny lets an unmarked context see nothing: the server.
	ModeDeny
)

// Options configure Open.
type Options struct {
	// Mode is the scope of a context that carries no marker.
	Mode Mode
	// OwnerDSN, on PostgreSQL, is the connection that owns the tables and
	// runs the migrations; the DSN given to Open is then the application's
	// role, which must not own the tables (owners bypass row-level security).
	OwnerDSN string
}

// tenantConnector wraps the pgx connector so that each connection follows
// the organization of the context it is used with.
type tenantConnector struct {
	base driver.Connector
	mode Mode
}

func (c *tenantConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &tenantConn{Conn: dc, mode: c.mode}, nil
}

func (c *tenantConnector) Driver() driver.Driver { return c.base.Driver() }

// tenantConn is one pooled connection and the app.org_id it last set.
type tenantConn struct {
	driver.Conn
	mode    Mode
	known   bool   // current is what the session has
	current string // the session's app.org_id
	inTx    bool
	txSet   bool // app.org_id changed inside the open transaction
}

// the interfaces pgx's connection implements and database/sql looks for.
type fullConn interface {
	driver.ExecerContext
	driver.QueryerContext
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.Pinger
	driver.NamedValueChecker
	driver.SessionResetter
}

func (c *tenantConn) full() fullConn { return c.Conn.(fullConn) }

const sqlSetOrg = `SELECT set_config('app.org_id', $1, false)`

// follow sets app.org_id for ctx when the connection has another value.
func (c *tenantConn) follow(ctx context.Context) error {
	s, _ := ctx.Value(ctxKey{}).(scope)
	if !s.set && c.mode == ModeSystem {
		s = scope{set: true, all: true}
	}
	want := s.setting()
	if c.known && c.current == want {
		return nil
	}
	rows, err := c.full().QueryContext(ctx, sqlSetOrg, []driver.NamedValue{{Ordinal: 1, Value: want}})
	if err != nil {
		c.known = false
		return err
	}
	if err := rows.Close(); err != nil {
		c.known = false
		return err
	}
	c.known, c.current = true, want
	if c.inTx {
		c.txSet = true
	}
	return nil
}

func (c *tenantConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	return c.full().ExecContext(ctx, query, args)
}

func (c *tenantConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	return c.full().QueryContext(ctx, query, args)
}

func (c *tenantConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	st, err := c.full().PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &tenantStmt{Stmt: st, c: c}, nil
}

func (c *tenantConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	tx, err := c.full().BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.inTx, c.txSet = true, false
	return &tenantTx{Tx: tx, c: c}, nil
}

func (c *tenantConn) Ping(ctx context.Context) error { return c.full().Ping(ctx) }

func (c *tenantConn) CheckNamedValue(v *driver.NamedValue) error {
	return c.full().CheckNamedValue(v)
}

func (c *tenantConn) ResetSession(ctx context.Context) error { return c.full().ResetSession(ctx) }

// tenantTx forgets the connection's setting when a transaction in which it
// changed rolls back (a session set_config is undone with the transaction).
type tenantTx struct {
	driver.Tx
	c *tenantConn
}

func (t *tenantTx) Commit() error {
	err := t.Tx.Commit()
	if err != nil && t.c.txSet {
		t.c.known = false
	}
	t.c.inTx, t.c.txSet = false, false
	return err
}

func (t *tenantTx) Rollback() error {
	if t.c.txSet {
		t.c.known = false
	}
	t.c.inTx, t.c.txSet = false, false
	return t.Tx.Rollback()
}

// tenantStmt follows the context of each execution of a prepared statement.
type tenantStmt struct {
	driver.Stmt
	c *tenantConn
}

func (s *tenantStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if err := s.c.follow(ctx); err != nil {
		return nil, err
	}
	if se, ok := s.Stmt.(driver.StmtExecContext); ok {
		return se.ExecContext(ctx, args)
	}
	return nil, errors.New("db: statement without ExecContext")
}

func (s *tenantStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if err := s.c.follow(ctx); err != nil {
		return nil, err
	}
	if sq, ok := s.Stmt.(driver.StmtQueryContext); ok {
		return sq.QueryContext(ctx, args)
	}
	return nil, errors.New("db: statement without QueryContext")
}

// grantApp lets the application's role (the user of the DSN given to Open)
// read and write the tables of the schema the owner migrated. Row-level
// security still applies to it, since it owns nothing.
func (d *DB) grantApp(ctx context.Context, owner *sql.DB) error {
	var app, schema string
	if err := d.W.QueryRowContext(ctx, `SELECT current_user`).Scan(&app); err != nil {
		return fmt.Errorf("db: application role: %w", err)
	}
	if err := owner.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("db: schema: %w", err)
	}
	role := pgx.Identifier{app}.Sanitize()
	sch := pgx.Identifier{schema}.Sanitize()
	for _, q := range []string{
		`GRANT USAGE ON SCHEMA ` + sch + ` TO ` + role,
		`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ` + sch + ` TO ` + role,
		`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ` + sch + ` TO ` + role,
	} {
		if _, err := owner.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("db: grant the application role: %w", err)
		}
	}
	return nil
}

// RLSBypass says why the application's connection is not held by
// row-level security ("" when it is, and always "" on SQLite, which has
// none): a superuser, a role with BYPASSRLS, or the owner of the tables.
func (d *DB) RLSBypass(ctx context.Context) (string, error) {
	if d.Dialect != Postgres {
		return "", nil
	}
	ctx = System(ctx)
	var user string
	var super, bypass bool
	var owned int
	err := d.R.QueryRowContext(ctx, `SELECT current_user, r.rolsuper, r.rolbypassrls,
		(SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relrowsecurity
		    AND pg_has_role(current_user, c.relowner, 'USAGE'))
		FROM pg_roles r WHERE r.rolname = current_user`).Scan(&user, &super, &bypass, &owned)
	if err != nil {
		return "", fmt.Errorf("db: check row-level security: %w", err)
	}
	switch {
	case super:
		return fmt.Sprintf("role %q is a superuser", user), nil
	case bypass:
		return fmt.Sprintf("role %q has BYPASSRLS", user), nil
	case owned > 0:
		return fmt.Sprintf("role %q owns %d tables under row-level security", user, owned), nil
	}
	return "", nil
}

// PgxConn returns the pgx connection under a driver connection handed out
// by sql.Conn.Raw, after setting on it the organization ctx asks for (so
// that COPY and other pgx-only calls stay under row-level security).
func PgxConn(ctx context.Context, dc any) (*pgx.Conn, error) {
	switch c := dc.(type) {
	case *tenantConn:
		if err := c.follow(ctx); err != nil {
			return nil, err
		}
		return c.Conn.(*stdlib.Conn).Conn(), nil
	case *stdlib.Conn:
		return c.Conn(), nil
	}
	return nil, fmt.Errorf("db: %T is not a PostgreSQL connection", dc)
}
