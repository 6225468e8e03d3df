//! How an SMS body is encoded, and what it costs: its encoding, its length
//! and the number of segments a provider bills.
//!
//! | encoding | used when | one message | each part of a longer one |
//! | --- | --- | --- | --- |
//! | GSM-7 | every character is in the GSM 03.38 basic set or its extension table | 160 septets | 153 septets |
//! | UCS-2 | anything else (an emoji, an em dash, a curly quote, a tab) | 70 UTF-16 units | 67 UTF-16 units |
//!
//! - A character of the extension table (`^ { } \ [ ~ ] | €` and form feed)
//!   costs two septets: the escape and the character.
//! - A character outside the Basic Multilingual Plane (most emoji) costs two
//!   UTF-16 units: a surrogate pair.
//! - A part of a longer message loses 7 septets (6 bytes of UDH) to the
//!   header that reassembles it, hence 153 and 67.
//! - Phones can't reassemble an escape pair or a surrogate pair cut between
//!   two parts, so providers never cut one: segments are counted by packing
//!   characters into parts, not by dividing the length. 152 septets and a
//!   `€` make two parts, not one.
//! - An empty body is **0 segments**: there is nothing to send, and
//!   providers refuse it (Twilio answers 21602, "Message body is required")
//!   rather than bill it. Anything else is at least one.
//! - No character is replaced to stay in GSM-7 (a curly quote by a straight
//!   one, as some providers' "smart encoding" does): this reports what the
//!   text costs as written.
//!
//! `characters` counts Unicode scalar values (`char`s). For GSM-7 text that is
//! exactly what a person sees; an emoji built from several (👍🏽, 🇦🇺, a
//! family joined by zero-width joiners) counts each of its parts. Counting
//! grapheme clusters needs the `unicode-segmentation` crate, which is not a
//! dependency yet.

/// How a body is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Encoding {
    /// GSM 03.38, seven bits a character.
    Gsm7,
    /// UCS-2 (in practice UTF-16), sixteen bits a unit.
    Ucs2,
}

impl Encoding {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "gsm7",
            Encoding::Ucs2 => "ucs2",
        }
    }

    /// The units one unsplit message holds.
    pub(crate) fn single_limit(self) -> usize {
        match self {
            Encoding::Gsm7 => 160,
            Encoding::Ucs2 => 70,
        }
    }

    /// The units each part of a concatenated message holds.
    pub(crate) fn part_limit(self) -> usize {
        match self {
            Encoding::Gsm7 => 153,
            Encoding::Ucs2 => 67,
        }
    }

    /// The encoding a body is sent in.
    #[cfg(test)]
    pub(crate) fn of(body: &str) -> Encoding {
        if body.chars().all(|c| gsm7_septets(c).is_some()) {
            Encoding::Gsm7
        } else {
            Encoding::Ucs2
        }
    }
}

/// What a body costs to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Measure {
    pub encoding: Encoding,
    /// Characters (Unicode scalar values; see the module docs).
    pub characters: usize,
    /// Septets for GSM-7 (an extension character is two), UTF-16 code units
    /// for UCS-2 (a character beyond the BMP is two).
    pub units: usize,
    /// Messages billed: 0 for an empty body, else at least 1.
    pub segments: usize,
}

/// The encoding, length and segments of `body`.
pub(crate) fn measure(body: &str) -> Measure {
    // One pass packs the body both ways; GSM-7 is dropped at the first
    // character it can't carry.
    let mut gsm = Some(Packer::new(Encoding::Gsm7));
    let mut ucs2 = Packer::new(Encoding::Ucs2);
    let mut characters = 0;
    for c in body.chars() {
        characters += 1;
        ucs2.push(c.len_utf16());
        gsm = match (gsm, gsm7_septets(c)) {
            (Some(mut packer), Some(septets)) => {
                packer.push(septets);
                Some(packer)
            }
            _ => None,
        };
    }
    let packer = gsm.unwrap_or(ucs2);
    Measure {
        encoding: packer.encoding,
        characters,
        units: packer.units,
        segments: packer.segments(),
    }
}

/// Fills parts one character at a time, starting a new part when the next
/// character (one or two units) would not fit whole.
#[derive(Debug, Clone, Copy)]
struct Packer {
    encoding: Encoding,
    units: usize,
    parts: usize,
    used_in_part: usize,
}

impl Packer {
    fn new(encoding: Encoding) -> Self {
        Packer {
            encoding,
            units: 0,
            parts: 0,
            used_in_part: 0,
        }
    }

    fn push(&mut self, cost: usize) {
        self.units += cost;
        if self.parts == 0 || self.used_in_part + cost > self.encoding.part_limit() {
            self.parts += 1;
            self.used_in_part = 0;
        }
        self.used_in_part += cost;
    }

    fn segments(&self) -> usize {
        match self.units {
            0 => 0,
            units if units <= self.encoding.single_limit() => 1,
            _ => self.parts,
        }
    }
}

