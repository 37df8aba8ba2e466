"""Times NHS England's Python mesh-client sending a file to mesh-sandbox and
receiving it back (read in 1 MiB pieces, hashed, acknowledged), for
bench/mesh's side-by-side run. Prints JSON {"send_s", "receive_s", "sha256"}.
Usage: PYTHONPATH=<mesh-client> python3 pymesh.py <url> <file> <chunk bytes>
"""
import hashlib
import json
import sys
import time

from mesh_client import MeshClient

url, path, chunk = sys.argv[1], sys.argv[2], int(sys.argv[3])
sender = MeshClient(url, "X26ABC1", "password", shared_key=b"TestKey", max_chunk_size=chunk)
recipient = MeshClient(url, "X26ABC2", "password", shared_key=b"TestKey")
t0 = time.monotonic()
with open(path, "rb") as f:
    message_id = sender.send_message("X26ABC2", f, workflow_id="TEST_WORKFLOW", local_id="pymesh-bench")
t1 = time.monotonic()
h = hashlib.sha256()
with recipient.retrieve_message(message_id) as msg:
    while True:
        b = msg.read(1 << 20)
        if not b:
            break
        h.update(b)
    msg.acknowledge()
t2 = time.monotonic()
json.dump({"send_s": t1 - t0, "receive_s": t2 - t1, "sha256": h.hexdigest()}, sys.stdout)
