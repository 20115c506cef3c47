//! Type-checks a field default against the field's type, with Apache Avro Java's `isValidDefault` rules.
//!
//! Java 1.12 accepts a union default that matches any branch (not only the first) and does not check an enum
//! default against the symbols; both are kept, since Confluent accepts such schemas.

use crate::avro::{Kind, MAX_NESTING, Node, NodeId};
use crate::json::{Json, Value};

/// `Ok` if `value` is a valid default for `ty`; otherwise what was expected, for the message.
pub(crate) fn check(nodes: &[Node], ty: NodeId, value: &Json) -> Result<(), String> {
    if valid(nodes, ty, value, 0) {
        Ok(())
    } else {
        Err(expected(nodes, ty))
    }
}

fn valid(nodes: &[Node], ty: NodeId, value: &Json, depth: usize) -> bool {
    if depth > MAX_NESTING {
        return false;
    }
    let v = &value.value;
    match &nodes[ty.0 as usize].kind {
        Kind::Null => matches!(v, Value::Null),
        Kind::Boolean => matches!(v, Value::Bool(_)),
        Kind::Int => matches!(v, Value::Number(n) if n.as_i32().is_some()),
        Kind::Long => matches!(v, Value::Number(n) if n.as_i64().is_some()),
        Kind::Float | Kind::Double => matches!(v, Value::Number(_)),
        Kind::String | Kind::Bytes | Kind::Enum(_) | Kind::Fixed(_) => {
            matches!(v, Value::String(_))
        }
        Kind::Array(items) => match v {
            Value::Array(elements) => elements.iter().all(|e| valid(nodes, *items, e, depth + 1)),
            _ => false,
        },
        Kind::Map(values) => match v {
            Value::Object(members) => members
                .iter()
                .all(|m| valid(nodes, *values, &m.value, depth + 1)),
            _ => false,
        },
        Kind::Union(branches) => branches.iter().any(|b| valid(nodes, *b, value, depth + 1)),
        Kind::Record(record) => match v {
            Value::Object(_) => {
                record
                    .fields
                    .iter()
                    .all(|f| match value.get(&f.name).or(f.default.as_ref()) {
                        Some(field_value) => valid(nodes, f.ty, field_value, depth + 1),
                        None => false,
                    })
            }
            _ => false,
        },
    }
}

fn expected(nodes: &[Node], ty: NodeId) -> String {
    match &nodes[ty.0 as usize].kind {
        Kind::Null => "null (the only value of type null)".to_owned(),
        Kind::Boolean => "a boolean (true or false)".to_owned(),
        Kind::Int => "an int (an integer from -2147483648 to 2147483647)".to_owned(),
        Kind::Long => "a long (an integer that fits in 64 bits)".to_owned(),
        Kind::Float | Kind::Double => "a number".to_owned(),
        Kind::String => "a string".to_owned(),
        Kind::Bytes => "bytes (a string of code points 0-255)".to_owned(),
        Kind::Fixed(f) => format!("a fixed {} (a string of code points 0-255)", f.name),
        Kind::Enum(e) => format!("an enum {} symbol (a string)", e.name),
        Kind::Array(_) => "an array whose every element is a valid item".to_owned(),
        Kind::Map(_) => "a map (a JSON object) whose every value is valid".to_owned(),
        Kind::Union(branches) => format!(
            "a value of one of the union's branches ({})",
            branches
                .iter()
                .map(|b| nodes[b.0 as usize].kind.avro_name())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Kind::Record(r) => format!(
            "a record {} (a JSON object with a valid value for every field without a default)",
            r.name
        ),
    }
}
