"""A client of a Berth server for Python, in one file, with nothing but the standard library.

For data scientists handing a model over from a notebook: register it, point an alias at it,
predict with named features, send feedback, and call the Open Inference Protocol with tensors
(JSON or the binary tensor extension; 64-bit integers exact, as Python's ints are).

    from berth_client import BerthClient, Tensor
    berth = BerthClient("http://127.0.0.1:8080", token=None)
    with open("loans.berth", "rb") as f:
        berth.register(f.read(), filename="loans.berth", aliases=["production"])
    answer = berth.predict("loans@production", [{"age": 41, "income": 52000}])
    berth.feedback("loans", {"requestId": answer["requestId"], "actual": "no"})
    result = berth.infer("digits", [Tensor("x", "FP32", [1, 64], pixels)], binary=True)
    result.output("y").data   # a flat list

Errors from the server raise BerthError with the catalogue code (BERTH_...), the HTTP status and
the request id. 503 and 429 answers are retried after their Retry-After.
"""

import email.utils
import json
import math
import struct
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

__all__ = ["BerthClient", "BerthError", "Tensor", "InferResult", "DATATYPES"]

HEADER_LENGTH = "Inference-Header-Content-Length"

# struct format and size of each fixed-size datatype in the binary tensor format (little-endian).
_FORMATS = {
    "BOOL": ("?", 1), "UINT8": ("B", 1), "UINT16": ("H", 2), "UINT32": ("I", 4), "UINT64": ("Q", 8),
    "INT8": ("b", 1), "INT16": ("h", 2), "INT32": ("i", 4), "INT64": ("q", 8),
    "FP16": ("e", 2), "FP32": ("f", 4), "FP64": ("d", 8),
}
DATATYPES = tuple(list(_FORMATS) + ["BYTES"])
_RETRY_STATUSES = (429, 503)


