//! Frame headers (RFC 6455 §5.2) and masking.

/// The largest payload of a control frame (close, ping, pong).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// The longest frame header: 2 bytes, a 64-bit length, a masking key.
pub const MAX_HEADER_LEN: usize = 14;

/// A frame's opcode. The reserved values (3-7, 11-15) are no `Opcode`: they are protocol errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opcode {
    Continuation,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
}

impl Opcode {
    /// The opcode of the 4-bit value, `None` for a reserved one.
    pub fn from_bits(bits: u8) -> Option<Opcode> {
        Some(match bits {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xA => Opcode::Pong,
            _ => return None,
        })
    }

    /// The 4-bit value.
    pub fn bits(self) -> u8 {
        match self {
            Opcode::Continuation => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xA,
        }
    }

    /// Close, ping and pong: at most 125 bytes, never fragmented, allowed between a message's frames.
    pub fn is_control(self) -> bool {
        matches!(self, Opcode::Close | Opcode::Ping | Opcode::Pong)
    }
}

/// One frame header as written by a client (the RSV bits are always 0: no extension is ever agreed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    pub fin: bool,
    pub opcode: Opcode,
    /// The masking key; a client's frames always have one (RFC 6455 §5.3).
    pub mask: Option<[u8; 4]>,
    pub len: u64,
}

impl FrameHeader {
    /// Writes the header into `out` and returns how many bytes it took (2 to 14), with the shortest
    /// length encoding.
    pub fn encode(&self, out: &mut [u8; MAX_HEADER_LEN]) -> usize {
        out[0] = if self.fin { 0x80 } else { 0 } | self.opcode.bits();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let mut n = if self.len < 126 {
            out[1] = mask_bit | self.len as u8;
            2
        } else if self.len <= u64::from(u16::MAX) {
            out[1] = mask_bit | 126;
            out[2..4].copy_from_slice(&(self.len as u16).to_be_bytes());
            4
        } else {
            out[1] = mask_bit | 127;
            out[2..10].copy_from_slice(&self.len.to_be_bytes());
            10
        };
        if let Some(key) = self.mask {
            out[n..n + 4].copy_from_slice(&key);
            n += 4;
        }
        n
    }

    /// Appends the header to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        let mut buf = [0; MAX_HEADER_LEN];
        let n = self.encode(&mut buf);
        out.extend_from_slice(&buf[..n]);
    }
}

/// Masks (or unmasks: the same operation) `data` in place with `key`, `data[0]` being byte number
/// `offset` of the payload, so a payload can be masked in pieces.
pub fn apply_mask(key: [u8; 4], offset: u64, data: &mut [u8]) {
    let rot = (offset % 4) as usize;
    let key = [key[rot], key[(rot + 1) % 4], key[(rot + 2) % 4], key[(rot + 3) % 4]];
    let word = u32::from_ne_bytes(key);
    let mut chunks = data.chunks_exact_mut(4);
    for c in &mut chunks {
        let v = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]) ^ word;
        c.copy_from_slice(&v.to_ne_bytes());
    }
    for (b, k) in chunks.into_remainder().iter_mut().zip(key) {
        *b ^= k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(fin: bool, opcode: Opcode, mask: Option<[u8; 4]>, len: u64) -> Vec<u8> {
        let mut out = Vec::new();
        FrameHeader { fin, opcode, mask, len }.write(&mut out);
        out
    }

    #[test]
    fn lengths_use_the_shortest_form() {
        assert_eq!(header(true, Opcode::Text, None, 0), [0x81, 0]);
        assert_eq!(header(true, Opcode::Binary, None, 125), [0x82, 125]);
        assert_eq!(header(false, Opcode::Binary, None, 126), [0x02, 126, 0, 126]);
        assert_eq!(header(true, Opcode::Continuation, None, 65535), [0x80, 126, 0xff, 0xff]);
        assert_eq!(header(true, Opcode::Binary, None, 65536), [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
        assert_eq!(header(true, Opcode::Ping, Some([1, 2, 3, 4]), 5), [0x89, 0x85, 1, 2, 3, 4]);
        let big = header(true, Opcode::Binary, Some([9; 4]), u64::MAX >> 1);
        assert_eq!(big.len(), MAX_HEADER_LEN);
        assert_eq!(big[1], 0xff);
    }

    #[test]
    fn opcodes_round_trip_and_reserved_ones_are_refused() {
        for bits in 0..16u8 {
            match Opcode::from_bits(bits) {
                Some(op) => assert_eq!(op.bits(), bits),
                None => assert!(matches!(bits, 3..=7 | 11..=15), "{bits}"),
            }
        }
        assert!(Opcode::Close.is_control() && Opcode::Ping.is_control() && Opcode::Pong.is_control());
        assert!(!Opcode::Text.is_control() && !Opcode::Continuation.is_control());
    }

    #[test]
    fn masking_in_pieces_equals_masking_at_once() {
        // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d.
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let mut hello = *b"Hello";
        apply_mask(key, 0, &mut hello);
        assert_eq!(hello, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let mut whole = data.clone();
        apply_mask(key, 0, &mut whole);
        for split in [1, 3, 4, 7, 999] {
            let mut pieces = data.clone();
            let (a, b) = pieces.split_at_mut(split);
            apply_mask(key, 0, a);
            apply_mask(key, split as u64, b);
            assert_eq!(pieces, whole, "split at {split}");
        }
        apply_mask(key, 0, &mut whole);
        assert_eq!(whole, data);
    }
}
