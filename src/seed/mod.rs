//! `aixin seed-demo`: realistic demonstration and benchmark data on the real region tree —
//! stations in villages spread over every city, volunteers through their pipeline, children
//! with guardians and consent, pairings, 18 months of station life, contacts and wishes, contact
//! standards, staff check-ins and relationship surveys.
//!
//! Everything is written with set-based SQL (`INSERT … SELECT` over `generate_series`) in one
//! transaction: the province's million rows load in minutes, and a failure leaves nothing
//! behind. The bookkeeping triggers are switched off for the load and their results (child
//! status, attendance counts, contact roll-ups, the dashboard's tallies) written in one pass
//! each, the same values the triggers would have written row by row.

mod support;

use std::time::Instant;

use anyhow::{Context, bail};
use sqlx::PgPool;

/// How much data to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// One county (广汉市), a handful of stations: for trying the pages.
    Small,
    /// One county with twenty stations.
    County,
    /// The province at the size of its published figures.
    Sichuan,
    /// Ten times Sichuan on Sichuan's own region tree (4,190 stations, 1.73 million
    /// volunteers, 1.7 million children): a benchmark of what one server carries.
    National,
}

/// The sizes of a scale.
#[derive(Debug, Clone, Copy)]
struct Size {
    /// Region code prefix the stations are placed in.
    region: &'static str,
    stations: i64,
    volunteers: i64,
    children: i64,
    activities: i64,
    /// Contacts per active pairing, on average.
    contacts_per_pairing: i64,
    wishes: i64,
}

impl Scale {
    fn size(self) -> Size {
        match self {
            Scale::Small => Size {
                region: "510681",
                stations: 6,
                volunteers: 600,
                children: 600,
                activities: 630,
                contacts_per_pairing: 7,
                wishes: 120,
            },
            Scale::County => Size {
                region: "510681",
                stations: 20,
                volunteers: 8_200,
                children: 8_100,
                activities: 2_100,
                contacts_per_pairing: 7,
                wishes: 1_500,
            },
            Scale::Sichuan => Size {
                region: "51",
                stations: 419,
                volunteers: 173_000,
                children: 170_000,
                activities: 44_000,
                contacts_per_pairing: 7,
                wishes: 30_000,
            },
            Scale::National => Size {
                region: "51",
                stations: 4_190,
                volunteers: 1_730_000,
                children: 1_700_000,
                activities: 440_000,
                contacts_per_pairing: 7,
                wishes: 300_000,
            },
        }
    }
}

