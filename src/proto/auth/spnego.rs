//! SPNEGO (RFC 4178, MS-SPNG) carrying NTLM: what `Negotiate` sends when Kerberos is not
//! available. The DER is written and read here (a handful of fixed shapes, not a general ASN.1
//! library):
//!
//! ```text
//! initial:  [APPLICATION 0] { OID 1.3.6.1.5.5.2, [0] NegTokenInit { [0] mechTypes { NTLM },
//!                                                                    [2] mechToken NEGOTIATE } }
//! server:   [1] NegTokenResp { [0] negState, [1] supportedMech, [2] responseToken CHALLENGE }
//! ours:     [1] NegTokenResp { [2] responseToken AUTHENTICATE, [3] mechListMIC }
//! server:   [1] NegTokenResp { [0] accept-completed, [3] mechListMIC }
//! ```
//!
//! The `mechListMIC` is NTLM's signature over the DER of our mechTypes list (MS-SPNG 3.1.5.1);
//! the server's final `mechListMIC` is not checked.

use super::ntlm::Ntlm;
use super::{AuthError, Mechanism};

/// DER of OID 1.3.6.1.5.5.2 (SPNEGO), contents only.
pub const OID_SPNEGO: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
/// DER of OID 1.3.6.1.4.1.311.2.2.10 (NTLMSSP), contents only.
pub const OID_NTLM: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];
/// Kerberos 5 (1.2.840.113554.1.2.2) and Microsoft's variant (1.2.840.48018.1.2.2).
pub const OID_KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
pub const OID_MS_KRB5: &[u8] = &[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];

/// A DER TLV with a definite length.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = (n as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// Reads one TLV from the front of `b`: (tag, content, rest). Definite lengths up to 4 bytes only.
pub fn read_tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, b) = b.split_first()?;
    let (&first, mut b) = b.split_first()?;
    let len = if first < 0x80 {
        first as usize
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || b.len() < n {
            return None;
        }
        let len = b[..n].iter().fold(0usize, |acc, x| (acc << 8) | *x as usize);
        b = &b[n..];
        len
    };
    if b.len() < len {
        return None;
    }
    Some((tag, &b[..len], &b[len..]))
}

/// The DER mechTypes list we offer (what the mechListMIC signs).
pub fn mech_types() -> Vec<u8> {
    tlv(0x30, &tlv(0x06, OID_NTLM))
}

/// The initial token: a GSS-API InitialContextToken with a NegTokenInit offering NTLM.
pub fn neg_token_init(mech_types: &[u8], mech_token: &[u8]) -> Vec<u8> {
    let mut init = tlv(0xa0, mech_types);
    init.extend(tlv(0xa2, &tlv(0x04, mech_token)));
    let mut inner = tlv(0x06, OID_SPNEGO);
    inner.extend(tlv(0xa0, &tlv(0x30, &init)));
    tlv(0x60, &inner)
}

/// A NegTokenResp with the fields given.
pub fn neg_token_resp(neg_state: Option<u8>, mech: Option<&[u8]>, token: Option<&[u8]>, mic: Option<&[u8]>) -> Vec<u8> {
    let mut seq = Vec::new();
    if let Some(s) = neg_state {
        seq.extend(tlv(0xa0, &tlv(0x0a, &[s])));
    }
    if let Some(m) = mech {
        seq.extend(tlv(0xa1, &tlv(0x06, m)));
    }
    if let Some(t) = token {
        seq.extend(tlv(0xa2, &tlv(0x04, t)));
    }
    if let Some(m) = mic {
        seq.extend(tlv(0xa3, &tlv(0x04, m)));
    }
    tlv(0xa1, &tlv(0x30, &seq))
}

/// `negState` values.
pub const ACCEPT_COMPLETED: u8 = 0;
pub const ACCEPT_INCOMPLETE: u8 = 1;
pub const REJECT: u8 = 2;
pub const REQUEST_MIC: u8 = 3;

/// A parsed NegTokenResp.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NegTokenResp {
    pub neg_state: Option<u8>,
    pub supported_mech: Option<Vec<u8>>,
    pub response_token: Option<Vec<u8>>,
    pub mech_list_mic: Option<Vec<u8>>,
}

