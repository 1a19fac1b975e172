//! The long explanation of every diagnostic code (`accessc explain CODE`),
//! compiled in from `docs/codes/CODE.md`.

use crate::diagnostic::Severity;

macro_rules! pages {
    ($($code:literal),* $(,)?) => {
        /// Every code of the contract, with its page.
        pub const PAGES: &[(&str, &str)] = &[
            $(($code, include_str!(concat!("../../../docs/codes/", $code, ".md")))),*
        ];
    };
}

pages!(
    "A100", "A101", "A102", "A103", "A104", "A200", "A201", "A202", "A203", "A204", "A205", "A206",
    "A207", "A208", "A300", "A301", "A302", "A303", "A304", "A305", "A306", "A400", "A401", "A402",
    "A403", "A404", "A500", "A501", "A502", "A503", "A504", "A505", "A506", "A507", "A508",
);

/// One code's page, split into its parts.
#[derive(Debug, Clone)]
pub struct CodeInfo {
    pub code: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub page: &'static str,
}

impl CodeInfo {
    /// The program under `## Example`.
    pub fn example(&self) -> Option<&'static str> {
        section_code_block(self.page, "## Example")
    }

    /// The program under `## Fix`, if the fix is a whole program.
    pub fn fix(&self) -> Option<&'static str> {
        section_code_block(self.page, "## Fix")
    }
}

fn section_code_block(page: &'static str, heading: &str) -> Option<&'static str> {
    let start = page.find(heading)? + heading.len();
    let rest = &page[start..];
    let end_of_section = rest.find("\n## ").unwrap_or(rest.len());
    let section = &rest[..end_of_section];
    let open = section.find("```access")?;
    let body_start = open + "```access".len();
    let body = &section[body_start..];
    let body = body.strip_prefix('\n').unwrap_or(body);
    let close = body.find("\n```")?;
    Some(&body[..close + 1])
}

/// Look up a code (case-insensitive).
pub fn lookup(code: &str) -> Option<CodeInfo> {
    let code = code.trim().to_ascii_uppercase();
    PAGES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(c, page)| info(c, page))
}

/// Every code, in order.
pub fn all() -> impl Iterator<Item = CodeInfo> {
    PAGES.iter().map(|(c, p)| info(c, p))
}

fn info(code: &'static str, page: &'static str) -> CodeInfo {
    let first = page.lines().next().unwrap_or("");
    let title = first
        .split_once(": ")
        .map(|(_, t)| t.trim())
        .unwrap_or(first);
    let severity = if page.contains("Severity: warning") {
        Severity::Warning
    } else {
        Severity::Error
    };
    CodeInfo {
        code,
        title,
        severity,
        page,
    }
}
