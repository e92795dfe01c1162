//! NTLM (MS-NLMP), client side: NTLMv2 with extended session security, as a [`Mechanism`].
//!
//! Three messages: our NEGOTIATE, the server's CHALLENGE ([`ChallengeMessage::parse`]), our
//! AUTHENTICATE. Only NTLMv2 responses are produced (NTLMv1 and LM are never sent). With
//! `NTLMSSP_NEGOTIATE_KEY_EXCH` the exported session key is random and travels RC4-encrypted; a
//! MIC over the three messages is included (with `MsvAvFlags` bit 2 in the target information),
//! and [`Ntlm::sign`] gives the message signature SPNEGO's `mechListMIC` needs.
//!
//! The random values (client challenge, exported session key) come from an [`Entropy`]; the
//! timestamp is the server's `MsvAvTimestamp` when it sent one, otherwise the one given to
//! [`Ntlm::new`].

use super::{AuthError, Credentials, Entropy, Mechanism};
use hmac::{Hmac, Mac};
use md4::Md4;
use md5::{Digest, Md5};
use rc4::{KeyInit, Rc4, StreamCipher};

pub const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
pub const NEGOTIATE_OEM: u32 = 0x0000_0002;
pub const REQUEST_TARGET: u32 = 0x0000_0004;
pub const NEGOTIATE_SIGN: u32 = 0x0000_0010;
pub const NEGOTIATE_SEAL: u32 = 0x0000_0020;
pub const NEGOTIATE_NTLM: u32 = 0x0000_0200;
pub const NEGOTIATE_ALWAYS_SIGN: u32 = 0x0000_8000;
pub const NEGOTIATE_EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
pub const NEGOTIATE_TARGET_INFO: u32 = 0x0080_0000;
pub const NEGOTIATE_VERSION: u32 = 0x0200_0000;
pub const NEGOTIATE_128: u32 = 0x2000_0000;
pub const NEGOTIATE_KEY_EXCH: u32 = 0x4000_0000;
pub const NEGOTIATE_56: u32 = 0x8000_0000;

/// The flags our NEGOTIATE message asks for.
pub const CLIENT_FLAGS: u32 = NEGOTIATE_UNICODE
    | NEGOTIATE_OEM
    | REQUEST_TARGET
    | NEGOTIATE_SIGN
    | NEGOTIATE_NTLM
    | NEGOTIATE_ALWAYS_SIGN
    | NEGOTIATE_EXTENDED_SESSIONSECURITY
    | NEGOTIATE_TARGET_INFO
    | NEGOTIATE_VERSION
    | NEGOTIATE_128
    | NEGOTIATE_KEY_EXCH
    | NEGOTIATE_56;

const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";
/// Our VERSION structure: 10.0 build 0, NTLMSSP_REVISION_W2K3.
const VERSION: [u8; 8] = [10, 0, 0, 0, 0, 0, 0, 15];

const AV_EOL: u16 = 0;
const AV_FLAGS: u16 = 6;
const AV_TIMESTAMP: u16 = 7;

type HmacMd5 = Hmac<Md5>;

fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    let mut mac = <HmacMd5 as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// MS-NLMP NTOWFv2: `HMAC_MD5(MD4(UNICODE(password)), UNICODE(UPPER(user) + domain))`.
pub fn ntowfv2(user: &str, password: &str, domain: &str) -> [u8; 16] {
    let nt_hash: [u8; 16] = Md4::digest(utf16le(password)).into();
    hmac_md5(&nt_hash, &[&utf16le(&user.to_uppercase()), &utf16le(domain)])
}

/// The server's CHALLENGE message, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeMessage {
    pub flags: u32,
    pub server_challenge: [u8; 8],
    /// TargetName as sent (UTF-16LE or OEM bytes).
    pub target_name: Vec<u8>,
    /// The raw AV_PAIR list (TargetInfo), ending with MsvAvEOL.
    pub target_info: Vec<u8>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The payload a (length, max length, offset) field points to.