/// The escape septet, which introduces a character of the extension table.
const ESCAPE: char = '\u{1b}';

/// GSM 03.38's basic character set, indexed by septet. 0x1B is the escape,
/// not a character: it is never matched.
const BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', ESCAPE, 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// GSM 03.38's extension table (each sent after the escape): form feed,
/// `^ { } \ [ ~ ] | €`.
const EXTENSION: [char; 10] = ['\u{0c}', '^', '{', '}', '\\', '[', '~', ']', '|', '€'];

/// The septets `c` takes in GSM-7, or `None` when GSM-7 can't carry it.
pub(crate) fn gsm7_septets(c: char) -> Option<usize> {
    if c != ESCAPE && BASIC.contains(&c) {
        Some(1)
    } else if EXTENSION.contains(&c) {
        Some(2)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn gsm(units: usize, segments: usize, characters: usize) -> Measure {
        Measure {
            encoding: Encoding::Gsm7,
            characters,
            units,
            segments,
        }
    }

    fn ucs2(units: usize, segments: usize, characters: usize) -> Measure {
        Measure {
            encoding: Encoding::Ucs2,
            characters,
            units,
            segments,
        }
    }

    /// The basic set row by row as 3GPP TS 23.038 lays it out (0x1B, the
    /// escape, left out), written independently of [`BASIC`].
    const STANDARD_BASIC: [&str; 8] = [
        "@£$¥èéùìòÇ\nØø\rÅå",
        "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ",
        " !\"#¤%&'()*+,-./",
        "0123456789:;<=>?",
        "¡ABCDEFGHIJKLMNO",
        "PQRSTUVWXYZÄÖÑÜ§",
        "¿abcdefghijklmno",
        "pqrstuvwxyzäöñüà",
    ];

    #[test]
    fn exactly_the_gsm_basic_set_costs_one_septet_and_the_extension_table_two() {
        let basic: Vec<char> = STANDARD_BASIC.concat().chars().collect();
        assert_eq!(basic.len(), 127, "128 positions less the escape");
        let extension: Vec<char> = "\u{0c}^{}\\[~]|€".chars().collect();
        for c in (0..=0x2_FFFF).filter_map(char::from_u32) {
            let expected = if basic.contains(&c) {
                Some(1)
            } else if extension.contains(&c) {
                Some(2)
            } else {
                None
            };
            assert_eq!(gsm7_septets(c), expected, "{c:?} (U+{:04X})", u32::from(c));
        }
    }

    #[test]
    fn look_alikes_of_gsm_characters_are_not_gsm() {
        for (c, why) in [
            ('`', "a backtick is in neither table"),
            ('ç', "the table has capital Ç only"),
            ('\u{2126}', "the ohm sign, not Greek capital omega"),
            ('\u{2206}', "the increment sign, not Greek capital delta"),
            ('’', "a curly apostrophe"),
            ('—', "an em dash"),
            ('\t', "a tab"),
            ('\u{a0}', "a no-break space"),
            (ESCAPE, "the escape is not a character"),
        ] {
            assert_eq!(gsm7_septets(c), None, "{why}");
        }
    }

    #[test]
    fn an_empty_body_is_no_segments_at_all() {
        assert_eq!(measure(""), gsm(0, 0, 0));
    }

    #[test]
    fn a_gsm_body_fits_160_septets_in_one_message_and_153_in_each_part() {
        let cases = [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)];
        for (length, segments) in cases {
            assert_eq!(measure(&"a".repeat(length)), gsm(length, segments, length), "{length}");
        }
    }

    #[test]
    fn a_ucs2_body_fits_70_units_in_one_message_and_67_in_each_part() {
        // One em dash makes the whole body UCS-2.
        let cases = [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)];
        for (length, segments) in cases {
            let body = format!("—{}", "a".repeat(length - 1));
            assert_eq!(measure(&body), ucs2(length, segments, length), "{length}");
        }
    }

    #[test]
    fn an_extension_character_costs_two_septets() {
        assert_eq!(measure("€"), gsm(2, 1, 1));
        assert_eq!(measure("{name}"), gsm(8, 1, 6));
        // 80 euros are 160 septets: still one message; one more makes two.
        assert_eq!(measure(&"€".repeat(80)), gsm(160, 1, 80));
        assert_eq!(measure(&"€".repeat(81)), gsm(162, 2, 81));
    }

    #[test]
    fn a_euro_sign_is_never_split_across_two_parts() {
        // In one message there are no parts: a € may end it.
        assert_eq!(measure(&format!("{}€", "a".repeat(158))), gsm(160, 1, 159));
        // 306 septets are two parts by division, but the € after 152 would
        // straddle the first part's end, so it opens the second and one
        // septet spills into a third.
        let body = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(measure(&body), gsm(306, 3, 305));
        // The same length with the € clear of the boundary packs into two.
        let body = format!("{}€{}", "a".repeat(151), "a".repeat(153));
        assert_eq!(measure(&body), gsm(306, 2, 305));
    }

    #[test]
    fn an_emoji_is_a_surrogate_pair_never_split_across_two_parts() {
        assert_eq!(measure("👍"), ucs2(2, 1, 1));
        assert_eq!(measure(&"😀".repeat(35)), ucs2(70, 1, 35));
        assert_eq!(measure(&"😀".repeat(36)), ucs2(72, 2, 36));
        // 66 units, then a pair: it would straddle 67, so it opens part two.
        let body = format!("—{}😀{}", "a".repeat(65), "a".repeat(66));
        assert_eq!(measure(&body), ucs2(134, 3, 133));
        let body = format!("—{}😀{}", "a".repeat(64), "a".repeat(67));
        assert_eq!(measure(&body), ucs2(134, 2, 133));
    }

    #[test]
    fn an_emoji_made_of_several_characters_counts_each() {
        // Thumbs up with a skin tone: two scalars, four UTF-16 units.
        assert_eq!(measure("👍🏽"), ucs2(4, 1, 2));
        // A flag is two regional indicators.
        assert_eq!(measure("🇦🇺"), ucs2(4, 1, 2));
    }

    #[test]
    fn one_character_outside_gsm_makes_the_whole_body_ucs2() {
        let body = format!("{}’", "a".repeat(100));
        assert_eq!(measure(&body), ucs2(101, 2, 101));
        assert_eq!(Encoding::of(&body), Encoding::Ucs2);
        assert_eq!(Encoding::of("Hi Ann, see you at 10:00 am! €5 off."), Encoding::Gsm7);
    }

    #[test]
    fn line_breaks_are_gsm_but_a_tab_is_not() {
        assert_eq!(measure("a\r\nb"), gsm(4, 1, 4));
        assert_eq!(measure("a\u{0c}b"), gsm(4, 1, 3), "form feed is an extension character");
        assert_eq!(measure("a\tb").encoding, Encoding::Ucs2);
    }

    #[test]
    fn encodings_name_themselves() {
        assert_eq!(Encoding::Gsm7.as_str(), "gsm7");
        assert_eq!(Encoding::Ucs2.as_str(), "ucs2");
    }

    /// Characters from both GSM tables and beyond: Latin, an em dash, CJK,
    /// and emoji outside the BMP.
    fn any_char() -> impl Strategy<Value = char> {
        prop_oneof![
            4 => prop::sample::select(STANDARD_BASIC.concat().chars().collect::<Vec<_>>()),
            2 => prop::sample::select("\u{0c}^{}\\[~]|€".chars().collect::<Vec<_>>()),
            1 => prop::sample::select(vec!['—', '’', 'ç', '中', 'é']),
            1 => prop::sample::select(vec!['👍', '😀', '🏽', '🇦']),
        ]
    }

    fn gsm_char() -> impl Strategy<Value = char> {
        prop_oneof![
            4 => prop::sample::select(STANDARD_BASIC.concat().chars().collect::<Vec<_>>()),
            1 => prop::sample::select("\u{0c}^{}\\[~]|€".chars().collect::<Vec<_>>()),
        ]
    }

    proptest! {
        #[test]
        fn a_longer_body_never_has_fewer_segments(
            body in prop::collection::vec(any_char(), 0..700),
            cut in any::<prop::sample::Index>(),
        ) {
            let full: String = body.iter().collect();
            let prefix: String = body[..cut.index(body.len() + 1)].iter().collect();
            prop_assert!(measure(&prefix).segments <= measure(&full).segments);
        }

        #[test]
        fn a_gsm_only_body_is_gsm7_with_at_least_a_septet_a_character(
            body in prop::collection::vec(gsm_char(), 0..500),
        ) {
            let body: String = body.into_iter().collect();
            let m = measure(&body);
            prop_assert_eq!(m.encoding, Encoding::Gsm7);
            prop_assert!(m.units >= m.characters);
            prop_assert!(m.units <= 2 * m.characters);
        }

        #[test]
        fn segments_hold_the_units_and_no_more_parts_than_needed(
            body in prop::collection::vec(any_char(), 1..700),
        ) {
            let body: String = body.into_iter().collect();
            let m = measure(&body);
            let (single, part) = (m.encoding.single_limit(), m.encoding.part_limit());
            prop_assert!(m.segments >= 1);
            prop_assert_eq!(m.segments == 1, m.units <= single);
            if m.segments > 1 {
                // Packing wastes at most one unit a part (a pair that didn't fit).
                prop_assert!(m.units <= m.segments * part);
                prop_assert!(m.units > (m.segments - 1) * (part - 1));
            }
            prop_assert_eq!(
                m.units,
                match m.encoding {
                    Encoding::Gsm7 => body.chars().map(|c| gsm7_septets(c).unwrap()).sum(),
                    Encoding::Ucs2 => body.encode_utf16().count(),
                }
            );
        }
    }
}
