//! Helpers shared by the fuzz targets in `fuzz_targets/` (docs/fuzzing.md): input
//! splitting, the hub's test key, and a minimal WebSocket framer and parser for the
//! read-loop target.

/// The HS256 secret every target's hub is configured with, so targets can sign tokens.
pub const SECRET: &[u8] = b"herald-fuzz-secret-0123456789abcd";

/// The close codes docs/protocol.md §7 documents: the only ones the hub may send.
pub const DOCUMENTED_CLOSE_CODES: [u16; 11] = [1000, 1001, 1002, 1007, 1009, 4401, 4408, 4409, 4429, 4500, 4503];

/// The mask key of the frames [`client_frame`] builds (clients must mask, RFC 6455 §5.3).
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Whether `c` may not appear in a subject, a `sub` or an `org` (docs/protocol.md §3): general
/// category Cc (control), Cf (format) or Zl/Zp (line and paragraph separators), read from the
/// `unicode-properties` tables, independently of the hub's own table.
pub fn hidden_char(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

/// Splits `data` at every `separator`, into at most `max` pieces (the last keeps the rest).
pub fn split(data: &[u8], separator: u8, max: usize) -> Vec<&[u8]> {
    data.splitn(max.max(1), |b| *b == separator).collect()
}

/// One masked client frame: FIN set, `opcode`, `payload`.
pub fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x80 | (opcode & 0x0f)];
    match payload.len() {
        n @ 0..=125 => frame.push(0x80 | n as u8),
        n @ 126..=0xffff => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&MASK);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    frame
}

/// One frame a server sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerWsFrame {
    /// FIN bit.
    pub fin: bool,
    /// The opcode (1 text, 2 binary, 8 close, 9 ping, 10 pong, 0 continuation).
    pub opcode: u8,
    /// The payload (servers never mask).
    pub payload: Vec<u8>,
}

/// Parses what a server wrote after its handshake into frames, checking RFC 6455 §5 rules
/// a server must follow: no mask, no RSV bits (no extension is negotiated), known opcodes,
/// control frames unfragmented and at most 125 bytes, minimal length encoding.
///
/// # Errors
/// A description of the first rule broken, or of a truncated frame.
pub fn parse_server_frames(bytes: &[u8]) -> Result<Vec<ServerWsFrame>, String> {
    parse_frames(bytes, false)
}

/// The close codes of the Close frames at the start of a client's byte stream, up to the
/// first frame that does not parse (the hub's WebSocket layer echoes a client's close code
/// in its reply, RFC 6455 §5.5.1).
pub fn client_close_codes(bytes: &[u8]) -> Vec<u16> {
    let mut codes = Vec::new();
    let mut rest = bytes;
    while let Ok(Some((frame, len))) = parse_one(rest, true) {
        if frame.opcode == 8 && frame.payload.len() >= 2 {
            codes.push(u16::from_be_bytes([frame.payload[0], frame.payload[1]]));
        }
        rest = &rest[len..];
    }
    codes
}

fn parse_frames(mut bytes: &[u8], masked: bool) -> Result<Vec<ServerWsFrame>, String> {
    let mut frames = Vec::new();
    while let Some((frame, len)) = parse_one(bytes, masked)? {
        frames.push(frame);
        bytes = &bytes[len..];
    }
    Ok(frames)
}

/// One frame from the start of `bytes` and its length; `None` when `bytes` is empty.
fn parse_one(bytes: &[u8], masked: bool) -> Result<Option<(ServerWsFrame, usize)>, String> {
    if bytes.is_empty() {
        return Ok(None);
    }
    {
        if bytes.len() < 2 {
            return Err("truncated frame header".into());
        }
        let (b0, b1) = (bytes[0], bytes[1]);
        let (fin, opcode) = (b0 & 0x80 != 0, b0 & 0x0f);
        if b0 & 0x70 != 0 {
            return Err(format!("RSV bits set: {b0:#04x}"));
        }
        if (b1 & 0x80 != 0) != masked {
            return Err(if masked { "a client frame is not masked" } else { "a server frame is masked" }.into());
        }
        if !matches!(opcode, 0 | 1 | 2 | 8 | 9 | 10) {
            return Err(format!("reserved opcode {opcode}"));
        }
        let (len, header): (usize, usize) = match b1 & 0x7f {
            126 if bytes.len() >= 4 => (usize::from(u16::from_be_bytes([bytes[2], bytes[3]])), 4),
            127 if bytes.len() >= 10 => {
                let mut eight = [0u8; 8];
                eight.copy_from_slice(&bytes[2..10]);
                (usize::try_from(u64::from_be_bytes(eight)).map_err(|_| "length overflows usize")?, 10)
            }
            126 | 127 => return Err("truncated extended length".into()),
            n => (usize::from(n), 2),
        };
        if (header == 4 && len < 126) || (header == 10 && len <= 0xffff) {
            return Err(format!("non-minimal length encoding of {len}"));
        }
        if opcode >= 8 && (!fin || len > 125) {
            return Err(format!("control frame {opcode} fragmented or longer than 125 bytes"));
        }
        let key_len = if masked { 4 } else { 0 };
        let start = header + key_len;
        let end = start.checked_add(len).filter(|end| *end <= bytes.len()).ok_or("truncated payload")?;
        let key = &bytes[header..start];
        let payload =
            bytes[start..end].iter().enumerate().map(|(i, b)| if masked { b ^ key[i % 4] } else { *b }).collect();
        Ok(Some((ServerWsFrame { fin, opcode, payload }, end)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_frames_are_masked_and_server_frames_parse() {
        let frame = client_frame(1, b"hi");
        assert_eq!(&frame[..2], &[0x81, 0x82]);
        assert_eq!(frame.len(), 2 + 4 + 2);
        let long = client_frame(2, &[0u8; 300]);
        assert_eq!(&long[..4], &[0x82, 0x80 | 126, 1, 44]);

        let server = [0x81, 0x02, b'h', b'i', 0x88, 0x02, 0x03, 0xe8];
        let frames = parse_server_frames(&server).unwrap();
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[1], ServerWsFrame { fin: true, opcode: 8, payload: vec![0x03, 0xe8] });
        assert!(parse_server_frames(&[0x81, 0x82, 0, 0, 0, 0, 1, 2]).is_err(), "masked");
        assert!(parse_server_frames(&[0x81, 0x05, b'h']).is_err(), "truncated");
        assert!(parse_server_frames(&[0x09, 0x00]).is_err(), "fragmented ping");
        let close = client_frame(8, &4072u16.to_be_bytes());
        assert_eq!(client_close_codes(&[client_frame(1, b"x"), close].concat()), vec![4072]);
    }

    #[test]
    fn split_keeps_the_rest_in_the_last_piece() {
        assert_eq!(split(b"a\0b\0c", 0, 2), vec![&b"a"[..], &b"b\0c"[..]]);
        assert_eq!(split(b"", 0, 3), vec![&b""[..]]);
    }
}
