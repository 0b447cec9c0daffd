"""A local HTTP server speaking the few Hugging Face Hub endpoints that `publish` uses.

The Hub itself cannot be reached from tests, so this replaces only the network
peer: the real ``huggingface_hub`` client builds and sends its real requests
(create repo, validate README YAML, preupload, tree listing, NDJSON commit, tag)
to 127.0.0.1. The server keeps repos, files, commits and tags in memory and
records every request (with its Authorization header) for assertions.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import yaml


@dataclass
class Repo:
    private: bool
    files: dict[str, bytes] = field(default_factory=dict)
    commits: list[dict[str, Any]] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)  # tag -> commit oid


@dataclass
class HubState:
    repos: dict[str, Repo] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)


def _handler(state: HubState, endpoint: list[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _reply(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _record(self, body: bytes) -> None:
            state.requests.append({"method": self.command, "path": self.path, "body": body,
                                   "authorization": self.headers.get("Authorization")})

        def do_GET(self) -> None:  # noqa: N802
            self._record(b"")
            match = re.match(r"^/api/datasets/(.+?/.+?)/tree/([^/?]+)", self.path)
            if match and match.group(1) in state.repos:
                files = state.repos[match.group(1)].files
                return self._reply(200, [{"type": "file", "path": p, "size": len(b),
                                          "oid": hashlib.sha1(b).hexdigest()} for p, b in sorted(files.items())])
            self._reply(404, {"error": f"not served by the test hub: GET {self.path}"})

        def do_POST(self) -> None:  # noqa: N802
            body = self._body()
            self._record(body)
            if self.path == "/api/repos/create":
                payload = json.loads(body)
                repo_id = f"{payload['organization']}/{payload['name']}"
                if repo_id in state.repos:
                    return self._reply(409, {"error": "You already created this dataset repo",
                                             "url": f"{endpoint[0]}/datasets/{repo_id}"})
                state.repos[repo_id] = Repo(private=payload.get("visibility") == "private")
                return self._reply(200, {"url": f"{endpoint[0]}/datasets/{repo_id}", "name": repo_id})
            if self.path == "/api/validate-yaml":
                content = json.loads(body)["content"]
                front = content.split("---")[1] if content.startswith("---") else ""
                try:
                    yaml.safe_load(front)
                except yaml.YAMLError as exc:
                    return self._reply(400, {"errors": [{"message": str(exc)}]})
                return self._reply(200, {"warnings": []})
            match = re.match(r"^/api/datasets/(.+?/.+?)/(preupload|commit|tag)/([^/?]+)", self.path)
            if not match or match.group(1) not in state.repos:
                return self._reply(404, {"error": f"not served by the test hub: POST {self.path}"})
            repo = state.repos[match.group(1)]
            action = match.group(2)
            if action == "preupload":
                files = json.loads(body)["files"]
                # "regular": the client sends contents inline in the commit (no LFS/Xet storage involved)
                return self._reply(200, {"files": [{"path": f["path"], "uploadMode": "regular",
                                                    "shouldIgnore": False} for f in files]})
            if action == "commit":
                lines = [json.loads(line) for line in body.splitlines() if line.strip()]
                header = next(line["value"] for line in lines if line["key"] == "header")
                for line in lines:
                    if line["key"] == "file":
                        repo.files[line["value"]["path"]] = base64.b64decode(line["value"]["content"])
                    elif line["key"] == "deletedFile":
                        repo.files.pop(line["value"]["path"], None)
                oid = hashlib.sha1(json.dumps([header, len(repo.commits)]).encode()).hexdigest()
                repo.commits.append({"oid": oid, "summary": header.get("summary"),
                                     "description": header.get("description"), "files": sorted(repo.files)})
                return self._reply(200, {"commitUrl": f"{endpoint[0]}/datasets/{match.group(1)}/commit/{oid}",
                                         "commitOid": oid})
            payload = json.loads(body)
            if payload["tag"] in repo.tags:
                return self._reply(409, {"error": f"tag {payload['tag']} already exists"})
            repo.tags[payload["tag"]] = match.group(3)
            return self._reply(200, {})

    return Handler


class HubServer:
    """``with HubServer() as hub: HfApi(endpoint=hub.url)``; ``hub.state`` holds what was received."""

    def __init__(self) -> None:
        self.state = HubState()
        self._endpoint = [""]
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state, self._endpoint))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._endpoint[0] = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
