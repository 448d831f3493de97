"""The local AWS emulator (moto server, in-process) with its S3 objects and Firehose streams kept in a folder.

    python moto_archive.py --host 127.0.0.1 --port 4566 --data-dir DIR

Each object moto stores (a PutObject, a multipart upload, a copy, a Firehose delivery: all go through
S3Backend.put_object) is written to DIR/<bucket>/<key>, byte for byte, before the request is answered: to a temporary
file, fsynced, then renamed into place. A delete removes the file. On start the folder is loaded back (buckets from
DIR/.buckets/<bucket>.json, objects with their last-modified times from the files' mtimes). If the disk write fails the
request fails and moto forgets the object, so a client never sees a success that a restart would undo.
A Firehose delivery stream is kept as it was created (DIR/.streams/<account>.<region>.<name>.json, its
CreateDeliveryStream arguments) and made again on start, so deliveries resume after a restart without a bootstrap.

GET /moto-api/archive answers {"durable": true, "dataDir": DIR}, so a client can tell this emulator from a plain one.
Key segments that are not valid file names ("", ".", "..", and characters quote() escapes) are percent-encoded.
"""

import argparse
import functools
import json
import logging
import os
import signal
import sys
import threading
import uuid
from datetime import datetime, timezone
from urllib.parse import quote, unquote

from werkzeug.serving import run_simple

from moto.core import DEFAULT_ACCOUNT_ID
from moto.firehose.models import FirehoseBackend, firehose_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.s3.models import FakeKey, S3Backend, s3_backends

SAFE = "!$&'()*+,;=:@-._~ "


def encode_segment(seg: str) -> str:
    if seg == "":
        return "%"
    if seg in (".", ".."):
        return seg.replace(".", "%2E")
    return quote(seg, safe=SAFE)


def decode_segment(seg: str) -> str:
    return "" if seg == "%" else unquote(seg)


