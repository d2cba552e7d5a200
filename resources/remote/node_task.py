#!/usr/bin/env python3
"""One node's part of a multi-node run, started by the supervisor through srun (one task per node).

Checks that this node reaches the head node (where the supervisor listens on the rendezvous port + 1)
before starting, so a bad route fails in seconds with the address in the message instead of at the
rendezvous timeout; then sets NODE_RANK and replaces itself with the run's command (via /bin/sh).
"""
import os
import socket
import sys
import time


def reach_head(addr, port, within_s=60.0):
    deadline = time.time() + within_s
    last = None
    while time.time() < deadline:
        try:
            with socket.create_connection((addr, port), timeout=5) as c:
                c.recv(64)
            return None
        except OSError as e:
            last = e
            time.sleep(0.5)
    return last


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: node_task.py COMMAND\n")
        return 2
    addr, port = os.environ.get("TB_HEAD_ADDR"), os.environ.get("TB_RDZV_PORT")
    node = os.environ.get("SLURMD_NODENAME", socket.gethostname())
    if addr and port:
        err = reach_head(addr, int(port) + 1)
        if err is not None:
            print("tunebench preflight: node %s cannot reach the head node at %s:%d (%s). Check the cluster's network "
                  "between nodes, or run on one node." % (node, addr, int(port) + 1, err), flush=True)
            return 3
        print("tunebench preflight: node %s (rank %s) reaches the head at %s" % (node, os.environ.get("SLURM_NODEID", "?"), addr), flush=True)
    os.environ["NODE_RANK"] = os.environ.get("SLURM_NODEID", "0")
    sys.stdout.flush()
    os.execv("/bin/sh", ["/bin/sh", "-c", sys.argv[1]])


if __name__ == "__main__":
    sys.exit(main())
