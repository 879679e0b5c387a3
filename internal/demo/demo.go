// Package demo loads, once, a demo organization shaped like the one in the
// organization's 2017 annual summary: five service points with 8/4/4/4/8
// front-line staff, the three departments, the director, supervisors,
// centre heads and finance staff, each with a sign-in.
package demo

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/auth"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/pii"
)

// Code is the demo organization's code; its presence means "already loaded".
const Code = "lvye"

// Password is every demo account's password. Demo accounts need no forced
// change, so that people trying the system can sign in straight away.
const Password = "Demo-2026-lvye"

// Login is one printed sign-in.
type Login struct {
	Role     authz.Role
	Username string
}

type siteSeed struct {
	code, name, kind, town, purchaser string
	staff                             int
	phone                             string
}

var sites = []siteSeed{
	{"BA", "黄江镇北岸社区综合服务中心", "centre", "黄江镇", "黄江镇北岸社区居民委员会", 8, "0769-83630001"},
	{"XS", "黄江镇新市社区综合服务中心", "centre", "黄江镇", "黄江镇新市社区居民委员会", 4, "0769-83630002"},
	{"ZH", "企石镇振华社区综合服务中心", "centre", "企石镇", "企石镇振华社区居民委员会", 4, "0769-86760003"},
	{"BS", "企石镇宝石社区综合服务中心", "centre", "企石镇", "企石镇宝石社区居民委员会", 4, "0769-86760004"},
	{"SH", "松湖之家社会化服务项目", "project", "松山湖", "松山湖管委会社会事务局", 8, "0769-22890005"},
}

var surnames = []rune("陈李黄张刘林何罗叶郑梁谢钟袁邓莫杨吴周徐孙朱马胡郭")
var givens = []string{"嘉欣", "子豪", "晓琳", "伟健", "诗婷", "志明", "慧敏", "俊杰", "雅琪", "家乐",
	"文静", "国华", "美玲", "浩然", "思颖", "建峰", "丽华", "振宇", "佩珊", "永康", "秀英", "明辉", "婉婷",
	"锦荣", "淑贤", "家豪", "晓彤", "志强", "雪莹", "宇航", "凤仪", "耀祖", "绮雯", "启明", "楚瑶", "天佑"}

func name(i int) string { return string(surnames[i%len(surnames)]) + givens[(i*7)%len(givens)] }

