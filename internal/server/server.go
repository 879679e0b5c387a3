// Package server wires the services into one running system; the command
// line and the end-to-end tests both build it here.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"shegong/internal/approval"
	"shegong/internal/approval/general"
	"shegong/internal/auth"
	"shegong/internal/cases"
	"shegong/internal/db"
	"shegong/internal/groups"
	"shegong/internal/org"
	"shegong/internal/pii"
	"shegong/internal/reminder"
	"shegong/internal/resources"
	"shegong/internal/stats"
	"shegong/internal/volunteers"
	"shegong/internal/web"
)

// Config is the runtime configuration.
type Config struct {
	DataDir       string           // data folder (SQLite file, key file, backups)
	DSN           string           // postgres://… or a SQLite path; default DataDir/shegong.db
	Now           func() time.Time // injected clock; time.Now when nil
	Log           *slog.Logger
	Auth          auth.Config
	SecureCookies bool
	// Key is the base64 encryption key for personal data at rest; when empty
	// it is read from (or generated into) DataDir/secret.key. It is never
	// stored in the database.
	Key string
	// DBOwner, on PostgreSQL, is the DSN of the role owning the tables: it
	// runs the migrations, and DSN is then the application's own role.
	DBOwner string
	// DBMode is what a context without an organization sees: ModeSystem
	// (every organization) for commands, ModeDeny (nothing) for serving.
	DBMode db.Mode
}

// System is a built, migrated system ready to serve.
type System struct {
	Cfg        Config
	DB         *db.DB
	Auth       *auth.Service
	Reminders  *reminder.Engine
	Org        *org.Service
	Approvals  *approval.Service
	General    *general.Service
	Groups     *groups.Service
	Cipher     *pii.Cipher
	Clients    *cases.ClientService
	Volunteers *volunteers.Service
	Resources  *resources.Service
	Web        *web.Server
	Cases      *cases.CaseService
	Stats      *stats.Service
}

// DSN returns the configured DSN or the SQLite file in the data folder.
func (c Config) dsn() string {
	if c.DSN != "" {
		return c.DSN
	}
	return filepath.Join(c.dataDir(), "shegong.db")
}

// DatabaseDSN is the DSN Open uses: the configured one or the SQLite file
// in the data folder.
func (c Config) DatabaseDSN() string { return c.dsn() }

// DataFolder is the data folder ("data" unless configured).
func (c Config) DataFolder() string { return c.dataDir() }

func (c Config) dataDir() string {
	if c.DataDir == "" {
		return "data"
	}
	return c.DataDir
}

// Open opens and migrates the database only (for commands that need no web).
func Open(ctx context.Context, cfg Config) (*db.DB, error) {
	if err := os.MkdirAll(cfg.dataDir(), 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	d, err := db.Open(ctx, cfg.dsn(), db.Options{Mode: cfg.DBMode, OwnerDSN: cfg.DBOwner})
	if err != nil {
		return nil, err
	}
	if err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Build opens the database, migrates it and builds every service.
func Build(ctx context.Context, cfg Config) (*System, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	d, err := Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if why, err := d.RLSBypass(ctx); err != nil {
		d.Close()
		return nil, err
	} else if why != "" {
		cfg.Log.Warn("ROW-LEVEL SECURITY NOT ENFORCED: the application's database role bypasses it ("+why+
			"); connect as a role that owns no table and run migrations with the owner (SHEGONG_DB_OWNER)",
			"reason", why)
	}
	sys := &System{Cfg: cfg, DB: d}
	if sys.Cipher, err = loadCipher(cfg); err != nil {
		d.Close()
		return nil, err
	}
	sys.Auth = auth.New(d, cfg.Now, cfg.Auth)
	sys.Auth.Cipher = sys.Cipher
	sys.Org = org.New(d, cfg.Now)
	sys.Clients = cases.NewClientService(d, cfg.Now, sys.Cipher)
	sys.Volunteers = volunteers.New(d, cfg.Now, sys.Cipher)
	sys.Resources = resources.New(d, cfg.Now)
	sys.Approvals = approval.New(d, cfg.Now)
	sys.General = general.New(d, cfg.Now, sys.Approvals)
	sys.Groups = groups.New(d, cfg.Now)
	sys.Stats = stats.New(d, cfg.Now)
	sys.Cases = cases.NewCaseService(d, cfg.Now, sys.Approvals, sys.Clients)
	// One rule per line.
	sys.Reminders = reminder.New(d, cfg.Now,
		org.ContractYearRule{Days: 30},
		groups.GroupReportRule{},
		resources.LinkRule{},
		resources.CommRule{},
		cases.FollowupRule{},
		cases.SuperviseeRule{},
		cases.PostClosureRule{},
		cases.ApprovalRule{},
	)
	// One field per line, so that adding a business area is a one-line change.
	sys.Web, err = web.New(web.Deps{
		DB:            d,
		Now:           cfg.Now,
		Log:           cfg.Log,
		Auth:          sys.Auth,
		Org:           sys.Org,
		Cipher:        sys.Cipher,
		Reminders:     sys.Reminders,
		Approvals:     sys.Approvals,
		General:       sys.General,
		Clients:       sys.Clients,
		Groups:        sys.Groups,
		Volunteers:    sys.Volunteers,
		Resources:     sys.Resources,
		Cases:         sys.Cases,
		Home:          []web.HomeParts{web.CaseHome(sys.Cases)},
		Stats:         sys.Stats,
		SecureCookies: cfg.SecureCookies,
	})
	if err != nil {
		d.Close()
		return nil, err
	}
	return sys, nil
}

func loadCipher(cfg Config) (*pii.Cipher, error) {
	var key []byte
	var err error
	if cfg.Key != "" {
		key, err = pii.KeyFromString(cfg.Key)
	} else {
		key, err = pii.LoadOrCreateKey(filepath.Join(cfg.dataDir(), "secret.key"))
	}
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	return pii.NewCipher(key)
}

// Close releases the database.
func (s *System) Close() error { return s.DB.Close() }
