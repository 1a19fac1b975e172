//! Single-value properties written twice in one block: `region` in
//! `instance`, `root` or `management` in `org`, `path`, `description` or
//! `external` in a managed policy, `owner` or `until` in a grant. The parser
//! keeps the first occurrence in effect and every later one aside; each later
//! one is an A101 here, as a repeated function property is in `functions.rs`
//! and a repeated quota in `mod.rs`.

use super::{Inputs, Sink};
use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic};

/// A101 for each single-value setting the parser set aside as a repeat.
pub(super) fn check_repeated_properties(inputs: &Inputs<'_>, sink: &mut Sink) {
    for item in inputs.items() {
        let (repeated, place) = match &item.kind {
            ItemKind::Instance(i) => (&i.repeated, "`instance`".to_string()),
            ItemKind::Org(OrgDecl::Inline(t)) => (&t.repeated, "`org`".to_string()),
            ItemKind::ManagedPolicy(mp) => {
                (&mp.repeated, format!("managed policy `{}`", mp.name.name))
            }
            ItemKind::Grant(g) => (&g.repeated, "this grant".to_string()),
            _ => continue,
        };
        for r in repeated {
            let kw = r.keyword;
            let help = match r.value {
                PropValue::List(_) => {
                    format!("list every value in one `{kw}` line, separated by commas")
                }
                _ => format!("keep one `{kw}`"),
            };
            sink.push(
                Diagnostic::new(
                    Code::RepeatedSetting,
                    r.span,
                    format!("`{kw}` is given twice in {place}"),
                )
                .with_related(r.first, "first given here")
                .with_help(help),
            );
        }
    }
}
