package cases

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/pii"
)

// Who signed a consent form, relative to the client.
const (
	ConsentSelf     = "self"
	ConsentParent   = "parent"
	ConsentGuardian = "guardian"
	ConsentOther    = "other"
)

// ConsentRelationships are the signer relationships in display order.
var ConsentRelationships = []string{ConsentSelf, ConsentParent, ConsentGuardian, ConsentOther}

// ConsentRelationshipLabel is the Chinese name of a signer relationship.
func ConsentRelationshipLabel(s string) string {
	switch s {
	case ConsentSelf:
		return "本人"
	case ConsentParent:
		return "父母"
	case ConsentGuardian:
		return "监护人"
	case ConsentOther:
		return "其他"
	}
	return s
}

// ConsentMinAge is the age from which a client may sign their own consent.
const ConsentMinAge = 14

// MaxAttachmentSize bounds one uploaded scan.
const MaxAttachmentSize = 5 << 20

// AttachmentTypes are the accepted upload types, as sniffed from the content.
var AttachmentTypes = map[string]string{"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}

// Upload is a file sent with a form or JSON request.
type Upload struct {
	Filename string `json:"filename" doc:"文件名"`
	Data     []byte `json:"data" doc:"文件内容（Base64），PDF、JPEG或PNG，不超过5MB"`
}

// Attachment describes a stored file; Data is set only when downloading.
type Attachment struct {
	ID          int64     `json:"id"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	UploadedAt  time.Time `json:"uploaded_at"`
	Filename    string    `json:"-"`
	Data        []byte    `json:"-"`
}

// Label describes the file for a download link, e.g. "PDF，120 KB".
func (a *Attachment) Label() string {
	kind := strings.ToUpper(strings.TrimPrefix(AttachmentTypes[a.ContentType], "."))
	if kind == "JPG" {
		kind = "JPEG"
	}
	return fmt.Sprintf("%s，%d KB", kind, (a.Size+1023)/1024)
}

// Consent is one informed-consent record (知情同意书). The signer's name is
// masked like every other name.
type Consent struct {
	ID                int64       `json:"id"`
	ClientID          int64       `json:"client_id"`
	SignedOn          app.Date    `json:"signed_on"`
	SignerNameMasked  string      `json:"signer_name_masked"`
	Relationship      string      `json:"relationship"`
	RelationshipLabel string      `json:"relationship_label"`
	SharingScope      string      `json:"sharing_scope"`
	Attachment        *Attachment `json:"attachment,omitempty"`
	CreatedBy         string      `json:"created_by"`
	CreatedAt         time.Time   `json:"created_at"`
}

// ConsentInput records a consent form.
type ConsentInput struct {
	SignedOn     app.Date `json:"signed_on" doc:"签署日期"`
	SignerName   string   `json:"signer_name" doc:"签署人姓名"`
	Relationship string   `json:"relationship" doc:"签署人与服务对象的关系：self（本人）、parent（父母）、guardian（监护人）、other（其他）"`
	SharingScope string   `json:"sharing_scope" doc:"信息共享范围"`
	File         *Upload  `json:"file,omitempty" doc:"扫描件（可选）"`
}

// checkUpload validates an upload by size and sniffed content, returning
// the content type to store.
func checkUpload(field string, u *Upload, v *app.Validation) string {
	if len(u.Data) == 0 {
		v.Add(field, "上传的文件是空的")
		return ""
	}
	if len(u.Data) > MaxAttachmentSize {
		v.Add(field, "文件不能超过5MB")
		return ""
	}
	ct := http.DetectContentType(u.Data)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if _, ok := AttachmentTypes[ct]; !ok {
		v.Add(field, "只能上传PDF、JPEG或PNG格式的扫描件")
		return ""
	}
	return ct
}

// cleanUploadName keeps a safe base name with the extension of the sniffed type.
func cleanUploadName(name, contentType string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '/' || r == '\\' {
			return -1
		}
		return r
	}, name)
	ext := AttachmentTypes[contentType]
	base := strings.TrimSpace(strings.TrimSuffix(name, filepath.Ext(name)))
	if base == "" || base == "." {
		base = "知情同意书"
	}
	for utf8.RuneCountInString(base) > 80 {
		_, size := utf8.DecodeLastRuneInString(base)
		base = base[:len(base)-size]
	}
	return base + ext
}

// AddConsent records a consent form of a client the caller may write, with
// an optional scan.
func (s *ClientService) AddConsent(ctx context.Context, p *authz.Principal, clientID int64, in ConsentInput) (*Consent, error) {
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.loadClient(ctx, tx, p, PermClientWrite, clientID); err != nil {
			return err
		}
		in.SignerName = strings.TrimSpace(in.SignerName)
		in.SharingScope = strings.TrimSpace(in.SharingScope)
		var v app.Validation
		switch {
		case in.SignedOn.IsZero():
			v.Add("signed_on", "签署日期不能为空")
		case in.SignedOn.After(app.Today(s.Now())):
			v.Add("signed_on", "签署日期不能晚于今天")
		}
		if v.Required("signer_name", in.SignerName, "签署人姓名") {
			v.MaxLen("signer_name", in.SignerName, "签署人姓名", 50)
		}
		if v.Required("relationship", in.Relationship, "签署人与服务对象的关系") {
			v.OneOf("relationship", in.Relationship, "签署人与服务对象的关系", ConsentRelationships...)
		}
		if v.Required("sharing_scope", in.SharingScope, "信息共享范围") {
			v.MaxLen("sharing_scope", in.SharingScope, "信息共享范围", 2000)
		}
		var ct string
		if in.File != nil {
			ct = checkUpload("file", in.File, &v)
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := s.Now().UTC()
		if err := tx.QueryRowContext(ctx, `INSERT INTO client_consents (org_id, client_id, signed_on, signer_name,
			relationship, sharing_scope, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			p.OrgID, clientID, in.SignedOn, in.SignerName, in.Relationship, in.SharingScope, nullID(p.UserID), now).Scan(&id); err != nil {
			return fmt.Errorf("cases: insert consent: %w", err)
		}
		detail := fmt.Sprintf("登记知情同意书（%s签署，签署人为%s）", in.SignedOn, ConsentRelationshipLabel(in.Relationship))
		if in.File != nil {
			sum := sha256.Sum256(in.File.Data)
			var aid int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO attachments (org_id, owner_type, owner_id, filename, content_type,
				size, sha256, data, uploaded_by, uploaded_at) VALUES ($1, 'client_consent', $2, $3, $4, $5, $6, $7, $8, $9)
				RETURNING id`, p.OrgID, id, cleanUploadName(in.File.Filename, ct), ct, len(in.File.Data),
				hex.EncodeToString(sum[:]), in.File.Data, nullID(p.UserID), now).Scan(&aid); err != nil {
				return fmt.Errorf("cases: insert attachment: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE client_consents SET attachment_id = $3 WHERE org_id = $1 AND id = $2`,
				p.OrgID, id, aid); err != nil {
				return fmt.Errorf("cases: link attachment: %w", err)
			}
			detail += "，附扫描件"
		}
		return s.auditClient(ctx, tx, p, "client.consent.create", clientID, detail)
	})
	if err != nil {
		return nil, err
	}
	list, err := s.Consents(ctx, p, clientID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].ID == id {
			return &list[i], nil
		}
	}
	return nil, app.ErrNotFound("知情同意书")
}

