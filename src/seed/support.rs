//! The demonstration data of pairing support: contact standards (the province's — a contact a
//! month — and in one county of three a stricter one: a home visit a quarter and staff
//! check-ins), staff check-ins a quarter apart on three running pairings in four, and the
//! volunteers' relationship surveys after a pairing's first three months (one in forty a sharp
//! drop). The roll-ups the triggers would keep — a pairing's last check-in, its latest score —
//! are written in one pass each; its due days follow in the last step of the load.

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
"#;
