-- Row-level security: every table with an org_id column shows and accepts
-- only the rows of the organization in the session setting app.org_id,
-- which the application sets from each request ("*" = every organization,
-- for system work; "" or unset = none). It is the second wall behind the
-- application's own checks; the application's role must not own the
-- tables, since owners (and superusers) bypass it.
--
-- enable_org_rls() applies the policy to every org_id table of the schema
-- that lacks it; a later migration that adds such a table ends with
-- SELECT enable_org_rls(); (a test fails on any org table without it).

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION enable_org_rls() RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
	t text;
	n integer := 0;
BEGIN
	FOR t IN
		SELECT c.table_name FROM information_schema.columns c
		JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND c.column_name = 'org_id' AND tb.table_type = 'BASE TABLE'
		ORDER BY c.table_name
	LOOP
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = current_schema() AND tablename = t AND policyname = 'org_isolation') THEN
			EXECUTE format($p$CREATE POLICY org_isolation ON %I
				USING (current_setting('app.org_id', true) = '*'
					OR org_id = nullif(nullif(current_setting('app.org_id', true), '*'), '')::bigint)
				WITH CHECK (current_setting('app.org_id', true) = '*'
					OR org_id = nullif(nullif(current_setting('app.org_id', true), '*'), '')::bigint)$p$, t);
			n := n + 1;
		END IF;
	END LOOP;
	RETURN n;
END
$fn$;
-- +goose StatementEnd

SELECT enable_org_rls();

-- The platform's default star thresholds (organization 1) are read by every
-- organization that has not set its own; only reading, only with an
-- organization set.
CREATE POLICY platform_defaults ON star_thresholds FOR SELECT
    USING (org_id = 1 AND coalesce(current_setting('app.org_id', true), '') <> '');

-- +goose Down
DROP POLICY platform_defaults ON star_thresholds;
-- +goose StatementBegin
DO $do$
DECLARE
	t text;
BEGIN
	FOR t IN SELECT tablename FROM pg_policies WHERE schemaname = current_schema() AND policyname = 'org_isolation' LOOP
		EXECUTE format('DROP POLICY org_isolation ON %I', t);
		EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
	END LOOP;
END
$do$;
-- +goose StatementEnd
DROP FUNCTION enable_org_rls();
