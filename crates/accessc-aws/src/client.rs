//! The SDK clients, built from the standard credential chain, and the one
//! function every AWS call goes through: it counts the call, waits out a
//! shared back-off after throttling, retries what is worth retrying and turns
//! the SDK's error into an [`AwsError`] that names the operation.
//!
//! The SDK's own retries are off: retrying here keeps one back-off for the
//! whole process (so throttling slows every task, not just the one that was
//! throttled) and makes the call counts exact.

use super::{AwsError, ErrorKind};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_sdk_ssoadmin::config::ProvideCredentials;
use aws_sdk_ssoadmin::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How to reach AWS: the standard chain, with the usual overrides.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// Used only when neither `--region` nor the environment or profile gives one.
    pub fallback_region: Option<String>,
    pub endpoint_url: Option<String>,
    /// How long one attempt of one call may take.
    pub api_timeout: Duration,
    /// Attempts per call when throttled or in conflict (server errors get 4, no answer 3).
    pub max_attempts: u32,
    /// The first back-off after throttling; it doubles up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// An access key and secret to use instead of the credential chain
    /// (tests and benchmarks against a local endpoint).
    pub static_credentials: Option<(String, String)>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            profile: None,
            region: None,
            fallback_region: None,
            endpoint_url: None,
            api_timeout: Duration::from_secs(30),
            max_attempts: 12,
            base_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(20),
            static_credentials: None,
        }
    }
}

/// The three service clients and the state every call shares.
#[derive(Clone)]
pub struct Aws {
    pub sso: aws_sdk_ssoadmin::Client,
    pub ids: aws_sdk_identitystore::Client,
    pub org: aws_sdk_organizations::Client,
    pub region: String,
    pub backoff: Arc<Backoff>,
    calls: Arc<AtomicU64>,
    opts: Arc<ConnectOptions>,
}

impl Aws {
    /// Build the clients and make sure credentials can be had, so that a
    /// missing profile is one clear message before anything is read.
    pub async fn connect(opts: ConnectOptions) -> Result<Aws, AwsError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(opts.api_timeout.min(Duration::from_secs(10)))
                    .operation_attempt_timeout(opts.api_timeout)
                    .build(),
            );
        if let Some(p) = &opts.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &opts.region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
        if let Some(u) = &opts.endpoint_url {
            loader = loader.endpoint_url(u);
        }
        if let Some((key, secret)) = &opts.static_credentials {
            loader = loader.credentials_provider(aws_sdk_ssoadmin::config::Credentials::new(
                key.clone(),
                secret.clone(),
                None,
                None,
                "accessc-static",
            ));
        }
        let mut config = loader.load().await;
        if config.region().is_none() {
            match &opts.fallback_region {
                Some(r) => {
                    config = config
                        .into_builder()
                        .region(aws_config::Region::new(r.clone()))
                        .build();
                }
                None => {
                    return Err(AwsError::new(
                        ErrorKind::Invalid,
                        "configuration",
                        "no AWS region: pass --region, set AWS_REGION, or name the region in the program's `instance`",
                    ))
                }
            }
        }
        let region = config.region().map(|r| r.to_string()).unwrap_or_default();
        let Some(provider) = config.credentials_provider() else {
            return Err(no_credentials("no credentials provider is configured"));
        };
        if let Err(e) = provider.provide_credentials().await {
            return Err(no_credentials(&bounded_text(
                &DisplayErrorContext(&e).to_string(),
            )));
        }
        Ok(Aws {
            sso: aws_sdk_ssoadmin::Client::new(&config),
            ids: aws_sdk_identitystore::Client::new(&config),
            org: aws_sdk_organizations::Client::new(&config),
            region,
            backoff: Arc::new(Backoff::new(opts.base_backoff, opts.max_backoff)),
            calls: Arc::new(AtomicU64::new(0)),
            opts: Arc::new(opts),
        })
    }

    /// How many requests were sent so far (retries included).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Send one request (built afresh by `f` for every attempt) and retry it
    /// while AWS throttles, reports a conflict, fails on its side or does not
    /// answer; give up with the last error.
    pub async fn call<T, E, F, Fut>(&self, op: &str, f: F) -> Result<T, AwsError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        self.call_with(op, true, f).await
    }

    /// [`Aws::call`], but a ConflictException is returned at once when
    /// `retry_conflict` is false (an attach that finds the policy attached).
    pub async fn call_with<T, E, F, Fut>(
        &self,
        op: &str,
        retry_conflict: bool,
        f: F,
    ) -> Result<T, AwsError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.backoff.wait().await;
            self.calls.fetch_add(1, Ordering::Relaxed);
            let err = match f().await {
                Ok(v) => {
                    self.backoff.succeeded();
                    return Ok(v);
                }
                Err(e) => classify(op, &e),
            };
            let limit = match err.kind {
                ErrorKind::Throttled => self.opts.max_attempts,
                ErrorKind::Conflict if retry_conflict => self.opts.max_attempts,
                ErrorKind::Server => 4.min(self.opts.max_attempts),
                ErrorKind::Unreachable => 3.min(self.opts.max_attempts),
                _ => 1,
            };
            if attempt >= limit {
                return Err(err);
            }
            let pause = match err.kind {
                ErrorKind::Throttled => self.backoff.throttled(attempt),
                _ => self.backoff.retry_delay(attempt),
            };
            tokio::time::sleep(pause).await;
        }
    }
}

