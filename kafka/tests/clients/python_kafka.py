"""Protobuf interop over Kafka: confluent-kafka's Python Producer with ProtobufSerializer writes OrderPlaced records
to a cluster, a Herald worker answers, and a Python Consumer with ProtobufDeserializer reads PaymentCaptured back.

    python_kafka.py produce <registry url> <bootstrap servers> <dir> <count>
    python_kafka.py consume <registry url> <bootstrap servers> <dir> <count>

The message classes are built at run time from FileDescriptorProtos the Rust test wrote to <dir>/*.fdp (as the
registry serves them); no protoc needed. Prints one JSON object.
"""
import json
import os
import sys
import time

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

mode, url, bootstrap, work, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])

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
    client.set_compatibility(level="NONE")
    OrderPlaced = cls("shop.orders.v1.OrderPlaced")
    ser = ProtobufSerializer(OrderPlaced, client, {"auto.register.schemas": True})
    ctx = SerializationContext("orders.placed", MessageField.VALUE)
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(count):
        msg = OrderPlaced(order_id="py-%d" % i, sku="book", amount_cents=1000 + i, card="tok_ok")
        producer.produce("orders.placed", key=msg.order_id.encode(), value=ser(msg, ctx))
    out["unflushed"] = producer.flush(30)
    out["produced"] = count
elif mode == "consume":
    PaymentCaptured = cls("shop.payments.v1.PaymentCaptured")
    de = ProtobufDeserializer(PaymentCaptured, {}, client)
    ctx = SerializationContext("payments.captured", MessageField.VALUE)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "python-reader",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe(["payments.captured"])
    read = []
    deadline = time.time() + 60
    while len(read) < count and time.time() < deadline:
        m = consumer.poll(0.5)
        if m is None or m.error():
            continue
        msg = de(m.value(), ctx)
        read.append({"type": msg.DESCRIPTOR.full_name, "order_id": msg.order_id, "key": m.key().decode()})
    consumer.close()
    out["read"] = read
else:
    raise SystemExit("unknown mode " + mode)
print(json.dumps(out))
