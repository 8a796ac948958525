//! libpq's TLS parameters read from a URL's query or a `keyword=value`
//! connection string (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`; its
//! environment variables where the URL says nothing), and taken out of it,
//! since the driver's own parser knows none of them but `sslmode` and only
//! three of its values.

use super::ServerError;
use super::tls::url_error;

/// libpq's parameters this project does not follow: refused by name rather
/// than as the driver's "unknown option".
const NOT_FOLLOWED: [&str; 4] = ["sslpassword", "sslcrl", "sslcrldir", "sslcompression"];

/// The TLS parameters of a URL (or of libpq's environment variables).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct TlsParameters {
    pub(super) mode: Option<String>,
    pub(super) root_cert: Option<String>,
    pub(super) cert: Option<String>,
    pub(super) key: Option<String>,
}

impl TlsParameters {
    /// Takes the TLS parameters out of `url` (a URL's query, or a
    /// `keyword=value` connection string): the URL without them, and them.
    /// `sslsni` is taken and ignored (a host name is always sent).
    pub(super) fn take(url: &str) -> Result<(String, TlsParameters), ServerError> {
        let mut parameters = TlsParameters::default();
        let mut keep = |key: &str, value: String| -> Result<bool, ServerError> {
            if NOT_FOLLOWED.contains(&key) {
                return Err(url_error(format!(
                    "`{key}` is not supported: remove it (an encrypted key must be decrypted \
                     first; revocation lists are not checked)"
                )));
            }
            match key {
                "sslmode" => parameters.mode = Some(value),
                "sslrootcert" => parameters.root_cert = Some(value),
                "sslcert" => parameters.cert = Some(value),
                "sslkey" => parameters.key = Some(value),
                "sslsni" => {}
                _ => return Ok(true),
            }
            Ok(false)
        };
        let rest = if is_url(url) {
            url_without(url, &mut keep)?
        } else {
            connection_string_without(url, &mut keep)?
        };
        Ok((rest, parameters))
    }

    /// The parameters, with libpq's environment variables where the URL
    /// said nothing.
    pub(super) fn with_environment(mut self) -> TlsParameters {
        let from = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        self.mode = self.mode.or_else(|| from("PGSSLMODE"));
        self.root_cert = self.root_cert.or_else(|| from("PGSSLROOTCERT"));
        self.cert = self.cert.or_else(|| from("PGSSLCERT"));
        self.key = self.key.or_else(|| from("PGSSLKEY"));
        self
    }
}

/// Whether `url` is a URL rather than a `keyword=value` connection string.
fn is_url(url: &str) -> bool {
    let lower = url.get(..13).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// `url` without the query parameters `keep` says no to (given each key
/// and its percent-decoded value).
fn url_without(
    url: &str,
    keep: &mut impl FnMut(&str, String) -> Result<bool, ServerError>,
) -> Result<String, ServerError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok(url.to_owned());
    };
    let mut kept = Vec::new();
    for part in query.split('&') {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        let value = percent_encoding::percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| url_error(format!("the value of `{key}` is not UTF-8")))?;
        if keep(key, value.into_owned())? {
            kept.push(part);
        }
    }
    Ok(if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    })
}

/// `text`, a libpq connection string, without the pairs `keep` says no to.
/// Values are read as libpq reads them: `'quoted values'`, and a backslash
/// escaping the next character.
fn connection_string_without(
    text: &str,
    keep: &mut impl FnMut(&str, String) -> Result<bool, ServerError>,
) -> Result<String, ServerError> {
    let mut kept: Vec<&str> = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let Some(equals) = rest.find('=') else {
            // Not a connection string the driver reads: its error says so.
            return Ok(text.to_owned());
        };
        let key = rest[..equals].trim();
        let after = rest[equals + 1..].trim_start();
        let (value, length) = read_value(after);
        let pair_end = rest.len() - after.len() + length;
        if keep(key, value)? {
            kept.push(&rest[..pair_end]);
        }
        rest = rest[pair_end..].trim_start();
    }
    Ok(kept.join(" "))
}

/// A libpq value at the start of `text`, and how many bytes it takes.
fn read_value(text: &str) -> (String, usize) {
    let quoted = text.starts_with('\'');
    let mut value = String::new();
    let mut chars = text.char_indices().skip(usize::from(quoted));
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, next)) = chars.next() {
                    value.push(next);
                }
            }
            '\'' if quoted => return (value, at + 1),
            c if c.is_whitespace() && !quoted => return (value, at),
            c => value.push(c),
        }
    }
    (value, text.len())
}

#[cfg(test)]
mod tests {
    use super::TlsParameters;

    fn take(url: &str) -> (String, TlsParameters) {
        TlsParameters::take(url).expect("read")
    }

    #[test]
    fn a_urls_tls_parameters_are_taken_and_the_rest_kept() {
        let (rest, taken) = take(
            "postgres://u:p@db:5432/app?sslmode=verify-full&application_name=x\
             &sslrootcert=%2Fetc%2Fmy%20ca.crt",
        );
        assert_eq!(rest, "postgres://u:p@db:5432/app?application_name=x");
        assert_eq!(taken.mode.as_deref(), Some("verify-full"));
        assert_eq!(taken.root_cert.as_deref(), Some("/etc/my ca.crt"));
        let (rest, _) = take("postgres://db/app?sslmode=require");
        assert_eq!(rest, "postgres://db/app");
    }

    #[test]
    fn a_connection_strings_tls_parameters_are_taken_as_libpq_reads_them() {
        let (rest, taken) = take(
            "host=db sslmode = require user=app sslcert='/a b/c\\'s.crt' sslkey=/k\\ ey dbname=x",
        );
        assert_eq!(rest, "host=db user=app dbname=x");
        assert_eq!(taken.mode.as_deref(), Some("require"));
        assert_eq!(taken.cert.as_deref(), Some("/a b/c's.crt"));
        assert_eq!(taken.key.as_deref(), Some("/k ey"));
    }

    #[test]
    fn parameters_not_followed_are_refused_by_name() {
        let error = TlsParameters::take("postgres://db/app?sslpassword=secret")
            .expect_err("refused")
            .to_string();
        assert!(error.contains("`sslpassword` is not supported"), "{error}");
        assert!(!error.contains("secret"), "{error}");
    }
}
