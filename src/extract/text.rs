//! Plain text in whatever encoding Chinese offices write it: UTF-8 (with or without BOM),
//! UTF-16 (Notepad's "Unicode"), GBK/GB18030 (Notepad's "ANSI" on a Chinese Windows), Big5.

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE};

/// How much of a file the detector reads: enough for any real text, bounded for a 100 MB one.
const DETECT_BYTES: usize = 1 << 20;

/// Decodes text bytes to a `String`: a BOM (UTF-8, UTF-16LE/BE) wins; then valid UTF-8; then
/// UTF-16 without a BOM (by its zero bytes); else the encoding is detected (chardetng, with the
/// `.cn` hint so GBK wins its ties) and decoded with encoding_rs. GBK is decoded as GB18030, its
/// superset, so the four-byte sequences of GB18030 come out right too. Never fails: a byte that
/// is invalid in the chosen encoding becomes U+FFFD.
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest).into_owned();
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return decode_with(UTF_16LE, rest);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return decode_with(UTF_16BE, rest);
    }
    // Before UTF-8: ASCII in UTF-16 is valid UTF-8 too, with a NUL every other byte.
    if let Some(enc) = utf16_without_bom(bytes) {
        return decode_with(enc, bytes);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_owned();
    }
    let enc = detect(bytes);
    decode_with(enc, bytes)
}

/// Guesses the legacy encoding of bytes that are not UTF-8.
fn detect(bytes: &[u8]) -> &'static Encoding {
    let mut sample = &bytes[..bytes.len().min(DETECT_BYTES)];
    let complete = sample.len() == bytes.len();
    if !complete {
        // Do not end the sample inside a multi-byte character: cut after the last newline.
        if let Some(nl) = memchr::memrchr(b'\n', sample) {
            sample = &sample[..=nl];
        }
    }
    let mut det = EncodingDetector::new(Iso2022JpDetection::Deny);
    det.feed(sample, true);
    let gbk_first = |e: &'static Encoding| if e == encoding_rs::GBK { GB18030 } else { e };
    // The `.cn` hint makes GBK win its ties with Big5 and the single-byte encodings, as it
    // should for most of our users; the generic guess and Big5 are the second opinions, taken
    // when they decode with fewer bad characters (U+FFFD, or private-use code points, which is
    // what Big5 read as GBK gives).
    let first = gbk_first(det.guess(Some(b"cn"), Utf8Detection::Allow));
    let mut best = (badness(first, sample), first);
    if best.0 == 0 {
        return first;
    }
    for cand in [
        gbk_first(det.guess(None, Utf8Detection::Allow)),
        encoding_rs::BIG5,
        GB18030,
    ] {
        let b = badness(cand, sample);
        if b < best.0 {
            best = (b, cand);
        }
    }
    best.1
}

fn badness(enc: &'static Encoding, sample: &[u8]) -> usize {
    let (s, _) = enc.decode_without_bom_handling(sample);
    s.chars()
        .filter(|&c| c == '\u{FFFD}' || ('\u{E000}'..='\u{F8FF}').contains(&c))
        .count()
}

fn decode_with(enc: &'static Encoding, bytes: &[u8]) -> String {
    let (s, _) = enc.decode_without_bom_handling(bytes);
    s.into_owned()
}

/// UTF-16 without a BOM: an even length and zero bytes on one side only, as Latin, digits and
/// line breaks leave them (Chinese text in UTF-16 without any ASCII is not recognised; nobody
/// writes that without a BOM).
pub(crate) fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096) & !1];
    if head.len() < 4 || !bytes.len().is_multiple_of(2) {
        return None;
    }
    let (mut even_zero, mut odd_zero) = (0usize, 0usize);
    for pair in head.chunks_exact(2) {
        if pair[0] == 0 {
            even_zero += 1;
        }
        if pair[1] == 0 {
            odd_zero += 1;
        }
    }
    let units = head.len() / 2;
    if odd_zero * 10 >= units * 3 && even_zero * 10 < units {
        Some(UTF_16LE)
    } else if even_zero * 10 >= units * 3 && odd_zero * 10 < units {
        Some(UTF_16BE)
    } else {
        None
    }
}
