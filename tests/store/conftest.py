"""Fixtures of the store tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def s3_server(monkeypatch):
    moto_server = pytest.importorskip("moto.server", reason="moto[server] runs the local S3-compatible server")
    boto3 = pytest.importorskip("boto3")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="thinkset")
    yield f"{host}:{port}"
    server.stop()
