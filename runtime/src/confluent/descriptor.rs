//! Message-index paths of the Confluent wire format resolved to protobuf full names with a `FileDescriptorProto`.

use prost_types::{DescriptorProto, FileDescriptorProto};

/// The fully-qualified name of the message at `indexes` in `file` (top-level index, then nested ones), or `None`
/// when the path leads nowhere.
pub fn message_name(file: &FileDescriptorProto, indexes: &[u32]) -> Option<String> {
    let (&first, rest) = indexes.split_first()?;
    let mut message: &DescriptorProto = file.message_type.get(usize::try_from(first).ok()?)?;
    let mut name = match file.package() {
        "" => message.name().to_string(),
        pkg => format!("{pkg}.{}", message.name()),
    };
    for &i in rest {
        message = message.nested_type.get(usize::try_from(i).ok()?)?;
        name.push('.');
        name.push_str(message.name());
    }
    Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(name: &str, nested: Vec<DescriptorProto>) -> DescriptorProto {
        DescriptorProto {
            name: Some(name.to_string()),
            nested_type: nested,
            ..Default::default()
        }
    }

    #[test]
    fn paths_walk_top_level_then_nested_messages() {
        let file = FileDescriptorProto {
            package: Some("shop.v1".to_string()),
            message_type: vec![
                msg("A", vec![]),
                msg(
                    "B",
                    vec![
                        msg("MapEntry", vec![]),
                        msg("Inner", vec![msg("Deep", vec![])]),
                    ],
                ),
            ],
            ..Default::default()
        };
        assert_eq!(message_name(&file, &[0]).unwrap(), "shop.v1.A");
        assert_eq!(message_name(&file, &[1]).unwrap(), "shop.v1.B");
        assert_eq!(message_name(&file, &[1, 0]).unwrap(), "shop.v1.B.MapEntry");
        assert_eq!(
            message_name(&file, &[1, 1, 0]).unwrap(),
            "shop.v1.B.Inner.Deep"
        );
        assert_eq!(message_name(&file, &[2]), None);
        assert_eq!(message_name(&file, &[0, 0]), None);
        assert_eq!(message_name(&file, &[]), None);
        let no_package = FileDescriptorProto {
            message_type: vec![msg("Top", vec![])],
            ..Default::default()
        };
        assert_eq!(message_name(&no_package, &[0]).unwrap(), "Top");
    }
}
