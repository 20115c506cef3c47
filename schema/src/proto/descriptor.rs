//! Conversion of a [`Module`](super::Module) to `prost_types` descriptors.
