//! Option and default values: checking a literal against a field type and rendering it the way protoc writes
//! `FieldDescriptorProto.default_value` (decimal integers, shortest round-trip floats, C-escaped bytes).

use super::ast::{ValueAst, ValueKind};
use super::model::FieldType;

/// The descriptor text of a default value, or a message saying why the value does not fit the type.
pub(crate) fn default_string(
    ty: FieldType,
    v: &ValueAst,
    enum_values: Option<&[String]>,
) -> Result<String, String> {
    let type_name = ty.scalar_name().unwrap_or("enum");
    let mismatch = || format!("the value does not fit the type `{type_name}`");
    match ty {
        FieldType::Message(_) | FieldType::Group(_) => {
            Err("message fields cannot have default values".to_string())
        }
        FieldType::Enum(_) => match &v.kind {
            ValueKind::Ident {
                negative: false,
                name,
            } => {
                if enum_values.is_some_and(|vs| vs.iter().any(|n| n == name)) {
                    Ok(name.clone())
                } else {
                    Err(format!("`{name}` is not a value of the field's enum"))
                }
            }
            _ => Err("the default of an enum field must be one of its value names".to_string()),
        },
        FieldType::Bool => match &v.kind {
            ValueKind::Ident {
                negative: false,
                name,
            } if name == "true" || name == "false" => Ok(name.clone()),
            _ => Err(mismatch()),
        },
        FieldType::String => match &v.kind {
            ValueKind::Str(s) => String::from_utf8(s.clone())
                .map_err(|_| "string defaults must be UTF-8".to_string()),
            _ => Err(mismatch()),
        },
        FieldType::Bytes => match &v.kind {
            ValueKind::Str(s) => Ok(c_escape(s)),
            _ => Err(mismatch()),
        },
        FieldType::Float | FieldType::Double => match &v.kind {
            ValueKind::Int {
                negative,
                magnitude,
            } => {
                let m = magnitude.map_or(f64::INFINITY, |m| m as f64);
                Ok(format_double(if *negative { -m } else { m }))
            }
            ValueKind::Float(f) => Ok(format_double(*f)),
            ValueKind::Ident { negative, name } => match name.to_ascii_lowercase().as_str() {
                "inf" | "infinity" => Ok(if *negative { "-inf" } else { "inf" }.to_string()),
                "nan" => Ok(if *negative { "-nan" } else { "nan" }.to_string()),
                _ => Err(mismatch()),
            },
            _ => Err(mismatch()),
        },
        _ => {
            let ValueKind::Int {
                negative,
                magnitude,
            } = &v.kind
            else {
                return Err(mismatch());
            };
            let Some(m) = magnitude else {
                return Err("integer out of range".to_string());
            };
            let value: i128 = if *negative {
                -i128::from(*m)
            } else {
                i128::from(*m)
            };
            let (lo, hi): (i128, i128) = match ty {
                FieldType::Int32 | FieldType::Sint32 | FieldType::Sfixed32 => {
                    (i32::MIN.into(), i32::MAX.into())
                }
                FieldType::Uint32 | FieldType::Fixed32 => (0, u32::MAX.into()),
                FieldType::Int64 | FieldType::Sint64 | FieldType::Sfixed64 => {
                    (i64::MIN.into(), i64::MAX.into())
                }
                _ => (0, u64::MAX.into()),
            };
            if value < lo || value > hi {
                return Err(format!("{value} is out of range for `{type_name}`"));
            }
            Ok(value.to_string())
        }
    }
}

/// protoc's `CEscape`: printable ASCII as is, `\n \r \t \" \' \\` escaped, everything else as three octal digits.
pub(crate) fn c_escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b'"' => out.push_str("\\\""),
            b'\'' => out.push_str("\\'"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out
}

/// protoc's `SimpleDtoa`: `%.15g`, or `%.17g` when 15 digits do not round-trip.
pub(crate) fn format_double(v: f64) -> String {
    if v.is_infinite() {
        return if v < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    if v.is_nan() {
        return "nan".to_string();
    }
    let s = format_g(v, 15);
    if s.parse::<f64>().ok() == Some(v) {
        s
    } else {
        format_g(v, 17)
    }
}

/// C's `%.{precision}g`.
fn format_g(v: f64, precision: usize) -> String {
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let sci = format!("{:.*e}", precision - 1, v);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= precision as i32 {
        let m = trim_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (precision as i32 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{v:.decimals$}")).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_protoc() {
        assert_eq!(format_double(1.5), "1.5");
        assert_eq!(format_double(1e10), "10000000000");
        assert_eq!(format_double(1e20), "1e+20");
        assert_eq!(format_double(0.1), "0.1");
        assert_eq!(format_double(1e-5), "1e-05");
        assert_eq!(format_double(-2.0), "-2");
        assert_eq!(format_double(0.30000000000000004), "0.30000000000000004");
    }

    #[test]
    fn bytes_escape_like_protoc() {
        assert_eq!(c_escape(b"a\n\x01\"\xff"), "a\\n\\001\\\"\\377");
    }
}