class BerthError(Exception):
    """An error: `code` is the server's catalogue code (BERTH_...), HTTP_<status> from a server
    that sent none, or TIMEOUT / NETWORK / PROTOCOL for failures on the way."""

    def __init__(self, message, code, status=None, request_id=None, body=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.request_id = request_id
        self.body = body

    def __str__(self):
        return "%s [%s]" % (self.message, self.code)


def _flatten(values):
    if isinstance(values, (list, tuple)):
        out = []
        for v in values:
            out.extend(_flatten(v))
        return out
    if hasattr(values, "tolist"):  # a numpy array, when numpy happens to be there
        return _flatten(values.tolist())
    return [values]


def _count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


class Tensor:
    """A named tensor: an OIP datatype, a shape and its elements as a flat list (row-major).
    Nested lists are flattened. Integers are checked against their type's range."""

    def __init__(self, name, datatype, shape, data, parameters=None):
        if datatype not in DATATYPES:
            raise ValueError("Tensor %r has datatype %r; use one of %s" % (name, datatype, ", ".join(DATATYPES)))
        self.name = name
        self.datatype = datatype
        self.shape = [int(d) for d in shape]
        self.data = _flatten(data)
        self.parameters = parameters
        if len(self.data) != _count(self.shape):
            raise ValueError("Tensor %r has shape %s, which holds %d elements, but its data has %d"
                             % (name, self.shape, _count(self.shape), len(self.data)))
        if datatype in ("UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64"):
            bits = _FORMATS[datatype][1] * 8
            low, high = (0, 2 ** bits - 1) if datatype.startswith("U") else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
            for i, v in enumerate(self.data):
                if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
                    raise ValueError("Tensor %r, element %d: %r is not a %s integer (%d to %d)" % (name, i, v, datatype, low, high))

    def __repr__(self):
        return "Tensor(%r, %r, %r, %r)" % (self.name, self.datatype, self.shape, self.data)

    def to_bytes(self):
        """The binary tensor format: fixed-size elements little-endian; BYTES length-prefixed."""
        if self.datatype == "BYTES":
            parts = []
            for v in self.data:
                b = v if isinstance(v, (bytes, bytearray)) else str(v).encode("utf-8")
                parts.append(struct.pack("<I", len(b)) + bytes(b))
            return b"".join(parts)
        fmt, _ = _FORMATS[self.datatype]
        return struct.pack("<%d%s" % (len(self.data), fmt), *self.data)

    @classmethod
    def from_bytes(cls, name, datatype, shape, raw):
        if datatype == "BYTES":
            data, offset = [], 0
            while offset < len(raw):
                (n,) = struct.unpack_from("<I", raw, offset)
                data.append(raw[offset + 4:offset + 4 + n].decode("utf-8"))
                offset += 4 + n
            return cls(name, datatype, shape, data)
        fmt, size = _FORMATS[datatype]
        if len(raw) != _count(shape) * size:
            raise BerthError("output %r has %d bytes of %s; its shape needs %d" % (name, len(raw), datatype, _count(shape) * size), "PROTOCOL")
        return cls(name, datatype, shape, list(struct.unpack("<%d%s" % (_count(shape), fmt), raw)))


def _json_value(datatype, v):
    # JSON has no NaN or infinities: servers take the strings, as Berth writes them.
    if datatype in ("FP16", "FP32", "FP64") and isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


def _from_json_value(datatype, v):
    if datatype in ("FP16", "FP32", "FP64") and isinstance(v, str):
        return float({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}.get(v, v))
    if datatype in ("INT64", "UINT64") and isinstance(v, str):
        return int(v)
    return v


class InferResult:
    """An inference answer: model_name, model_version, id, and outputs as Tensors."""

    def __init__(self, header, outputs):
        self.model_name = header.get("model_name")
        self.model_version = header.get("model_version")
        self.id = header.get("id")
        self.parameters = header.get("parameters")
        self.outputs = outputs

    def output(self, name):
        for o in self.outputs:
            if o.name == name:
                return o
        raise BerthError("the answer has no output %r; it has %s" % (name, [o.name for o in self.outputs]), "PROTOCOL")


class BerthClient:
    """A client of one Berth server (or any Open Inference Protocol server, for infer)."""

    def __init__(self, url, token=None, timeout=30.0, retries=3, retry_base_delay=0.1, max_retry_delay=30.0):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.retry_base_delay = retry_base_delay
        self.max_retry_delay = max_retry_delay

    # --- plumbing ---

    def _request(self, method, path, body=None, headers=None, query=None, retries=None):
        url = self.url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        headers = dict(headers or {})
        headers.setdefault("Accept", "application/json")
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        retries = self.retries if retries is None else retries
        attempt = 0
        while True:
            request = urllib.request.Request(url, data=body, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.status, response.headers, response.read()
            except urllib.error.HTTPError as error:
                raw = error.read()
                if error.code in _RETRY_STATUSES and attempt < retries:
                    delay = _retry_after(error.headers.get("Retry-After"))
                    if delay is None:
                        delay = min(self.max_retry_delay, self.retry_base_delay * 2 ** attempt)
                    if delay <= self.max_retry_delay:
                        time.sleep(delay)
                        attempt += 1
                        continue
                raise _server_error(method, path, error.code, error.headers, raw) from None
            except (TimeoutError, OSError) as error:
                reason = getattr(error, "reason", error)
                if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                    raise BerthError("%s %s got no answer within %s s" % (method, path, self.timeout), "TIMEOUT") from None
                if method == "GET" and attempt < retries:
                    time.sleep(min(self.max_retry_delay, self.retry_base_delay * 2 ** attempt))
                    attempt += 1
                    continue
                raise BerthError("Cannot reach the Berth server at %s (%s). Is it running, and is the URL right?" % (self.url, reason), "NETWORK") from None

    def _json(self, method, path, payload=None, query=None, headers=None, body=None, retries=None):
        if payload is not None:
            body = json.dumps(payload).encode("utf-8")
            headers = dict(headers or {}, **{"Content-Type": "application/json"})
        _, _, raw = self._request(method, path, body=body, headers=headers, query=query, retries=retries)
        try:
            return json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            raise BerthError("the server answered with a body that is not JSON: %r" % raw[:200], "PROTOCOL") from None

    @staticmethod
    def _seg(value):
        return urllib.parse.quote(str(value), safe="")

    def _model_path(self, model, version):
        return "/v2/models/" + self._seg(model) + ("" if version is None else "/versions/" + self._seg(version))

    def _ready(self, path):
        try:
            self._request("GET", path, retries=0)
            return True
        except BerthError as error:
            if error.status == 503:
                return False
            raise

    # --- Open Inference Protocol ---

    def live(self):
        return self._json("GET", "/v2/health/live").get("live") is True

    def ready(self):
        return self._ready("/v2/health/ready")

    def model_ready(self, model, version=None):
        return self._ready(self._model_path(model, version) + "/ready")

    def server_metadata(self):
        return self._json("GET", "/v2")

    def model_metadata(self, model, version=None):
        return self._json("GET", self._model_path(model, version))

    def infer(self, model, inputs, outputs=None, binary=False, binary_inputs=None, binary_outputs=None, version=None, id=None, parameters=None):
        """POST /v2/models/{model}/infer. `inputs` are Tensors; `outputs` names the outputs wanted
        (all by default); `binary` sends and receives tensors in the binary format."""
        binary_inputs = binary if binary_inputs is None else binary_inputs
        binary_outputs = binary if binary_outputs is None else binary_outputs
        header = {}
        if id is not None:
            header["id"] = id
        params = dict(parameters or {})
        if binary_outputs and outputs is None:
            params["binary_data_output"] = True
        if params:
            header["parameters"] = params
        blobs = []
        header["inputs"] = []
        for t in inputs:
            entry = {"name": t.name, "datatype": t.datatype, "shape": t.shape}
            if binary_inputs:
                raw = t.to_bytes()
                blobs.append(raw)
                entry["parameters"] = dict(t.parameters or {}, binary_data_size=len(raw))
            else:
                if t.parameters:
                    entry["parameters"] = t.parameters
                entry["data"] = [_json_value(t.datatype, v) for v in t.data]
            header["inputs"].append(entry)
        if outputs is not None:
            header["outputs"] = [{"name": o, "parameters": {"binary_data": True}} if binary_outputs else {"name": o} for o in outputs]
        text = json.dumps(header, allow_nan=False).encode("utf-8")
        if blobs:
            body = text + b"".join(blobs)
            headers = {"Content-Type": "application/octet-stream", HEADER_LENGTH: str(len(text))}
        else:
            body, headers = text, {"Content-Type": "application/json"}
        _, response_headers, raw = self._request("POST", self._model_path(model, version) + "/infer", body=body, headers=headers)
        length = response_headers.get(HEADER_LENGTH)
        json_end = int(length) if length is not None else len(raw)
        answer = json.loads(raw[:json_end].decode("utf-8"))
        offset, tensors = json_end, []
        for o in answer.get("outputs", []):
            size = (o.get("parameters") or {}).get("binary_data_size")
            if size is not None:
                tensors.append(Tensor.from_bytes(o["name"], o["datatype"], o["shape"], raw[offset:offset + size]))
                offset += size
            else:
                data = [_from_json_value(o["datatype"], v) for v in _flatten(o.get("data", []))]
                tensors.append(Tensor(o["name"], o["datatype"], o["shape"], data))
        return InferResult(answer, tensors)

    # --- named features and feedback ---

    def predict(self, ref, rows):
        """POST /api/models/{ref}/predict: `rows` is a list of records (dicts) or {"columns": {...}}."""
        body = {"records": list(rows)} if isinstance(rows, (list, tuple)) else rows
        return self._json("POST", "/api/models/%s/predict" % self._seg(ref), body)

    def predict_csv(self, ref, csv_text):
        return self._json("POST", "/api/models/%s/predict" % self._seg(ref), body=csv_text.encode("utf-8"), headers={"Content-Type": "text/csv"})

    def feedback(self, model, feedback):
        """POST /api/models/{model}/feedback: {"requestId", "actual"} or a list of them."""
        return self._json("POST", "/api/models/%s/feedback" % self._seg(model), feedback)

    # --- registry ---

    def models(self, summary=False):
        return self._json("GET", "/api/models", query={"summary": "true" if summary else None})["models"]

    def model(self, name):
        return self._json("GET", "/api/models/" + self._seg(name))

    def versions(self, name):
        return self._json("GET", "/api/models/%s/versions" % self._seg(name))["versions"]

    def version(self, name, version):
        return self._json("GET", "/api/models/%s/versions/%s" % (self._seg(name), self._seg(version)))

    def register(self, file, filename, name=None, aliases=(), description=None, tags=None):
        """POST /api/models: registers an .onnx file or a .berth bundle (bytes, or a path)."""
        if isinstance(file, str):
            with open(file, "rb") as f:
                file = f.read()
        fields = [("name", name), ("description", description), ("tags", json.dumps(tags) if tags is not None else None)]
        fields += [("alias", a) for a in aliases]
        boundary = "berth-" + uuid.uuid4().hex
        parts = []
        for key, value in fields:
            if value is not None:
                parts.append(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (boundary, key, value)).encode("utf-8"))
        parts.append(('--%s\r\nContent-Disposition: form-data; name="file"; filename="%s"\r\nContent-Type: application/octet-stream\r\n\r\n'
                      % (boundary, filename.replace('"', "_"))).encode("utf-8") + bytes(file) + b"\r\n")
        parts.append(("--%s--\r\n" % boundary).encode("utf-8"))
        headers = {"Content-Type": "multipart/form-data; boundary=" + boundary}
        return self._json("POST", "/api/models", body=b"".join(parts), headers=headers, retries=0)

    def set_alias(self, name, alias, version):
        return self._json("PUT", "/api/models/%s/aliases/%s" % (self._seg(name), self._seg(alias)), {"version": version})

    def delete_alias(self, name, alias):
        return self._json("DELETE", "/api/models/%s/aliases/%s" % (self._seg(name), self._seg(alias)))

    def delete_version(self, name, version, force=False):
        return self._json("DELETE", "/api/models/%s/versions/%s" % (self._seg(name), self._seg(version)), query={"force": "true" if force else None})

    def audit(self, model=None, limit=None):
        return self._json("GET", "/api/audit", query={"model": model, "limit": limit})["entries"]

    def server(self):
        return self._json("GET", "/api/server")

    # --- monitoring ---

    def drift(self, name, **query):
        return self._json("GET", "/api/models/%s/monitor/drift" % self._seg(name), query=query)

    def performance(self, name, **query):
        return self._json("GET", "/api/models/%s/monitor/performance" % self._seg(name), query=query)

    def traffic(self, name, **query):
        return self._json("GET", "/api/models/%s/monitor/traffic" % self._seg(name), query=query)


def _retry_after(value):
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _server_error(method, path, status, headers, raw):
    text = raw.decode("utf-8", "replace")
    try:
        body = json.loads(text)
    except ValueError:
        body = text
    message = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), str) else "%s %s answered %d: %s" % (method, path, status, text[:200])
    code = body.get("code") if isinstance(body, dict) and str(body.get("code", "")).startswith("BERTH_") else "HTTP_%d" % status
    return BerthError(message, code, status, headers.get("x-request-id"), body)
