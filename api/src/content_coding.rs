//! How an answer is compressed for the client that asked (`Accept-Encoding`): brotli or gzip,
//! or not at all. GraphQL answers, made on the fly or kept whole (`page_cache`), are compressed
//! here, in one pass over the whole text; the HTTP layer compresses the other routes' answers
//! (exports, calendar feeds, GraphiQL's files) at [`QUALITY`].
use std::io::Write;

/// Gzip's level, and the HTTP layer's quality for both codings: 4, as CDNs use for answers made
/// on the fly. Brotli's default (11) is meant for files compressed once: on the group page
/// bench it was about a tenth of the server's CPU (perf).
pub const QUALITY: u32 = 4;

/// Brotli's quality for GraphQL answers. A page of 20 meetings (6.5 KB of JSON) came to 1 037
/// bytes at 3 and 1 026 at 4, in 35 µs instead of 52: quality 4's hash table is four times as
/// large (512 KiB), and clearing it for every answer cost more than finding the matches.
pub const BROTLI_QUALITY: i32 = 3;

/// Smaller answers fit in one packet either way.
pub const FROM_BYTES: usize = 1024;

/// Brotli's largest window (2^22 bytes), as its encoders use by default.
const BROTLI_LARGEST_WINDOW: i32 = 22;

/// The smallest window that holds `len` bytes (a window of 2^w holds 2^w − 16), at least
/// brotli's smallest (2^10): a smaller window is less to set up and nothing is lost, since
/// nothing lies further back than the answer's start.
fn brotli_window(len: usize) -> i32 {
    let mut window = 10;
    while window < BROTLI_LARGEST_WINDOW && (1_usize << window) - 16 < len {
        window += 1;
    }
    window
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    /// What a client accepts most, of brotli and gzip (brotli when it weighs them the same);
    /// identity when it accepts neither.
    pub fn preferred(accept_encoding: Option<&str>) -> Coding {
        let mut best = (Coding::Identity, 0.0_f32);
        for item in accept_encoding.unwrap_or_default().split(',') {
            let mut parts = item.split(';');
            let coding = match parts.next().map(str::trim) {
                Some(name) if name.eq_ignore_ascii_case("br") => Coding::Brotli,
                Some(name) if name.eq_ignore_ascii_case("gzip") => Coding::Gzip,
                _ => continue,
            };
            let weight = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let better = weight > best.1 || (weight == best.1 && coding == Coding::Brotli);
            if weight > 0.0 && better {
                best = (coding, weight);
            }
        }
        best.0
    }

    /// The `Content-Encoding` of an answer in this coding.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Brotli => Some("br"),
        }
    }

    /// `body` in this coding, and the coding it is in: small answers are sent as they are.
    pub fn encode(self, body: Vec<u8>) -> (Vec<u8>, Coding) {
        if body.len() < FROM_BYTES {
            return (body, Coding::Identity);
        }
        let encoded = match self {
            Coding::Identity => return (body, Coding::Identity),
            Coding::Gzip => {
                let level = flate2::Compression::new(QUALITY);
                let mut encoder = flate2::write::GzEncoder::new(Vec::new(), level);
                encoder.write_all(&body).and_then(|()| encoder.finish())
            }
            Coding::Brotli => {
                // The whole answer in one call, its size told: brotli sizes its tables to it.
                let params = brotli::enc::BrotliEncoderParams {
                    quality: BROTLI_QUALITY,
                    lgwin: brotli_window(body.len()),
                    size_hint: body.len(),
                    ..Default::default()
                };
                let mut out = Vec::with_capacity(body.len() / 4);
                brotli::BrotliCompress(&mut &body[..], &mut out, &params).map(|_| out)
            }
        };
        match encoded {
            Ok(encoded) => (encoded, self),
            // Writing to memory does not fail; if it did, the answer goes as it is.
            Err(_) => (body, Coding::Identity),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_client_gets_what_it_accepts_most() {
        assert_eq!(Coding::preferred(None), Coding::Identity);
        assert_eq!(Coding::preferred(Some("gzip, deflate, br")), Coding::Brotli);
        assert_eq!(Coding::preferred(Some("gzip")), Coding::Gzip);
        assert_eq!(Coding::preferred(Some("br;q=0.5, gzip")), Coding::Gzip);
        assert_eq!(
            Coding::preferred(Some("br;q=0, gzip;q=0")),
            Coding::Identity
        );
        assert_eq!(Coding::preferred(Some("identity, zstd")), Coding::Identity);
    }

    /// What a brotli client reads of `encoded`.
    fn unbrotli(encoded: &[u8]) -> Vec<u8> {
        let mut decoded = Vec::new();
        brotli::Decompressor::new(encoded, 4096)
            .read_to_end(&mut decoded)
            .unwrap();
        decoded
    }

    #[test]
    fn what_is_encoded_decodes_to_the_answer() {
        let body = "{\"data\":{\"feed\":[".repeat(200).into_bytes();
        let (brotli, coding) = Coding::Brotli.encode(body.clone());
        assert_eq!(coding, Coding::Brotli);
        assert_eq!(unbrotli(&brotli), body);

        let (gzip, coding) = Coding::Gzip.encode(body.clone());
        assert_eq!(coding, Coding::Gzip);
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&gzip[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, body);
        assert!(brotli.len() < body.len() / 4 && gzip.len() < body.len() / 4);

        // Larger than a window fitted to a small answer's first part.
        let large = (0..40_000_u32)
            .map(|n| format!("{{\"n\":{}}}", n.wrapping_mul(2_654_435_761)))
            .collect::<String>()
            .into_bytes();
        let (brotli, coding) = Coding::Brotli.encode(large.clone());
        assert_eq!(coding, Coding::Brotli);
        assert_eq!(unbrotli(&brotli), large);

        let small = b"{\"data\":{}}".to_vec();
        assert_eq!(
            Coding::Brotli.encode(small.clone()),
            (small, Coding::Identity)
        );
    }

    #[test]
    fn the_brotli_window_holds_the_answer() {
        assert_eq!(brotli_window(1_024), 11);
        assert_eq!(brotli_window(6_500), 13);
        assert_eq!(brotli_window((1 << 13) - 16), 13);
        assert_eq!(brotli_window((1 << 13) - 15), 14);
        assert_eq!(brotli_window(100 << 20), BROTLI_LARGEST_WINDOW);
    }
}
