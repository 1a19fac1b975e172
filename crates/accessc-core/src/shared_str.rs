//! [`SharedStr`]: an immutable, reference-counted string for text that many
//! values repeat. A large organization lowers to hundreds of thousands of
//! assignments that name a few hundred permission sets, principals and
//! accounts; each assignment holds a pointer to one shared copy of each name
//! instead of a string of its own.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// An immutable string whose clones share one allocation. It reads as a
/// `&str` (`Deref`, `AsRef`, `Borrow`), compares with `str` and `String`,
/// and is a plain string in JSON.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SharedStr(Arc<str>);

impl SharedStr {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The shared allocation itself.
    pub fn as_arc(&self) -> &Arc<str> {
        &self.0
    }
}

impl Default for SharedStr {
    fn default() -> SharedStr {
        SharedStr(Arc::from(""))
    }
}

impl Deref for SharedStr {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for SharedStr {
    fn from(s: &str) -> SharedStr {
        SharedStr(Arc::from(s))
    }
}

impl From<String> for SharedStr {
    fn from(s: String) -> SharedStr {
        SharedStr(Arc::from(s))
    }
}

impl From<&String> for SharedStr {
    fn from(s: &String) -> SharedStr {
        SharedStr(Arc::from(s.as_str()))
    }
}

impl From<Arc<str>> for SharedStr {
    fn from(s: Arc<str>) -> SharedStr {
        SharedStr(s)
    }
}

impl From<SharedStr> for String {
    fn from(s: SharedStr) -> String {
        s.0.to_string()
    }
}

impl From<SharedStr> for Arc<str> {
    fn from(s: SharedStr) -> Arc<str> {
        s.0
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<SharedStr> for str {
    fn eq(&self, other: &SharedStr) -> bool {
        *self == *other.0
    }
}

impl PartialEq<SharedStr> for &str {
    fn eq(&self, other: &SharedStr) -> bool {
        **self == *other.0
    }
}

impl PartialEq<SharedStr> for String {
    fn eq(&self, other: &SharedStr) -> bool {
        **self == *other.0
    }
}

impl Serialize for SharedStr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SharedStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SharedStr, D::Error> {
        String::deserialize(d).map(SharedStr::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_allocation_and_read_as_the_text() {
        let a = SharedStr::from("AppDeveloper");
        let b = a.clone();
        assert!(Arc::ptr_eq(a.as_arc(), b.as_arc()));
        assert_eq!(a, "AppDeveloper");
        assert_eq!("AppDeveloper".to_string(), a);
        assert_eq!(format!("{a} {a:?}"), "AppDeveloper \"AppDeveloper\"");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"AppDeveloper\"");
        let back: SharedStr = serde_json::from_str("\"App\\nDeveloper\"").unwrap();
        assert_eq!(back.as_str(), "App\nDeveloper");
        let (first, second) = (SharedStr::from("a"), SharedStr::from("b"));
        assert!(first < second);
    }
}
