//! The long explanation of every diagnostic code (`accessc explain CODE`):
//! the pages of the code table ([`crate::code`]), compiled in from
//! `docs/codes/CODE.md`, and the example and fix programs they hold.

pub use crate::code::CodeInfo;

impl CodeInfo {
    /// The program under `## Example`.
    pub fn example(&self) -> Option<&'static str> {
        section_code_block(self.page, "## Example")
    }

    /// The program under `## Fix`, if the fix is a whole program.
    pub fn fix(&self) -> Option<&'static str> {
        section_code_block(self.page, "## Fix")
    }

    /// What `accessc explain CODE` prints: the page, then, for a code that
    /// covers several problems, the list of them, one line each.
    pub fn explanation(&self) -> String {
        let mut text = self.page.to_string();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        if let [_, _, ..] = self.variants {
            text.push_str(&format!("\n## Problems reported as {}\n\n", self.code));
            for v in self.variants {
                text.push_str(&format!("- {}\n", v.summary()));
            }
        }
        text
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

/// Look up a public code (case-insensitive).
pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    crate::code::lookup(code)
}

/// Every public code, in order.
pub fn all() -> impl Iterator<Item = &'static CodeInfo> {
    crate::code::CODES.iter().copied()
}