fn field(b: &[u8], at: usize) -> Option<&[u8]> {
    let len = u16_at(b, at)? as usize;
    let off = u32_at(b, at + 4)? as usize;
    if len == 0 {
        return Some(&[]);
    }
    b.get(off..off.checked_add(len)?)
}

impl ChallengeMessage {
    /// Parses a CHALLENGE message; `None` when it is not one or a field points outside it.
    pub fn parse(b: &[u8]) -> Option<ChallengeMessage> {
        if b.get(..8)? != SIGNATURE || u32_at(b, 8)? != 2 {
            return None;
        }
        let target_name = field(b, 12)?.to_vec();
        let flags = u32_at(b, 20)?;
        let server_challenge = b.get(24..32)?.try_into().ok()?;
        let target_info =
            if flags & NEGOTIATE_TARGET_INFO != 0 && b.len() >= 48 { field(b, 40)?.to_vec() } else { vec![] };
        // The pairs must be well formed up to MsvAvEOL.
        av_pairs(&target_info)?;
        Some(ChallengeMessage { flags, server_challenge, target_name, target_info })
    }

    /// The value of AV pair `id`.
    pub fn av(&self, id: u16) -> Option<Vec<u8>> {
        av_pairs(&self.target_info)?.into_iter().find(|(i, _)| *i == id).map(|(_, v)| v.to_vec())
    }
}

/// The AV pairs before MsvAvEOL; `None` when they run past the end. An empty list is fine.
fn av_pairs(info: &[u8]) -> Option<Vec<(u16, &[u8])>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < info.len() {
        let id = u16_at(info, at)?;
        let len = u16_at(info, at + 2)? as usize;
        let value = info.get(at + 4..at + 4 + len)?;
        if id == AV_EOL {
            return Some(out);
        }
        out.push((id, value));
        at += 4 + len;
    }
    Some(out)
}

/// The target information we answer with: the server's pairs with MsvAvFlags bit 2 (a MIC is
/// present) set when `mic`, then MsvAvEOL.
fn client_target_info(info: &[u8], mic: bool) -> Vec<u8> {
    let pairs = av_pairs(info).unwrap_or_default();
    let mut out = Vec::new();
    let mut flags_seen = false;
    for (id, v) in pairs {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&(v.len() as u16).to_le_bytes());
        if id == AV_FLAGS && v.len() == 4 && mic {
            flags_seen = true;
            let f = u32::from_le_bytes(v.try_into().unwrap_or([0; 4])) | 2;
            out.extend_from_slice(&f.to_le_bytes());
        } else {
            out.extend_from_slice(v);
        }
    }
    if mic && !flags_seen {
        out.extend_from_slice(&AV_FLAGS.to_le_bytes());
        out.extend_from_slice(&4u16.to_le_bytes());
        out.extend_from_slice(&2u32.to_le_bytes());
    }
    out.extend_from_slice(&[0, 0, 0, 0]);
    out
}

/// The NTLMv2 responses and keys for one challenge (MS-NLMP 3.3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V2Responses {
    pub nt_proof_str: [u8; 16],
    /// NTProofStr followed by the `temp` blob.
    pub nt_response: Vec<u8>,
    pub lm_response: Vec<u8>,
    pub session_base_key: [u8; 16],
}

