//! Whether a push may still go out, asked again when it is sent rather than when it was written:
//! between the two the person may have left the group, been banned, blocked the one who acted,
//! lost sight of a group made hidden, or the words may be gone. Quiet hours and retries make
//! that gap minutes or hours long. The rules are the read paths' own
//! (`groups::access::GroupAccess`), read for a whole claim in a few statements.
use super::message::{first_words, Preview};
use crate::community::access::{admins_among, blocked_pairs, standings, GroupAccess};
use crate::content::{is_listed_post, is_listed_reply};
use crate::error::AppResult;
use crate::ids::{AnswerId, GroupId, MeetingId, PostId, QuestionId, ReplyId, UserId};
use crate::notifications::service::NotificationKind;
use crate::questions::answers::is_listed as answer_listed;
use crate::questions::service::is_listed as question_listed;
use entity::enums::{MeetingStatus, RsvpStatus};
use entity::{answers, meeting_rsvps, meetings, notifications, posts, questions, replies};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::{HashMap, HashSet};

/// What may become of one notification's push now.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It may go out (its preview, if the person asked for one, is [`Recheck::preview`]).
    Send,
    /// The person may no longer hear of it; the reason is recorded with the job.
    Drop(&'static str),
}

/// What the notifications of one claim are about, as it stands now.
pub struct Recheck {
    standings: HashMap<(GroupId, UserId), GroupAccess>,
    blocked: HashSet<(UserId, UserId)>,
    /// The platform's admins among those told of crisis words outside any group.
    admins: HashSet<UserId>,
    posts: HashMap<PostId, posts::Model>,
    replies: HashMap<ReplyId, replies::Model>,
    questions: HashMap<QuestionId, questions::Model>,
    answers: HashMap<AnswerId, answers::Model>,
    meetings: HashMap<MeetingId, meetings::Model>,
    /// Each person's answer for the meetings of the claim.
    rsvps: HashMap<(MeetingId, UserId), RsvpStatus>,
}

