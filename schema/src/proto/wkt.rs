//! The well-known types (`google/protobuf/*.proto`) and the editions feature files, embedded as text so imports of
//! them resolve without any include root.

/// `(import path, text)` of every built-in file.
pub(crate) const FILES: &[(&str, &str)] = &[
    (
        "google/protobuf/any.proto",
        include_str!("wkt/google/protobuf/any.proto"),
    ),
    (
        "google/protobuf/api.proto",
        include_str!("wkt/google/protobuf/api.proto"),
    ),
    (
        "google/protobuf/descriptor.proto",
        include_str!("wkt/google/protobuf/descriptor.proto"),
    ),
    (
        "google/protobuf/duration.proto",
        include_str!("wkt/google/protobuf/duration.proto"),
    ),
    (
        "google/protobuf/empty.proto",
        include_str!("wkt/google/protobuf/empty.proto"),
    ),
    (
        "google/protobuf/field_mask.proto",
        include_str!("wkt/google/protobuf/field_mask.proto"),
    ),
    (
        "google/protobuf/source_context.proto",
        include_str!("wkt/google/protobuf/source_context.proto"),
    ),
    (
        "google/protobuf/struct.proto",
        include_str!("wkt/google/protobuf/struct.proto"),
    ),
    (
        "google/protobuf/timestamp.proto",
        include_str!("wkt/google/protobuf/timestamp.proto"),
    ),
    (
        "google/protobuf/type.proto",
        include_str!("wkt/google/protobuf/type.proto"),
    ),
    (
        "google/protobuf/wrappers.proto",
        include_str!("wkt/google/protobuf/wrappers.proto"),
    ),
    (
        "google/protobuf/compiler/plugin.proto",
        include_str!("wkt/google/protobuf/compiler/plugin.proto"),
    ),
    (
        "google/protobuf/java_features.proto",
        include_str!("wkt/google/protobuf/java_features.proto"),
    ),
    (
        "google/protobuf/cpp_features.proto",
        include_str!("wkt/google/protobuf/cpp_features.proto"),
    ),
];

/// The text of a built-in file.
pub(crate) fn get(path: &str) -> Option<&'static str> {
    FILES.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
}