impl NegTokenResp {
    /// Parses a NegTokenResp; `None` when malformed (unknown fields are skipped).
    pub fn parse(b: &[u8]) -> Option<NegTokenResp> {
        let (tag, body, _) = read_tlv(b)?;
        if tag != 0xa1 {
            return None;
        }
        let (tag, mut seq, _) = read_tlv(body)?;
        if tag != 0x30 {
            return None;
        }
        let mut out = NegTokenResp::default();
        while !seq.is_empty() {
            let (tag, field, rest) = read_tlv(seq)?;
            seq = rest;
            let (inner_tag, value, _) = read_tlv(field)?;
            match (tag, inner_tag) {
                (0xa0, 0x0a) if value.len() == 1 => out.neg_state = Some(value[0]),
                (0xa1, 0x06) => out.supported_mech = Some(value.to_vec()),
                (0xa2, 0x04) => out.response_token = Some(value.to_vec()),
                (0xa3, 0x04) => out.mech_list_mic = Some(value.to_vec()),
                (0xa0..=0xa3, _) => return None,
                _ => {}
            }
        }
        Some(out)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Start,
    InitSent,
    AuthSent,
    Complete,
}

/// NTLM wrapped in SPNEGO, as a [`Mechanism`].
pub struct SpnegoNtlm {
    ntlm: Ntlm,
    stage: Stage,
}

impl SpnegoNtlm {
    pub fn new(ntlm: Ntlm) -> SpnegoNtlm {
        SpnegoNtlm { ntlm, stage: Stage::Start }
    }
}

impl Mechanism for SpnegoNtlm {
    fn start(&mut self) -> Result<Vec<u8>, AuthError> {
        let negotiate = self.ntlm.start()?;
        self.stage = Stage::InitSent;
        Ok(neg_token_init(&mech_types(), &negotiate))
    }

    fn step(&mut self, token: &[u8]) -> Result<Option<Vec<u8>>, AuthError> {
        let resp = NegTokenResp::parse(token).ok_or(AuthError::BadChallenge("not a SPNEGO NegTokenResp"))?;
        if resp.neg_state == Some(REJECT) {
            return Err(AuthError::Rejected);
        }
        match self.stage {
            Stage::InitSent => {
                if resp.supported_mech.as_deref().is_some_and(|m| m != OID_NTLM) {
                    return Err(AuthError::BadChallenge("SPNEGO server chose a mechanism we did not offer"));
                }
                let challenge = resp.response_token.ok_or(AuthError::BadChallenge("SPNEGO without NTLM token"))?;
                let auth = self.ntlm.step(&challenge)?.ok_or(AuthError::BadChallenge("NTLM gave no token"))?;
                let mic = self.ntlm.sign(&mech_types())?;
                self.stage = Stage::AuthSent;
                Ok(Some(neg_token_resp(None, None, Some(&auth), Some(&mic))))
            }
            Stage::AuthSent if resp.neg_state == Some(ACCEPT_COMPLETED) => {
                self.stage = Stage::Complete;
                Ok(None)
            }
            Stage::AuthSent | Stage::Complete => Err(AuthError::Rejected),
            Stage::Start => Err(AuthError::BadChallenge("SPNEGO token before the initial one")),
        }
    }

