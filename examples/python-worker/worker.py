#!/usr/bin/env python3
"""A sobatch remote worker in Python, standard library only.

It claims tasks of the remote definitions named on the command line, reports progress with
heartbeats, and completes each one with a greeting as its Response:

    SOBATCH_URL=http://127.0.0.1:8080 SOBATCH_USER=admin SOBATCH_PASSWORD=secret \
        python3 worker.py Greet [MoreNames...] [--once] [--worker ID] [--wait SECONDS]

The work itself is a stand-in: replace `work()` with yours. The protocol is in README.md.
"""

import argparse
import base64
import json
import os
import socket
import sys
import urllib.error
import urllib.request


class LeaseLost(Exception):
    """The server no longer lets this worker write the task (409): stopped, expired or finished."""


class Server:
    def __init__(self, url, user, password):
        self.url = url.rstrip("/")
        credentials = f"{user}:{password}".encode("utf-8")
        self.auth = "Basic " + base64.b64encode(credentials).decode("ascii")

    def post(self, path, body, timeout):
        """POSTs JSON; returns (status, decoded body or None)."""
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode("utf-8"),
            method="POST",
            headers={
                "Authorization": self.auth,
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                data = response.read()
                return response.status, (json.loads(data) if data else None)
        except urllib.error.HTTPError as error:
            if error.code == 409:
                raise LeaseLost(error.read().decode("utf-8", "replace")) from None
            raise

    def claim(self, names, worker, wait):
        # The server holds the request for up to `wait` seconds; give the socket a margin.
        status, task = self.post(
            "/api/sobatch/v1/worker/claim",
            {"Names": names, "Worker": worker, "WaitSeconds": wait},
            timeout=wait + 30,
        )
        return task if status == 200 else None

    def heartbeat(self, task, percent, description):
        _, answer = self.post(
            f"/api/sobatch/v1/worker/{task['Id']}/heartbeat",
            {
                "LeaseToken": task["LeaseToken"],
                "ProgressPercent": percent,
                "ProgressDescription": description,
            },
            timeout=30,
        )
        return bool(answer and answer.get("StopRequested"))

    def complete(self, task, state, result=None, response=None, file_name=None):
        self.post(
            f"/api/sobatch/v1/worker/{task['Id']}/complete",
            {
                "LeaseToken": task["LeaseToken"],
                "State": state,
                "Result": result,
                "Response": response,
                "FileName": file_name,
            },
            timeout=30,
        )


def work(server, task):
    """The task's work: greets parameter `Who`. Heartbeat at least once per lease (30 s default)."""
    parameters = task.get("ParameterObject") or {}
    who = parameters.get("Who") or "world"
    if server.heartbeat(task, 50, f"greeting {who}"):
        server.complete(task, "Failed", result="stopped by request")
        return
    server.complete(task, "Succeeded", result="greeted", response=f"hello {who}")


def main():
    parser = argparse.ArgumentParser(description="A sobatch remote worker.")
    parser.add_argument("names", nargs="+", help="remote task names to claim")
    parser.add_argument("--once", action="store_true", help="process one task, then exit")
    parser.add_argument("--worker", default=f"{socket.gethostname()}-{os.getpid()}")
    parser.add_argument("--wait", type=float, default=30, help="long-poll seconds per claim")
    args = parser.parse_args()
    server = Server(
        os.environ.get("SOBATCH_URL", "http://127.0.0.1:8080"),
        os.environ.get("SOBATCH_USER", "admin"),
        os.environ.get("SOBATCH_PASSWORD", ""),
    )
    while True:
        task = server.claim(args.names, args.worker, args.wait)
        if task is None:
            continue
        try:
            work(server, task)
        except LeaseLost as lost:
            # Stopped (the server failed it), expired or finished elsewhere: drop the work.
            print(f"task {task['Id']}: lease lost: {lost}", file=sys.stderr)
        if args.once:
            return 0


if __name__ == "__main__":
    sys.exit(main())
