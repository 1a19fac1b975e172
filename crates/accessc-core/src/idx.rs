//! Typed indices: each kind of model item has its own index type
//! ([`newtype_index!`]), and [`IdxVec`] and [`IdxMap`] are indexed only by
//! theirs, so an account's index cannot look up an OU.
//!
//! An index is valid for the collection that handed it out, which only
//! grows: looking it up with `[]` cannot fail, and the one place that indexes
//! the underlying storage says so. Neither type has a `get` by index, so
//! `clippy::indexing_slicing` does not ask callers for one.

use indexmap::IndexMap;
use std::fmt;
use std::hash::Hash;
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

/// An index of one kind of item.
pub trait Idx: Copy + Eq + Ord + Hash + fmt::Debug {
    /// The index of the `i`-th item.
    fn new(i: usize) -> Self;
    /// The position it stands for.
    fn index(self) -> usize;
}

/// Define index types: `newtype_index! { /// doc \n Name; … }`.
///
/// An index is 32 bits: no program holds 2^32 items of one kind (its
/// sources are bounded far below that), and the tables of assignments, a
/// million entries and more, are half the size for it.
macro_rules! newtype_index {
    ($($(#[$meta:meta])* $name:ident;)+) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u32);

        impl $crate::idx::Idx for $name {
            fn new(i: usize) -> Self {
                $name(u32::try_from(i).unwrap_or(u32::MAX))
            }
            fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    )+};
}
pub(crate) use newtype_index;

/// A vector indexed by `I`. Items are only ever added ([`IdxVec::push`]
/// returns the new item's index), so an index it handed out stays valid.
pub struct IdxVec<I, T> {
    raw: Vec<T>,
    _idx: PhantomData<fn(&I)>,
}

impl<I: Idx, T> IdxVec<I, T> {
    pub fn new() -> Self {
        IdxVec {
            raw: Vec::new(),
            _idx: PhantomData,
        }
    }

    /// Add an item; its index.
    pub fn push(&mut self, item: T) -> I {
        let i = I::new(self.raw.len());
        self.raw.push(item);
        i
    }

    /// The index the next [`IdxVec::push`] returns.
    pub fn next_index(&self) -> I {
        I::new(self.raw.len())
    }

    pub fn len(&self) -> usize {
        self.raw.len()
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.raw.iter()
    }

    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.raw.iter_mut()
    }

    /// Each item with its index, in order.
    pub fn iter_enumerated(&self) -> impl DoubleEndedIterator<Item = (I, &T)> + '_ {
        self.raw.iter().enumerate().map(|(i, t)| (I::new(i), t))
    }

    /// Every index, in order.
    pub fn indices(&self) -> impl DoubleEndedIterator<Item = I> + '_ {
        (0..self.raw.len()).map(I::new)
    }

    /// The index of the first item that satisfies `pred`.
    pub fn position(&self, pred: impl FnMut(&T) -> bool) -> Option<I> {
        self.raw.iter().position(pred).map(I::new)
    }

    pub fn as_slice(&self) -> &[T] {
        &self.raw
    }
}

impl<I: Idx, T> Index<I> for IdxVec<I, T> {
    type Output = T;
    #[allow(
        clippy::indexing_slicing,
        reason = "an index of this type comes from `push` on this vector, which never shrinks"
    )]
    fn index(&self, i: I) -> &T {
        &self.raw[i.index()]
    }
}

impl<I: Idx, T> IndexMut<I> for IdxVec<I, T> {
    #[allow(
        clippy::indexing_slicing,
        reason = "an index of this type comes from `push` on this vector, which never shrinks"
    )]
    fn index_mut(&mut self, i: I) -> &mut T {
        &mut self.raw[i.index()]
    }
}

impl<I, T> Default for IdxVec<I, T> {
    fn default() -> Self {
        IdxVec {
            raw: Vec::new(),
            _idx: PhantomData,
        }
    }
}

impl<I, T: Clone> Clone for IdxVec<I, T> {
    fn clone(&self) -> Self {
        IdxVec {
            raw: self.raw.clone(),
            _idx: PhantomData,
        }
    }
}

impl<I, T: fmt::Debug> fmt::Debug for IdxVec<I, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.raw.fmt(f)
    }
}

