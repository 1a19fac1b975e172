//! Go to definition and find references, for every kind of name, across the
//! files of a program and into the standard library.

use super::analysis::Analysis;
use super::convert::location;
use super::query::{self, Found};
use super::workspace::StdFiles;
use accessc_core::check::Kind;
use lsp_types::{Location, Position, Range};

fn file_start(uri: lsp_types::Uri) -> Location {
    Location::new(uri, Range::new(Position::new(0, 0), Position::new(0, 0)))
}

/// Where the thing under the cursor is defined.
pub fn definition(a: &Analysis, std: &StdFiles, found: &Found) -> Vec<Location> {
    match found {
        Found::Name { kind, name, .. } => query::definitions(a, *kind, name)
            .into_iter()
            .filter_map(|s| location(a, s))
            .collect(),
        Found::AccountId { account, .. } => {
            let name = &a.checked.model.org.accounts[*account].name;
            query::definitions(a, Kind::Account, name)
                .into_iter()
                .filter_map(|s| location(a, s))
                .collect()
        }
        Found::StdModule { name, .. } => std.uri(name).map(file_start).into_iter().collect(),
        // Only a file the program read: never one outside its directory,
        // nor a device the editor would hang on opening.
        Found::UseFile { path, .. } => a
            .program
            .sources
            .find(&path.display().to_string())
            .and_then(|f| a.uri_of(f).cloned())
            .map(file_start)
            .into_iter()
            .collect(),
        Found::External { file, .. } => file
            .and_then(|f| a.uri_of(f).cloned())
            .map(file_start)
            .into_iter()
            .collect(),
        Found::Action { .. } | Found::AwsManaged { .. } => Vec::new(),
    }
}

/// Every use of the name under the cursor (and its definition, if asked).
pub fn references(a: &Analysis, found: &Found, include_declaration: bool) -> Vec<Location> {
    let (kind, name) = match found {
        Found::Name { kind, name, .. } => (*kind, name.clone()),
        Found::AccountId { account, .. } => (
            Kind::Account,
            a.checked.model.org.accounts[*account].name.clone(),
        ),
        _ => return Vec::new(),
    };
    let mut spans = query::references(a, kind, &name);
    if include_declaration {
        spans.extend(query::definitions(a, kind, &name));
    }
    spans.sort();
    spans.dedup();
    spans.into_iter().filter_map(|s| location(a, s)).collect()
}
