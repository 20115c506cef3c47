"""Protobuf interop with a Herald worker through confluent-kafka's ProtobufSerializer and ProtobufDeserializer,
bytes exchanged through files (no Kafka).

    python_protobuf.py produce <registry url> <dir>   serializes OrderPlaced records for topic orders.placed
                                                       into <dir>/from_python.<n>.bin
    python_protobuf.py consume <registry url> <dir>   deserializes <dir>/from_herald.<n>.bin (PaymentCaptured
                                                       records of topic payments.captured)

The message classes are built at run time from FileDescriptorProtos the Rust test wrote to <dir>/*.fdp (serialized
`FileDescriptorProto`s of herald/options.proto and the shop's event files, as the registry returns them); no protoc
needed. Prints one JSON object.
"""
import glob
import json
import os
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

mode, url, work = sys.argv[1], sys.argv[2], sys.argv[3]

pool = descriptor_pool.DescriptorPool()
pool.AddSerializedFile(descriptor_pb2.DESCRIPTOR.serialized_pb)
for name in ["options.fdp", "orders.fdp", "payments.fdp"]:
    with open(os.path.join(work, name), "rb") as f:
        pool.AddSerializedFile(f.read())


def cls(full_name):
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(full_name))


client = SchemaRegistryClient({"url": url})
out = {}
if mode == "produce":
    # The Python serializer registers its files as serialized descriptors, which the registry stores as new
    # versions next to the Herald-registered text; this Herald build has no protobuf compatibility checks yet, so
    # registering them needs level NONE.
    client.set_compatibility(level="NONE")
    OrderPlaced = cls("shop.orders.v1.OrderPlaced")
    ser = ProtobufSerializer(OrderPlaced, client, {"auto.register.schemas": True})
    ctx = SerializationContext("orders.placed", MessageField.VALUE)
    out["written"] = []
    for i, card in enumerate(["tok_ok", "tok_ok"]):
        msg = OrderPlaced(order_id="py-%d" % i, sku="book", amount_cents=1000 + i, card=card)
        data = ser(msg, ctx)
        with open(os.path.join(work, "from_python.%d.bin" % i), "wb") as f:
            f.write(data)
        out["written"].append(data.hex())
    out["subjects"] = sorted(client.get_subjects())
elif mode == "consume":
    PaymentCaptured = cls("shop.payments.v1.PaymentCaptured")
    de = ProtobufDeserializer(PaymentCaptured, {}, client)
    ctx = SerializationContext("payments.captured", MessageField.VALUE)
    out["read"] = []
    for path in sorted(glob.glob(os.path.join(work, "from_herald.*.bin"))):
        with open(path, "rb") as f:
            msg = de(f.read(), ctx)
        out["read"].append({"type": msg.DESCRIPTOR.full_name, "order_id": msg.order_id})
else:
    raise SystemExit("unknown mode " + mode)
print(json.dumps(out))
