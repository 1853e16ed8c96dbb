//! `hearth demo`: fills an empty database with people, groups of each kind, posts and replies,
//! two meeting series with answers, so a newcomer sees a living API in GraphiQL. It runs before anyone can listen, so what its
//! writes would announce after commit is dropped (`let _`).
use crate::accounts::{addresses, Email};
use crate::auth::passwords::PasswordHasher;
use crate::auth::Viewer;
use crate::clock::now;
use crate::community::vocabulary::{LedBy, Topic, Visibility};
use crate::config::PostingLimits;
use crate::content::{ContentType, ReactionKind};
use crate::error::AppResult;
use crate::groups::invites;
use crate::groups::memberships;
use crate::groups::service::{self as groups, NewGroup};
use crate::ids::{SessionId, UserId};
use crate::keys::{PersonKey, Vault};
use crate::meetings::{self, series::NewSeries};
use crate::posts::reactions;
use crate::posts::replies::{self, NewReply};
use crate::posts::service::{self as posts, NewPost};
use crate::rate_limit::RateLimiter;
use entity::enums::{MeetingFrequency, RsvpAnswer};
use entity::{sessions, users};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

pub const DEMO_PASSWORD: &str = "hearth-demo-password";
const PEOPLE: [&str; 6] = [
    "River Stone",
    "Quiet Fox",
    "Morning Lark",
    "Gentle Wren",
    "Dr Amara",
    "Kind Heron",
];

/// The meeting series of the `i`-th demo group, if it has one.
fn meeting_of(i: usize) -> Option<(&'static str, MeetingFrequency, &'static str)> {
    match i {
        0 => Some((
            "Thursday evening circle",
            MeetingFrequency::Weekly,
            "Europe/London",
        )),
        1 => Some((
            "Fortnightly group with Dr Amara",
            MeetingFrequency::Biweekly,
            "America/New_York",
        )),
        _ => None,
    }
}

/// A series starting tomorrow, and the members' answers for its first meeting.
async fn schedule_demo_meeting(
    db: &DatabaseConnection,
    owner: &Viewer,
    group_id: &crate::ids::GroupId,
    members: &[&Viewer],
    title: &str,
    frequency: MeetingFrequency,
    zone: &str,
) -> AppResult<()> {
    let tz: chrono_tz::Tz = zone
        .parse()
        .map_err(|_| crate::error::AppError::internal(anyhow::anyhow!("demo zone")))?;
    let tomorrow = meetings::series::local_today(tz) + chrono::Days::new(1);
    let series = meetings::series::schedule(
        db,
        owner,
        NewSeries {
            group_id: group_id.clone(),
            title: title.into(),
            description: Some("Come as you are. Cameras optional.".into()),
            first_date: tomorrow,
            local_start_time: "19:00".into(),
            time_zone: zone.into(),
            duration_minutes: 60,
            frequency,
            until: None,
            capacity: Some(12),
            facilitator_id: None,
            join_url: Some("https://meet.example.org/hearth-demo".into()),
        },
    )
    .await?;
    let first = entity::meetings::Entity::find()
        .filter(entity::meetings::Column::SeriesId.eq(&series.id))
        .order_by_asc(entity::meetings::Column::StartsAt)
        .one(db)
        .await?;
    if let Some(first) = first {
        for (member, answer) in
            members
                .iter()
                .zip([RsvpAnswer::Going, RsvpAnswer::Going, RsvpAnswer::Maybe])
        {
            let _ = meetings::attendance::answer(db, member, &first.id, answer).await?;
        }
    }
    Ok(())
}