impl Aws {
    /// Every page of one listing, each sent through [`Aws::call`] (so with
    /// its retries and call counting): `send` sends the request for a page
    /// token (`None` first), `next` reads a page's next token, `each` takes
    /// the page. An empty token ends the listing like a missing one; a token
    /// that comes back a second time, or more than [`MAX_PAGES`] pages, is an
    /// error rather than an endless loop.
    pub async fn pages<T, E, F, Fut>(
        &self,
        op: &str,
        send: F,
        next: impl Fn(&T) -> Option<&str>,
        mut each: impl FnMut(T),
    ) -> Result<(), AwsError>
    where
        F: Fn(Option<String>) -> Fut,
        Fut: Future<Output = Result<T, SdkError<E>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut token: Option<String> = None;
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        loop {
            if seen.len() >= MAX_PAGES {
                return Err(AwsError::new(
                    ErrorKind::Server,
                    op,
                    format!("the listing goes on past {MAX_PAGES} pages: the endpoint is not answering like AWS"),
                ));
            }
            let page = self.call(op, || send(token.clone())).await?;
            let following = next(&page).filter(|t| !t.is_empty()).map(str::to_string);
            each(page);
            match following {
                None => return Ok(()),
                Some(t) if !seen.insert(t.clone()) => {
                    return Err(AwsError::new(
                        ErrorKind::Server,
                        op,
                        "the endpoint returned a page token it had returned before: the listing would never end".to_string(),
                    ))
                }
                Some(t) => token = Some(t),
            }
        }
    }
}

/// The most pages one listing may take (an endpoint that hands out new page
/// tokens for ever would otherwise never let the listing end).
pub const MAX_PAGES: usize = 100_000;

fn no_credentials(detail: &str) -> AwsError {
    AwsError::new(
        ErrorKind::Credentials,
        "loading AWS credentials",
        "no AWS credentials found",
    )
    .with_detail(detail)
}

/// At most 4 KiB of an error text (from the SDK or an untrusted endpoint).
fn bounded_text(text: &str) -> String {
    const MAX: usize = 4096;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", text.get(..end).unwrap_or(""))
}

/// Turn the SDK's error into ours.
pub fn classify<E>(op: &str, err: &SdkError<E>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let chain = bounded_text(&DisplayErrorContext(err).to_string());
    let e = match err {
        SdkError::ServiceError(ctx) => {
            let e = ctx.err();
            let status = ctx.raw().status().as_u16();
            let code = e.code().map(str::to_string);
            let message = e
                .message()
                .map(bounded_text)
                .unwrap_or_else(|| format!("HTTP {status}"));
            let kind = match code.as_deref() {
                Some(
                    "ThrottlingException"
                    | "TooManyRequestsException"
                    | "Throttling"
                    | "RequestLimitExceeded"
                    | "SlowDown",
                ) => ErrorKind::Throttled,
                Some("ConflictException" | "ConcurrentModificationException") => {
                    ErrorKind::Conflict
                }
                Some(c) if c.contains("NotFound") => ErrorKind::NotFound,
                Some(
                    "ExpiredTokenException"
                    | "ExpiredToken"
                    | "InvalidClientTokenId"
                    | "UnrecognizedClientException"
                    | "InvalidSignatureException"
                    | "SignatureDoesNotMatch"
                    | "MissingAuthenticationToken"
                    | "IncompleteSignature",
                ) => ErrorKind::Credentials,
                Some("AccessDeniedException" | "AccessDenied") => ErrorKind::AccessDenied,
                Some(
                    "ValidationException"
                    | "InvalidInputException"
                    | "SerializationException"
                    | "ServiceQuotaExceededException",
                ) => ErrorKind::Invalid,
                Some(
                    "InternalServerException" | "ServiceException" | "ServiceUnavailableException",
                ) => ErrorKind::Server,
                _ if status >= 500 => ErrorKind::Server,
                _ => ErrorKind::Other,
            };
            AwsError {
                kind,
                operation: op.to_string(),
                code: code.map(|c| bounded_text(&c)),
                message,
                detail: None,
            }
        }
        SdkError::TimeoutError(_) => AwsError::new(
            ErrorKind::Unreachable,
            op,
            "the endpoint did not answer in time",
        ),
        SdkError::DispatchFailure(_) => {
            let kind = if chain.contains("credentials") || chain.contains("identity") {
                ErrorKind::Credentials
            } else {
                ErrorKind::Unreachable
            };
            let what = if kind == ErrorKind::Credentials {
                "no usable credentials"
            } else if chain.contains("onnection refused") {
                "connection refused"
            } else if chain.contains("dns error") || chain.contains("failed to lookup address") {
                "the host name does not resolve"
            } else {
                "no connection"
            };
            AwsError::new(kind, op, what)
        }
        SdkError::ResponseError(_) => {
            AwsError::new(ErrorKind::Server, op, "the answer could not be read")
        }
        _ => {
            let kind = if chain.contains("credentials") {
                ErrorKind::Credentials
            } else {
                ErrorKind::Other
            };
            let first = chain.split(':').next().unwrap_or("").trim().to_string();
            AwsError::new(kind, op, first)
        }
    };
    e.with_detail(chain)
}