/// NTLMv2 responses for `response_key` (NTOWFv2), the server challenge, our client challenge,
/// the timestamp (FILETIME) and the target information to echo.
pub fn v2_responses(
    response_key: &[u8; 16],
    server_challenge: &[u8; 8],
    client_challenge: &[u8; 8],
    time: u64,
    target_info: &[u8],
) -> V2Responses {
    let mut temp = vec![1, 1, 0, 0, 0, 0, 0, 0];
    temp.extend_from_slice(&time.to_le_bytes());
    temp.extend_from_slice(client_challenge);
    temp.extend_from_slice(&[0; 4]);
    temp.extend_from_slice(target_info);
    temp.extend_from_slice(&[0; 4]);
    let nt_proof_str = hmac_md5(response_key, &[server_challenge, &temp]);
    let mut nt_response = nt_proof_str.to_vec();
    nt_response.extend_from_slice(&temp);
    let mut lm_response = hmac_md5(response_key, &[server_challenge, client_challenge]).to_vec();
    lm_response.extend_from_slice(client_challenge);
    let session_base_key = hmac_md5(response_key, &[&nt_proof_str]);
    V2Responses { nt_proof_str, nt_response, lm_response, session_base_key }
}

/// RC4 of `data` under `key` (one-shot).
pub fn rc4(key: &[u8; 16], data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    let mut c = Rc4::<rc4::consts::U16>::new(key.into());
    c.apply_keystream(&mut out);
    out
}

/// Builds a NEGOTIATE message with `flags` (no domain or workstation supplied).
pub fn negotiate_message(flags: u32) -> Vec<u8> {
    let mut m = SIGNATURE.to_vec();
    m.extend_from_slice(&1u32.to_le_bytes());
    m.extend_from_slice(&flags.to_le_bytes());
    m.extend_from_slice(&[0; 16]); // DomainNameFields, WorkstationFields: empty, offset 0
    m.extend_from_slice(&VERSION);
    m
}

/// The fields of an AUTHENTICATE message.
pub struct AuthenticateFields<'a> {
    pub lm_response: &'a [u8],
    pub nt_response: &'a [u8],
    pub domain: &'a str,
    pub user: &'a str,
    pub workstation: &'a str,
    pub encrypted_session_key: &'a [u8],
    pub flags: u32,
}

/// Offset of the MIC in our AUTHENTICATE messages (after the VERSION).
pub const MIC_OFFSET: usize = 72;

/// Builds an AUTHENTICATE message with a zero MIC field (strings in UTF-16LE).
pub fn authenticate_message(f: &AuthenticateFields) -> Vec<u8> {
    let payloads: [Vec<u8>; 6] = [
        f.lm_response.to_vec(),
        f.nt_response.to_vec(),
        utf16le(f.domain),
        utf16le(f.user),
        utf16le(f.workstation),
        f.encrypted_session_key.to_vec(),
    ];
    let mut m = SIGNATURE.to_vec();
    m.extend_from_slice(&3u32.to_le_bytes());
    let mut offset = 88u32;
    for p in &payloads {
        let len = p.len() as u16;
        m.extend_from_slice(&len.to_le_bytes());
        m.extend_from_slice(&len.to_le_bytes());
        m.extend_from_slice(&offset.to_le_bytes());
        offset += p.len() as u32;
    }
    m.extend_from_slice(&f.flags.to_le_bytes());
    m.extend_from_slice(&VERSION);
    m.extend_from_slice(&[0; 16]);
    debug_assert_eq!(m.len(), 88);
    for p in &payloads {
        m.extend_from_slice(p);
    }
    m
}

/// `DOMAIN\user` split in two; anything else is a user with an empty domain.
pub fn split_user(user: &str) -> (&str, &str) {
    match user.split_once('\\') {
        Some((d, u)) => (d, u),
        None => ("", user),
    }
}

/// Signing and sealing keys (MS-NLMP 3.4.5.2 and 3.4.5.3), client to server.
fn sign_key(exported: &[u8; 16]) -> [u8; 16] {
    Md5::new_with_prefix(exported)
        .chain_update(b"session key to client-to-server signing key magic constant\0")
        .finalize()
        .into()
}

fn seal_key(exported: &[u8; 16]) -> [u8; 16] {
    Md5::new_with_prefix(exported)
        .chain_update(b"session key to client-to-server sealing key magic constant\0")
        .finalize()
        .into()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Start,
    NegotiateSent,
    Done,
}

