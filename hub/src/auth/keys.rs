//! Turning configured key material into a verification key pinned to one algorithm.

use jsonwebtoken::{Algorithm, DecodingKey};

use super::{AuthSetupError, JwtKey, MIN_HS256_SECRET_LEN};

/// The base64 of the fixed DER prefix of every uncompressed EC P-256 SubjectPublicKeyInfo
/// (`SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING 0x04 … }`): 27 bytes,
/// so exactly 36 base64 characters.
const P256_SPKI_B64_PREFIX: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE";
/// The base64 length of a whole P-256 SubjectPublicKeyInfo (91 bytes).
const P256_SPKI_B64_LEN: usize = 124;

/// The verification key and the one algorithm it accepts.
pub(super) fn decoding_key(key: &JwtKey) -> Result<(DecodingKey, Algorithm), AuthSetupError> {
    match key {
        JwtKey::Hs256(secret) if secret.is_empty() => Err(setup("the HS256 secret is empty")),
        JwtKey::Hs256(secret) if secret.len() < MIN_HS256_SECRET_LEN => Err(AuthSetupError(format!(
            "the HS256 secret is {} bytes long; at least {MIN_HS256_SECRET_LEN} are required, of random data \
             (for example `openssl rand -base64 48`)",
            secret.len()
        ))),
        JwtKey::Hs256(secret) => Ok((DecodingKey::from_secret(secret), Algorithm::HS256)),
        JwtKey::Rs256(pem) => Ok((rsa_key(pem)?, Algorithm::RS256)),
        JwtKey::Es256(pem) => Ok((ec_p256_key(pem)?, Algorithm::ES256)),
        JwtKey::Dir(_) => Err(setup("a key directory is not one key")),
    }
}

/// Picks RS256 or ES256 from the kind of public key in `pem`.
pub(super) fn detect(pem: &[u8]) -> Result<JwtKey, AuthSetupError> {
    // `BEGIN PUBLIC KEY` (SubjectPublicKeyInfo) holds either kind, so try both.
    public_pem_body(pem)?;
    if DecodingKey::from_rsa_pem(pem).is_ok() {
        return Ok(JwtKey::Rs256(pem.to_vec()));
    }
    if DecodingKey::from_ec_pem(pem).is_ok() {
        // An EC key: P-256, or an error naming the curve requirement.
        ec_p256_key(pem)?;
        return Ok(JwtKey::Es256(pem.to_vec()));
    }
    Err(setup("the PEM holds neither an RSA nor an EC P-256 public key"))
}

/// Reads an RSA public key (`BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`).
fn rsa_key(pem: &[u8]) -> Result<DecodingKey, AuthSetupError> {
    public_pem_body(pem)?;
    DecodingKey::from_rsa_pem(pem).map_err(|_| setup("RS256 needs an RSA public key in PEM, and this is not one"))
}

/// Reads an EC P-256 public key (`BEGIN PUBLIC KEY`).
fn ec_p256_key(pem: &[u8]) -> Result<DecodingKey, AuthSetupError> {
    let body = public_pem_body(pem)?;
    let key = DecodingKey::from_ec_pem(pem)
        .map_err(|_| setup("ES256 needs an EC P-256 public key in PEM, and this is not one"))?;
    if !(body.len() == P256_SPKI_B64_LEN && body.starts_with(P256_SPKI_B64_PREFIX)) {
        return Err(setup("ES256 needs an EC key on the P-256 curve (prime256v1), in uncompressed form"));
    }
    Ok(key)
}

/// The base64 body (whitespace removed) of the first PEM block, which must hold a public
/// key: a private key or a certificate is refused with a message saying so.
fn public_pem_body(pem: &[u8]) -> Result<String, AuthSetupError> {
    let text = std::str::from_utf8(pem).map_err(|_| setup("the key is not PEM text"))?;
    let (_, after_begin) = text.split_once("-----BEGIN ").ok_or_else(|| setup("the key is not PEM text"))?;
    let (label, rest) = after_begin.split_once("-----").ok_or_else(|| setup("the key is not PEM text"))?;
    match label {
        "PUBLIC KEY" | "RSA PUBLIC KEY" => {}
        _ if label.contains("PRIVATE KEY") => {
            return Err(setup("this is a private key; configure the public key (BEGIN PUBLIC KEY)"));
        }
        _ => return Err(setup("expected a PEM public key (BEGIN PUBLIC KEY or BEGIN RSA PUBLIC KEY)")),
    }
    let (body, _) = rest.split_once("-----END ").ok_or_else(|| setup("the PEM block has no END line"))?;
    Ok(body.chars().filter(|c| !c.is_ascii_whitespace()).collect())
}

fn setup(message: &str) -> AuthSetupError {
    AuthSetupError(message.to_owned())
}
