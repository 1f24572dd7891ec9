//! The demonstration data of pairing support: contact standards (the province's — a contact a
//! month — and in one county of three a stricter one: a home visit a quarter and staff
//! check-ins), staff check-ins a quarter apart on three running pairings in four, and the
//! volunteers' relationship surveys after a pairing's first three months (one in forty a sharp
//! drop), and follow-ups on the check-ins that asked for help and on the concerns still open —
//! the older ones done with a note, the recent ones open and some of them overdue — assigned to
//! a demonstration staff account of each county (with no password: it cannot sign in until an
//! admin sets one). The roll-ups the triggers would keep — a pairing's last check-in, its latest
//! score — are written in one pass each; its due days follow in the last step of the load.

/// The statements, run after the contacts.
pub const SQL: &str = r#"
INSERT INTO contact_standard (region_code, contacts_per_month, home_visits_per_quarter,
                              check_ins_per_month_first_quarter, check_ins_per_quarter)
SELECT DISTINCT left(region_code, 2), 1, 0, 0, 0 FROM station;
INSERT INTO contact_standard (region_code, contacts_per_month, home_visits_per_quarter,
                              check_ins_per_month_first_quarter, check_ins_per_quarter)
SELECT code, 1, 1, 1, 1
FROM (SELECT code, row_number() OVER (ORDER BY code) AS rn
      FROM (SELECT DISTINCT left(region_code, 6) AS code FROM station) c) c
WHERE rn % 3 = 0;

INSERT INTO check_in (pairing_id, held_with, mode, held_on, rating, note, flags, created_at)
SELECT p.id, (ARRAY['volunteer', 'guardian'])[1 + (p.rn + k) % 2]::check_in_with,
       (ARRAY['call', 'home_visit', 'station'])[1 + (p.rn + k) % 3]::contact_mode,
       t.today - (p.rn % 80)::int - 91 * k,
       CASE WHEN (p.rn + k) % 29 = 0 THEN 2 ELSE 3 + (p.rn + k) % 3 END,
       (ARRAY['爱心妈妈说孩子最近愿意讲学校里的事了。', '奶奶说孩子周末盼着爱心妈妈来。',
              '孩子期中考试进步了，爱心妈妈想请班主任一起聊聊。'])[1 + (p.rn + k) % 3],
       CASE WHEN (p.rn + k) % 29 = 0 THEN ARRAY['needs_help']::check_in_flag[]
            ELSE '{}'::check_in_flag[] END,
       now()
FROM (SELECT id, started_on, row_number() OVER (ORDER BY id) AS rn
      FROM pairing WHERE status = 'active') p
CROSS JOIN seed_today t
CROSS JOIN LATERAL generate_series(0, 3) k
-- three pairings in four have had check-ins, a quarter apart, the latest within 80 days
WHERE p.rn % 4 <> 0 AND t.today - (p.rn % 80)::int - 91 * k >= p.started_on;
UPDATE pairing p SET last_check_in_on = k.last
FROM (SELECT pairing_id, max(held_on) AS last FROM check_in GROUP BY 1) k
WHERE k.pairing_id = p.id;

INSERT INTO survey (pairing_id, respondent, trust, enjoy, talks, support, change, answered_on,
                    created_at)
SELECT p.id, 'volunteer', a.trust, a.enjoy, a.talks, a.support, a.change,
       least(t.today, p.started_on + 91 + (p.rn % 30)::int), now()
FROM (SELECT id, started_on, row_number() OVER (ORDER BY id) AS rn
      FROM pairing WHERE status = 'active') p
CROSS JOIN seed_today t
CROSS JOIN LATERAL (SELECT CASE WHEN p.rn % 40 = 0 THEN 2 ELSE 3 + (p.rn % 3)::int END AS trust,
                           CASE WHEN p.rn % 40 = 0 THEN 2 ELSE 3 + (p.rn / 3 % 3)::int END AS enjoy,
                           CASE WHEN p.rn % 40 = 0 THEN 2 ELSE 3 + (p.rn / 5 % 3)::int END AS talks,
                           CASE WHEN p.rn % 40 = 0 THEN 2 ELSE 3 + (p.rn / 7 % 3)::int END AS support,
                           CASE WHEN p.rn % 40 = 0 THEN 2 ELSE 3 + (p.rn / 11 % 3)::int END AS change) a
WHERE p.started_on <= t.today - 91 AND p.rn % 3 <> 0;
UPDATE pairing p SET relationship_score = s.score, relationship_drop = s.score <= 2.0
FROM survey s WHERE s.pairing_id = p.id;

INSERT INTO app_user (username, display_name, password_hash, role, region_code)
SELECT 'demo-staff-' || c.code, left(r.name || '妇联（示例）', 50), '!', 'staff', c.code
FROM (SELECT DISTINCT left(region_code, 6) AS code FROM station) c
JOIN region r ON r.code = c.code;

-- A follow-up is due a fortnight after a check-in asked for help (a week after a concern); done
-- a few days before its due day when that is over a month ago, and every other one since.
INSERT INTO follow_up (pairing_id, check_in_id, contact_id, assignee_id, action, due_on, done_at,
                       done_note, done_by, created_by, created_at)
SELECT e.pairing_id, e.check_in_id, e.contact_id, u.id, e.action, e.due_on,
       CASE WHEN d.done THEN (e.due_on - 3)::timestamp AT TIME ZONE 'Asia/Shanghai' END,
       CASE WHEN d.done THEN e.note END,
       CASE WHEN d.done THEN u.id END,
       u.id, e.flagged_on::timestamp AT TIME ZONE 'Asia/Shanghai'
FROM (SELECT k.pairing_id, k.id AS check_in_id, NULL::uuid AS contact_id, k.held_on AS flagged_on,
             k.held_on + 14 AS due_on, '请驿站负责人联系爱心妈妈，商量孩子需要哪些帮助。' AS action,
             '已与爱心妈妈和监护人一起商量，村儿童主任会每周去看看孩子。' AS note
      FROM check_in k WHERE 'needs_help' = ANY (k.flags)
      UNION ALL
      SELECT k.pairing_id, NULL, k.id, k.contacted_on, k.contacted_on + 7,
             '请村儿童主任上门看看孩子，并告诉班主任。',
             '儿童主任已上门，班主任也在学校多加关心。'
      FROM contact k WHERE k.concern_category IS NOT NULL AND k.concern_resolved_at IS NULL) e
JOIN pairing p ON p.id = e.pairing_id AND p.status = 'active'
JOIN station s ON s.id = p.station_id
JOIN app_user u ON u.username = 'demo-staff-' || left(s.region_code, 6)
CROSS JOIN seed_today t
CROSS JOIN LATERAL (SELECT e.due_on < t.today - 30
                           OR (e.due_on < t.today AND hashtext(e.pairing_id::text) % 2 = 0) AS done) d
WHERE e.flagged_on <= t.today;
"#;