impl Recheck {
    pub async fn load<'a>(
        db: &impl ConnectionTrait,
        notifications: impl Iterator<Item = &'a notifications::Model> + Clone,
    ) -> AppResult<Self> {
        let pairs: HashSet<(GroupId, UserId)> = notifications
            .clone()
            .filter_map(|n| Some((n.group_id.clone()?, n.user_id.clone())))
            .collect();
        let people: HashSet<(UserId, UserId)> = notifications
            .clone()
            .filter_map(|n| Some((n.user_id.clone(), n.actor_id.clone()?)))
            .collect();
        let admins = admins_among(
            db,
            notifications
                .clone()
                .filter(|n| n.group_id.is_none() && n.kind == NotificationKind::CrisisFlag)
                .map(|n| &n.user_id)
                .collect(),
        )
        .await?;
        let post_ids: HashSet<&PostId> = notifications
            .clone()
            .filter_map(|n| n.post_id.as_ref())
            .collect();
        let reply_ids: HashSet<&ReplyId> = notifications
            .clone()
            .filter_map(|n| n.reply_id.as_ref())
            .collect();
        let question_ids: HashSet<&QuestionId> = notifications
            .clone()
            .filter_map(|n| n.question_id.as_ref())
            .collect();
        let answer_ids: HashSet<&AnswerId> = notifications
            .clone()
            .filter_map(|n| n.answer_id.as_ref())
            .collect();
        let meeting_ids: HashSet<&MeetingId> = notifications
            .filter_map(|n| n.meeting_id.as_ref())
            .collect();
        let rsvps = if meeting_ids.is_empty() {
            HashMap::new()
        } else {
            meeting_rsvps::Entity::find()
                .filter(meeting_rsvps::Column::MeetingId.is_in(meeting_ids.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|r| ((r.meeting_id, r.user_id), r.status))
                .collect()
        };
        Ok(Recheck {
            standings: standings(db, &pairs).await?,
            blocked: blocked_pairs(db, &people).await?,
            admins,
            posts: by_id::<posts::Entity, _>(
                db,
                posts::Column::Id,
                post_ids,
                |p: &posts::Model| p.id.clone(),
            )
            .await?,
            replies: by_id::<replies::Entity, _>(
                db,
                replies::Column::Id,
                reply_ids,
                |r: &replies::Model| r.id.clone(),
            )
            .await?,
            questions: by_id::<questions::Entity, _>(
                db,
                questions::Column::Id,
                question_ids,
                |q: &questions::Model| q.id.clone(),
            )
            .await?,
            answers: by_id::<answers::Entity, _>(
                db,
                answers::Column::Id,
                answer_ids,
                |a: &answers::Model| a.id.clone(),
            )
            .await?,
            meetings: by_id::<meetings::Entity, _>(
                db,
                meetings::Column::Id,
                meeting_ids,
                |m: &meetings::Model| m.id.clone(),
            )
            .await?,
            rsvps,
        })
    }

    /// Whether the person of `n` may still hear of it.
    pub fn verdict(&self, n: &notifications::Model) -> Verdict {
        let kind = n.kind;
        // A moderator's action is told to the person it was taken against, though their
        // membership ended (a ban ends it) and the item is gone (a removal); but not from a
        // group that is hidden from them now, whose id the push would carry.
        let about_them = kind == NotificationKind::Moderation;
        if let Some(actor) = &n.actor_id {
            if self.blocked.contains(&(n.user_id.clone(), actor.clone())) {
                return Verdict::Drop("a block stands between them");
            }
        }
        if let Some(group) = &n.group_id {
            let Some(access) = self.standings.get(&(group.clone(), n.user_id.clone())) else {
                return Verdict::Drop("the group is gone");
            };
            if !access.can_see_group() {
                return Verdict::Drop("no longer sees the group");
            }
            let allowed = match kind {
                NotificationKind::Reply
                | NotificationKind::ThreadReply
                | NotificationKind::Reaction
                | NotificationKind::NewPost
                | NotificationKind::JoinApproved => access.is_member() && !access.banned,
                NotificationKind::CrisisFlag | NotificationKind::JoinRequest => {
                    access.is_moderator() || access.admin
                }
                NotificationKind::Answer
                | NotificationKind::ExpertAnswer
                | NotificationKind::AnswerAccepted
                | NotificationKind::QuestionReminder => access.can_read_content(),
                NotificationKind::Moderation | NotificationKind::MoodReminder => true,
                NotificationKind::MeetingReminder
                | NotificationKind::MeetingCancelled
                | NotificationKind::MeetingMoved
                | NotificationKind::MeetingPlace => access.is_member() && !access.banned,
            };
            if !allowed {
                return Verdict::Drop("no longer in the group");
            }
        } else if kind == NotificationKind::CrisisFlag && !self.admin_of_platform(n) {
            // Outside any group, only the platform's admins are told of crisis words.
            return Verdict::Drop("no longer an admin");
        }
        if !about_them && !self.still_there(n) {
            return Verdict::Drop("what it was about is gone");
        }
        if let Some(why) = self.meeting_changed(n) {
            return Verdict::Drop(why);
        }
        Verdict::Send
    }

    /// Why a push about a meeting should no longer go: the meeting is gone, cancelled or over
    /// (a cancellation is told all the same), or the person no longer answers as the push
    /// assumes.
    fn meeting_changed(&self, n: &notifications::Model) -> Option<&'static str> {
        let id = n.meeting_id.as_ref()?;
        let Some(meeting) = self.meetings.get(id) else {
            return Some("the meeting is gone");
        };
        if n.kind == NotificationKind::MeetingCancelled {
            return None;
        }
        if meeting.status != MeetingStatus::Scheduled || meeting.ends_at <= chrono::Utc::now() {
            return Some("the meeting was cancelled or is over");
        }
        let answer = self.rsvps.get(&(id.clone(), n.user_id.clone())).copied();
        let still = match n.kind {
            NotificationKind::MeetingReminder => {
                matches!(answer, Some(RsvpStatus::Going | RsvpStatus::Maybe))
            }
            NotificationKind::MeetingPlace => answer == Some(RsvpStatus::Going),
            _ => matches!(
                answer,
                Some(RsvpStatus::Going | RsvpStatus::Maybe | RsvpStatus::Waitlisted)
            ),
        };
        (!still).then_some("no longer coming to the meeting")
    }

    /// A crisis flag outside a group went to the admins; one who is no longer an admin is not told.
    fn admin_of_platform(&self, n: &notifications::Model) -> bool {
        self.admins.contains(&n.user_id)
    }

    /// Whether every item the notification names is still listed.
    fn still_there(&self, n: &notifications::Model) -> bool {
        let post = n
            .post_id
            .as_ref()
            .map(|id| self.posts.get(id).is_some_and(is_listed_post));
        let reply = n
            .reply_id
            .as_ref()
            .map(|id| self.replies.get(id).is_some_and(is_listed_reply));
        let question = n
            .question_id
            .as_ref()
            .map(|id| self.questions.get(id).is_some_and(question_listed));
        let answer = n
            .answer_id
            .as_ref()
            .map(|id| self.answers.get(id).is_some_and(answer_listed));
        [post, reply, question, answer]
            .into_iter()
            .all(|there| there.unwrap_or(true))
    }

    /// The group's name and the first words of the reply (or the post's title), for a person who
    /// asked for previews: only what they may read now, of a notification [`Self::verdict`] let
    /// through.
    pub fn preview(&self, n: &notifications::Model) -> Option<Preview> {
        let access = self
            .standings
            .get(&(n.group_id.clone()?, n.user_id.clone()))?;
        if !access.can_read_content() {
            return None;
        }
        let text = match (&n.reply_id, &n.post_id) {
            (Some(reply), _) => self
                .replies
                .get(reply)
                .filter(|r| is_listed_reply(r))
                .map(|r| r.body.as_str()),
            (None, Some(post)) => self
                .posts
                .get(post)
                .filter(|p| is_listed_post(p))
                .map(|p| p.title.as_str()),
            _ => None,
        }?;
        Some(Preview {
            group_name: access.group.name.clone(),
            first_words: first_words(text, 80),
        })
    }
}

/// The rows of `ids`, by id.
async fn by_id<E, K>(
    db: &impl ConnectionTrait,
    column: E::Column,
    ids: HashSet<&K>,
    key: impl Fn(&E::Model) -> K,
) -> AppResult<HashMap<K, E::Model>>
where
    E: EntityTrait,
    K: std::hash::Hash + Eq + Clone + Into<sea_orm::Value>,
{
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(E::find()
        .filter(column.is_in(ids.into_iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (key(&row), row))
        .collect())
}
