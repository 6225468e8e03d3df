//! What a patient's reply means: confirm, cancel, reschedule, stop, start,
//! help or other. Letter case, white space, punctuation around words,
//! repeated letters ("yesss") and apostrophes ("can't", "cant") don't
//! matter. The first rule that matches decides:
//!
//! | # | rule | examples | classification |
//! | --- | --- | --- | --- |
//! | 1 | the whole reply is one carrier opt-out keyword: STOP, STOPALL, UNSUBSCRIBE, **CANCEL**, END, QUIT, OPTOUT, REVOKE | `STOP`, `Cancel.`, `end!` | Stop |
//! | 2 | any other way of asking for no more messages | `stop please`, `Please stop`, `Stop texting me`, `unsubscribe me`, `opt me out` | Stop |
//! | 3 | the whole reply (courtesy aside) is START, UNSTOP, OPTIN or RESUBSCRIBE | `Start please` | Start |
//! | 4 | the whole reply (courtesy aside) is HELP or INFO | `help?` | Help |
//! | 5 | asks for another time | `need to reschedule`, `move my appointment`, `can we do another day` | Reschedule |
//! | 6 | says they won't come | `cancel my appointment`, `please cancel`, `can't make it`, `won't be there` | Cancel |
//! | 7 | the first sentence says yes, and is not a question and has no "but" | `Y.`, `Yes!`, `yes thanks`, `Yes, see you then`, `👍`, `ok`, `confirmed thank you`, `I'll be there` | Confirm |
//! | 8 | anything else | `yesterday`, `no`, `y?`, `thanks`, `what time?` | Other |
//!
//! Judgements, in the order of the rules:
//! - **A bare `CANCEL` is Stop.** Twilio (and Telnyx, Braze, AWS) treat a
//!   reply that is exactly one of the opt-out keywords as an opt-out: the
//!   number is blocked at the provider, and every later message to it fails
//!   (Twilio 21610) until the patient texts START. Our record must agree
//!   with the provider's, so it is Stop here, even though a patient
//!   answering a reminder with "Cancel" probably meant the appointment too:
//!   whoever acts on a Stop should show staff the reply, so someone calls.
//!   The providers only match a one-word reply ("STOP PLEASE" and "PLEASE
//!   CANCEL" don't opt out), so `cancel please`, `please cancel` and
//!   `cancel my appointment` are Cancel, which we can still answer.
//! - **Any clear request for no more messages is Stop**, though no provider
//!   blocks it: `stop please`, `please stop`, a reply that starts or ends
//!   with STOP, STOP followed by what to stop (`stop texting me`,
//!   `stop the reminders`), `unsubscribe`, `opt me out`, `don't text me`,
//!   `no more messages`, `remove me from your list`. An opt-out must be
//!   honoured however it is worded; a wrong one is undone by START.
//! - **YES is Confirm, never Start**, although Twilio also treats YES as an
//!   opt-in: a "yes" from a number that opted out re-subscribes it at
//!   Twilio while we still hold the opt-out. (We don't message opted-out
//!   numbers, so such a "yes" is rare.)
//! - **Reschedule wins over Cancel** when a reply says both (`can't make
//!   it, can we reschedule?`): a reschedule means the slot is freed and the
//!   patient still wants to come, and staff act on both by offering a time.
//! - A cancel or reschedule word right after a negation is not one:
//!   `no need to reschedule`, `don't cancel`. Phrases are read within a
//!   clause, so `No, need to reschedule` is still Reschedule.
//! - **`ok`, `okay`, `k`, `sure` confirm.** People answer "Reply Y to
//!   confirm" with "ok" and mean yes; the automation acts on Confirm only
//!   while a booking is being reminded, and a wrong confirmation only skips
//!   a confirmation call, where a missed one has staff phone someone who
//!   already said yes. A bare `thanks`, `great`
//!   or `perfect` acknowledges the message without saying yes: Other.
//! - **Confirm is read from the first sentence only**, so
//!   `Yes. Can I bring my husband?` confirms while `y?`, `yes?` and
//!   `yes but can I come later?` (a question, a "but") don't.
//! - **`no` is Other**: answering "Reply Y to confirm" with no may mean
//!   cancel or only "no call needed"; staff read it.
//! - A reply that matches a Stop rule and another is Stop: an opt-out wins
//!   (`yes stop`, `Stop. Cancel my appointment`).
//! - `wrong number` is Other: staff should correct the contact, not only
//!   stop messaging the number.
//!
//! Only English is read. Anything not understood is Other, for staff.

