//! Exact evaluation of one `$or`-free alternative against a parsed event.
//!
//! Array consistency: every object in the pattern that meets an array in the event picks one
//! element of it, and all the conditions below that object are checked in that element. A
//! condition satisfied only by absence (`exists: false`) does not pick an element: when nothing
//! below an array is satisfied by a present value, absence must hold in every element.

use std::fmt::Write as _;

use crate::compile::{FieldPat, Leaf, ObjPat};
use crate::document::{EventJson, Shape};
use crate::error::write_key;

/// Outcome of checking part of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    /// Does not match.
    Fail,
    /// Matches, every condition through absence.
    Abs,
    /// Matches, with at least one condition satisfied by a present value.
    Pos,
}

/// Where and why an alternative failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The event path of the field that failed, e.g. `detail.state` or `items[0].name`.
    pub path: String,
    /// What the pattern asks for there, as written in the pattern, e.g. `["SUCCEEDED"]`.
    pub expected: String,
    /// What the event has there, e.g. `"FAILED"` or `no such field`.
    pub found: String,
}

/// Collects the first failure when explaining; compiled away when only matching.
pub(crate) trait Sink {
    const ON: bool;
    fn record(&mut self, f: Failure);
}

pub(crate) struct NoSink;

impl Sink for NoSink {
    const ON: bool = false;
    fn record(&mut self, _: Failure) {}
}

impl Sink for Option<Failure> {
    const ON: bool = true;
    fn record(&mut self, f: Failure) {
        if self.is_none() {
            *self = Some(f);
        }
    }
}

/// Whether the alternative matches `event`; records the first failure into `sink`.
pub(crate) fn eval<'a, J: EventJson<'a>, S: Sink>(p: &ObjPat, event: J, sink: &mut S) -> bool {
    eval_obj(p, Some(event), "", sink) != St::Fail
}

fn child(path: &str, key: &str) -> String {
    let mut s = path.to_owned();
    let _ = write_key(&mut s, key, path.is_empty());
    s
}

fn eval_obj<'a, J: EventJson<'a>, S: Sink>(
    p: &ObjPat,
    v: Option<J>,
    path: &str,
    sink: &mut S,
) -> St {
    match v.map(|v| (v, v.shape())) {
        Some((v, Shape::Array)) => eval_array::<J, S>(p, v.items(), path, sink),
        Some((v, Shape::Object)) => eval_fields(p, Some(v), path, sink),
        // A scalar or a missing field has nothing below it.
        _ => eval_fields::<J, S>(p, None, path, sink),
    }
}

fn eval_array<'a, J: EventJson<'a>, S: Sink>(
    p: &ObjPat,
    items: J::Items,
    path: &str,
    sink: &mut S,
) -> St {
    let mut all_abs = true;
    let mut first: Option<Failure> = None;
    for (i, item) in items.enumerate() {
        let st = if S::ON {
            let mut local: Option<Failure> = None;
            let st = eval_obj(p, Some(item), &format!("{path}[{i}]"), &mut local);
            if first.is_none() {
                first = local;
            }
            st
        } else {
            eval_obj(p, Some(item), path, &mut NoSink)
        };
        match st {
            St::Pos => return St::Pos,
            St::Abs => {}
            St::Fail => all_abs = false,
        }
    }
    if all_abs && p.absence_ok {
        return St::Abs;
    }
    if S::ON {
        sink.record(first.unwrap_or_else(|| Failure {
            path: path.to_owned(),
            expected: "an object with the pattern's nested fields".to_owned(),
            found: "[] (an empty array)".to_owned(),
        }));
    }
    St::Fail
}

fn eval_fields<'a, J: EventJson<'a>, S: Sink>(
    p: &ObjPat,
    m: Option<J>,
    path: &str,
    sink: &mut S,
) -> St {
    let mut pos = false;
    for (key, field) in &p.fields {
        let v = m.and_then(|m| m.get(key));
        let st = match field {
            FieldPat::Leaf(leaf) => {
                let st = eval_leaf(leaf, v);
                if S::ON && st == St::Fail {
                    sink.record(Failure {
                        path: child(path, key),
                        expected: leaf.display.clone(),
                        found: describe(v),
                    });
                }
                st
            }
            FieldPat::Object(sub) => {
                if S::ON {
                    eval_obj(sub, v, &child(path, key), sink)
                } else {
                    eval_obj(sub, v, path, sink)
                }
            }
        };
        match st {
            St::Fail => return St::Fail,
            St::Pos => pos = true,
            St::Abs => {}
        }
    }
    if pos { St::Pos } else { St::Abs }
}

/// Calls `f` on every leaf value at this position: the value itself, or the scalars of an
/// array (nested arrays included). Objects have no leaf value here. Stops when `f` is true.
fn any_leaf<'a, J: EventJson<'a>>(v: J, f: &mut impl FnMut(Shape<'a>) -> bool) -> bool {
    match v.shape() {
        Shape::Object => false,
        Shape::Array => v.items().any(|item| any_leaf(item, f)),
        scalar => f(scalar),
    }
}

fn eval_leaf<'a, J: EventJson<'a>>(leaf: &Leaf, v: Option<J>) -> St {
    let Some(v) = v else {
        return if leaf.has_absent { St::Abs } else { St::Fail };
    };
    let mut present = false;
    let hit = any_leaf(v, &mut |x| {
        present = true;
        leaf.has_exists || leaf.matchers.iter().any(|m| m.test(x))
    });
    if hit {
        St::Pos
    } else if !present && leaf.has_absent {
        St::Abs
    } else {
        St::Fail
    }
}

fn describe<'a, J: EventJson<'a>>(v: Option<J>) -> String {
    const MAX: usize = 120;
    let Some(v) = v else {
        return "no such field".to_owned();
    };
    match v.shape() {
        Shape::Object => "an object (values and `exists` only apply to leaf values)".to_owned(),
        Shape::Array if v.items().next().is_none() => {
            "[] (an empty array has no values)".to_owned()
        }
        _ => {
            let mut s = v.to_json();
            if s.len() > MAX {
                let mut cut = MAX;
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                s.truncate(cut);
                let _ = write!(s, "…");
            }
            s
        }
    }
}
