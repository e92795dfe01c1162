//! UTF-8 validation of a text message that arrives in pieces (frames, caller buffers), so a code point
//! split across two pieces is accepted and an invalid one is caught in the piece where it turns invalid.

/// A streaming UTF-8 validator (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Utf8Validator {
    /// Continuation bytes still expected for the code point in progress.
    need: u8,
    /// The range the next byte must be in (narrower than 80..=BF only right after some lead bytes).
    lo: u8,
    hi: u8,
}

impl Utf8Validator {
    pub fn new() -> Utf8Validator {
        Utf8Validator::default()
    }

    /// Takes the next piece. `false` when the text is invalid (however it goes on).
    pub fn feed(&mut self, mut data: &[u8]) -> bool {
        // Finish the code point the previous piece left open.
        while self.need > 0 {
            let Some((&b, rest)) = data.split_first() else { return true };
            if !self.byte(b) {
                return false;
            }
            data = rest;
        }
        match std::str::from_utf8(data) {
            Ok(_) => true,
            Err(e) if e.error_len().is_some() => false,
            // An incomplete code point at the end: remember where it stands.
            Err(e) => data[e.valid_up_to()..].iter().all(|&b| self.byte(b)),
        }
    }

    /// Whether the text so far ends on a code point boundary (checked at the end of a message).
    pub fn is_complete(&self) -> bool {
        self.need == 0
    }

    fn byte(&mut self, b: u8) -> bool {
        if self.need > 0 {
            if b < self.lo || b > self.hi {
                return false;
            }
            self.need -= 1;
            (self.lo, self.hi) = (0x80, 0xBF);
            return true;
        }
        let (need, lo, hi) = match b {
            0x00..=0x7F => return true,
            0xC2..=0xDF => (1, 0x80, 0xBF),
            0xE0 => (2, 0xA0, 0xBF),
            0xE1..=0xEC | 0xEE..=0xEF => (2, 0x80, 0xBF),
            0xED => (2, 0x80, 0x9F),
            0xF0 => (3, 0x90, 0xBF),
            0xF1..=0xF3 => (3, 0x80, 0xBF),
            0xF4 => (3, 0x80, 0x8F),
            _ => return false,
        };
        (self.need, self.lo, self.hi) = (need, lo, hi);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Validates `data` split at every pair of points and compares with std's answer.
    fn check_all_splits(data: &[u8]) {
        let want = std::str::from_utf8(data).is_ok();
        for i in 0..=data.len() {
            for j in i..=data.len() {
                let mut v = Utf8Validator::new();
                let ok = v.feed(&data[..i]) && v.feed(&data[i..j]) && v.feed(&data[j..]) && v.is_complete();
                assert_eq!(ok, want, "{data:x?} split at {i}, {j}");
            }
        }
    }

    #[test]
    fn agrees_with_std_at_every_split() {
        for s in [
            &b"plain ascii"[..],
            "caf\u{e9} \u{4e2d}\u{6587} \u{1F600} \u{10FFFF} \u{FFFD}".as_bytes(),
            b"\xc3\x28",         // bad continuation
            b"\xe0\x80\xaf",     // overlong
            b"\xed\xa0\x80",     // surrogate
            b"\xf4\x90\x80\x80", // past U+10FFFF
            b"\xf0\x9f\x98",     // truncated
            b"\xc0\xaf",
            b"\xff",
            b"\x80",
            b"a\xf0\x9f\x98\x80b\xe2\x82",
        ] {
            check_all_splits(s);
        }
    }

    #[test]
    fn an_invalid_byte_is_caught_in_the_piece_that_has_it() {
        let mut v = Utf8Validator::new();
        assert!(v.feed(b"ok \xe2\x82"));
        assert!(!v.is_complete());
        assert!(!v.feed(b"\x28"));
        let mut v = Utf8Validator::new();
        assert!(v.feed(b"\xf0"));
        assert!(!v.feed(b"\x8f"), "F0 8F is an overlong form");
    }

    #[test]
    fn every_two_byte_sequence_agrees_with_std() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let data = [a, b, 0x80, 0x80];
                for n in 1..=4 {
                    let mut v = Utf8Validator::new();
                    let ok = data[..n].iter().all(|&x| v.feed(&[x])) && v.is_complete();
                    assert_eq!(ok, std::str::from_utf8(&data[..n]).is_ok(), "{:x?}", &data[..n]);
                }
            }
        }
    }
}
