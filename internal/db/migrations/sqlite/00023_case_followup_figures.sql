-- The follow-up figures kept on each case (C4), so that the home page, the
-- reminders and the case list read the cases of their scope alone, through
-- indexes on cases, and no follow-up record: last_followup_on is the date
-- of the case's last service follow-up (NULL when it has none) and
-- last_followup_month_count the number of its service follow-ups in that
-- date's month. Keyed by the last follow-up's month, the count does not
-- depend on the clock: a follow-up is never dated ahead of the day it is
-- recorded, so this month's follow-ups are the count when the last one is in
-- this month, else none. The services recount them for the case in the
-- transaction that adds a follow-up; the backfill below is
-- tally.CaseFollowupsSQL for every case (a test keeps them the same), which
-- shegong stats rebuild and the generator also run.
--
-- cases_worker_behind serves the follow-up reminders and the home page's
-- open cases: a worker's open cases in the order of their numbers with
-- their figures, from index entries alone. cases_worker_followup serves the
-- home page's follow-ups this month: the cases of some workers whose last
-- follow-up is in the month.

-- +goose Up
ALTER TABLE cases ADD COLUMN last_followup_on DATE;
ALTER TABLE cases ADD COLUMN last_followup_month_count INTEGER NOT NULL DEFAULT 0;

UPDATE cases SET
    last_followup_on = (SELECT MAX(f.held_on) FROM case_followups f
        WHERE f.org_id = cases.org_id AND f.case_id = cases.id AND f.kind = 'service'),
    last_followup_month_count = (SELECT COUNT(*) FROM case_followups f
        WHERE f.org_id = cases.org_id AND f.case_id = cases.id AND f.kind = 'service'
        AND f.held_on >= (SELECT substr(MAX(g.held_on), 1, 7) || '-01' FROM case_followups g
            WHERE g.org_id = cases.org_id AND g.case_id = cases.id AND g.kind = 'service'))
WHERE 1 = 1;

CREATE INDEX cases_worker_behind ON cases (org_id, worker_id, state, number, last_followup_on, last_followup_month_count, opened_on);
CREATE INDEX cases_worker_followup ON cases (org_id, worker_id, last_followup_on, last_followup_month_count);

-- +goose Down
DROP INDEX cases_worker_followup;
DROP INDEX cases_worker_behind;
ALTER TABLE cases DROP COLUMN last_followup_month_count;
ALTER TABLE cases DROP COLUMN last_followup_on;
