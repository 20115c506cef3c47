//! Subject name strategies: which registry subject a topic's record values are registered and looked up under.

/// How the subject of a record value is named, as in Confluent's serializers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubjectNameStrategy {
    /// `<topic>-value` (Confluent's default): one schema lineage per topic.
    #[default]
    TopicName,
    /// `<full name>`: one lineage per message type, whatever the topic.
    RecordName,
    /// `<topic>-<full name>`: one lineage per (topic, message type).
    TopicRecordName,
}

impl SubjectNameStrategy {
    /// The subject of values of type `full_name` on `topic`.
    pub fn subject(self, topic: &str, full_name: &str) -> String {
        match self {
            SubjectNameStrategy::TopicName => format!("{topic}-value"),
            SubjectNameStrategy::RecordName => full_name.to_string(),
            SubjectNameStrategy::TopicRecordName => format!("{topic}-{full_name}"),
        }
    }

    /// Whether the subject depends on the message type (so it is known only once the schema is resolved).
    pub fn uses_record_name(self) -> bool {
        !matches!(self, SubjectNameStrategy::TopicName)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_follow_confluent_naming() {
        let (t, n) = ("orders.placed", "shop.orders.v1.OrderPlaced");
        assert_eq!(
            SubjectNameStrategy::default().subject(t, n),
            "orders.placed-value"
        );
        assert_eq!(
            SubjectNameStrategy::RecordName.subject(t, n),
            "shop.orders.v1.OrderPlaced"
        );
        assert_eq!(
            SubjectNameStrategy::TopicRecordName.subject(t, n),
            "orders.placed-shop.orders.v1.OrderPlaced"
        );
        assert!(!SubjectNameStrategy::TopicName.uses_record_name());
        assert!(SubjectNameStrategy::RecordName.uses_record_name());
    }
}