// Consents lists a client's consent records, newest first.
func (s *ClientService) Consents(ctx context.Context, p *authz.Principal, clientID int64) ([]Consent, error) {
	if _, err := s.loadClient(ctx, s.DB.R, p, PermClientRead, clientID); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT k.id, k.client_id, k.signed_on, k.signer_name, k.relationship,
		k.sharing_scope, COALESCE(u.display_name, ''), k.created_at,
		COALESCE(a.id, 0), COALESCE(a.content_type, ''), COALESCE(a.size, 0), COALESCE(a.sha256, ''), a.uploaded_at
		FROM client_consents k
		LEFT JOIN users u ON u.org_id = k.org_id AND u.id = k.created_by
		LEFT JOIN attachments a ON a.org_id = k.org_id AND a.id = k.attachment_id
		WHERE k.org_id = $1 AND k.client_id = $2 ORDER BY k.signed_on DESC, k.id DESC`, p.OrgID, clientID)
	if err != nil {
		return nil, fmt.Errorf("cases: consents: %w", err)
	}
	defer rows.Close()
	out := []Consent{}
	for rows.Next() {
		var c Consent
		var signer string
		var a Attachment
		var at sql.NullTime
		if err := rows.Scan(&c.ID, &c.ClientID, &c.SignedOn, &signer, &c.Relationship, &c.SharingScope, &c.CreatedBy,
			&c.CreatedAt, &a.ID, &a.ContentType, &a.Size, &a.SHA256, &at); err != nil {
			return nil, err
		}
		c.SignerNameMasked = pii.MaskName(signer)
		c.RelationshipLabel = ConsentRelationshipLabel(c.Relationship)
		if a.ID != 0 {
			a.UploadedAt = at.Time
			c.Attachment = &a
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ConsentFile returns the scan of a consent record for download, after the
// client read check, and audits the download in the same transaction.
func (s *ClientService) ConsentFile(ctx context.Context, p *authz.Principal, clientID, consentID int64) (*Attachment, error) {
	var a Attachment
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.loadClient(ctx, tx, p, PermClientRead, clientID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT a.id, a.filename, a.content_type, a.size, a.sha256, a.uploaded_at, a.data
			FROM client_consents k JOIN attachments a ON a.org_id = k.org_id AND a.id = k.attachment_id
			WHERE k.org_id = $1 AND k.client_id = $2 AND k.id = $3`, p.OrgID, clientID, consentID).
			Scan(&a.ID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256, &a.UploadedAt, &a.Data)
		if errors.Is(err, sql.ErrNoRows) {
			return app.ErrNotFound("知情同意书扫描件")
		}
		if err != nil {
			return fmt.Errorf("cases: consent file: %w", err)
		}
		return s.auditClient(ctx, tx, p, "client.consent.download", clientID, fmt.Sprintf("下载知情同意书扫描件（记录 %d）", consentID))
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// HasValidConsent reports whether a client has an informed-consent record
// signed on or before asOf that covers opening a case (C2). A client under
// 14 on asOf needs one signed by a parent or guardian rather than by
// themselves. When there is none, reason says why in Chinese.
func (s *ClientService) HasValidConsent(ctx context.Context, q db.Querier, orgID, clientID int64, asOf app.Date) (bool, string, error) {
	var birth app.Date
	err := q.QueryRowContext(ctx, `SELECT birth_date FROM clients WHERE org_id = $1 AND id = $2`, orgID, clientID).Scan(&birth)
	if errors.Is(err, sql.ErrNoRows) {
		return false, "", app.ErrNotFound("服务对象")
	}
	if err != nil {
		return false, "", fmt.Errorf("cases: consent client: %w", err)
	}
	var total, byGuardian int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN relationship <> 'self' THEN 1 ELSE 0 END), 0)
		FROM client_consents WHERE org_id = $1 AND client_id = $2 AND signed_on <= $3`, orgID, clientID, asOf).
		Scan(&total, &byGuardian); err != nil {
		return false, "", fmt.Errorf("cases: consent count: %w", err)
	}
	if total == 0 {
		return false, "该服务对象尚未签署知情同意书", nil
	}
	if ClientAge(birth, asOf) < ConsentMinAge && byGuardian == 0 {
		return false, "未满14岁的服务对象须由监护人签署知情同意书", nil
	}
	return true, "", nil
}
