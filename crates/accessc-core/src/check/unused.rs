//! A505: what is declared and never used.

use super::names::Kind;
use super::{Inputs, Scope, Sink};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::AttributeDef;
use indexmap::IndexMap;

/// A505 for every name of the program that no phase resolved, and every
/// attribute no statement reads.
pub(super) fn check_unused(
    inputs: &Inputs<'_>,
    scope: &Scope<'_>,
    attributes: &IndexMap<String, AttributeDef>,
    sink: &mut Sink,
) {
    // With a syntax error somewhere, a use may sit in the part that did not parse.
    if inputs
        .program
        .diagnostics
        .iter()
        .any(|d| d.code.is_syntax())
    {
        return;
    }
    let mut out = Vec::new();
    for ((kind, name), def) in &scope.names.defs {
        if matches!(kind, Kind::Function) || inputs.is_std(def.span) {
            continue;
        }
        if !scope.used.contains(&(*kind, name.clone())) {
            let how = match kind {
                Kind::Policy => format!("add it to a function (`inline {name}`) or remove it"),
                Kind::ManagedPolicy => {
                    format!("reference it (`customer {name}` or `boundary {name}`) or remove it")
                }
                Kind::Group | Kind::User => "grant it something or remove it".to_string(),
                _ => "remove it".to_string(),
            };
            out.push(
                Diagnostic::new(
                    Code::Unused,
                    def.span,
                    format!("{} `{name}` is never used", kind.noun()),
                )
                .with_help(how),
            );
        }
    }
    for (key, a) in attributes {
        if !scope.used.contains(&(Kind::Attribute, key.clone())) {
            out.push(
                    Diagnostic::new(Code::Unused, a.span, format!("attribute `{key}` is never used"))
                        .with_help(format!("no statement reads `principal.tag.{key}`: use it in a `when` condition or remove the mapping")),
                );
        }
    }
    sink.extend(out);
}
