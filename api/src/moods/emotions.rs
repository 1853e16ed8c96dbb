//! The emotion vocabulary a check-in may name. Stored by name, comma-separated.
use async_graphql::{Enum, SimpleObject};

/// A word for how I feel, named in a check-in.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Emotion {
    Anxious,
    Calm,
    Hopeful,
    Lonely,
    Sad,
    Angry,
    Tired,
    Grateful,
    Content,
    Overwhelmed,
    Stressed,
    Irritable,
    Numb,
    Ashamed,
    Scared,
    Joyful,
    Motivated,
    Connected,
}

impl Emotion {
    pub const ALL: [Emotion; 18] = [
        Emotion::Anxious,
        Emotion::Calm,
        Emotion::Hopeful,
        Emotion::Lonely,
        Emotion::Sad,
        Emotion::Angry,
        Emotion::Tired,
        Emotion::Grateful,
        Emotion::Content,
        Emotion::Overwhelmed,
        Emotion::Stressed,
        Emotion::Irritable,
        Emotion::Numb,
        Emotion::Ashamed,
        Emotion::Scared,
        Emotion::Joyful,
        Emotion::Motivated,
        Emotion::Connected,
    ];

    /// The word an app shows.
    pub fn label(self) -> &'static str {
        match self {
            Emotion::Anxious => "anxious",
            Emotion::Calm => "calm",
            Emotion::Hopeful => "hopeful",
            Emotion::Lonely => "lonely",
            Emotion::Sad => "sad",
            Emotion::Angry => "angry",
            Emotion::Tired => "tired",
            Emotion::Grateful => "grateful",
            Emotion::Content => "content",
            Emotion::Overwhelmed => "overwhelmed",
            Emotion::Stressed => "stressed",
            Emotion::Irritable => "irritable",
            Emotion::Numb => "numb",
            Emotion::Ashamed => "ashamed",
            Emotion::Scared => "scared",
            Emotion::Joyful => "joyful",
            Emotion::Motivated => "motivated",
            Emotion::Connected => "connected",
        }
    }

    fn from_label(label: &str) -> Option<Emotion> {
        Emotion::ALL.into_iter().find(|e| e.label() == label)
    }

    /// The stored form of a set of emotions: distinct, in vocabulary order.
    pub fn store(emotions: &[Emotion]) -> String {
        let mut sorted = emotions.to_vec();
        sorted.sort();
        sorted.dedup();
        sorted
            .iter()
            .map(|e| e.label())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn load(stored: &str) -> Vec<Emotion> {
        stored.split(',').filter_map(Emotion::from_label).collect()
    }
}

/// One word of the vocabulary, for pickers.
#[derive(SimpleObject)]
pub struct MoodEmotion {
    /// The value to send in `emotions`.
    pub value: Emotion,
    /// The word to show, in lower case, e.g. "anxious".
    pub label: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emotions_round_trip_through_storage() {
        let stored = Emotion::store(&[Emotion::Tired, Emotion::Calm, Emotion::Tired]);
        assert_eq!(stored, "calm,tired");
        assert_eq!(Emotion::load(&stored), vec![Emotion::Calm, Emotion::Tired]);
        assert_eq!(Emotion::load(""), vec![]);
    }
}