/// What was loaded, counted from the database afterwards.
#[derive(Debug)]
pub struct Loaded {
    /// Rows per table.
    pub counts: Vec<(&'static str, i64)>,
    /// Person-visits of all activities.
    pub person_visits: i64,
}

/// Tables whose row-by-row triggers the bulk load replaces with one pass each.
const TRIGGERED: &[&str] = &[
    "station",
    "volunteer",
    "child",
    "pairing",
    "activity",
    "attendance",
    "contact",
    "wish",
    "contact_standard",
    "check_in",
    "survey",
    "follow_up",
];

/// Loads a scale into a database that has no stations yet; demonstration data is never mixed
/// into real records.
pub async fn run(db: &PgPool, scale: Scale) -> anyhow::Result<Loaded> {
    // A bulk load is not a request: its statements run on a connection of their own without
    // the requests' statement timeout, closed afterwards rather than handed back to the pool.
    let mut conn = db.acquire().await?.detach();
    sqlx::query("SET statement_timeout = 0")
        .execute(&mut conn)
        .await?;
    let existing: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM station"#)
        .fetch_one(&mut conn)
        .await?;
    if existing > 0 {
        bail!(
            "the database already holds {existing} stations: seed-demo only fills an empty one \
             (use a fresh AIXIN_DATA_DIR or DATABASE_URL)"
        );
    }
    let size = scale.size();
    let started = Instant::now();
    // One session holds the transaction, so `setseed` steers every random choice after it.
    let mut tx = sqlx::Connection::begin(&mut conn).await?;
    for table in TRIGGERED {
        sqlx::raw_sql(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"))
            .execute(&mut *tx)
            .await?;
    }
    for (step, sql) in steps(&size) {
        let t = Instant::now();
        sqlx::raw_sql(&sql)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("seeding {step}"))?;
        println!("  {step:<28} {:>7.1} s", t.elapsed().as_secs_f64());
    }
    for table in TRIGGERED {
        sqlx::raw_sql(&format!("ALTER TABLE {table} ENABLE TRIGGER USER"))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    // Index-only scans (the dashboard's) need the visibility map a vacuum writes.
    let t = Instant::now();
    sqlx::raw_sql(
        "VACUUM (ANALYZE) station, volunteer, child, guardian, consent, pairing, activity, \
         attendance, contact, wish, volunteer_tally, child_tally, pairing_tally, station_day, \
         station_month, open_concern",
    )
    .execute(&mut conn)
    .await?;
    println!(
        "  {:<28} {:>7.1} s",
        "vacuum, analyze",
        t.elapsed().as_secs_f64()
    );
    println!(
        "  {:<28} {:>7.1} s",
        "total",
        started.elapsed().as_secs_f64()
    );
    let loaded = count(&mut conn).await;
    let _ = sqlx::Connection::close(conn).await;
    loaded
}

async fn count(db: &mut sqlx::PgConnection) -> anyhow::Result<Loaded> {
    let r = sqlx::query!(
        r#"SELECT (SELECT count(*) FROM station) AS "stations!",
                  (SELECT count(DISTINCT left(region_code, 4)) FROM station) AS "cities!",
                  (SELECT count(DISTINCT left(region_code, 6)) FROM station) AS "counties!",
                  (SELECT count(*) FROM volunteer) AS "volunteers!",
                  (SELECT count(*) FROM child) AS "children!",
                  (SELECT count(*) FROM pairing) AS "pairings!",
                  (SELECT count(*) FROM pairing WHERE status = 'active') AS "active_pairings!",
                  (SELECT count(*) FROM activity) AS "activities!",
                  (SELECT coalesce(sum(person_visits), 0)::bigint FROM activity) AS "visits!",
                  (SELECT count(*) FROM contact WHERE outcome = 'reached') AS "contacts!",
                  (SELECT count(*) FROM contact WHERE outcome = 'not_reached') AS "attempts!",
                  (SELECT count(*) FROM wish) AS "wishes!",
                  (SELECT count(*) FROM follow_up) AS "follow_ups!",
                  (SELECT count(*) FROM follow_up WHERE done_at IS NULL) AS "follow_ups_open!""#
    )
    .fetch_one(db)
    .await?;
    Ok(Loaded {
        counts: vec![
            ("stations", r.stations),
            ("cities", r.cities),
            ("counties", r.counties),
            ("volunteers", r.volunteers),
            ("children", r.children),
            ("pairings", r.pairings),
            ("active pairings", r.active_pairings),
            ("activities", r.activities),
            ("contacts", r.contacts),
            ("attempts", r.attempts),
            ("wishes", r.wishes),
            ("follow-ups", r.follow_ups),
            ("open follow-ups", r.follow_ups_open),
        ],
        person_visits: r.visits,
    })
}

/// The load, step by step. Only the integers of [`Size`] and a fixed region prefix are
/// formatted into the SQL.
fn steps(s: &Size) -> Vec<(&'static str, String)> {
    let Size {
        region,
        stations,
        volunteers,
        children,
        activities,
        contacts_per_pairing,
        wishes,
    } = *s;
    vec![
        ("setup", r#"
SELECT setseed(0.2026);
CREATE TEMP TABLE seed_today ON COMMIT DROP AS SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date AS today;
CREATE TEMP TABLE seed_words ON COMMIT DROP AS SELECT
  ARRAY['王','李','张','刘','陈','杨','黄','赵','吴','周','徐','孙','马','朱','胡','郭','何','高','林','罗',
        '郑','梁','谢','宋','唐','许','韩','冯','邓','曹','彭','曾','肖','田','董','袁','潘','蒋','蔡','余',
        '杜','叶','程','苏','魏','吕','丁','任','沈','姚','卢','姜','崔','钟','谭','陆','汪','范','廖','欧阳'] AS surnames,
  ARRAY['秀兰','桂英','秀英','玉兰','春梅','丽华','红梅','晓燕','海燕','雪梅','丽娟','淑芬','小红','文静','慧敏',
        '建华','丽','芳','静','敏','燕','霞','娟','琴','英','梅','萍','红','玲','凤','兰','艳','婷','洁','莉',
        '晓丽','玉珍','素芳','永红','桂兰'] AS women,
  ARRAY['子涵','梓萱','一诺','雨桐','欣怡','思彤','诗涵','佳怡','可馨','若汐','语嫣','梦琪','紫萱','静怡','心悦'] AS girls,
  ARRAY['浩宇','宇轩','俊熙','子轩','晨阳','雨泽','博文','天佑','浩然','俊杰','思远','明轩','家豪','梓睿','嘉懿'] AS boys,
  ARRAY['退休教师','教师','村医','社区工作者','个体经营者','企业职工','农民','公务员','护士','家庭主妇'] AS occupations,
  ARRAY['县妇联','乡镇妇联','村妇联','社区妇联','县教育局','县卫健局','爱心企业','志愿者协会'] AS organizations,
  ARRAY['学业辅导','心理疏导','手工','绘画','音乐','阅读','安全教育','体育','烹饪','非遗手艺'] AS skills;
"#.to_owned()),
        ("stations", format!(r#"
INSERT INTO station (name, region_code, address, build_mode, host_site, open_days_per_week, schedule, phone, status, opened_on)
SELECT regexp_replace(regexp_replace(v.name, '(村)?(村民委员会|村委会)$', '村'), '(居民委员会|居委会)$', '') || '爱心妈妈驿站',
       v.code, regexp_replace(v.name, '(村民委员会|村委会|居民委员会|居委会)$', '') || '便民服务中心二楼',
       (ARRAY['embedded','embedded','joint','standalone','embedded'])[1 + v.k % 5]::station_build_mode,
       (ARRAY['阳光驿站','儿童之家','妇女之家','新时代文明实践站','党群服务中心'])[1 + v.k % 5],
       2 + (v.k % 3)::smallint,
       (SELECT jsonb_agg(jsonb_build_object('weekday', d, 'opens', CASE WHEN d >= 6 THEN '09:00' ELSE '15:30' END,
                                            'closes', CASE WHEN d >= 6 THEN '11:30' ELSE '18:00' END) ORDER BY d)
        FROM unnest(CASE v.k % 3 WHEN 0 THEN ARRAY[3,6] WHEN 1 THEN ARRAY[2,5,6] ELSE ARRAY[1,3,5,6] END) d),
       '0838-' || lpad((5200000 + v.k)::text, 7, '0'),
       CASE WHEN v.k % 50 = 7 THEN 'paused' WHEN v.k % 97 = 11 THEN 'closed' ELSE 'active' END::station_status,
       DATE '2020-03-01' + (v.k * 37 % 1500)::int
FROM (SELECT code, name, row_number() OVER (ORDER BY rn, md5(code)) AS k
      FROM (SELECT code, name, row_number() OVER (PARTITION BY left(code, 4) ORDER BY md5(code || 'aixin')) AS rn
            FROM region WHERE level = 'village' AND code LIKE '{region}%') c
      ORDER BY rn, md5(code) LIMIT {stations}) v;
CREATE TEMP TABLE ss ON COMMIT DROP AS
  SELECT id, region_code, row_number() OVER (ORDER BY region_code, id) AS k FROM station;
CREATE INDEX ON ss (k);
"#)),
        ("volunteers", format!(r#"
CREATE TEMP TABLE sv ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, g, s.id AS station_id, s.region_code, random() AS u, random() AS u2
FROM generate_series(1, {volunteers}) g JOIN ss s ON s.k = 1 + g % {stations};
INSERT INTO volunteer (id, name, gender, phone, birth_date, region_code, station_id, organization, occupation, skills,
                       status, background_check_on, interviewed_on, trained_on, capacity, created_at)
SELECT v.id,
       w.surnames[1 + v.g % 60] || w.women[1 + (v.g / 60) % 40],
       CASE WHEN v.g % 25 = 0 THEN 'male' ELSE 'female' END::gender,
       '1' || (ARRAY['35','36','37','38','39','50','51','52','58','59','86','87','88'])[1 + v.g % 13] || lpad(v.g::text, 8, '0'),
       t.today - (25 * 365 + (v.u2 * 35 * 365)::int),
       v.region_code, v.station_id,
       w.organizations[1 + v.g % 8], w.occupations[1 + (v.g / 7) % 10],
       -- two skills, or one when both picks fall on the same
       ARRAY[w.skills[1 + v.g % 10]]
         || CASE WHEN v.g % 10 <> (v.g / 10) % 10 THEN ARRAY[w.skills[1 + (v.g / 10) % 10]] ELSE '{{}}' END,
       st.status::volunteer_status,
       CASE WHEN st.status <> 'applied' THEN t.today - (40 + (CASE WHEN v.u2 < 0.03 THEN 1100 + v.u * 500 ELSE v.u * 1000 END)::int) END,
       CASE WHEN st.status <> 'applied' THEN t.today - (37 + (CASE WHEN v.u2 < 0.03 THEN 1100 + v.u * 500 ELSE v.u * 1000 END)::int) END,
       CASE WHEN st.status NOT IN ('applied', 'screened') THEN t.today - (20 + (CASE WHEN v.u2 < 0.03 THEN 1100 + v.u * 500 ELSE v.u * 1000 END)::int) END,
       2, now() - (v.u * 1000 + 45) * interval '1 day'
FROM sv v CROSS JOIN seed_words w CROSS JOIN seed_today t
CROSS JOIN LATERAL (SELECT CASE WHEN v.u < 0.80 THEN 'active' WHEN v.u < 0.85 THEN 'trained' WHEN v.u < 0.89 THEN 'screened'
                                WHEN v.u < 0.93 THEN 'applied' WHEN v.u < 0.97 THEN 'paused' ELSE 'withdrawn' END AS status) st;
CREATE TEMP TABLE sva ON COMMIT DROP AS
SELECT v.id, v.station_id, row_number() OVER (PARTITION BY v.station_id ORDER BY v.id) AS n
FROM volunteer v WHERE v.status = 'active';
CREATE INDEX ON sva (station_id, n);
CREATE TEMP TABLE sva_count ON COMMIT DROP AS SELECT station_id, count(*) AS n FROM sva GROUP BY 1;
"#)),
        ("children", format!(r#"
CREATE TEMP TABLE sc ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, gen_random_uuid() AS guardian_id, g, s.id AS station_id, s.region_code,
       random() AS u, random() AS u2, random() AS u3,
       now() - (random() * 880 + 40) * interval '1 day' AS created_at
FROM generate_series(1, {children}) g JOIN ss s ON s.k = 1 + g % {stations};
ALTER TABLE sc ADD COLUMN base date, ADD COLUMN plan text, ADD COLUMN closed_from date, ADD COLUMN closed_to date,
                ADD COLUMN active_from date;
UPDATE sc SET base = (created_at AT TIME ZONE 'Asia/Shanghai')::date,
              plan = CASE WHEN u < 0.85 THEN 'paired' WHEN u < 0.97 THEN 'registered' ELSE 'exited' END;
UPDATE sc SET closed_from = CASE WHEN (u >= 0.85 AND u < 0.91) OR u >= 0.97 OR u2 < 0.1 THEN base + 3 END;
UPDATE sc SET closed_to = least(closed_from + 30 + (u3 * 200)::int, (SELECT today FROM seed_today))
       WHERE closed_from IS NOT NULL;
UPDATE sc SET active_from = least(coalesce(closed_to + 7, base + (u3 * 60)::int), (SELECT today FROM seed_today))
       WHERE plan = 'paired';
INSERT INTO child (id, name, gender, birth_date, category, difficulty_types, region_code, station_id, school, grade,
                   living_with, parents_status, needs, status, exit_reason, exited_on, created_at, updated_at,
                   waiting_since)
SELECT c.id,
       w.surnames[1 + c.g % 60] || CASE WHEN c.g % 2 = 0 THEN w.girls[1 + (c.g / 60) % 15] ELSE w.boys[1 + (c.g / 60) % 15] END,
       CASE WHEN c.g % 2 = 0 THEN 'female' ELSE 'male' END::gender,
       t.today - (4 * 365 + (c.u3 * 12 * 365)::int),
       CASE WHEN c.u2 < 0.85 THEN 'left_behind' ELSE 'in_difficulty' END::child_category,
       CASE WHEN c.u2 < 0.85 THEN '{{}}'::child_difficulty[]
            ELSE ARRAY[(ARRAY['unsupported','low_income','disabled','orphan','serious_illness','other'])[1 + c.g % 6]]::child_difficulty[] END,
       c.region_code, c.station_id,
       regexp_replace(r.name, '(村民委员会|村委会|居民委员会|居委会)$', '') || CASE WHEN c.u3 < 0.5 THEN '小学' ELSE '中心校' END,
       (ARRAY['幼儿园','一年级','二年级','三年级','四年级','五年级','六年级','初一','初二','初三','初三','初三'])[1 + (c.u3 * 11)::int],
       (ARRAY['grandparents','grandparents','grandparents','one_parent','relatives','one_parent'])[1 + c.g % 6]::child_living_with,
       (ARRAY['both_migrant','both_migrant','father_migrant','mother_migrant','divorced','other'])[1 + (c.g / 6) % 6]::child_parents_status,
       -- two needs, or one when both picks fall on the same
       (SELECT array_agg(DISTINCT n) FROM unnest(ARRAY[
            (ARRAY['academic','emotional','companionship','safety','behavioural'])[1 + c.g % 5],
            (ARRAY['companionship','academic','emotional'])[1 + (c.g / 5) % 3]]::child_need[]) n),
       c.plan::child_status,
       CASE WHEN c.plan = 'exited' THEN (ARRAY['aged_out','family_moved','parents_returned','guardian_request'])[1 + c.g % 4]::child_exit_reason END,
       CASE WHEN c.plan = 'exited' THEN c.closed_to END,
       c.created_at, c.created_at,
       -- the day a closed pairing ended, else the day of registration (as the triggers keep it)
       coalesce(c.closed_to, (c.created_at AT TIME ZONE 'Asia/Shanghai')::date)
FROM sc c CROSS JOIN seed_words w CROSS JOIN seed_today t JOIN region r ON r.code = c.region_code;
INSERT INTO guardian (id, child_id, name, relation, phone, share_contact_with_volunteer)
SELECT c.guardian_id, c.id, w.surnames[1 + c.g % 60] || (ARRAY['奶奶','爷爷','妈妈','外婆','爸爸'])[1 + c.g % 5],
       (ARRAY['grandmother','grandfather','mother','grandmother','father'])[1 + c.g % 5]::guardian_relation,
       CASE WHEN c.u3 < 0.85 THEN '139' || lpad((c.g * 7919 % 100000000)::text, 8, '0') END,
       c.u3 < 0.5
FROM sc c CROSS JOIN seed_words w;
INSERT INTO consent (child_id, guardian_id, scope, given_on, method)
SELECT c.id, c.guardian_id, 'registration', c.base, 'signed_form' FROM sc c;
INSERT INTO consent (child_id, guardian_id, scope, given_on, method)
SELECT c.id, c.guardian_id, 'pairing', c.base, (ARRAY['signed_form','in_person'])[1 + c.g % 2]::consent_method
FROM sc c WHERE c.plan <> 'registered' OR c.closed_from IS NOT NULL OR c.u3 < 0.5;
CREATE TEMP TABLE scn ON COMMIT DROP AS
SELECT id, station_id, row_number() OVER (PARTITION BY station_id ORDER BY id) AS n FROM sc WHERE plan <> 'exited';
CREATE INDEX ON scn (station_id, n);
CREATE TEMP TABLE scn_count ON COMMIT DROP AS SELECT station_id, count(*) AS n FROM scn GROUP BY 1;
"#)),
        ("pairings", r#"
CREATE TEMP TABLE sp ON COMMIT DROP AS
SELECT c.*, row_number() OVER (PARTITION BY c.station_id ORDER BY c.g) AS rn FROM sc c
WHERE c.plan = 'paired' OR c.closed_from IS NOT NULL;
INSERT INTO pairing (child_id, volunteer_id, station_id, status, started_on, ended_on, closure_reason, agreement_signed_on, created_at)
SELECT p.id, v.id, p.station_id, 'closed', p.closed_from, p.closed_to,
       (ARRAY['family_moved','parents_returned','volunteer_withdrew','child_aged_out','guardian_request'])[1 + p.g % 5]::pairing_closure_reason,
       p.closed_from, p.closed_from::timestamp AT TIME ZONE 'Asia/Shanghai'
FROM sp p JOIN sva_count k ON k.station_id = p.station_id
JOIN sva v ON v.station_id = p.station_id AND v.n = 1 + (p.rn + 3) % k.n
WHERE p.closed_from IS NOT NULL;
-- The k-th paired child of a station with its k-th active volunteer, round the list: nobody
-- carries more than her capacity of two.
INSERT INTO pairing (child_id, volunteer_id, station_id, status, started_on, agreement_signed_on, created_at)
SELECT p.id, v.id, p.station_id, 'active', p.active_from, p.active_from, p.active_from::timestamp AT TIME ZONE 'Asia/Shanghai'
FROM sp p JOIN sva_count k ON k.station_id = p.station_id
JOIN sva v ON v.station_id = p.station_id AND v.n = 1 + (p.rn - 1) % k.n
WHERE p.plan = 'paired';
"#.to_owned()),
        ("activities", format!(r#"
CREATE TEMP TABLE sa ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, g, s.id AS station_id, random() AS u, random() AS u2,
       t.today - (random() * 540)::int AS held_on,
       coalesce(cc.n, 0) AS children_there, coalesce(vc.n, 0) AS volunteers_there
FROM generate_series(1, {activities}) g JOIN ss s ON s.k = 1 + g % {stations}
CROSS JOIN seed_today t
LEFT JOIN scn_count cc ON cc.station_id = s.id LEFT JOIN sva_count vc ON vc.station_id = s.id;
ALTER TABLE sa ADD COLUMN kind activity_kind;
UPDATE sa SET kind = (CASE WHEN u < 0.25 THEN 'tutoring' WHEN u < 0.40 THEN 'heart_to_heart' WHEN u < 0.50 THEN 'safety_care'
    WHEN u < 0.58 THEN 'psychological' WHEN u < 0.63 THEN 'behaviour' WHEN u < 0.68 THEN 'heritage_craft'
    WHEN u < 0.76 THEN 'arts' WHEN u < 0.81 THEN 'legal_education' WHEN u < 0.88 THEN 'story_sharing'
    WHEN u < 0.91 THEN 'ice_breaking' WHEN u < 0.95 THEN 'holiday' ELSE 'training' END)::activity_kind;
INSERT INTO activity (id, station_id, kind, title, topic, held_on, starts_at, ends_at, guardian_count, other_count, created_at)
SELECT a.id, a.station_id, a.kind,
       CASE a.kind WHEN 'tutoring' THEN '周末作业辅导' WHEN 'heart_to_heart' THEN '谈心交流：说说我的心里话'
            WHEN 'safety_care' THEN '防溺水安全教育' WHEN 'psychological' THEN '心理疏导小组活动'
            WHEN 'behaviour' THEN '好习惯养成' WHEN 'heritage_craft' THEN '蜀绣体验课' WHEN 'arts' THEN '绘画与手工'
            WHEN 'legal_education' THEN '法治小课堂' WHEN 'story_sharing' THEN '爱心妈妈讲故事' WHEN 'ice_breaking' THEN '破冰游戏：我们认识一下'
            WHEN 'holiday' THEN '节日联欢' ELSE '爱心妈妈培训：未成年人保护法' END,
       CASE WHEN a.kind = 'training' THEN (ARRAY['minors_protection_law','delinquency_prevention_law','care_precautions','mental_health'])[1 + a.g % 4]::training_topic END,
       a.held_on, CASE WHEN a.u2 < 0.5 THEN TIME '15:30' ELSE TIME '09:00' END,
       CASE WHEN a.u2 < 0.5 THEN TIME '17:30' ELSE TIME '11:00' END,
       CASE WHEN a.kind = 'training' THEN 0 ELSE (a.u2 * 8)::int END, 1 + a.g % 3,
       a.held_on::timestamp AT TIME ZONE 'Asia/Shanghai' + interval '18 hours'
FROM sa a;
INSERT INTO attendance (activity_id, child_id)
SELECT a.id, c.id FROM sa a
JOIN scn c ON c.station_id = a.station_id
 AND c.n >= 1 + ((a.u2 * 7919)::bigint % greatest(a.children_there - 16, 1))
 AND c.n < 1 + ((a.u2 * 7919)::bigint % greatest(a.children_there - 16, 1)) + 6 + (a.g % 10)
WHERE a.kind <> 'training';
INSERT INTO attendance (activity_id, volunteer_id, is_host)
SELECT a.id, v.id, v.n = 1 + ((a.u * 7919)::bigint % greatest(a.volunteers_there - 30, 1)) FROM sa a
JOIN sva v ON v.station_id = a.station_id
 AND v.n >= 1 + ((a.u * 7919)::bigint % greatest(a.volunteers_there - 30, 1))
 AND v.n < 1 + ((a.u * 7919)::bigint % greatest(a.volunteers_there - 30, 1)) + CASE WHEN a.kind = 'training' THEN 12 + a.g % 14 ELSE 1 + a.g % 3 END;
UPDATE activity x SET child_count = k.children, volunteer_count = k.volunteers
FROM (SELECT activity_id, count(child_id) AS children, count(volunteer_id) AS volunteers FROM attendance GROUP BY 1) k
WHERE x.id = k.activity_id;
"#)),
        ("contacts", format!(r#"
INSERT INTO contact (pairing_id, contacted_on, mode, duration_minutes, topics, concern_category, concern_detail,
                     concern_resolved_at, concern_resolution, created_at)
SELECT p.id,
       least(t.today, p.started_on + floor((t.today - p.started_on) * (j - 0.5 * random()) / n)::int),
       (ARRAY['call','call','video','home_visit','station','message','school'])[1 + (j + p.rn) % 7]::contact_mode,
       10 + ((j * 17 + p.rn) % 80),
       ARRAY[(ARRAY['study','emotions','safety','health','daily_life'])[1 + (j + p.rn) % 5]]::contact_topic[],
       CASE WHEN x.concern THEN (ARRAY['safety','health','school','family'])[1 + p.rn % 4]::concern_category END,
       CASE WHEN x.concern THEN '孩子近来情绪低落，放学后常独自在家，需要村里和学校一起关注。' END,
       CASE WHEN x.concern AND p.rn % 10 < 7 THEN now() - interval '3 days' END,
       CASE WHEN x.concern AND p.rn % 10 < 7 THEN '已联系监护人和班主任，安排每周家访。' END,
       now()
FROM (SELECT id, started_on, row_number() OVER (ORDER BY id) AS rn,
             1 + (random() * ({contacts_per_pairing} * 2 - 2))::int AS n
      FROM pairing WHERE status = 'active') p
CROSS JOIN seed_today t
CROSS JOIN LATERAL generate_series(1, p.n) j
CROSS JOIN LATERAL (SELECT (p.rn * 31 + j) % 700 = 0 AS concern) x;
-- Tries that did not reach the child: one after the last contact of one pairing in nine, three
-- in a row for one in sixty (those come to staff's attention).
INSERT INTO contact (pairing_id, contacted_on, mode, outcome, not_reached_reason, created_at)
SELECT p.id, least(t.today, coalesce(l.last, p.started_on) + a),
       (ARRAY['call','call','home_visit'])[1 + (p.rn + a) % 3]::contact_mode, 'not_reached',
       (ARRAY['no_answer','child_away','guardian_declined','other'])[1 + (p.rn + a) % 4]::contact_not_reached_reason,
       now()
FROM (SELECT id, started_on, row_number() OVER (ORDER BY id) AS rn FROM pairing WHERE status = 'active') p
CROSS JOIN seed_today t
LEFT JOIN (SELECT pairing_id, max(contacted_on) AS last FROM contact GROUP BY 1) l ON l.pairing_id = p.id
CROSS JOIN LATERAL generate_series(1, CASE WHEN p.rn % 60 = 0 THEN 3 WHEN p.rn % 9 = 0 THEN 1 ELSE 0 END) a;
UPDATE pairing p SET contact_count = k.n, last_contact_on = k.last, unreached_streak = k.streak,
                     last_home_visit_on = k.visit
FROM (SELECT c.pairing_id, count(*) FILTER (WHERE c.outcome = 'reached') AS n, r.last,
             max(c.contacted_on) FILTER (WHERE c.outcome = 'reached' AND c.mode = 'home_visit') AS visit,
             count(*) FILTER (WHERE c.outcome = 'not_reached'
                                AND c.contacted_on > coalesce(r.last, '-infinity'::date)) AS streak
      FROM contact c
      JOIN (SELECT pairing_id, max(contacted_on) FILTER (WHERE outcome = 'reached') AS last
            FROM contact GROUP BY 1) r ON r.pairing_id = c.pairing_id
      GROUP BY c.pairing_id, r.last) k
WHERE p.id = k.pairing_id;
"#)),
        ("wishes", format!(r#"
INSERT INTO wish (child_id, text, category, estimated_cost, status, claimed_by_organization, claimed_on, fulfilled_on, created_at)
SELECT c.id,
       (ARRAY['一个新书包','一套课外读物','一双运动鞋','一件冬天的棉衣','一盒水彩笔','一个篮球','一套文具','一只电子手表'])[1 + g % 8],
       (ARRAY['study','books','clothing','clothing','arts','sports','study','daily'])[1 + g % 8]::wish_category,
       (ARRAY[89, 60, 120, 150, 30, 80, 45, 99])[1 + g % 8],
       st.status::wish_status,
       CASE WHEN st.status IN ('claimed', 'fulfilled') THEN (ARRAY['县妇联','爱心企业','志愿者协会','县团委'])[1 + g % 4] END,
       CASE WHEN st.status IN ('claimed', 'fulfilled') THEN st.day - 10 END,
       CASE WHEN st.status = 'fulfilled' THEN st.day END,
       (st.day - 20)::timestamp AT TIME ZONE 'Asia/Shanghai'
FROM generate_series(1, {wishes}) g
JOIN scn c ON c.station_id = (SELECT id FROM ss WHERE k = 1 + g % {stations}) AND c.n = 1 + (g * 13) % 50
CROSS JOIN seed_today t
CROSS JOIN LATERAL (SELECT CASE WHEN g % 20 < 8 THEN 'fulfilled' WHEN g % 20 < 11 THEN 'claimed'
                                WHEN g % 20 < 18 THEN 'posted' ELSE 'cancelled' END AS status,
                           t.today - (g * 7 % 520) AS day) st;
"#)),
        ("standards, check-ins, surveys", support::SQL.to_owned()),
        ("tallies", "SELECT tally_rebuild();".to_owned()),
        // Each running pairing's due days under its standard (the triggers that keep them are
        // off while seeding).
        ("due days", "SELECT pairing_dues_refresh(NULL);".to_owned()),
    ]
}