// Load creates the demo organization unless it exists, and returns the
// sign-ins to print. The structure (departments, service points, staff and
// sign-ins) is one transaction; the year of service records that follows is
// made through the business services, c encrypting the clients' and
// volunteers' personal data.
func Load(ctx context.Context, d *db.DB, c *pii.Cipher, now time.Time) ([]Login, bool, error) {
	var n int
	if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM organizations WHERE code = $1`, Code).Scan(&n); err != nil {
		return nil, false, err
	}
	if n > 0 {
		return logins, false, nil
	}
	hash, err := auth.HashPassword(Password)
	if err != nil {
		return nil, false, err
	}
	var orgID int64
	err = d.Tx(ctx, func(tx *sql.Tx) (err error) { orgID, err = load(ctx, tx, now, hash); return err })
	if err != nil {
		return nil, false, fmt.Errorf("demo: %w", err)
	}
	if err := records(ctx, d, c, orgID, now); err != nil {
		return nil, false, fmt.Errorf("demo: %w", err)
	}
	return logins, true, nil
}

// logins lists one account per role, in the roles' display order.
var logins = []Login{
	{authz.RolePlatformOperator, "platform"},
	{authz.RoleOrgAdmin, "admin"},
	{authz.RoleDirector, "zongganshi"},
	{authz.RoleServiceHead, "fuwubu"},
	{authz.RoleAdminHead, "xingzhengbu"},
	{authz.RoleFinanceHead, "caiwubu"},
	{authz.RoleCentreHead, "beian_head"},
	{authz.RoleSupervisor, "dudao1"},
	{authz.RoleWorker, "beian_sg1"},
	{authz.RoleCentreFinance, "beian_cw"},
	{authz.RoleAccountant, "kuaiji"},
	{authz.RoleHR, "renshi"},
	{authz.RoleEvaluator, "pinggu"},
}

// Print writes the sign-ins one per line as "demo login: ROLE USERNAME PASSWORD".
func Print(w io.Writer, ls []Login) {
	for _, l := range ls {
		fmt.Fprintf(w, "demo login: %s %s %s\n", l.Role, l.Username, Password)
	}
	fmt.Fprintln(w, "demo note: platform operators must set up an authenticator app (TOTP) at their first sign-in; the demo organization requires no second factor (系统设置 › 登录安全)")
}

type loader struct {
	ctx   context.Context
	tx    *sql.Tx
	now   time.Time
	today app.Date
	org   int64
	hash  string
	err   error
	seq   int // staff numbers handed out
}

func (l *loader) id(q string, args ...any) int64 {
	if l.err != nil {
		return 0
	}
	var id int64
	l.err = l.tx.QueryRowContext(l.ctx, q, args...).Scan(&id)
	if l.err != nil {
		l.err = fmt.Errorf("%s: %w", q, l.err)
	}
	return id
}

func (l *loader) exec(q string, args ...any) {
	if l.err != nil {
		return
	}
	if _, err := l.tx.ExecContext(l.ctx, q, args...); err != nil {
		l.err = fmt.Errorf("%s: %w", q, err)
	}
}

// user creates an account with roles; staffID links it to a staff record.
func (l *loader) user(orgID int64, username, display string, staffID int64, roles ...authz.Role) int64 {
	uid := l.id(`INSERT INTO users (org_id, username, display_name, password_hash, must_change_password, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, FALSE, 'active', $5, $5) RETURNING id`, orgID, username, display, l.hash, l.now)
	for _, r := range roles {
		l.exec(`INSERT INTO user_roles (org_id, user_id, role) VALUES ($1, $2, $3)`, orgID, uid, string(r))
	}
	if staffID != 0 {
		l.exec(`UPDATE staff SET user_id = $3 WHERE org_id = $1 AND id = $2`, orgID, staffID, uid)
	}
	return uid
}

func (l *loader) staff(nm, gender, title string, dept int64, hired app.Date) int64 {
	l.seq++
	var deptArg any
	if dept != 0 {
		deptArg = dept
	}
	phone := fmt.Sprintf("1376988%04d", 1000+l.seq*37%9000)
	return l.id(`INSERT INTO staff (org_id, employee_no, name, gender, title, phone, department_id, hire_date, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $9) RETURNING id`,
		l.org, fmt.Sprintf("LY%04d", l.seq), nm, gender, title, phone, deptArg, hired, l.now)
}

func (l *loader) assign(staffID, siteID int64, position string, from app.Date) {
	l.exec(`INSERT INTO staff_assignments (org_id, staff_id, site_id, position, start_date) VALUES ($1, $2, $3, $4, $5)`,
		l.org, staffID, siteID, position, from)
}

func (l *loader) supervise(sup, supee int64, from app.Date) {
	l.exec(`INSERT INTO supervisor_links (org_id, supervisor_id, supervisee_id, start_date) VALUES ($1, $2, $3, $4)`,
		l.org, sup, supee, from)
}

func load(ctx context.Context, tx *sql.Tx, now time.Time, hash string) (int64, error) {
	l := &loader{ctx: ctx, tx: tx, now: now.UTC(), today: app.Today(now), hash: hash}
	// The demo organization requires no second factor, so that every demo
	// account signs in with the password alone; the platform's own default
	// (platform operators must use one) is left as shipped.
	l.org = l.id(`INSERT INTO organizations (code, name, kind, status, created_at, totp_roles) VALUES ($1, $2, 'agency', 'active', $3, '') RETURNING id`,
		Code, "东莞市绿叶社会工作服务中心", l.now)
	start := app.NewDate(l.today.Year()-3, time.March, 1)

	// Departments with the middle managers' duties.
	deptAdmin := l.id(`INSERT INTO departments (org_id, name, kind, duties) VALUES ($1, '行政部', 'admin', $2) RETURNING id`, l.org,
		"人事招聘与合同、请假调休、社保公积金、用人单位沟通、资源链接登记、团建与例会")
	deptService := l.id(`INSERT INTO departments (org_id, name, kind, duties) VALUES ($1, '服务部', 'service', $2) RETURNING id`, l.org,
		"服务质量监管、督导管理、服务测评、菜单式培训、总部工作检视")
	deptFinance := l.id(`INSERT INTO departments (org_id, name, kind, duties) VALUES ($1, '财务部', 'finance', $2) RETURNING id`, l.org,
		"报销审核、预领活动经费、工资表、税务申报、服务费发票、投标保证金")
	var domains []int64
	for _, dn := range []string{"青少年", "长者", "残障", "家庭", "学校", "社区"} {
		domains = append(domains, l.id(`INSERT INTO domains (org_id, name) VALUES ($1, $2) RETURNING id`, l.org, dn))
	}

	// Management.
	director := l.staff("叶振华", "男", "social_worker", 0, start)
	l.user(l.org, "zongganshi", "叶振华（总干事）", director, authz.RoleDirector)
	serviceHead := l.staff("梁慧敏", "女", "social_worker", deptService, start)
	l.user(l.org, "fuwubu", "梁慧敏（服务部）", serviceHead, authz.RoleServiceHead, authz.RoleSupervisor)
	adminHead := l.staff("何国华", "男", "admin", deptAdmin, start)
	l.user(l.org, "xingzhengbu", "何国华（行政部）", adminHead, authz.RoleAdminHead)
	financeHead := l.staff("罗美玲", "女", "finance", deptFinance, start)
	l.user(l.org, "caiwubu", "罗美玲（财务部）", financeHead, authz.RoleFinanceHead)
	accountant := l.staff("郑淑贤", "女", "finance", deptFinance, start)
	l.user(l.org, "kuaiji", "郑淑贤（会计）", accountant, authz.RoleAccountant)
	hr := l.staff("林佩珊", "女", "admin", deptAdmin, start)
	l.user(l.org, "renshi", "林佩珊（人事）", hr, authz.RoleHR)
	l.user(l.org, "admin", "系统管理员", 0, authz.RoleOrgAdmin)
	l.user(l.org, "pinggu", "第三方评估（只读）", 0, authz.RoleEvaluator)
	sup1 := l.staff("陈志明", "男", "supervisor", deptService, start)
	l.user(l.org, "dudao1", "陈志明（督导）", sup1, authz.RoleSupervisor)
	sup2 := l.staff("黄雅琪", "女", "supervisor", deptService, start)
	l.user(l.org, "dudao2", "黄雅琪（督导）", sup2, authz.RoleSupervisor)
	l.supervise(serviceHead, sup1, start)
	l.supervise(serviceHead, sup2, start)

	// Towns, purchasers, service points, contract years and front-line staff.
	towns := map[string]int64{}
	i := 0
	for si, s := range sites {
		town, ok := towns[s.town]
		if !ok {
			town = l.id(`INSERT INTO towns (org_id, name) VALUES ($1, $2) RETURNING id`, l.org, s.town)
			towns[s.town] = town
		}
		purchaser := l.id(`INSERT INTO purchasers (org_id, name, contact, phone) VALUES ($1, $2, $3, $4) RETURNING id`,
			l.org, s.purchaser, "社工站联络人", s.phone)
		siteID := l.id(`INSERT INTO sites (org_id, code, name, kind, town_id, purchaser_id, address, phone, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $9) RETURNING id`,
			l.org, s.code, s.name, s.kind, town, purchaser, "东莞市"+s.town, s.phone, l.now)
		// Contract years: last year's ended, the current one ends in 20 days for
		// the first centre (so its head sees the reminder) and later for others.
		end := l.today.AddDays(20 + si*45)
		begin := end.AddMonths(-12).AddDays(1)
		amount := app.Fen(120_000_000) // ¥1,200,000.00
		if s.kind == "project" {
			amount = 60_000_000
		}
		if s.staff == 4 {
			amount = 80_000_000
		}
		l.exec(`INSERT INTO contract_years (org_id, site_id, label, start_date, end_date, amount_fen) VALUES ($1, $2, $3, $4, $5, $6)`,
			l.org, siteID, fmt.Sprintf("%d合同年", begin.Year()-1), begin.AddMonths(-12), begin.AddDays(-1), int64(amount))
		l.exec(`INSERT INTO contract_years (org_id, site_id, label, start_date, end_date, amount_fen) VALUES ($1, $2, $3, $4, $5, $6)`,
			l.org, siteID, fmt.Sprintf("%d合同年", begin.Year()), begin, end, int64(amount))

		for k := 0; k < s.staff; k++ {
			i++
			title := "assistant_social_worker"
			if k%3 == 1 {
				title = "worker_assistant"
			}
			if k == 0 {
				title = "social_worker"
			}
			gender := "女"
			if i%3 == 0 {
				gender = "男"
			}
			st := l.staff(name(i), gender, title, deptService, start.AddMonths(i%12))
			l.assign(st, siteID, map[bool]string{true: "centre_head", false: "worker"}[k == 0], start.AddMonths(i%12))
			l.exec(`INSERT INTO staff_domains (org_id, staff_id, domain_id) VALUES ($1, $2, $3)`, l.org, st, domains[i%len(domains)])
			if i%2 == 0 {
				l.supervise(sup1, st, start)
			} else {
				l.supervise(sup2, st, start)
			}
			code := map[string]string{"BA": "beian", "XS": "xinshi", "ZH": "zhenhua", "BS": "baoshi", "SH": "songhu"}[s.code]
			switch {
			case k == 0:
				l.user(l.org, code+"_head", name(i)+"（中心负责人）", st, authz.RoleCentreHead, authz.RoleWorker)
			case k == 1:
				l.user(l.org, code+"_cw", name(i)+"（中心财务）", st, authz.RoleWorker, authz.RoleCentreFinance)
			default:
				l.user(l.org, fmt.Sprintf("%s_sg%d", code, k-1), name(i), st, authz.RoleWorker)
			}
		}
	}
	if l.err != nil {
		return 0, l.err
	}
	return l.org, audit.Write(ctx, tx, audit.Entry{OrgID: l.org, At: now, Action: "demo.load", ObjectType: "organization",
		ObjectID: fmt.Sprint(l.org), Detail: "载入演示机构：5个服务点、28名一线同工"})
}

// PlatformOperator makes sure the demo platform operator can sign in with
// the demo password (the account is created on first start).
func PlatformOperator(ctx context.Context, d *db.DB, now time.Time) error {
	hash, err := auth.HashPassword(Password)
	if err != nil {
		return err
	}
	return d.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE username = 'platform'`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		uid := int64(0)
		if err := tx.QueryRowContext(ctx, `INSERT INTO users (org_id, username, display_name, password_hash, must_change_password, status, created_at, updated_at)
			VALUES (1, 'platform', '平台管理员', $1, FALSE, 'active', $2, $2) RETURNING id`, hash, now.UTC()).Scan(&uid); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (org_id, user_id, role) VALUES (1, $1, $2)`, uid, string(authz.RolePlatformOperator)); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: 1, At: now, Action: "demo.load", ObjectType: "user",
			ObjectID: fmt.Sprint(uid), Detail: "演示平台运营账号"})
	})
}