    fn done(&self) -> bool {
        matches!(self.stage, Stage::AuthSent | Stage::Complete)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::auth::{Credentials, Entropy};

    #[test]
    fn tlv_lengths_round_trip() {
        for n in [0usize, 1, 127, 128, 255, 256, 65535, 65536, 300_000] {
            let content = vec![7u8; n];
            let enc = tlv(0x04, &content);
            let (tag, c, rest) = read_tlv(&enc).unwrap();
            assert_eq!((tag, c.len(), rest.len()), (0x04, n, 0));
        }
        assert_eq!(tlv(0x04, &[1, 2]), vec![4, 2, 1, 2]);
        assert_eq!(tlv(0x04, &[0; 200])[..3], [4, 0x81, 200]);
        assert!(read_tlv(&[4, 5, 1]).is_none());
        assert!(read_tlv(&[4, 0x85, 0, 0, 0, 0, 1]).is_none());
        assert!(read_tlv(&[4, 0x80]).is_none());
        assert!(read_tlv(&[4]).is_none());
    }

    #[test]
    fn init_token_shape() {
        let t = neg_token_init(&mech_types(), b"NTLMSSP\0");
        // Well-known prefix of an NTLM-only SPNEGO init token.
        assert_eq!(t[0], 0x60);
        let (_, inner, rest) = read_tlv(&t).unwrap();
        assert!(rest.is_empty());
        let (tag, oid, inner) = read_tlv(inner).unwrap();
        assert_eq!((tag, oid), (0x06, OID_SPNEGO));
        let (tag, init, _) = read_tlv(inner).unwrap();
        assert_eq!(tag, 0xa0);
        let (_, seq, _) = read_tlv(init).unwrap();
        let (tag, types, seq) = read_tlv(seq).unwrap();
        assert_eq!((tag, types), (0xa0, &mech_types()[..]));
        let (tag, tok, _) = read_tlv(seq).unwrap();
        assert_eq!(tag, 0xa2);
        assert_eq!(read_tlv(tok).unwrap().1, b"NTLMSSP\0");
    }

    #[test]
    fn resp_round_trip_and_rejects() {
        let r = neg_token_resp(Some(ACCEPT_INCOMPLETE), Some(OID_NTLM), Some(b"tok"), Some(b"mic"));
        assert_eq!(
            NegTokenResp::parse(&r),
            Some(NegTokenResp {
                neg_state: Some(1),
                supported_mech: Some(OID_NTLM.to_vec()),
                response_token: Some(b"tok".to_vec()),
                mech_list_mic: Some(b"mic".to_vec()),
            })
        );
        assert_eq!(NegTokenResp::parse(&neg_token_resp(None, None, None, None)), Some(NegTokenResp::default()));
        assert!(NegTokenResp::parse(b"").is_none());
        assert!(NegTokenResp::parse(&[0xa1, 2, 0x31, 0]).is_none());
        assert!(NegTokenResp::parse(&tlv(0xa1, &tlv(0x30, &tlv(0xa2, &tlv(0x02, b"x"))))).is_none());
    }

    struct Fixed;
    impl Entropy for Fixed {
        fn fill(&mut self, buf: &mut [u8]) {
            buf.fill(0x42);
        }
    }

    #[test]
    fn mechanism_flow() {
        let creds = Credentials { user: "u".into(), password: "p".into() };
        let mut m = SpnegoNtlm::new(Ntlm::new(creds, "", Box::new(Fixed), 0));
        let init = m.start().unwrap();
        assert_eq!(init[0], 0x60);
        assert!(!m.done());
        // A challenge for another mechanism is refused.
        let other = neg_token_resp(Some(ACCEPT_INCOMPLETE), Some(OID_KRB5), Some(b"x"), None);
        assert!(matches!(m.step(&other), Err(AuthError::BadChallenge(_))));
        assert_eq!(m.step(&neg_token_resp(Some(REJECT), None, None, None)), Err(AuthError::Rejected));
        // A real NTLM challenge, wrapped.
        let mut chal = b"NTLMSSP\0\x02\0\0\0\0\0\0\0\x30\0\0\0".to_vec();
        chal.extend((super::super::ntlm::CLIENT_FLAGS | 0x0080_0000).to_le_bytes());
        chal.extend([1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0]);
        let info = [2u8, 0, 2, 0, b'D', 0, 0, 0, 0, 0];
        chal.extend((info.len() as u16).to_le_bytes());
        chal.extend((info.len() as u16).to_le_bytes());
        chal.extend(48u32.to_le_bytes());
        chal.extend(info);
        let wrapped = neg_token_resp(Some(ACCEPT_INCOMPLETE), Some(OID_NTLM), Some(&chal), None);
        let out = m.step(&wrapped).unwrap().unwrap();
        assert!(m.done());
        let resp = NegTokenResp::parse(&out).unwrap();
        assert_eq!(&resp.response_token.unwrap()[..12], b"NTLMSSP\0\x03\0\0\0");
        assert_eq!(resp.mech_list_mic.unwrap().len(), 16);
        assert_eq!(m.step(&neg_token_resp(Some(ACCEPT_COMPLETED), None, None, Some(b"m"))).unwrap(), None);
        assert!(m.done());
        assert_eq!(m.step(&neg_token_resp(Some(ACCEPT_COMPLETED), None, None, None)), Err(AuthError::Rejected));
    }
}
