//! Avro logical types: which are known, and when one is valid on its base type (else it is ignored, as Java does).

use crate::json::{Json, Value};

/// A logical type that is valid on the node that carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogicalType {
    Decimal { precision: u32, scale: u32 },
    BigDecimal,
    Uuid,
    Date,
    TimeMillis,
    TimeMicros,
    TimestampMillis,
    TimestampMicros,
    TimestampNanos,
    LocalTimestampMillis,
    LocalTimestampMicros,
    LocalTimestampNanos,
    Duration,
}

impl LogicalType {
    pub fn name(&self) -> &'static str {
        match self {
            LogicalType::Decimal { .. } => "decimal",
            LogicalType::BigDecimal => "big-decimal",
            LogicalType::Uuid => "uuid",
            LogicalType::Date => "date",
            LogicalType::TimeMillis => "time-millis",
            LogicalType::TimeMicros => "time-micros",
            LogicalType::TimestampMillis => "timestamp-millis",
            LogicalType::TimestampMicros => "timestamp-micros",
            LogicalType::TimestampNanos => "timestamp-nanos",
            LogicalType::LocalTimestampMillis => "local-timestamp-millis",
            LogicalType::LocalTimestampMicros => "local-timestamp-micros",
            LogicalType::LocalTimestampNanos => "local-timestamp-nanos",
            LogicalType::Duration => "duration",
        }
    }
}

/// The base type a logical type sits on, as far as validity is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    Int,
    Long,
    Bytes,
    String,
    Fixed(u32),
    Other,
}

/// Reads `logicalType` (and `precision`/`scale`) from a type's attributes. Unknown or invalid logical types give
/// `None`: like Apache Avro Java's `LogicalTypes.fromSchemaIgnoreInvalid`, the type then behaves as its base type.
pub(crate) fn from_props(props: &[(String, Json)], base: Base) -> Option<LogicalType> {
    let prop = |key: &str| props.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v);
    let name = prop("logicalType")?.as_str()?;
    let logical = match name {
        "decimal" => {
            let precision = int_prop(prop("precision"))?;
            let scale = match prop("scale") {
                None => 0,
                Some(v) => int_prop(Some(v))?,
            };
            if precision == 0 || scale > precision {
                return None;
            }
            match base {
                Base::Bytes => {}
                Base::Fixed(size) if precision <= max_precision(size) => {}
                _ => return None,
            }
            LogicalType::Decimal { precision, scale }
        }
        "big-decimal" => LogicalType::BigDecimal,
        "uuid" => LogicalType::Uuid,
        "date" => LogicalType::Date,
        "time-millis" => LogicalType::TimeMillis,
        "time-micros" => LogicalType::TimeMicros,
        "timestamp-millis" => LogicalType::TimestampMillis,
        "timestamp-micros" => LogicalType::TimestampMicros,
        "timestamp-nanos" => LogicalType::TimestampNanos,
        "local-timestamp-millis" => LogicalType::LocalTimestampMillis,
        "local-timestamp-micros" => LogicalType::LocalTimestampMicros,
        "local-timestamp-nanos" => LogicalType::LocalTimestampNanos,
        "duration" => LogicalType::Duration,
        _ => return None,
    };
    let valid = matches!(
        (&logical, base),
        (LogicalType::Decimal { .. }, _)
            | (LogicalType::BigDecimal, Base::Bytes)
            | (LogicalType::Uuid, Base::String | Base::Fixed(16))
            | (LogicalType::Date | LogicalType::TimeMillis, Base::Int)
            | (
                LogicalType::TimeMicros
                    | LogicalType::TimestampMillis
                    | LogicalType::TimestampMicros
                    | LogicalType::TimestampNanos
                    | LogicalType::LocalTimestampMillis
                    | LogicalType::LocalTimestampMicros
                    | LogicalType::LocalTimestampNanos,
                Base::Long,
            )
            | (LogicalType::Duration, Base::Fixed(12))
    );
    valid.then_some(logical)
}

fn int_prop(value: Option<&Json>) -> Option<u32> {
    match &value?.value {
        Value::Number(n) => n.as_i64().and_then(|n| u32::try_from(n).ok()),
        _ => None,
    }
}

/// The largest decimal precision a fixed of `size` bytes can hold: floor(log10(2^(8*size-1) - 1)).
fn max_precision(size: u32) -> u32 {
    if size == 0 {
        return 0;
    }
    let bits = 8.0 * f64::from(size) - 1.0;
    // log10(2^bits - 1) without overflow; exact enough for the sizes a fixed can have.
    (bits * std::f64::consts::LOG10_2).floor() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_precision_matches_the_spec_table() {
        assert_eq!(max_precision(1), 2);
        assert_eq!(max_precision(4), 9);
        assert_eq!(max_precision(8), 18);
        assert_eq!(max_precision(16), 38);
    }
}