class Store:
    """The folder: DIR/<bucket>/<key>, DIR/.buckets/<bucket>.json, DIR/.streams/, DIR/.tmp/ for writes in flight."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self.tmp = os.path.join(self.root, ".tmp")
        self.meta = os.path.join(self.root, ".buckets")
        self.streams_dir = os.path.join(self.root, ".streams")
        for d in (self.root, self.tmp, self.meta, self.streams_dir):
            os.makedirs(d, exist_ok=True)
        # Writes a kill interrupted never became objects: their temporary files go.
        for name in os.listdir(self.tmp):
            os.unlink(os.path.join(self.tmp, name))

    def path(self, bucket: str, key: str) -> str:
        return os.path.join(self.root, bucket, *(encode_segment(s) for s in key.split("/")))

    def _mkdirs(self, d: str) -> None:
        """Create `d` and its missing parents, fsyncing each parent so the new entries survive a power loss."""
        if os.path.isdir(d):
            return
        self._mkdirs(os.path.dirname(d))
        try:
            os.mkdir(d)
        except FileExistsError:
            return
        fsync_dir(os.path.dirname(d))

    def _write(self, target: str, data: bytes, mtime: float | None) -> None:
        tmp = os.path.join(self.tmp, uuid.uuid4().hex)
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if mtime is not None:
                os.utime(tmp, (mtime, mtime))
            self._mkdirs(os.path.dirname(target))
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        fsync_dir(os.path.dirname(target))

    def put(self, bucket: str, key: str, data: bytes, last_modified: datetime) -> None:
        self._write(self.path(bucket, key), data, last_modified.replace(tzinfo=timezone.utc).timestamp())

    def delete(self, bucket: str, key: str) -> None:
        target = self.path(bucket, key)
        try:
            os.unlink(target)
        except FileNotFoundError:
            return
        fsync_dir(os.path.dirname(target))
        # Folders the key's prefix no longer needs go too (the bucket's own folder stays).
        d, top = os.path.dirname(target), os.path.join(self.root, bucket)
        while d != top:
            try:
                os.rmdir(d)
            except OSError:
                break
            d = os.path.dirname(d)

    def put_bucket(self, bucket: str, region: str) -> None:
        self._mkdirs(os.path.join(self.root, bucket))
        self._write(os.path.join(self.meta, bucket + ".json"), json.dumps({"region": region}).encode(), None)

    def delete_bucket(self, bucket: str) -> None:
        meta = os.path.join(self.meta, bucket + ".json")
        if os.path.exists(meta):
            os.unlink(meta)
            fsync_dir(self.meta)
        d = os.path.join(self.root, bucket)
        if os.path.isdir(d):
            os.rmdir(d)  # moto refuses to delete a bucket with keys, so it is empty

    def _stream_path(self, account: str, region: str, name: str) -> str:
        return os.path.join(self.streams_dir, encode_segment(f"{account}.{region}.{name}") + ".json")

    def put_stream(self, account: str, region: str, name: str, args: list) -> None:
        record = {"account": account, "region": region, "args": args}
        self._write(self._stream_path(account, region, name), json.dumps(record).encode(), None)

    def delete_stream(self, account: str, region: str, name: str) -> None:
        target = self._stream_path(account, region, name)
        if os.path.exists(target):
            os.unlink(target)
            fsync_dir(self.streams_dir)

    def streams(self):
        """(account, region, CreateDeliveryStream arguments) of every stored delivery stream."""
        for name in sorted(os.listdir(self.streams_dir)):
            if name.endswith(".json"):
                with open(os.path.join(self.streams_dir, name), "rb") as f:
                    record = json.load(f)
                yield record["account"], record["region"], record["args"]

    def buckets(self):
        """(name, region) of every stored bucket."""
        for name in sorted(os.listdir(self.meta)):
            if name.endswith(".json"):
                with open(os.path.join(self.meta, name), "rb") as f:
                    yield name[: -len(".json")], json.load(f)["region"]

    def objects(self, bucket: str):
        """(key, bytes, mtime) of every object stored for `bucket`."""
        top = os.path.join(self.root, bucket)
        for d, dirs, files in os.walk(top):
            dirs.sort()
            rel = os.path.relpath(d, top)
            prefix = [] if rel == "." else [decode_segment(s) for s in rel.split(os.sep)]
            for name in sorted(files):
                p = os.path.join(d, name)
                with open(p, "rb") as f:
                    data = f.read()
                yield "/".join(prefix + [decode_segment(name)]), data, os.stat(p).st_mtime


def fsync_dir(d: str) -> None:
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def install(store: Store) -> tuple[int, int]:
    """Wrap S3Backend and FirehoseBackend so every change of an object, bucket or delivery stream reaches `store`
    before the request is answered; load the folder back. Returns the numbers of objects and streams loaded."""
    lock = threading.RLock()
    put_object, delete_object = S3Backend.put_object, S3Backend.delete_object
    create_bucket, delete_bucket = S3Backend.create_bucket, S3Backend.delete_bucket

    def sync_key(backend: S3Backend, bucket_name: str, key_name: str) -> None:
        """Make the file match the key's current version in memory: its bytes, or no file."""
        current = backend.get_bucket(bucket_name).keys.get(key_name)
        if isinstance(current, FakeKey):
            store.put(bucket_name, key_name, current.value, current.last_modified)
        else:
            store.delete(bucket_name, key_name)

    def put_object_durable(self, bucket_name, key_name, value, *args, **kwargs):
        with lock:
            bucket = self.get_bucket(bucket_name)
            before = list(bucket.keys.getlist(key_name, []))
            key = put_object(self, bucket_name, key_name, value, *args, **kwargs)
            try:
                sync_key(self, bucket_name, key_name)
            except BaseException:
                # Not on disk: not stored. The client gets an error and tries again (the poller spools).
                if before:
                    bucket.keys.setlist(key_name, before)
                elif key_name in bucket.keys:
                    bucket.keys.pop(key_name)
                raise
            return key

    def delete_object_durable(self, bucket_name, key_name, *args, **kwargs):
        with lock:
            result = delete_object(self, bucket_name, key_name, *args, **kwargs)
            sync_key(self, bucket_name, key_name)
            return result

    def create_bucket_durable(self, bucket_name, region_name, *args, **kwargs):
        with lock:
            bucket = create_bucket(self, bucket_name, region_name, *args, **kwargs)
            store.put_bucket(bucket_name, region_name)
            return bucket

    def delete_bucket_durable(self, bucket_name):
        with lock:
            bucket = delete_bucket(self, bucket_name)
            if bucket is not None:
                store.delete_bucket(bucket_name)
            return bucket

    create_stream, delete_stream = FirehoseBackend.create_delivery_stream, FirehoseBackend.delete_delivery_stream

    def create_stream_durable(self, region, name, *args):
        with lock:
            arn = create_stream(self, region, name, *args)
            try:
                store.put_stream(self.account_id, self.region_name, name, [region, name, *args])
            except BaseException:
                self.delivery_streams.pop(name, None)
                raise
            return arn

    def delete_stream_durable(self, name):
        with lock:
            delete_stream(self, name)
            store.delete_stream(self.account_id, self.region_name, name)

    FirehoseBackend.create_delivery_stream = create_stream_durable
    FirehoseBackend.delete_delivery_stream = delete_stream_durable
    S3Backend.put_object = put_object_durable
    S3Backend.delete_object = delete_object_durable
    S3Backend.create_bucket = create_bucket_durable
    S3Backend.delete_bucket = delete_bucket_durable

    # Load the folder back, through the unwrapped methods (nothing to write).
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    count = 0
    for bucket_name, region in store.buckets():
        create_bucket(backend, bucket_name, region)
        for key_name, data, mtime in store.objects(bucket_name):
            key = put_object(backend, bucket_name, key_name, data, disable_notification=True)
            key.last_modified = datetime.fromtimestamp(mtime, timezone.utc).replace(tzinfo=None)
            count += 1
    streams = 0
    for account, region, args in store.streams():
        create_stream(firehose_backends[account][region], *args)
        streams += 1
    return count, streams


def with_status(app, data_dir: str):
    """The emulator's WSGI app, plus GET /moto-api/archive saying the archive is durable and where it lives."""
    body = json.dumps({"durable": True, "dataDir": data_dir}).encode()

    def wrapped(environ, start_response):
        if environ.get("PATH_INFO") == "/moto-api/archive":
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return app(environ, start_response)

    return wrapped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", required=True, help="folder that holds the S3 objects")
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))

    store = Store(args.data_dir)
    objects, streams = install(store)
    plural = lambda n, what: f"{n} {what}" + ("" if n == 1 else "s")
    loaded = f"{plural(objects, 'object')} and {plural(streams, 'delivery stream')} loaded"
    print(f"durable S3 in {store.root}: {loaded}", flush=True)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    # moto resolves a request's service by listing its package folder and trying every URL pattern, each request;
    # the answer depends on the host alone, so it is kept. Requests are not logged one by one (errors still are).
    app.get_backend_for_host = functools.lru_cache(maxsize=256)(app.get_backend_for_host)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    run_simple(
        args.host,
        args.port,
        with_status(app, store.root),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