impl<'a, I, T> IntoIterator for &'a IdxVec<I, T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.raw.iter()
    }
}

impl<I, T> FromIterator<T> for IdxVec<I, T> {
    fn from_iter<It: IntoIterator<Item = T>>(iter: It) -> Self {
        IdxVec {
            raw: iter.into_iter().collect(),
            _idx: PhantomData,
        }
    }
}

/// Items by name, in insertion order, indexed by `I` (the position of the
/// name). Like [`IdxVec`], it only grows.
pub struct IdxMap<I, V> {
    map: IndexMap<String, V>,
    _idx: PhantomData<fn(&I)>,
}

impl<I: Idx, V> IdxMap<I, V> {
    pub fn new() -> Self {
        IdxMap {
            map: IndexMap::new(),
            _idx: PhantomData,
        }
    }

    /// Add (or replace) the item of `name`; its index.
    pub fn insert(&mut self, name: String, item: V) -> I {
        I::new(self.map.insert_full(name, item).0)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The item of `name`.
    pub fn named(&self, name: &str) -> Option<&V> {
        self.map.get(name)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// The index of `name`.
    pub fn index_of(&self, name: &str) -> Option<I> {
        self.map.get_index_of(name).map(I::new)
    }

    pub fn get_by_index(&self, i: I) -> Option<&V> {
        self.map.get_index(i.index()).map(|(_, v)| v)
    }

    pub fn keys(&self) -> indexmap::map::Keys<'_, String, V> {
        self.map.keys()
    }

    pub fn values(&self) -> indexmap::map::Values<'_, String, V> {
        self.map.values()
    }

    pub fn iter(&self) -> indexmap::map::Iter<'_, String, V> {
        self.map.iter()
    }

    /// Each item with its index, in order.
    pub fn iter_enumerated(&self) -> impl DoubleEndedIterator<Item = (I, &V)> + '_ {
        self.map.values().enumerate().map(|(i, v)| (I::new(i), v))
    }
}

impl<I: Idx, V> Index<I> for IdxMap<I, V> {
    type Output = V;
    #[allow(
        clippy::indexing_slicing,
        reason = "an index of this type comes from `insert` or `index_of` on this map, which never shrinks"
    )]
    fn index(&self, i: I) -> &V {
        &self.map[i.index()]
    }
}

impl<I, V> Default for IdxMap<I, V> {
    fn default() -> Self {
        IdxMap {
            map: IndexMap::new(),
            _idx: PhantomData,
        }
    }
}

impl<I, V: Clone> Clone for IdxMap<I, V> {
    fn clone(&self) -> Self {
        IdxMap {
            map: self.map.clone(),
            _idx: PhantomData,
        }
    }
}

impl<I, V: fmt::Debug> fmt::Debug for IdxMap<I, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.map.fmt(f)
    }
}

impl<'a, I, V> IntoIterator for &'a IdxMap<I, V> {
    type Item = (&'a String, &'a V);
    type IntoIter = indexmap::map::Iter<'a, String, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.map.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    newtype_index! {
        A;
        B;
    }

    #[test]
    fn push_returns_the_index_of_the_item() {
        let mut v: IdxVec<A, &str> = IdxVec::new();
        let x = v.push("x");
        let y = v.push("y");
        assert_eq!((v[x], v[y]), ("x", "y"));
        assert_eq!(v.position(|s| *s == "y"), Some(y));
        assert_eq!(
            v.iter_enumerated().collect::<Vec<_>>(),
            vec![(x, &"x"), (y, &"y")]
        );
        assert_eq!(v.indices().collect::<Vec<_>>(), vec![x, y]);
    }

    #[test]
    fn a_map_is_indexed_in_insertion_order() {
        let mut m: IdxMap<B, u32> = IdxMap::new();
        let one = m.insert("one".into(), 1);
        let two = m.insert("two".into(), 2);
        assert_eq!((m[one], m[two]), (1, 2));
        assert_eq!(m.index_of("two"), Some(two));
        assert_eq!(m.index_of("three"), None);
        assert_eq!(m.get_by_index(B::new(5)), None);
        assert_eq!(
            m.iter_enumerated()
                .map(|(i, v)| (i.index(), *v))
                .collect::<Vec<_>>(),
            vec![(0, 1), (1, 2)]
        );
    }
}
