//! How an answer is compressed for the client that asked (`Accept-Encoding`): brotli or gzip
//! at one quality, or not at all. The HTTP layer compresses answers made on the fly with the
//! same settings; answers kept whole (`page_cache`) are compressed once, here, and sent as kept.
use std::io::Write;

/// Brotli's and gzip's quality 4, as CDNs use for answers made on the fly. Brotli's default (11)
/// is meant for files compressed once: on the group page bench it was about a tenth of the
/// server's CPU (perf).
pub const QUALITY: u32 = 4;

/// Smaller answers fit in one packet either way.
pub const FROM_BYTES: usize = 1024;

/// Brotli's window (2^22 bytes), as its encoders use by default.
const BROTLI_WINDOW: u32 = 22;

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
                let mut out = Vec::with_capacity(body.len() / 4);
                let mut encoder =
                    brotli::CompressorWriter::new(&mut out, 4096, QUALITY, BROTLI_WINDOW);
                let written = encoder.write_all(&body).and_then(|()| encoder.flush());
                drop(encoder);
                written.map(|()| out)
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

    #[test]
    fn what_is_encoded_decodes_to_the_answer() {
        let body = "{\"data\":{\"feed\":[".repeat(200).into_bytes();
        let (brotli, coding) = Coding::Brotli.encode(body.clone());
        assert_eq!(coding, Coding::Brotli);
        let mut decoded = Vec::new();
        brotli::Decompressor::new(&brotli[..], 4096)
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, body);

        let (gzip, coding) = Coding::Gzip.encode(body.clone());
        assert_eq!(coding, Coding::Gzip);
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&gzip[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, body);
        assert!(brotli.len() < body.len() / 4 && gzip.len() < body.len() / 4);

        let small = b"{\"data\":{}}".to_vec();
        assert_eq!(
            Coding::Brotli.encode(small.clone()),
            (small, Coding::Identity)
        );
    }
}
