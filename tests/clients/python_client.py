"""Drives a registry with confluent-kafka's SchemaRegistryClient and Avro/Protobuf serdes; prints one JSON
object with what each call returned, for the Rust end-to-end tests to assert on."""
import json
import sys

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

url = sys.argv[1]
client = SchemaRegistryClient({"url": url})
out = {}


def error_of(fn):
    try:
        fn()
    except SchemaRegistryError as e:
        return [e.http_status_code, e.error_code]
    return None


user_v1 = '{"type":"record","name":"User","namespace":"e2e","fields":[{"name":"name","type":"string"}]}'
user_v2 = ('{"type":"record","name":"User","namespace":"e2e","fields":[{"name":"name","type":"string"},'
           '{"name":"age","type":"int","default":0}]}')
user_bad = ('{"type":"record","name":"User","namespace":"e2e","fields":[{"name":"name","type":"string"},'
            '{"name":"email","type":"string"}]}')
s1 = Schema(user_v1, "AVRO")

# Registration and reads.
out["register"] = client.register_schema("users-value", s1)
out["register_again"] = client.register_schema("users-value", s1, normalize_schemas=True)
full = SchemaRegistryClient({"url": url}).register_schema_full_response("users-value", s1)
out["full"] = [full.schema_id, full.version, full.subject, full.guid is not None]
got = client.get_schema(out["register"])
out["get_schema"] = [got.schema_str, got.schema_type]
out["get_schema_subject"] = client.get_schema(out["register"], subject_name="users-value").schema_str
out["by_guid"] = client.get_schema_by_guid(full.guid).schema_str
out["types"] = sorted(client.get_schema_types())
out["subjects_by_id"] = client.get_subjects_by_schema_id(out["register"])
out["versions_by_id"] = [[v.subject, v.version] for v in client.get_schema_versions(out["register"])]
looked = client.lookup_schema("users-value", s1)
out["lookup"] = [looked.schema_id, looked.version, looked.subject]
out["lookup_missing"] = error_of(lambda: client.lookup_schema("users-value", Schema('"long"', "AVRO")))
out["subjects"] = client.get_subjects()
out["latest"] = client.get_latest_version("users-value").version
out["version"] = client.get_version("users-value", 1).schema_id
out["versions"] = client.get_versions("users-value")
out["missing_subject"] = error_of(lambda: client.get_version("nobody", 1))

# Compatibility and config.
out["set_compat"] = client.set_compatibility("users-value", "FULL")
out["get_compat"] = client.get_compatibility("users-value")
out["test_compat"] = client.test_compatibility("users-value", Schema(user_v2, "AVRO"))
out["test_compat_all"] = client.test_compatibility_all_versions("users-value", Schema(user_v2, "AVRO"))
out["test_compat_bad"] = client.test_compatibility("users-value", Schema(user_bad, "AVRO"))
out["register_bad"] = error_of(lambda: client.register_schema("users-value", Schema(user_bad, "AVRO")))
out["register_v2"] = client.register_schema("users-value", Schema(user_v2, "AVRO"))
out["global_config"] = client.get_config().compatibility_level
out["delete_config"] = str(client.delete_config("users-value").compatibility_level)
out["missing_config"] = error_of(lambda: client.get_compatibility("users-value"))

# Modes and contexts.
out["update_mode"] = client.update_mode("users-value", "READONLY")
out["get_mode"] = client.get_mode("users-value")
out["readonly_register"] = error_of(lambda: client.register_schema("users-value", Schema('"bytes"', "AVRO")))
out["delete_mode"] = client.delete_mode("users-value")
out["global_mode"] = client.get_global_mode()
out["update_global_mode"] = client.update_global_mode("READWRITE")
out["contexts"] = client.get_contexts()

