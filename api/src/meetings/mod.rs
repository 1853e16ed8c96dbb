//! Meetings of a group: a series says when the group meets (a wall-clock time in its own time
//! zone, and how often); its meetings are written a year ahead; members say whether they are
//! coming (a full meeting keeps a waitlist); reminders go through the push pipeline; each
//! person may have a private calendar feed of the meetings they are going to.
//!
//! Only the group's active members who are not banned see anything of its meetings.
pub mod access;
pub mod attendance;
pub mod calendar;
pub mod ical;
pub mod occurrences;
pub mod recurrence;
pub mod reminders;
pub mod rows;
pub mod series;
pub mod telling;