/// What a reply means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Classification {
    Confirm,
    Cancel,
    Reschedule,
    /// Opt out of all messages.
    Stop,
    /// Opt back in.
    Start,
    Help,
    Other,
}

impl Classification {
    #[cfg(test)]
    pub(crate) const ALL: [Classification; 7] = [
        Classification::Confirm,
        Classification::Cancel,
        Classification::Reschedule,
        Classification::Stop,
        Classification::Start,
        Classification::Help,
        Classification::Other,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Classification::Confirm => "confirm",
            Classification::Cancel => "cancel",
            Classification::Reschedule => "reschedule",
            Classification::Stop => "stop",
            Classification::Start => "start",
            Classification::Help => "help",
            Classification::Other => "other",
        }
    }
}

/// What `body` means (the rules in the module docs).
pub(crate) fn classify(body: &str) -> Classification {
    let reply = Reply::read(body);
    let words = reply.words();
    if asks_to_stop(&reply, &words) {
        return Classification::Stop;
    }
    let core = without_courtesy(&words);
    if let [only] = core {
        if START.contains(only) {
            return Classification::Start;
        }
        if HELP.contains(only) {
            return Classification::Help;
        }
    }
    if reply.clauses().any(asks_to_reschedule) {
        return Classification::Reschedule;
    }
    if reply.clauses().any(asks_to_cancel) {
        return Classification::Cancel;
    }
    if confirms(&reply) {
        return Classification::Confirm;
    }
    Classification::Other
}

/// Opt-out keywords the providers act on when they are the whole reply.
const CARRIER_OPT_OUT: &[&str] = &[
    "stop",
    "stopall",
    "unsubscribe",
    "cancel",
    "end",
    "quit",
    "optout",
    "revoke",
];
/// Those that mean opt out with courtesy around them too (not "cancel").
const OPT_OUT: &[&str] = &[
    "stop",
    "stopall",
    "unsubscribe",
    "unsub",
    "end",
    "quit",
    "optout",
    "revoke",
];
/// What may follow STOP: the messages to stop.
const MESSAGES: &[&str] = &[
    "texting",
    "texts",
    "text",
    "txt",
    "txts",
    "txting",
    "messaging",
    "messages",
    "message",
    "msgs",
    "msg",
    "sms",
    "sending",
    "contacting",
    "receiving",
    "getting",
    "reminders",
    "these",
    "them",
    "this",
];
/// Asking for no more messages, in other words.
const STOP_PHRASES: &[&[&str]] = &[
    &["opt", "me", "out"],
    &["dont", "text"],
    &["dont", "message"],
    &["dont", "contact"],
    &["dont", "send"],
    &["no", "more", "texts"],
    &["no", "more", "messages"],
    &["no", "more", "msgs"],
    &["remove", "me"],
    &["take", "me", "off"],
    &["leave", "me", "alone"],
];
const START: &[&str] = &["start", "unstop", "optin", "resubscribe"];
const HELP: &[&str] = &["help", "info"];
/// Words around a keyword that don't change it.
const COURTESY: &[&str] = &[
    "please", "pls", "plz", "thanks", "thankyou", "thx", "ty", "ta", "cheers", "now", "just",
];

const RESCHEDULE: &[&str] = &[
    "reschedule",
    "rescheduling",
    "rescheduled",
    "reshedule",
    "resched",
    "rebook",
    "rebooking",
    "rebooked",
    "postpone",
    "postponing",
    "postponed",
];
/// "move my appointment", "change it", "push the time back".
const MOVE: &[&str] = &["move", "change", "shift", "push", "swap", "switch", "bring"];
const MOVED: &[&str] = &[
    "appointment",
    "appointments",
    "appt",
    "booking",
    "time",
    "day",
    "date",
    "it",
];
/// "another time", "a later day", "a new appointment".
const OTHER_SLOT: &[&str] = &["another", "different", "later", "earlier", "new"];
const SLOT: &[&str] = &["time", "day", "date", "appointment", "appt", "slot", "booking"];

