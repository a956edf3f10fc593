//! Percent-encoding of the URL parts sobatch writes: path segments and query names and values.

/// Percent-encodes `text` byte by byte, keeping RFC 3986's unreserved characters and those of
/// `also_keep` as they are.
pub fn percent_encode(text: &str, also_keep: &[u8]) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~')
            || also_keep.contains(&byte)
        {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}
