//! Clearing the inside of a range (geth's `unsetInternal`): given a partial trie opened along
//! the left and right edge paths, remove every node strictly between them, and the leaves the
//! edges end at, so that inserting the range's leaves must rebuild exactly what was removed.
//!
//! The walk goes down both edges while they agree, to the fork node. At a fork branch, the
//! children between the edges go, then each edge is followed down clearing its inner side. At a
//! fork leaf or extension, it goes if it lies inside the range; an extension with only one edge
//! through it has that edge followed below it. Invariant: every node touched is invalidated.

use std::cmp::Ordering;

use super::{branch_nibble, invalid, short_key};
use crate::{
    Result,
    node::{Child, NodeKind},
};

/// Where a node sits, for removing it from its parent.
#[derive(Clone, Copy)]
pub(super) enum Parent {
    Root,
    Branch,
    Extension,
}

/// Which edge path `unset` follows: it clears what lies on the range's side of it.
#[derive(Clone, Copy)]
enum Edge {
    /// Clear right of the path.
    Left,
    /// Clear left of the path.
    Right,
}

/// Removes `child` (inside the range) from its parent; `Ok(true)` if it is the root, which the
/// caller must empty.
fn remove_from_parent(child: &mut Child, parent: Parent) -> Result<bool> {
    match parent {
        Parent::Root => Ok(true),
        Parent::Branch => {
            *child = Child::Empty;
            Ok(false)
        }
        Parent::Extension => Err(invalid("an extension points to a leaf or extension")),
    }
}

/// Removes every node strictly between the `left` and `right` edge paths, and the leaves on
/// them, below `child` (at `pos`). Returns `true` when the whole trie lies in the range.
pub(super) fn unset_internal(
    child: &mut Child,
    parent: Parent,
    pos: usize,
    left: &[u8],
    right: &[u8],
) -> Result<bool> {
    let Child::Node(node) = child else {
        return Err(invalid("the edge paths cross an unopened node"));
    };
    node.invalidate();
    let Some(short) = short_key(&node.kind) else {
        let NodeKind::Branch { children, .. } = &mut node.kind else {
            return Ok(false);
        };
        let (l, r) = (branch_nibble(left, pos)?, branch_nibble(right, pos)?);
        if l == r && !children[l].is_empty() {
            return unset_internal(&mut children[l], Parent::Branch, pos + 1, left, right);
        }
        for between in children.iter_mut().take(r).skip(l + 1) {
            *between = Child::Empty;
        }
        unset(&mut children[l], Parent::Branch, left, pos + 1, Edge::Left)?;
        unset(
            &mut children[r],
            Parent::Branch,
            right,
            pos + 1,
            Edge::Right,
        )?;
        return Ok(false);
    };
    let fork = |edge: &[u8]| edge[pos..].iter().take(short.len()).cmp(short.iter());
    let is_leaf = matches!(node.kind, NodeKind::Leaf { .. });
    let action = match (fork(left), fork(right)) {
        (Ordering::Equal, Ordering::Equal) if is_leaf => {
            return Err(invalid("both edges end at the same leaf"));
        }
        (Ordering::Equal, Ordering::Equal) => Action::Descend,
        (Ordering::Less, Ordering::Less) | (Ordering::Greater, Ordering::Greater) => {
            return Err(invalid("no entry of the trie lies between the edges"));
        }
        (Ordering::Equal, _) if !is_leaf => Action::Unset(Edge::Left),
        (_, Ordering::Equal) if !is_leaf => Action::Unset(Edge::Right),
        // The node lies inside the range, or is a leaf on an edge: the leaves re-create it.
        _ => return remove_from_parent(child, parent),
    };
    let NodeKind::Extension { child: below, .. } = &mut node.kind else {
        return Ok(false);
    };
    let next = pos + short.len();
    match action {
        Action::Descend => unset_internal(below, Parent::Extension, next, left, right),
        Action::Unset(Edge::Left) => {
            unset(below, Parent::Extension, left, next, Edge::Left).map(|()| false)
        }
        Action::Unset(Edge::Right) => {
            unset(below, Parent::Extension, right, next, Edge::Right).map(|()| false)
        }
    }
}

/// What `unset_internal` does below an extension both edges reach.
enum Action {
    /// Both edges go through the extension: find the fork below it.
    Descend,
    /// Only this edge goes through: clear the range's side of it below.
    Unset(Edge),
}

/// Clears, below `child` (at `pos` of `path`), everything on the range's side of the edge
/// `path`, and the leaf at its end.
fn unset(child: &mut Child, parent: Parent, path: &[u8], pos: usize, edge: Edge) -> Result<()> {
    let node = match child {
        Child::Empty => return Ok(()),
        Child::Hash(_) => return Err(invalid("the edge path crosses an unopened node")),
        Child::Node(node) => node,
    };
    node.invalidate();
    let Some(short) = short_key(&node.kind) else {
        let NodeKind::Branch { children, .. } = &mut node.kind else {
            return Ok(());
        };
        let nibble = branch_nibble(path, pos)?;
        let inside = match edge {
            Edge::Left => &mut children[nibble + 1..],
            Edge::Right => &mut children[..nibble],
        };
        inside.iter_mut().for_each(|c| *c = Child::Empty);
        return unset(&mut children[nibble], Parent::Branch, path, pos + 1, edge);
    };
    let rest = &path[pos..];
    if !rest.starts_with(&short) {
        let inside = match edge {
            Edge::Left => short.as_slice() > rest,
            Edge::Right => short.as_slice() < rest,
        };
        if inside {
            remove_from_parent(child, parent)?;
        }
        return Ok(());
    }
    match &mut node.kind {
        NodeKind::Extension { child, .. } => {
            unset(child, Parent::Extension, path, pos + short.len(), edge)
        }
        _ => remove_from_parent(child, parent).map(|_| ()),
    }
}