/// One back-off for the process. A throttled call waits `base × 2^(attempt-1)`
/// (jittered, capped), and every other call waits that long too, so the
/// process as a whole slows down instead of hammering a throttled API; the
/// window of asynchronous operations `apply` keeps in flight halves on a
/// throttle and grows by one per window of successes (AIMD).
pub struct Backoff {
    state: Mutex<BackoffState>,
    base: Duration,
    max: Duration,
}

struct BackoffState {
    pause_until: Option<Instant>,
    window: usize,
    max_window: usize,
    successes: usize,
    throttles: u64,
    seed: u64,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Backoff {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9)
            | 1;
        Backoff {
            state: Mutex::new(BackoffState {
                pause_until: None,
                window: 15,
                max_window: 15,
                successes: 0,
                throttles: 0,
                seed,
            }),
            base,
            max,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BackoffState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Set the largest window (`--max-in-flight`) and start there.
    pub fn set_max_window(&self, n: usize) {
        let mut s = self.lock();
        s.max_window = n.max(1);
        s.window = s.max_window;
    }

    /// How many asynchronous operations may be outstanding now.
    pub fn window(&self) -> usize {
        self.lock().window
    }

    /// How many throttles were seen.
    pub fn throttles(&self) -> u64 {
        self.lock().throttles
    }

    /// Wait while the process is backing off.
    pub async fn wait(&self) {
        let until = self.lock().pause_until;
        if let Some(t) = until {
            let now = Instant::now();
            if t > now {
                tokio::time::sleep(t - now).await;
            }
        }
    }

    fn jitter(s: &mut BackoffState, d: Duration) -> Duration {
        // xorshift64: a jitter of 50–150 %, so retries do not march in step.
        s.seed ^= s.seed << 13;
        s.seed ^= s.seed >> 7;
        s.seed ^= s.seed << 17;
        let pct = 50 + (s.seed % 101);
        d * pct as u32 / 100
    }

    fn delay(&self, attempt: u32) -> Duration {
        (self.base * 2u32.saturating_pow(attempt.saturating_sub(1).min(16))).min(self.max)
    }

    /// Record a throttle of a call's `attempt`-th try; returns how long the
    /// caller waits (every other call waits as long).
    pub fn throttled(&self, attempt: u32) -> Duration {
        let d = self.delay(attempt);
        let mut s = self.lock();
        s.throttles += 1;
        s.window = (s.window / 2).max(1);
        s.successes = 0;
        let wait = Self::jitter(&mut s, d);
        let until = Instant::now() + wait;
        if s.pause_until.is_none_or(|t| t < until) {
            s.pause_until = Some(until);
        }
        wait
    }

    /// The wait before retrying a conflict or a server error.
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        let d = self.delay(attempt);
        let mut s = self.lock();
        Self::jitter(&mut s, d)
    }

    /// Record a success.
    pub fn succeeded(&self) {
        let mut s = self.lock();
        s.successes += 1;
        if s.successes >= s.window && s.window < s.max_window {
            s.window += 1;
            s.successes = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_halve_the_window_and_successes_grow_it_back() {
        let b = Backoff::new(Duration::from_millis(10), Duration::from_millis(100));
        b.set_max_window(15);
        assert_eq!(b.window(), 15);
        let w1 = b.throttled(1);
        assert!(w1 >= Duration::from_millis(5) && w1 <= Duration::from_millis(15));
        assert_eq!(b.window(), 7);
        let w2 = b.throttled(2);
        assert!(w2 >= Duration::from_millis(10) && w2 <= Duration::from_millis(30));
        b.throttled(1);
        assert_eq!(b.window(), 1);
        for _ in 0..200 {
            b.succeeded();
        }
        assert_eq!(b.window(), 15);
        assert_eq!(b.throttles(), 3);
    }

    #[test]
    fn backoff_is_capped() {
        let b = Backoff::new(Duration::from_millis(10), Duration::from_millis(40));
        for attempt in 1..20 {
            assert!(b.throttled(attempt) <= Duration::from_millis(60));
        }
    }
}
