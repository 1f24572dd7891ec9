//! What the wish wall shows of the children registered by the children's area: their given
//! names, beside their wishes.

use sqlx::PgPool;
use uuid::Uuid;

use super::model::{Category, WallWish, WishStatus, Yuan};

/// The wall of a station (already known to be in scope): open wishes, and those fulfilled in
/// the last 90 days to show what the station's friends have done.
pub async fn wall(db: &PgPool, station: Uuid) -> sqlx::Result<Vec<WallWish>> {
    let today = crate::domain::today();
    let since = today - time::Duration::days(90);
    let mut wishes: Vec<WallWish> = sqlx::query!(
        r#"SELECT c.id AS child_id, c.name, c.birth_date, w.text, w.category AS "category: Category",
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
        age: crate::domain::age_on(r.birth_date, today),
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

/// Two children of the same given name and age on one wall (two 9-year-old 雨桐) are told apart
/// by a number each, in the order they first appear; everyone else needs none.
fn tell_namesakes_apart(wishes: &mut [WallWish]) {
    let mut children: Vec<(String, i32, Uuid)> = Vec::new();
    for w in wishes.iter() {
        let key = (w.given_name.clone(), w.age, w.child_id);
        if !children.contains(&key) {
            children.push(key);
        }
    }
    for w in wishes.iter_mut() {
        let alike: Vec<Uuid> = children
            .iter()
            .filter(|(name, age, _)| *name == w.given_name && *age == w.age)
            .map(|(_, _, id)| *id)
            .collect();
        if alike.len() > 1 {
            w.namesake = alike.iter().position(|id| *id == w.child_id).map(|i| i + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wish(name: &str, age: i32, child: Uuid) -> WallWish {
        WallWish {
            given_name: name.to_owned(),
            age,
            child_id: child,
            namesake: None,
            text: "一套水彩笔".into(),
            category: Category::Arts,
            estimated_cost: None,
            status: WishStatus::Posted,
        }
    }

    #[test]
    fn two_children_of_one_name_and_age_get_a_number_each() {
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let mut wall = vec![
            wish("雨桐", 9, a),
            wish("雨桐", 9, b),
            wish("雨桐", 9, a),
            wish("雨桐", 7, c),
        ];
        tell_namesakes_apart(&mut wall);
        let marks: Vec<_> = wall.iter().map(|w| w.namesake).collect();
        assert_eq!(marks, [Some(1), Some(2), Some(1), None]);
    }
}