/// The client side of NTLM as a [`Mechanism`].
pub struct Ntlm {
    creds: Credentials,
    workstation: String,
    entropy: Box<dyn Entropy>,
    /// FILETIME used when the server sends no MsvAvTimestamp.
    time: u64,
    stage: Stage,
    negotiate: Vec<u8>,
    exported_session_key: Option<[u8; 16]>,
    flags: u32,
    /// Our outgoing sealing RC4 state, created on the first signature.
    seal: Option<Rc4<rc4::consts::U16>>,
    seq: u32,
}

impl Ntlm {
    /// `time` is the current time as a FILETIME (100 ns since 1601).
    pub fn new(creds: Credentials, workstation: &str, entropy: Box<dyn Entropy>, time: u64) -> Ntlm {
        Ntlm {
            creds,
            workstation: workstation.to_string(),
            entropy,
            time,
            stage: Stage::Start,
            negotiate: Vec::new(),
            exported_session_key: None,
            flags: 0,
            seal: None,
            seq: 0,
        }
    }

    /// The current time as a FILETIME.
    pub fn filetime_now() -> u64 {
        let unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        (unix.as_nanos() / 100) as u64 + 116_444_736_000_000_000
    }

    /// The session key both sides share once AUTHENTICATE is built.
    pub fn exported_session_key(&self) -> Option<[u8; 16]> {
        self.exported_session_key
    }

    /// An NTLM message signature (MS-NLMP 3.4.4.2, extended session security) over `message`,
    /// with the next sequence number: what SPNEGO's `mechListMIC` carries.
    pub fn sign(&mut self, message: &[u8]) -> Result<[u8; 16], AuthError> {
        let key = self.exported_session_key.ok_or(AuthError::BadChallenge("no session key yet"))?;
        let seq = self.seq.to_le_bytes();
        let mut checksum: [u8; 8] = hmac_md5(&sign_key(&key), &[&seq, message])[..8].try_into().unwrap_or([0; 8]);
        if self.flags & NEGOTIATE_KEY_EXCH != 0 {
            let seal = self.seal.get_or_insert_with(|| Rc4::new((&seal_key(&key)).into()));
            seal.apply_keystream(&mut checksum);
        }
        self.seq += 1;
        let mut sig = [0u8; 16];
        sig[..4].copy_from_slice(&1u32.to_le_bytes());
        sig[4..12].copy_from_slice(&checksum);
        sig[12..].copy_from_slice(&seq);
        Ok(sig)
    }

    fn authenticate(&mut self, challenge: &[u8]) -> Result<Vec<u8>, AuthError> {
        let ch = ChallengeMessage::parse(challenge).ok_or(AuthError::BadChallenge("not an NTLM CHALLENGE message"))?;
        if ch.flags & NEGOTIATE_UNICODE == 0 {
            return Err(AuthError::BadChallenge("NTLM server without Unicode"));
        }
        // We only speak NTLMv2; it needs the target information.
        if ch.flags & NEGOTIATE_TARGET_INFO == 0 || ch.target_info.is_empty() {
            return Err(AuthError::BadChallenge("NTLM server offers no NTLMv2 target information"));
        }
        let flags = ch.flags & CLIENT_FLAGS | NEGOTIATE_UNICODE | NEGOTIATE_NTLM;
        let flags = flags & !NEGOTIATE_OEM;
        let (domain, user) = split_user(&self.creds.user);
        let (domain, user) = (domain.to_string(), user.to_string());
        let key = ntowfv2(&user, &self.creds.password, &domain);
        let server_time = ch.av(AV_TIMESTAMP).and_then(|v| Some(u64::from_le_bytes(v.try_into().ok()?)));
        let time = server_time.unwrap_or(self.time);
        let mut client_challenge = [0u8; 8];
        self.entropy.fill(&mut client_challenge);
        let info = client_target_info(&ch.target_info, true);
        let mut r = v2_responses(&key, &ch.server_challenge, &client_challenge, time, &info);
        if server_time.is_some() {
            // MS-NLMP 3.1.5.1.2: with a server timestamp the LM response is all zeros.
            r.lm_response = vec![0; 24];
        }
        let (exported, encrypted) = if flags & NEGOTIATE_KEY_EXCH != 0 {
            let mut k = [0u8; 16];
            self.entropy.fill(&mut k);
            (k, rc4(&r.session_base_key, &k))
        } else {
            (r.session_base_key, Vec::new())
        };
        let mut msg = authenticate_message(&AuthenticateFields {
            lm_response: &r.lm_response,
            nt_response: &r.nt_response,
            domain: &domain,
            user: &user,
            workstation: &self.workstation,
            encrypted_session_key: &encrypted,
            flags,
        });
        let mic = hmac_md5(&exported, &[&self.negotiate, challenge, &msg]);
        msg[MIC_OFFSET..MIC_OFFSET + 16].copy_from_slice(&mic);
        self.exported_session_key = Some(exported);
        self.flags = flags;
        Ok(msg)
    }
}