# Deletes.
client.register_schema("tmp", Schema('"string"', "AVRO"))
out["delete_subject"] = client.delete_subject("tmp")
out["subjects_deleted"] = client.get_subjects(deleted=True)
out["delete_subject_permanent"] = client.delete_subject("tmp", permanent=True)
out["delete_version"] = client.delete_version("users-value", 2)
out["versions_after_delete"] = client.get_versions("users-value")
out["referenced_by"] = client.get_referenced_by("users-value", 1)

# Data contracts: metadata and the latest-with-metadata lookup; references between Avro subjects.
from confluent_kafka.schema_registry import Metadata, MetadataProperties, SchemaReference  # noqa: E402

owned = Schema('"string"', "AVRO", metadata=Metadata(None, MetadataProperties({"owner": "team-a"}), None))
client.register_schema("owned", owned)
client.set_compatibility("owned", "NONE")
client.register_schema("owned", Schema('"int"', "AVRO",
                                       metadata=Metadata(None, MetadataProperties({"owner": "team-b"}), None)))
found = client.get_latest_with_metadata("owned", {"owner": "team-a"})
out["latest_with_metadata"] = [found.version, found.schema.metadata.properties.properties]
client.register_schema("address", Schema('{"type":"record","name":"Address","namespace":"e2e",'
                                         '"fields":[{"name":"city","type":"string"}]}', "AVRO"))
person_id = client.register_schema("person", Schema(
    '{"type":"record","name":"Person","namespace":"e2e","fields":[{"name":"home","type":"e2e.Address"}]}',
    "AVRO", [SchemaReference("e2e.Address", "address", 1)]))
out["referenced_by_address"] = client.get_referenced_by("address", 1) == [person_id]
person = client.get_schema(person_id)
out["person_references"] = [[r.name, r.subject, r.version] for r in person.references]

# Avro serializer round trip (auto-registers under the topic's value subject).
serializer = AvroSerializer(client, user_v2)
deserializer = AvroDeserializer(client)
ctx = SerializationContext("people", MessageField.VALUE)
payload = serializer({"name": "Ada", "age": 36}, ctx)
out["wire"] = [payload[0], int.from_bytes(payload[1:5], "big")]
out["round_trip"] = deserializer(payload, ctx)
out["people_subjects"] = [s for s in client.get_subjects() if s.startswith("people")]

# Protobuf serializer round trip: the serializer sends a base64 FileDescriptorProto, the deserializer asks for
# format=serialized.
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory  # noqa: E402
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer  # noqa: E402

fdp = descriptor_pb2.FileDescriptorProto(name="e2e/greeting.proto", package="e2e", syntax="proto3")
msg = fdp.message_type.add(name="Greeting")
msg.field.add(name="text", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
              label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
pool = descriptor_pool.DescriptorPool()
pool.Add(fdp)
Greeting = message_factory.GetMessageClass(pool.FindMessageTypeByName("e2e.Greeting"))
pser = ProtobufSerializer(Greeting, client, {"use.deprecated.format": False})
pdes = ProtobufDeserializer(Greeting, {"use.deprecated.format": False})
pctx = SerializationContext("greetings", MessageField.VALUE)
pbytes = pser(Greeting(text="hello"), pctx)
out["protobuf_wire"] = [pbytes[0], int.from_bytes(pbytes[1:5], "big")]
out["protobuf_round_trip"] = pdes(pbytes, pctx).text
latest = client.get_latest_version("greetings-value")
out["protobuf_latest"] = [latest.version, latest.schema.schema_type]

# A .proto text schema read back as a serialized descriptor.
import base64  # noqa: E402

text_id = client.register_schema("text-proto", Schema('syntax = "proto3";\npackage t;\nmessage Ping {\n  int32 n = 1;\n}\n',
                                                      "PROTOBUF"))
serialized = client.get_schema(text_id, fmt="serialized").schema_str
parsed = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(serialized))
out["protobuf_serialized"] = [parsed.package, [m.name for m in parsed.message_type]]

print(json.dumps(out))