/// Returns false (and changes nothing) when the database already has accounts.
pub async fn fill(db: &DatabaseConnection, vault: &Vault) -> AppResult<bool> {
    if users::Entity::find()
        .filter(users::Column::Id.ne(crate::ids::deleted_member()))
        .count(db)
        .await?
        > 0
    {
        return Ok(false);
    }
    let hash = PasswordHasher::new()?.hash(DEMO_PASSWORD).await?;
    let mut people = Vec::new();
    for name in PEOPLE {
        let id = UserId::generate();
        let key = PersonKey::generate(&id);
        let email = Email::parse(&format!(
            "{}@demo.hearth.invalid",
            name.to_lowercase().replace(' ', ".")
        ))?;
        let (sealed, index) = addresses::sealed(vault, &key, &email)?;
        users::ActiveModel {
            id: Set(id.clone()),
            email: Set(sealed),
            email_index: Set(Some(index)),
            display_name: Set(name.to_owned()),
            display_name_key: Set(migration::name_key::name_key(name)),
            password_hash: Set(hash.clone()),
            timezone: Set("Europe/London".into()),
            country: Set(None),
            is_admin: Set(false),
            created_at: Set(now()),
            updated_at: Set(now()),
        }
        .insert(db)
        .await?;
        vault.store(db, &key).await?;
        // Services act for a signed-in viewer; the demo gives each person a session of their own.
        let session_id = SessionId::generate();
        sessions::ActiveModel {
            id: Set(session_id.clone()),
            user_id: Set(id.clone()),
            created_at: Set(now()),
            last_refreshed_at: Set(now()),
            expires_at: Set(now()),
            revoked_at: Set(Some(now())),
            revoked_reason: Set(Some("demo".into())),
        }
        .insert(db)
        .await?;
        people.push(Viewer {
            user_id: id,
            session_id,
        });
    }
    let limiter = RateLimiter::in_memory();
    let counts = crate::posts::reply_counts::ReplyCounts::default();
    let limits = PostingLimits {
        posts_per_hour: u32::MAX,
        replies_per_hour: u32::MAX,
        questions_per_hour: u32::MAX,
    };
    let groups_to_make = [
        (
            "Living with Depression",
            "A peer-led space to share the hard days and the better ones.",
            Topic::Depression,
            Visibility::Public,
            LedBy::Peer,
        ),
        (
            "Anxiety Toolbox",
            "Techniques that help, led by a licensed therapist.",
            Topic::Anxiety,
            Visibility::Public,
            LedBy::Professional,
        ),
        (
            "Caregivers' Corner",
            "For people caring for a loved one. Join requests are approved by moderators.",
            Topic::Caregivers,
            Visibility::Private,
            LedBy::Peer,
        ),
        (
            "After a Loss",
            "A small invite-only grief circle.",
            Topic::Grief,
            Visibility::Hidden,
            LedBy::Peer,
        ),
    ];
    for (i, (name, description, topic, visibility, led_by)) in
        groups_to_make.into_iter().enumerate()
    {
        let owner = &people[if led_by == LedBy::Professional {
            4
        } else {
            i % 4
        }];
        let group = groups::create_group(
            db,
            owner,
            NewGroup {
                name: name.into(),
                description: description.into(),
                topic,
                tags: vec!["demo".into()],
                visibility,
                led_by,
                rules: "Be kind. No advice unless asked. What is shared here stays here.".into(),
            },
        )
        .await?;
        let members: Vec<&Viewer> = people
            .iter()
            .filter(|p| p.user_id != owner.user_id)
            .take(4)
            .collect();
        for member in &members {
            match visibility {
                Visibility::Hidden => {
                    invites::invite_member(db, owner, &group.id, &member.user_id).await?;
                    let _ = memberships::join_group(db, member, &group.id).await?;
                }
                Visibility::Private => {
                    let _ = memberships::join_group(db, member, &group.id).await?;
                    let _ = memberships::decide_join_request(
                        db,
                        owner,
                        &group.id,
                        &member.user_id,
                        true,
                    )
                    .await?;
                }
                Visibility::Public => {
                    let _ = memberships::join_group(db, member, &group.id).await?;
                }
            }
        }
        for (n, author) in members.iter().enumerate().take(3) {
            let post = posts::create_post(
                db,
                &limiter,
                limits,
                author,
                NewPost {
                    group_id: group.id.clone(),
                    anonymous: false,
                    title: format!("Week {} check-in", n + 1),
                    body:
                        "Some days are heavier than others. How is everyone holding up this week?"
                            .into(),
                    content_warning: None,
                    idempotency_key: None,
                },
            )
            .await?
            .row;
            let first = replies::create_reply(
                db,
                &counts,
                &limiter,
                limits,
                owner,
                NewReply {
                    post_id: post.id.clone(),
                    body: "Thank you for sharing. You are not alone here.".into(),
                    parent_reply_id: None,
                    idempotency_key: None,
                    anonymous: None,
                },
            )
            .await?;
            let replier = members[(n + 1) % members.len()];
            let _ = replies::create_reply(
                db,
                &counts,
                &limiter,
                limits,
                replier,
                NewReply {
                    post_id: post.id.clone(),
                    body: "Same here. Small steps.".into(),
                    parent_reply_id: Some(first.row.id),
                    idempotency_key: None,
                    anonymous: None,
                },
            )
            .await?;
            let _ = reactions::react(
                db,
                replier,
                ContentType::Post,
                post.id.as_str(),
                ReactionKind::Support,
            )
            .await?;
        }
        if let Some((title, frequency, zone)) = meeting_of(i) {
            schedule_demo_meeting(db, owner, &group.id, &members, title, frequency, zone).await?;
        }
    }
    tracing::info!(people = PEOPLE.len(), "demo data created");
    Ok(true)
}

/// The demo sign-ins, for the README and the command's output.
pub fn credentials() -> Vec<String> {
    PEOPLE
        .iter()
        .map(|name| {
            format!(
                "{}@demo.hearth.invalid",
                name.to_lowercase().replace(' ', ".")
            )
        })
        .collect()
}