const CANCEL: &[&str] = &[
    "cancel",
    "cancelled",
    "canceled",
    "cancelling",
    "canceling",
    "cancellation",
    "cancelation",
];
/// "can't make it", "won't be able to come", "unable to attend".
const CANT: &[&str] = &["cant", "cannot", "unable", "wont", "couldnt"];
const ATTEND: &[&str] = &["make", "come", "coming", "attend", "attending", "there", "go", "going"];
/// "not coming", "not going to make it".
const NOT_ATTEND: &[&str] = &["coming", "attending", "make"];
/// Before a cancel or reschedule word, these undo it.
const NEGATION: &[&str] = &["dont", "not", "no", "never", "didnt", "doesnt", "wont", "without"];

const CONFIRM: &[&str] = &[
    "y",
    "yes",
    "yep",
    "yeah",
    "yea",
    "yup",
    "ya",
    "yah",
    "yas",
    "confirm",
    "confirmed",
    "confirming",
    "ok",
    "okay",
    "okey",
    "okie",
    "k",
    "sure",
    "absolutely",
    "definitely",
    "certainly",
];
const CONFIRM_EMOJI: &[&str] = &["👍", "👌", "✅", "✔", "☑", "🆗"];
const CONFIRM_PHRASES: &[&[&str]] = &[
    &["see", "you"],
    &["see", "ya"],
    &["ill", "be", "there"],
    &["i", "will", "be", "there"],
    &["will", "be", "there"],
    &["be", "there"],
    &["i", "can", "make", "it"],
    &["can", "make", "it"],
    &["ill", "make", "it"],
    &["i", "will", "make", "it"],
    &["will", "do"],
    &["of", "course"],
    &["sounds", "good"],
    &["all", "good"],
    &["i", "confirm"],
    &["im", "coming"],
    &["i", "am", "coming"],
    &["looking", "forward"],
];
/// Words before a yes that don't change it: "Hi, yes", "Great, see you then".
const GREETING: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "thanks",
    "thankyou",
    "thx",
    "ty",
    "ta",
    "cheers",
    "great",
    "perfect",
    "awesome",
    "cool",
    "lovely",
    "excellent",
    "wonderful",
    "brilliant",
    "fantastic",
    "oh",
    "ah",
    "um",
];
/// A yes with one of these in its sentence is a conditional yes.
const BUT: &[&str] = &["but", "however", "although", "though", "unless", "except"];

fn asks_to_stop(reply: &Reply, words: &[&str]) -> bool {
    if let [only] = words
        && CARRIER_OPT_OUT.contains(only)
    {
        return true;
    }
    let core = without_courtesy(words);
    if !core.is_empty() && core.iter().all(|w| OPT_OUT.contains(w)) {
        return true;
    }
    let stop = |w: &&str| matches!(*w, "stop" | "stopall");
    if core.first().is_some_and(stop) || core.last().is_some_and(stop) {
        return true;
    }
    if words.iter().any(|w| matches!(*w, "unsubscribe" | "unsub" | "optout")) {
        return true;
    }
    reply.clauses().any(|clause| {
        let words: Vec<&str> = clause.iter().map(String::as_str).collect();
        words
            .iter()
            .enumerate()
            .any(|(i, w)| *w == "stop" && words.iter().skip(i + 1).take(2).any(|next| MESSAGES.contains(next)))
            || STOP_PHRASES.iter().any(|phrase| contains(&words, phrase))
    })
}

fn asks_to_reschedule(clause: &[String]) -> bool {
    let words: Vec<&str> = clause.iter().map(String::as_str).collect();
    words.iter().enumerate().any(|(i, w)| {
        let asked = RESCHEDULE.contains(w)
            || (MOVE.contains(w) && words.iter().skip(i + 1).take(3).any(|o| MOVED.contains(o)))
            || (OTHER_SLOT.contains(w) && words.get(i + 1).is_some_and(|o| SLOT.contains(o)));
        asked && !negated(&words, i)
    })
}

fn asks_to_cancel(clause: &[String]) -> bool {
    let words: Vec<&str> = clause.iter().map(String::as_str).collect();
    words.iter().enumerate().any(|(i, w)| {
        let after = |n: usize, wanted: &[&str]| {
            let mut next = words.iter().skip(i + 1).take(n);
            // "can't wait to come" is keen, not cancelling.
            words.get(i + 1) != Some(&"wait") && next.any(|o| wanted.contains(o))
        };
        (CANCEL.contains(w) && !negated(&words, i))
            || (CANT.contains(w) && after(4, ATTEND))
            || (*w == "not" && after(3, NOT_ATTEND))
    })
}

