//! What the wish wall shows of the children registered by the children's area: their given
//! names, beside their wishes.

use sqlx::PgPool;
use uuid::Uuid;

use super::model::{Category, WallWish, WishStatus, Yuan};

/// The wall of a station (already known to be in scope): open wishes, and those fulfilled in
/// the last 90 days to show what the station's friends have done.
pub async fn wall(db: &PgPool, station: Uuid) -> sqlx::Result<Vec<WallWish>> {
    let since = crate::domain::today() - time::Duration::days(90);
    let mut wishes: Vec<WallWish> = sqlx::query!(
        r#"SELECT c.id AS child_id, c.name, w.text, w.category AS "category: Category",
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
        child_id: r.child_id,
        namesake: None,
        text: r.text,
        category: r.category,
        estimated_cost: r.cost_fen.map(Yuan::from_fen),
        status: r.status,
    })
    .collect();
    tell_namesakes_apart(&mut wishes);
    Ok(wishes)
}

/// Two children of the same given name on one wall (two 雨桐) are told apart by a number each;
/// the numbers follow the children (not their wishes), so a child keeps hers from one print to
/// the next while her wishes are fulfilled. The wall shows nothing more of who she is.
fn tell_namesakes_apart(wishes: &mut [WallWish]) {
    let mut children: Vec<(String, Uuid)> = wishes
        .iter()
        .map(|w| (w.given_name.clone(), w.child_id))
        .collect();
    children.sort();
    children.dedup();
    for w in wishes.iter_mut() {
        let alike: Vec<Uuid> = children
            .iter()
            .filter(|(name, _)| *name == w.given_name)
            .map(|(_, id)| *id)
            .collect();
        if alike.len() > 1 {
            w.namesake = alike.iter().position(|id| *id == w.child_id).map(|i| i + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wish(name: &str, child: Uuid) -> WallWish {
        WallWish {
            given_name: name.to_owned(),
            child_id: child,
            namesake: None,
            text: "一套水彩笔".into(),
            category: Category::Arts,
            estimated_cost: None,
            status: WishStatus::Posted,
        }
    }

    #[test]
    fn two_children_of_one_name_get_a_number_each_that_follows_the_child() {
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let mut wall = vec![
            wish("雨桐", b),
            wish("雨桐", a),
            wish("雨桐", b),
            wish("子涵", c),
        ];
        tell_namesakes_apart(&mut wall);
        let marks: Vec<_> = wall.iter().map(|w| w.namesake).collect();
        assert_eq!(marks, [Some(2), Some(1), Some(2), None]);
        // Her first wish fulfilled and gone from the wall: she keeps her number.
        let mut later = vec![wish("雨桐", b), wish("雨桐", a)];
        tell_namesakes_apart(&mut later);
        assert_eq!(later[0].namesake, Some(2));
    }
}