impl Mechanism for Ntlm {
    fn start(&mut self) -> Result<Vec<u8>, AuthError> {
        self.negotiate = negotiate_message(CLIENT_FLAGS);
        self.stage = Stage::NegotiateSent;
        Ok(self.negotiate.clone())
    }

    fn step(&mut self, token: &[u8]) -> Result<Option<Vec<u8>>, AuthError> {
        match self.stage {
            Stage::NegotiateSent => {
                let msg = self.authenticate(token)?;
                self.stage = Stage::Done;
                Ok(Some(msg))
            }
            Stage::Start => Err(AuthError::BadChallenge("NTLM token before NEGOTIATE")),
            // A further challenge after AUTHENTICATE: the server refused.
            Stage::Done => Err(AuthError::Rejected),
        }
    }

    fn done(&self) -> bool {
        self.stage == Stage::Done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    // MS-NLMP section 4.2.4 (NTLMv2 authentication): user "User", domain "Domain", password
    // "Password", server challenge 0123456789abcdef, client challenge aa*8, time 0, random
    // session key 55*16.
    fn challenge_4_2_4() -> Vec<u8> {
        // The test vector's CHALLENGE message (4.2.4.3): header, TargetName "Server", TargetInfo
        // (MsvAvNbDomainName "Domain", MsvAvNbComputerName "Server", MsvAvEOL).
        let mut m = h("4e544c4d53535000 02000000 0c000c00 38000000 33828ae2 0123456789abcdef \
                       0000000000000000 24002400 44000000 060070170000000f");
        m.extend(utf16le("Server"));
        m.extend(h("02000c00"));
        m.extend(utf16le("Domain"));
        m.extend(h("01000c00"));
        m.extend(utf16le("Server"));
        m.extend(h("00000000"));
        m
    }

    #[test]
    fn vector_challenge_message() {
        let raw = challenge_4_2_4();
        assert_eq!(raw.len(), 0x44 + 0x24);
        let ch = ChallengeMessage::parse(&raw).unwrap();
        assert_eq!(ch.flags, 0xe28a8233);
        assert_eq!(ch.server_challenge, [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
        assert_eq!(ch.target_name, utf16le("Server"));
        assert_eq!(ch.av(2), Some(utf16le("Domain")));
        assert_eq!(ch.av(1), Some(utf16le("Server")));
        assert_eq!(ch.av(AV_TIMESTAMP), None);
    }

    #[test]
    fn vector_ntlmv2() {
        let key = ntowfv2("User", "Password", "Domain");
        assert_eq!(key.to_vec(), h("0c868a403bfd7a93a3001ef22ef02e3f"));
        let ch = ChallengeMessage::parse(&challenge_4_2_4()).unwrap();
        let r = v2_responses(&key, &ch.server_challenge, &[0xaa; 8], 0, &ch.target_info);
        assert_eq!(r.lm_response, h("86c35097ac9cec102554764a57cccc19 aaaaaaaaaaaaaaaa"));
        assert_eq!(r.nt_proof_str.to_vec(), h("68cd0ab851e51c96aabc927bebef6a1c"));
        assert_eq!(r.session_base_key.to_vec(), h("8de40ccadbc14a82f15cb0ad0de95ca3"));
        // temp (4.2.4.1.3).
        assert_eq!(
            r.nt_response[16..],
            h("0101000000000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000 \
               02000c0044006f006d00610069006e00 01000c00530065007200760065007200 0000000000000000")[..]
        );
        // The encrypted session key (4.2.4.2.3): RC4(SessionBaseKey, RandomSessionKey).
        assert_eq!(rc4(&r.session_base_key, &[0x55; 16]), h("c5dad2544fc9799094ce1ce90bc9d03e"));
    }

    #[test]
    fn rc4_known_answer() {
        // RFC 6229, key 0102030405060708090a0b0c0d0e0f10, first 16 bytes of keystream.
        let key: [u8; 16] = h("0102030405060708090a0b0c0d0e0f10").try_into().unwrap();
        assert_eq!(rc4(&key, &[0; 16]), h("9ac7cc9a609d1ef7b2932899cde41b97"));
    }

    struct Seq(u8);
    impl Entropy for Seq {
        fn fill(&mut self, buf: &mut [u8]) {
            buf.fill(self.0);
            self.0 = self.0.wrapping_add(0x11);
        }
    }

    fn field_of(m: &[u8], at: usize) -> Vec<u8> {
        field(m, at).unwrap().to_vec()
    }

    #[test]
    fn mechanism_builds_consistent_messages() {
        let creds = Credentials { user: "Domain\\User".into(), password: "Password".into() };
        // Client challenge aa*8, then random session key bb*16.
        let mut n = Ntlm::new(creds, "COMPUTER", Box::new(Seq(0xaa)), 0);
        assert!(!n.done());
        assert!(n.step(b"x").is_err());
        let neg = n.start().unwrap();
        assert_eq!(&neg[..8], SIGNATURE);
        assert_eq!(u32_at(&neg, 8), Some(1));
        assert_eq!(u32_at(&neg, 12), Some(CLIENT_FLAGS));
        assert!(matches!(n.step(b"garbage"), Err(AuthError::BadChallenge(_))));
        let chal = challenge_4_2_4();
        let auth = n.step(&chal).unwrap().unwrap();
        assert!(n.done());
        assert_eq!(u32_at(&auth, 8), Some(3));
        let flags = u32_at(&auth, 60).unwrap();
        assert_eq!(flags & NEGOTIATE_KEY_EXCH, NEGOTIATE_KEY_EXCH);
        assert_eq!(flags & NEGOTIATE_EXTENDED_SESSIONSECURITY, NEGOTIATE_EXTENDED_SESSIONSECURITY);
        assert_eq!(field_of(&auth, 28), utf16le("Domain"));
        assert_eq!(field_of(&auth, 36), utf16le("User"));
        assert_eq!(field_of(&auth, 44), utf16le("COMPUTER"));
        // The NT response verifies the way a server checks it: NTProofStr over the temp blob.
        let nt = field_of(&auth, 20);
        let key = ntowfv2("User", "Password", "Domain");
        let proof = hmac_md5(&key, &[&[0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef], &nt[16..]]);
        assert_eq!(proof[..], nt[..16]);
        assert_eq!(nt[32..40], [0xaa; 8]);
        // The temp blob carries MsvAvFlags with the MIC bit.
        assert!(nt.windows(8).any(|w| w == [6, 0, 4, 0, 2, 0, 0, 0]));
        // Session key exchange: the encrypted key decrypts with the session base key to bb*16.
        let base = hmac_md5(&key, &[&proof]);
        assert_eq!(rc4(&base, &field_of(&auth, 52)), vec![0xbb; 16]);
        assert_eq!(n.exported_session_key(), Some([0xbb; 16]));
        // The MIC covers the three messages with the MIC field zeroed.
        let mut zeroed = auth.clone();
        zeroed[MIC_OFFSET..MIC_OFFSET + 16].fill(0);
        assert_eq!(hmac_md5(&[0xbb; 16], &[&neg, &chal, &zeroed])[..], auth[MIC_OFFSET..MIC_OFFSET + 16]);
        // A further challenge is a refusal.
        assert_eq!(n.step(&chal), Err(AuthError::Rejected));
        // Signatures: version 1, sequence numbers counting.
        let s0 = n.sign(b"abc").unwrap();
        let s1 = n.sign(b"abc").unwrap();
        assert_eq!(s0[..4], [1, 0, 0, 0]);
        assert_eq!(s0[12..], [0, 0, 0, 0]);
        assert_eq!(s1[12..], [1, 0, 0, 0]);
        assert_ne!(s0[4..12], s1[4..12]);
    }

    #[test]
    fn server_timestamp_and_refusals() {
        // A challenge with a timestamp pair: the LM response becomes zeros.
        let mut chal = challenge_4_2_4();
        let info_at = 0x44;
        let mut info = chal.split_off(info_at);
        info.truncate(info.len() - 4);
        info.extend(h("07000800 0102030405060708 00000000"));
        chal[40..42].copy_from_slice(&(info.len() as u16).to_le_bytes());
        chal[42..44].copy_from_slice(&(info.len() as u16).to_le_bytes());
        chal.extend(&info);
        let creds = Credentials { user: "User".into(), password: "Password".into() };
        let mut n = Ntlm::new(creds.clone(), "", Box::new(Seq(1)), 99);
        n.start().unwrap();
        let auth = n.step(&chal).unwrap().unwrap();
        assert_eq!(field_of(&auth, 12), vec![0; 24]);
        assert_eq!(field_of(&auth, 28), Vec::<u8>::new());
        let nt = field_of(&auth, 20);
        assert_eq!(nt[24..32], h("0102030405060708")[..]);
        // Without target info (an NTLMv1-only server), or without Unicode: refused.
        let mut v1 = challenge_4_2_4();
        v1[22] &= !0x80; // clear NEGOTIATE_TARGET_INFO
        let mut n = Ntlm::new(creds.clone(), "", Box::new(Seq(1)), 0);
        n.start().unwrap();
        assert!(matches!(n.step(&v1), Err(AuthError::BadChallenge(_))));
        let mut oem = challenge_4_2_4();
        oem[20] &= !1;
        let mut n = Ntlm::new(creds, "", Box::new(Seq(1)), 0);
        n.start().unwrap();
        assert!(matches!(n.step(&oem), Err(AuthError::BadChallenge(_))));
    }

    #[test]
    fn challenge_parse_rejects_bad_fields() {
        let good = challenge_4_2_4();
        assert!(ChallengeMessage::parse(&good[..47]).is_none());
        let mut bad = good.clone();
        bad[8] = 3;
        assert!(ChallengeMessage::parse(&bad).is_none());
        let mut bad = good.clone();
        bad[44] = 0xff; // TargetInfo offset far out
        assert!(ChallengeMessage::parse(&bad).is_none());
        let mut bad = good.clone();
        let n = bad.len();
        bad[n - 18] = 0xff; // an AV pair length running past the end
        assert!(ChallengeMessage::parse(&bad).is_none());
        // Offsets near u32::MAX do not overflow.
        let mut bad = good;
        bad[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(ChallengeMessage::parse(&bad).is_none());
    }

    #[test]
    fn split_user_forms() {
        assert_eq!(split_user("DOM\\u"), ("DOM", "u"));
        assert_eq!(split_user("u@realm"), ("", "u@realm"));
        assert_eq!(split_user("u"), ("", "u"));
    }
}