/// Whether one of the three words before `words[i]` negates it.
fn negated(words: &[&str], i: usize) -> bool {
    words[i.saturating_sub(3)..i].iter().any(|w| NEGATION.contains(w))
}

fn confirms(reply: &Reply) -> bool {
    let Some(first) = reply.sentences.first() else {
        return false;
    };
    if first.question || first.tokens().any(|t| BUT.contains(&t)) {
        return false;
    }
    let tokens: Vec<&str> = first
        .tokens()
        .skip_while(|t| GREETING.contains(t) || (is_emoji(t) && !CONFIRM_EMOJI.contains(t)))
        .collect();
    let Some(head) = tokens.first() else {
        return false;
    };
    CONFIRM.contains(&squeeze(head).as_str())
        || CONFIRM_EMOJI.contains(head)
        || CONFIRM_PHRASES.iter().any(|phrase| tokens.starts_with(phrase))
}

/// `words` less courtesy at either end: "stop please" is "stop".
fn without_courtesy<'a, 'w>(words: &'a [&'w str]) -> &'a [&'w str] {
    let start = words.iter().position(|w| !COURTESY.contains(w)).unwrap_or(words.len());
    let end = words
        .iter()
        .rposition(|w| !COURTESY.contains(w))
        .map_or(start, |i| i + 1);
    &words[start..end.max(start)]
}

fn contains(words: &[&str], phrase: &[&str]) -> bool {
    words.windows(phrase.len()).any(|w| w == phrase)
}

/// Runs of one letter as one: "yesss" is "yes", "kk" is "k".
fn squeeze(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut last = None;
    for c in word.chars() {
        if last != Some(c) {
            out.push(c);
        }
        last = Some(c);
    }
    out
}

fn is_emoji(token: &str) -> bool {
    token.chars().next().is_some_and(|c| !c.is_alphanumeric())
}

/// A reply read into sentences (ended by `.`, `!`, `?` or a line break),
/// each into clauses (split at `,`, `;`, a dash, …), each into tokens:
/// lower-case words, and symbols such as emoji one by one.
#[derive(Debug, Default)]
struct Reply {
    sentences: Vec<Sentence>,
}

#[derive(Debug, Default)]
struct Sentence {
    clauses: Vec<Vec<String>>,
    /// Ended with a question mark.
    question: bool,
}

impl Sentence {
    fn tokens(&self) -> impl Iterator<Item = &str> {
        self.clauses.iter().flatten().map(String::as_str)
    }
}

impl Reply {
    fn read(body: &str) -> Reply {
        let chars: Vec<char> = body.chars().flat_map(char::to_lowercase).collect();
        let mut reader = Reader::default();
        for (i, &c) in chars.iter().enumerate() {
            let between_letters =
                i > 0 && chars[i - 1].is_alphanumeric() && chars.get(i + 1).is_some_and(|next| next.is_alphanumeric());
            if c.is_alphanumeric() {
                reader.word.push(c);
            } else if between_letters && matches!(c, '\'' | '’' | '‘' | '`' | '-' | '‐' | '‑') {
                // "can't" is "cant", "re-book" is "rebook".
            } else if is_modifier(c) {
                // Part of the emoji before it (skin tone, variation, joiner).
            } else {
                reader.end_word();
                match c {
                    '?' | '¿' => {
                        reader.sentence.question = true;
                        reader.end_sentence();
                    }
                    '.' | '!' | '¡' | '\n' | '\r' | '…' => reader.end_sentence(),
                    c if c.is_whitespace() => {}
                    c if is_symbol(c) => reader.clause.push(c.to_string()),
                    _ => reader.end_clause(),
                }
            }
        }
        reader.end_sentence();
        Reply {
            sentences: reader.sentences,
        }
    }

    fn clauses(&self) -> impl Iterator<Item = &[String]> {
        self.sentences.iter().flat_map(|s| s.clauses.iter().map(Vec::as_slice))
    }

    /// Every word, in order, without emoji.
    fn words(&self) -> Vec<&str> {
        self.clauses()
            .flatten()
            .map(String::as_str)
            .filter(|t| !is_emoji(t))
            .collect()
    }
}

#[derive(Debug, Default)]
struct Reader {
    word: String,
    clause: Vec<String>,
    sentence: Sentence,
    sentences: Vec<Sentence>,
}

