//! Which kind of thing an id names. Ids are UUIDs, unique across tables, so an app that holds
//! only an id (a normalized cache refetching an object, a deep link) can ask for it without
//! saying what it is. One statement looks in every table whose rows the apps refetch by id;
//! whether the caller may see the row is the caller's feature's to say, not this room's.
use crate::error::AppResult;
use entity::{
    answers, groups, meeting_series, meetings, mood_checkins, notifications, posts, questions,
    replies, users,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Query, SelectStatement, UnionType};
use sea_orm::{ConnectionTrait, EntityName as _};
use std::collections::HashMap;

/// The kinds of thing the apps refetch by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Person,
    Group,
    Post,
    Reply,
    Question,
    Answer,
    Notification,
    MoodCheckin,
    Meeting,
    MeetingSeries,
}

impl Kind {
    const ALL: [Kind; 10] = [
        Kind::Person,
        Kind::Group,
        Kind::Post,
        Kind::Reply,
        Kind::Question,
        Kind::Answer,
        Kind::Notification,
        Kind::MoodCheckin,
        Kind::Meeting,
        Kind::MeetingSeries,
    ];

    fn table(self) -> &'static str {
        match self {
            Kind::Person => users::Entity.table_name(),
            Kind::Group => groups::Entity.table_name(),
            Kind::Post => posts::Entity.table_name(),
            Kind::Reply => replies::Entity.table_name(),
            Kind::Question => questions::Entity.table_name(),
            Kind::Answer => answers::Entity.table_name(),
            Kind::Notification => notifications::Entity.table_name(),
            Kind::MoodCheckin => mood_checkins::Entity.table_name(),
            Kind::Meeting => meetings::Entity.table_name(),
            Kind::MeetingSeries => meeting_series::Entity.table_name(),
        }
    }

    fn from_table(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.table() == name)
    }
}

/// The most ids one look-up takes (`nodes(ids)` is bounded by it).
pub const MOST_AT_ONCE: usize = 100;

/// The kind of each id that names a row; an id that names nothing is left out. Each table is
/// read by its primary key, all in one statement.
pub async fn kinds_of(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> AppResult<HashMap<String, Kind>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let (kind, id) = (Alias::new("kind"), Alias::new("id"));
    let in_table = |of: Kind| -> SelectStatement {
        let table = Alias::new(of.table());
        Query::select()
            .expr_as(Expr::val(of.table()), kind.clone())
            .expr_as(Expr::col((table.clone(), id.clone())), id.clone())
            .from(table.clone())
            .and_where(Expr::col((table, id.clone())).is_in(ids.iter().map(String::as_str)))
            .to_owned()
    };
    let mut union = in_table(Kind::ALL[0]);
    for other in &Kind::ALL[1..] {
        union.union(UnionType::All, in_table(*other));
    }
    let statement = db.get_database_backend().build(&union);
    let mut found = HashMap::new();
    for row in db.query_all_raw(statement).await? {
        let table: String = row.try_get("", "kind")?;
        let id: String = row.try_get("", "id")?;
        if let Some(of) = Kind::from_table(&table) {
            found.insert(id, of);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_reads_its_own_table() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_table(kind.table()), Some(kind));
        }
    }
}
