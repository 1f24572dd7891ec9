//! Rows for tests, written straight to the database (the area APIs get their own tests).

use sqlx::PgPool;
use uuid::Uuid;

/// 汉州街道, 广汉市, 德阳市.
pub const HANZHOU: &str = "510681002";
/// 龙居社区, in 汉州街道.
pub const LONGJU: &str = "510681002006";
/// 云顶镇, 南江县, 巴中市.
pub const YUNDING: &str = "511922132";

/// A station in `region`.
pub async fn station(db: &PgPool, region: &str) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO station (name, region_code, build_mode, open_days_per_week)
         VALUES ('龙居社区爱心妈妈驿站', $1, 'embedded', 3) RETURNING id",
    )
    .bind(region)
    .fetch_one(db)
    .await
    .unwrap()
}

/// A volunteer at `station` in status `status`, with the screening and training that status
/// needs on record. Each call gets its own phone number.
pub async fn volunteer(db: &PgPool, station: Uuid, status: &str, capacity: i16) -> Uuid {
    let phone = format!("139{:08}", rand::random::<u32>() % 100_000_000);
    let screened = matches!(status, "screened" | "trained" | "active");
    let trained = matches!(status, "trained" | "active");
    sqlx::query_scalar(
        "INSERT INTO volunteer (name, phone, region_code, station_id, status, capacity,
                                background_check_on, interviewed_on, trained_on)
         SELECT '王秀兰', $1, s.region_code, s.id, $2::volunteer_status, $3,
                CASE WHEN $4 THEN DATE '2026-03-01' END, CASE WHEN $4 THEN DATE '2026-03-02' END,
                CASE WHEN $5 THEN DATE '2026-03-10' END
         FROM station s WHERE s.id = $6 RETURNING id",
    )
    .bind(phone)
    .bind(status)
    .bind(capacity)
    .bind(screened)
    .bind(trained)
    .bind(station)
    .fetch_one(db)
    .await
    .unwrap()
}

/// A left-behind child at `station`, with a guardian.
pub async fn child(db: &PgPool, station: Uuid) -> (Uuid, Uuid) {
    let child: Uuid = sqlx::query_scalar(
        "INSERT INTO child (name, gender, birth_date, category, region_code, station_id)
         SELECT '李小雨', 'female', DATE '2016-05-04', 'left_behind', s.region_code, s.id
         FROM station s WHERE s.id = $1 RETURNING id",
    )
    .bind(station)
    .fetch_one(db)
    .await
    .unwrap();
    let guardian: Uuid = sqlx::query_scalar(
        "INSERT INTO guardian (child_id, name, relation, phone)
         VALUES ($1, '李奶奶', 'grandmother', '13812345678') RETURNING id",
    )
    .bind(child)
    .fetch_one(db)
    .await
    .unwrap();
    (child, guardian)
}

/// A guardian's consent of `scope` for the child; returns its id.
pub async fn consent(db: &PgPool, child: Uuid, guardian: Uuid, scope: &str) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO consent (child_id, guardian_id, scope, given_on, method)
         VALUES ($1, $2, $3::consent_scope, DATE '2026-04-01', 'signed_form') RETURNING id",
    )
    .bind(child)
    .bind(guardian)
    .bind(scope)
    .fetch_one(db)
    .await
    .unwrap()
}

/// A child with a guardian who has consented to pairing.
pub async fn pairable_child(db: &PgPool, station: Uuid) -> Uuid {
    let (child, guardian) = child(db, station).await;
    consent(db, child, guardian, "pairing").await;
    child
}

/// Inserts an active pairing.
pub async fn pair(
    db: &PgPool,
    child: Uuid,
    volunteer: Uuid,
    station: Uuid,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO pairing (child_id, volunteer_id, station_id, started_on)
         VALUES ($1, $2, $3, DATE '2026-05-01') RETURNING id",
    )
    .bind(child)
    .bind(volunteer)
    .bind(station)
    .fetch_one(db)
    .await
}

/// The name of the constraint an insert or update broke (panics if it succeeded).
pub fn violated<T: std::fmt::Debug>(result: Result<T, sqlx::Error>) -> String {
    match result {
        Ok(v) => panic!("expected the database to refuse, but it accepted: {v:?}"),
        Err(sqlx::Error::Database(e)) => e
            .constraint()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("<no constraint; code {:?}: {}>", e.code(), e.message())),
        Err(e) => panic!("expected a constraint violation, got {e}"),
    }
}

/// A tutoring session at `station`, held today and logged now.
pub async fn activity(db: &PgPool, station: Uuid) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO activity (station_id, kind, title, held_on)
         VALUES ($1, 'tutoring', '学业辅导', (now() AT TIME ZONE 'Asia/Shanghai')::date) RETURNING id",
    )
    .bind(station)
    .fetch_one(db)
    .await
    .unwrap()
}

/// A posted micro-wish of `child`.
pub async fn wish(db: &PgPool, child: Uuid) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO wish (child_id, text, category, estimated_cost)
         VALUES ($1, '一套水彩笔', 'arts', 25.50) RETURNING id",
    )
    .bind(child)
    .fetch_one(db)
    .await
    .unwrap()
}
