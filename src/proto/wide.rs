//! Code units of wide strings, generic over their width.
//!
//! `WCHAR` is the platform `wchar_t` (UTF-32 on Linux and macOS) for the plain exports and `u16`
//! for their UTF-16 twins (`crate::ffi::utf16`). Everything that handles wide strings is written
//! against [`CodeUnit`] so both widths share one implementation: UTF-32 units are scalar values,
//! UTF-16 units may form surrogate pairs.

/// One code unit of a wide string.
pub trait CodeUnit: Copy + Eq + core::fmt::Debug + 'static {
    /// Bytes per unit (what `sizeof(WCHAR)` is for this width).
    const BYTES: usize;
    /// True for UTF-16 units (surrogate pairs), false for UTF-32 units.
    const UTF16: bool;
    fn to_u32(self) -> u32;
    fn from_u32(v: u32) -> Self;

    /// The unit as an ASCII byte, if it is one.
    #[inline]
    fn ascii(self) -> Option<u8> {
        let v = self.to_u32();
        if v < 0x80 { Some(v as u8) } else { None }
    }
}

impl CodeUnit for u16 {
    const BYTES: usize = 2;
    const UTF16: bool = true;
    #[inline]
    fn to_u32(self) -> u32 {
        self as u32
    }
    #[inline]
    fn from_u32(v: u32) -> Self {
        v as u16
    }
}

impl CodeUnit for u32 {
    const BYTES: usize = 4;
    const UTF16: bool = false;
    #[inline]
    fn to_u32(self) -> u32 {
        self
    }
    #[inline]
    fn from_u32(v: u32) -> Self {
        v
    }
}

impl CodeUnit for i32 {
    const BYTES: usize = 4;
    const UTF16: bool = false;
    #[inline]
    fn to_u32(self) -> u32 {
        self as u32
    }
    #[inline]
    fn from_u32(v: u32) -> Self {
        v as i32
    }
}

/// Decodes wide units to a `String`; invalid units become U+FFFD.
pub fn decode<C: CodeUnit>(units: &[C]) -> String {
    // ASCII (verbs, paths, header names) byte by byte, into exactly the room it needs.
    let ascii = units.iter().take_while(|u| u.to_u32() < 0x80).count();
    let mut out = String::with_capacity(units.len());
    // SAFETY: only bytes below 0x80 are pushed, so the text stays UTF-8.
    unsafe { out.as_mut_vec() }.extend(units[..ascii].iter().map(|u| u.to_u32() as u8));
    let rest = &units[ascii..];
    if rest.is_empty() {
        return out;
    }
    if C::UTF16 {
        out.extend(
            char::decode_utf16(rest.iter().map(|u| u.to_u32() as u16))
                .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)),
        );
    } else {
        out.extend(rest.iter().map(|u| char::from_u32(u.to_u32()).unwrap_or(char::REPLACEMENT_CHARACTER)));
    }
    out
}

/// [`decode`] into a shared string, without a temporary `String` for short ASCII text.
pub fn decode_shared<C: CodeUnit>(units: &[C]) -> std::sync::Arc<str> {
    let mut buf = [0u8; 256];
    if units.len() <= buf.len() && units.iter().all(|u| u.to_u32() < 0x80) {
        for (b, u) in buf.iter_mut().zip(units) {
            *b = u.to_u32() as u8;
        }
        // SAFETY: ASCII.
        return std::sync::Arc::from(unsafe { core::str::from_utf8_unchecked(&buf[..units.len()]) });
    }
    decode(units).into()
}

/// Encodes a string as wide units (no terminator).
pub fn encode<C: CodeUnit>(s: &str) -> Vec<C> {
    let mut out = Vec::with_capacity(s.len());
    encode_into(s, &mut out);
    out
}

/// Appends the wide units of `s` to `out` (no terminator).
pub fn encode_into<C: CodeUnit>(s: &str, out: &mut Vec<C>) {
    if C::UTF16 {
        out.extend(s.encode_utf16().map(|u| C::from_u32(u as u32)));
    } else {
        out.extend(s.chars().map(|c| C::from_u32(c as u32)));
    }
}

/// Number of wide units `s` encodes to.
pub fn encoded_len<C: CodeUnit>(s: &str) -> usize {
    if C::UTF16 { s.encode_utf16().count() } else { s.chars().count() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_both_widths() {
        let s = "héllo \u{1F600}";
        let w32: Vec<u32> = encode(s);
        let w16: Vec<u16> = encode(s);
        assert_eq!(w32.len(), 7);
        assert_eq!(w16.len(), 8);
        assert_eq!(decode(&w32), s);
        assert_eq!(decode(&w16), s);
        assert_eq!(encoded_len::<u16>(s), 8);
    }

    #[test]
    fn invalid_units_are_replaced() {
        assert_eq!(decode(&[0xD800u16, 0x41]), "\u{FFFD}A");
        assert_eq!(decode(&[0x110000u32]), "\u{FFFD}");
    }
}
