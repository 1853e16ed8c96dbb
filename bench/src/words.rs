//! Seeded text with real variety, so full-text search works as it would on people's words: a
//! vocabulary of 130 common words of the field and 8 000 rarer made-up ones, drawn as words are
//! in real text (Zipf: rarer words are many, each seldom).
use rand::Rng;

const WORDS: &[&str] = &[
    "anxiety",
    "sleep",
    "night",
    "panic",
    "work",
    "family",
    "grief",
    "loss",
    "father",
    "mother",
    "sister",
    "brother",
    "friend",
    "lonely",
    "tired",
    "numb",
    "medication",
    "sertraline",
    "therapy",
    "therapist",
    "doctor",
    "appointment",
    "exam",
    "school",
    "university",
    "job",
    "interview",
    "money",
    "debt",
    "rent",
    "moving",
    "city",
    "winter",
    "summer",
    "morning",
    "evening",
    "weekend",
    "holiday",
    "birthday",
    "christmas",
    "anniversary",
    "wedding",
    "divorce",
    "breakup",
    "partner",
    "children",
    "baby",
    "pregnancy",
    "parenting",
    "teenager",
    "caring",
    "dementia",
    "cancer",
    "diagnosis",
    "pain",
    "fatigue",
    "illness",
    "hospital",
    "recovery",
    "relapse",
    "drinking",
    "sober",
    "gambling",
    "smoking",
    "eating",
    "weight",
    "body",
    "mirror",
    "exercise",
    "walking",
    "running",
    "yoga",
    "breathing",
    "meditation",
    "journal",
    "music",
    "reading",
    "garden",
    "dog",
    "cat",
    "nature",
    "beach",
    "rain",
    "sunshine",
    "hope",
    "fear",
    "anger",
    "shame",
    "guilt",
    "worry",
    "stress",
    "burnout",
    "motivation",
    "energy",
    "routine",
    "habits",
    "goals",
    "progress",
    "setback",
    "small",
    "win",
    "bad",
    "day",
    "week",
    "month",
    "year",
    "talking",
    "listening",
    "support",
    "group",
    "online",
    "phone",
    "messages",
    "social",
    "crowds",
    "shopping",
    "cooking",
    "cleaning",
    "bed",
    "dreams",
    "nightmares",
    "memories",
    "trauma",
    "flashbacks",
    "triggers",
];

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ren", "sa", "to", "vel", "di", "mor", "na", "pe", "ru", "sil", "ta", "vo",
    "bri", "cal", "den", "fo", "gar",
];

/// The word of a rank: the field's words first, then made-up ones of three syllables.
fn word(rank: usize) -> String {
    match WORDS.get(rank) {
        Some(word) => (*word).to_owned(),
        None => {
            let n = rank - WORDS.len();
            let s = SYLLABLES.len();
            [n / (s * s), (n / s) % s, n % s]
                .iter()
                .map(|i| SYLLABLES[i % s])
                .collect()
        }
    }
}

/// `n` words drawn from the vocabulary, space-separated.
pub fn phrase(rng: &mut impl Rng, n: usize) -> String {
    // Log-uniform ranks over a head-flattened vocabulary (Zipf-Mandelbrot, exponent 1): the most
    // common word is about one word in 200, as a field's commonest content words are once stop
    // words are gone.
    const FLATTEN: f64 = 20.0;
    let vocabulary = (WORDS.len() + SYLLABLES.len().pow(3)) as f64;
    (0..n)
        .map(|_| {
            let (low, high) = ((1.0 + FLATTEN).ln(), (vocabulary + FLATTEN).ln());
            let scaled = rng.random_range(low..high).exp();
            word(scaled as usize - 1 - FLATTEN as usize)
        })
        .collect::<Vec<_>>()
        .join(" ")
}