impl Reader {
    fn end_word(&mut self) {
        if !self.word.is_empty() {
            self.clause.push(std::mem::take(&mut self.word));
        }
    }

    fn end_clause(&mut self) {
        self.end_word();
        if !self.clause.is_empty() {
            let clause = joined(std::mem::take(&mut self.clause));
            self.sentence.clauses.push(clause);
        }
    }

    fn end_sentence(&mut self) {
        self.end_clause();
        let sentence = std::mem::take(&mut self.sentence);
        if !sentence.clauses.is_empty() {
            self.sentences.push(sentence);
        }
    }
}

/// Two words people write for one, made one: "can not" is "cannot".
fn joined(words: Vec<String>) -> Vec<String> {
    const PAIRS: &[(&str, &str, &str)] = &[
        ("can", "not", "cannot"),
        ("will", "not", "wont"),
        ("do", "not", "dont"),
        ("did", "not", "didnt"),
        ("could", "not", "couldnt"),
        ("not", "able", "unable"),
        ("thank", "you", "thankyou"),
        ("stop", "all", "stopall"),
        ("opt", "out", "optout"),
        ("opt", "in", "optin"),
        ("re", "schedule", "reschedule"),
        ("re", "book", "rebook"),
    ];
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for word in words {
        let pair = out
            .last()
            .and_then(|last| PAIRS.iter().find(|(a, b, _)| last == a && word == *b));
        match pair {
            Some((_, _, one)) => {
                out.pop();
                out.push((*one).to_owned());
            }
            None => out.push(word),
        }
    }
    out
}

/// Characters that change the emoji before them rather than stand alone.
fn is_modifier(c: char) -> bool {
    matches!(
        c,
        '\u{fe0e}' | '\u{fe0f}' | '\u{200d}' | '\u{20e3}' | '\u{1f3fb}'..='\u{1f3ff}'
    )
}

