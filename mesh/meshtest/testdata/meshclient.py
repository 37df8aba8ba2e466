"""Drives NHS England's Python mesh-client against a MESH server for
meshtest's interoperability test. Reads a JSON plan on stdin, writes a JSON
result on stdout. Needs mesh-client on PYTHONPATH.

Plan: {"url", "mailbox", "password", "shared_key", "op", ...}
  op "send":    "to", "workflow_id", "messages": [{"path", "local_id", "chunk_size", "compress"}]
                -> {"sent": [{"local_id", "message_id"}]}
  op "receive": -> {"received": [{"message_id", "local_id", "file_name", "sha256", "size", "chunks"}]}
                   (each read in full, then acknowledged)
  op "track":   "message_ids" -> {"tracked": [{"message_id", "status"}]}
"""
import hashlib
import json
import sys

from mesh_client import MeshClient


def main():
    plan = json.load(sys.stdin)
    client = MeshClient(plan["url"], plan["mailbox"], plan["password"], shared_key=plan["shared_key"].encode(), max_retries=0)
    client.handshake()
    op = plan["op"]
    if op == "send":
        sent = []
        for m in plan["messages"]:
            with open(m["path"], "rb") as f:
                message_id = client.send_message(
                    plan["to"],
                    f,
                    max_chunk_size=m["chunk_size"],
                    compress=m["compress"],
                    workflow_id=plan["workflow_id"],
                    local_id=m["local_id"],
                    filename=m["local_id"] + ".dat",
                )
            sent.append({"local_id": m["local_id"], "message_id": message_id})
        out = {"sent": sent}
    elif op == "receive":
        received = []
        for message_id in client.iterate_message_ids():
            with client.retrieve_message(message_id) as msg:
                data = msg.read()
                received.append(
                    {
                        "message_id": message_id,
                        "local_id": msg.mex_header("localid", ""),
                        "file_name": msg.mex_header("filename", ""),
                        "chunks": msg.mex_header("chunk-range", ""),
                        "sha256": hashlib.sha256(data).hexdigest(),
                        "size": len(data),
                    }
                )
                msg.acknowledge()
        out = {"received": received}
    elif op == "track":
        out = {"tracked": [{"message_id": i, "status": client.track_message(i)["status"]} for i in plan["message_ids"]]}
    else:
        raise SystemExit("unknown op " + op)
    client.close()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
