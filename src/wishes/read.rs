//! What the wish wall shows of the children registered by the children's area: their given
//! names, beside their wishes.

use sqlx::PgPool;
use uuid::Uuid;

use super::model::{Category, WallWish, WishStatus, Yuan};

/// The wall of a station (already known to be in scope): open wishes, and those fulfilled in
/// the last 90 days to show what the station's friends have done.
pub async fn wall(db: &PgPool, station: Uuid) -> sqlx::Result<Vec<WallWish>> {
    let since = crate::domain::today() - time::Duration::days(90);
    Ok(sqlx::query!(
        r#"SELECT c.name, w.text, w.category AS "category: Category",
                  (w.estimated_cost * 100)::bigint AS cost_fen, w.status AS "status: WishStatus"
           FROM wish w JOIN child c ON c.id = w.child_id
           WHERE c.station_id = $1 AND c.status <> 'exited'
             AND (w.status IN ('posted', 'claimed') OR (w.status = 'fulfilled' AND w.fulfilled_on >= $2))
           ORDER BY w.status, w.created_at
           LIMIT 500"#,
        station,
        since
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| WallWish {
        given_name: crate::domain::given_name(&r.name),
        text: r.text,
        category: r.category,
        estimated_cost: r.cost_fen.map(Yuan::from_fen),
        status: r.status,
    })
    .collect())
}