/// A symbol kept as a token of its own (emoji, ✔): not ASCII or Latin-1
/// punctuation, not general or CJK punctuation.
fn is_symbol(c: char) -> bool {
    !c.is_ascii()
        && !matches!(c, '\u{80}'..='\u{bf}' | '\u{2000}'..='\u{206f}' | '\u{3000}'..='\u{303f}')
        && !c.is_control()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Classification::*;
    use proptest::prelude::*;

    fn check(cases: &[(&str, Classification)]) {
        let wrong: Vec<String> = cases
            .iter()
            .filter(|(body, expected)| classify(body) != *expected)
            .map(|(body, expected)| format!("{body:?}: {:?}, expected {expected:?}", classify(body)))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn the_specs_confirmation_pattern_confirms() {
        check(&[
            ("y", Confirm),
            ("yes", Confirm),
            ("confirm", Confirm),
            ("confirmed", Confirm),
            ("yep", Confirm),
            ("yeah", Confirm),
            ("Y", Confirm),
            ("YES", Confirm),
            ("  Yeah \n", Confirm),
        ]);
    }

    #[test]
    fn the_ways_people_really_say_yes_confirm() {
        check(&[
            ("Y.", Confirm),
            ("Yes!", Confirm),
            ("yes!!!", Confirm),
            ("Yesss", Confirm),
            ("yes thanks", Confirm),
            ("Yes please", Confirm),
            ("Yes, see you then", Confirm),
            ("Yes. Can I bring my husband?", Confirm),
            ("Yes see you Thursday 😊", Confirm),
            ("confirmed thank you", Confirm),
            ("Confirmed, thanks!", Confirm),
            ("👍", Confirm),
            ("👍🏽", Confirm),
            ("👍👍", Confirm),
            ("👌", Confirm),
            ("✅", Confirm),
            ("✔️", Confirm),
            ("ok", Confirm),
            ("OK.", Confirm),
            ("Okay thanks", Confirm),
            ("k", Confirm),
            ("Sure", Confirm),
            ("Yup", Confirm),
            ("Hi, yes I'll be there", Confirm),
            ("I'll be there", Confirm),
            ("I’ll be there!", Confirm),
            ("Will be there thanks", Confirm),
            ("See you then", Confirm),
            ("Thanks, see you tomorrow", Confirm),
            ("Great, see you then!", Confirm),
            ("Sounds good", Confirm),
            ("yes i can make it", Confirm),
            ("😊 yes", Confirm),
        ]);
    }

    #[test]
    fn near_misses_of_yes_are_not_confirmations() {
        check(&[
            ("yesterday", Other),
            ("no", Other),
            ("No", Other),
            ("nope", Other),
            ("y?", Other),
            ("Yes?", Other),
            ("confirmed?", Other),
            ("yes but can I come later", Other),
            ("Yes, however I might be late", Other),
            ("thanks", Other),
            ("Thank you!", Other),
            ("Perfect, thanks", Other),
            ("what time?", Other),
            ("who is this", Other),
            ("Wrong number", Other),
            ("not sure", Other),
            ("Not sure I can make it", Other),
            ("👎", Other),
            ("😊", Other),
            ("yeast", Other),
            ("okapi", Other),
            ("", Other),
            ("   ", Other),
            ("...", Other),
        ]);
    }

    #[test]
    fn a_bare_carrier_keyword_is_stop_even_cancel() {
        check(&[
            ("STOP", Stop),
            ("stop", Stop),
            ("Stop.", Stop),
            ("STOP!", Stop),
            ("stop?", Stop),
            ("STOPALL", Stop),
            ("stop all", Stop),
            ("UNSUBSCRIBE", Stop),
            ("CANCEL", Stop),
            ("Cancel", Stop),
            ("cancel.", Stop),
            (" cancel\n", Stop),
            ("END", Stop),
            ("Quit", Stop),
            ("OPTOUT", Stop),
            ("opt out", Stop),
            ("opt-out", Stop),
            ("REVOKE", Stop),
        ]);
    }

    #[test]
    fn other_ways_of_opting_out_are_stop() {
        check(&[
            ("stop thanks", Stop),
            ("stop please", Stop),
            ("Please stop", Stop),
            ("STOP STOP STOP", Stop),
            ("stop now", Stop),
            ("Stop texting me", Stop),
            ("please stop sending me these", Stop),
            ("Can you stop the reminders", Stop),
            ("Stop. Wrong number", Stop),
            ("Stop. Cancel my appointment", Stop),
            ("ok stop", Stop),
            ("unsubscribe me", Stop),
            ("Please unsubscribe me from this list", Stop),
            ("opt me out", Stop),
            ("Don't text me again", Stop),
            ("do not contact me", Stop),
            ("No more messages please", Stop),
            ("remove me from your list", Stop),
            ("Take me off this list", Stop),
            ("leave me alone", Stop),
            ("quit please", Stop),
            ("yes stop", Stop),
        ]);
    }

    #[test]
    fn cancel_with_more_words_is_about_the_appointment() {
        check(&[
            ("cancel please", Cancel),
            ("Please cancel", Cancel),
            ("cancel my appointment", Cancel),
            ("CANCEL APPOINTMENT", Cancel),
            ("I need to cancel", Cancel),
            ("Yes please cancel", Cancel),
            ("I'd like to cancel tomorrow", Cancel),
            ("Sorry, I have to cancel", Cancel),
            ("can't make it", Cancel),
            ("Cant make it sorry", Cancel),
            ("I can not make it", Cancel),
            ("I cannot attend", Cancel),
            ("Won't be able to make it", Cancel),
            ("I won't be there", Cancel),
            ("unable to attend", Cancel),
            ("Sorry not coming", Cancel),
            ("Not going to make it today", Cancel),
            ("No, I can't make it", Cancel),
            ("I'm sick and can't come in", Cancel),
            ("Please cancel my booking, I'll call later", Cancel),
            ("I don't want to reschedule, just cancel", Cancel),
        ]);
    }

    #[test]
    fn asking_for_another_time_is_reschedule() {
        check(&[
            ("need to reschedule", Reschedule),
            ("Can I reschedule?", Reschedule),
            ("re-schedule please", Reschedule),
            ("Could we rebook for next week", Reschedule),
            ("move my appointment", Reschedule),
            ("Can we move it to Friday?", Reschedule),
            ("I need to change my appointment", Reschedule),
            ("change the time please", Reschedule),
            ("can we do another day", Reschedule),
            ("Is there a later time?", Reschedule),
            ("I'd like a different time", Reschedule),
            ("Can I postpone", Reschedule),
            ("Yes but I need to change the time", Reschedule),
            ("ok can we push it back an hour", Reschedule),
            ("No, need to reschedule", Reschedule),
        ]);
    }

    #[test]
    fn reschedule_wins_when_a_reply_also_cancels() {
        check(&[
            ("can't make it, can we reschedule?", Reschedule),
            ("cancel and rebook please", Reschedule),
            ("I need to cancel and find another time", Reschedule),
            (
                "Sorry I won't be there, can I move my appointment to next week",
                Reschedule,
            ),
        ]);
    }

    #[test]
    fn a_negated_cancel_or_reschedule_is_neither() {
        check(&[
            ("no need to reschedule, see you then", Other),
            ("Don't cancel, I'll be there", Other),
            ("not cancelling", Other),
            ("can't wait to come in", Other),
        ]);
    }

    #[test]
    fn start_and_help_are_whole_replies() {
        check(&[
            ("START", Start),
            ("start please", Start),
            ("Unstop", Start),
            ("opt in", Start),
            ("HELP", Help),
            ("help?", Help),
            ("Info", Help),
            ("info please", Help),
            ("can you help me reschedule", Reschedule),
            ("I need help", Other),
            ("what time does it start", Other),
        ]);
    }

    #[test]
    fn yes_is_confirm_not_start() {
        assert_eq!(classify("YES"), Confirm);
    }

    #[test]
    fn classifications_name_themselves_uniquely() {
        let mut names: Vec<&str> = Classification::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names,
            ["confirm", "cancel", "reschedule", "stop", "start", "help", "other"]
        );
        names.dedup();
        assert_eq!(names.len(), Classification::ALL.len());
    }

    /// Words and punctuation replies are made of, keywords and near misses.
    fn any_reply() -> impl Strategy<Value = String> {
        let token = prop::sample::select(vec![
            "y",
            "yes",
            "Yes",
            "yesterday",
            "no",
            "ok",
            "stop",
            "STOP",
            "cancel",
            "my",
            "appointment",
            "can't",
            "make",
            "it",
            "reschedule",
            "move",
            "another",
            "time",
            "start",
            "help",
            "please",
            "thanks",
            "see",
            "you",
            "then",
            "but",
            "not",
            "👍",
            "👍🏽",
            "?",
            ".",
            ",",
            "!",
            "Ünïcödé",
            "I'll",
            "be",
            "there",
        ]);
        prop::collection::vec((token, prop::sample::select(vec![" ", "", "  "])), 0..8)
            .prop_map(|parts| parts.into_iter().map(|(t, sep)| format!("{t}{sep}")).collect())
    }

    fn flip_case(text: &str, flips: &[bool]) -> String {
        text.chars()
            .zip(flips.iter().cycle())
            .map(|(c, flip)| match (flip, c.is_ascii_lowercase()) {
                (false, _) => c,
                (true, true) => c.to_ascii_uppercase(),
                (true, false) => c.to_ascii_lowercase(),
            })
            .collect()
    }

    proptest! {
        #[test]
        fn surrounding_white_space_and_letter_case_dont_matter(
            reply in any_reply(),
            flips in prop::collection::vec(any::<bool>(), 1..8),
            before in "[ \t\r\n]{0,3}",
            after in "[ \t\r\n]{0,3}",
        ) {
            let changed = format!("{before}{}{after}", flip_case(&reply, &flips));
            prop_assert_eq!(classify(&changed), classify(&reply), "{:?} vs {:?}", changed, reply);
        }

        #[test]
        fn the_specs_pattern_always_confirms(
            word in prop::sample::select(vec!["y", "yes", "confirm", "confirmed", "yep", "yeah"]),
            flips in prop::collection::vec(any::<bool>(), 1..8),
            before in "[ \t\r\n]{0,3}",
            after in "[ \t\r\n]{0,3}",
        ) {
            let word = flip_case(word, &flips);
            prop_assert_eq!(classify(&format!("{before}{word}{after}")), Confirm);
            prop_assert_eq!(classify(&format!("{before}{word}?{after}")), Other, "a question");
        }

        #[test]
        fn a_carrier_keyword_alone_is_always_stop(
            word in prop::sample::select(CARRIER_OPT_OUT.to_vec()),
            flips in prop::collection::vec(any::<bool>(), 1..8),
            end in prop::sample::select(vec!["", ".", "!", "!!", " "]),
        ) {
            prop_assert_eq!(classify(&format!("{}{end}", flip_case(word, &flips))), Stop);
        }
    }
}
