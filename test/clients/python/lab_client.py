"""What a participant's Python program amounts to: confluent-kafka's Consumer with the settings a
lab protocol asks for. Prints one JSON line per event (settings, assignment, error) for
test/clients/run.ts."""
import json
import os
import signal
import sys

from confluent_kafka import Consumer, KafkaException


def emit(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


env = os.environ
conf = {"bootstrap.servers": env["CL_BOOTSTRAP"], "group.id": env["CL_GROUP"], "client.id": env["CL_CLIENT_ID"]}
shown = {}
if env.get("CL_PROTOCOL") == "consumer":
    shown["group.protocol"] = "consumer"
if env.get("CL_ASSIGNOR"):
    shown["partition.assignment.strategy"] = env["CL_ASSIGNOR"]
if env.get("CL_INSTANCE_ID"):
    conf["group.instance.id"] = env["CL_INSTANCE_ID"]
conf.update(shown)
conf["error_cb"] = lambda err: emit("error", message=str(err))
settings = ", ".join(f"{k}={v}" for k, v in shown.items())
if env.get("CL_INSTANCE_ID"):
    settings += (", " if settings else "") + "group.instance.id=<unique per participant>"
emit("settings", settings=settings or "(defaults)")

owned = set()


def report():
    emit("assigned", partitions=sorted(owned))


# Not calling assign() in the callbacks leaves it to the library, which picks the eager or the
# incremental form the group's protocol needs.
def on_assign(consumer, partitions):
    owned.update(p.partition for p in partitions)
    report()


def on_revoke(consumer, partitions):
    owned.difference_update(p.partition for p in partitions)
    report()


stop = False


def on_term(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
try:
    c = Consumer(conf)
except KafkaException as e:
    emit("error", message=str(e.args[0]))
    sys.exit(1)
c.subscribe([env["CL_TOPIC"]], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_revoke)
while not stop:
    try:
        msg = c.poll(0.5)
        if msg is not None and msg.error():
            emit("error", message=str(msg.error()))
    except KafkaException as e:
        emit("error", message=str(e.args[0]))
c.close()
