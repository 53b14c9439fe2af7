"""Exercises clients/python/berth_client.py against live Berth servers; run by
test/client/python-client.test.ts. Arguments: the URL of a server serving the conformance models,
the URL of a registry server, its admin token, and a .berth bundle of the iris model. Asserts as
it goes and prints a JSON summary of what it saw."""

import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "clients", "python"))
from berth_client import BerthClient, BerthError, Tensor  # noqa: E402

oip_url, registry_url, token, bundle = sys.argv[1:5]
seen = {}

# --- Open Inference Protocol, every datatype in JSON and binary ---
oip = BerthClient(oip_url)
assert oip.live() and oip.ready() and oip.model_ready("conformance_fp32")
seen["server"] = oip.server_metadata()["name"]
samples = {
    "BOOL": [True, False, True, False, False, True],
    "UINT8": [0, 1, 127, 128, 254, 255],
    "UINT16": [0, 1, 32767, 32768, 65534, 65535],
    "UINT32": [0, 1, 2147483647, 2147483648, 4294967294, 4294967295],
    "UINT64": [0, 1, 9007199254740993, 9223372036854775808, 18446744073709551614, 18446744073709551615],
    "INT8": [-128, -1, 0, 1, 126, 127],
    "INT16": [-32768, -1, 0, 1, 32766, 32767],
    "INT32": [-2147483648, -1, 0, 1, 2147483646, 2147483647],
    "INT64": [-9223372036854775808, -9007199254740993, -1, 0, 9007199254740993, 9223372036854775807],
    "FP16": [0.0, -2.0, 0.5, 1.5, 65504.0, -65504.0],
    "FP32": [0.0, -1.5, 3.4028234663852886e38, 1.1754943508222875e-38, float("nan"), float("-inf")],
    "FP64": [0.0, -1.5, 1.7976931348623157e308, 5e-324, float("inf"), float("nan")],
    "BYTES": ["", "a", "héllo", "日本語", 'with "quotes"', "tab\tnewline\n"],
}


def same(a, b):
    return all((isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(a, b)) and len(a) == len(b)


round_trips = []
for datatype, values in samples.items():
    for binary in (False, True):
        result = oip.infer("conformance_" + datatype.lower(), [Tensor("x", datatype, [2, 3], values)], binary=binary, id="py-" + datatype)
        y = result.output("y")
        assert result.id == "py-" + datatype and y.datatype == datatype and y.shape == [2, 3], (datatype, binary, y)
        assert same(y.data, values), (datatype, binary, y.data, values)
        round_trips.append("%s/%s" % (datatype, "binary" if binary else "json"))
seen["roundTrips"] = round_trips

pair = [Tensor("a", "FP32", [1, 2], [1, 2]), Tensor("b", "FP32", [1, 2], [3, 4])]
only = oip.infer("conformance_pair", pair, outputs=["product"], binary=True)
seen["selected"] = [[o.name, o.data] for o in only.outputs]

try:
    oip.infer("conformance_pair", [Tensor("a", "FP32", [1, 2], [1, 2])])
    raise AssertionError("a missing input was accepted")
except BerthError as error:
    seen["missingInput"] = [error.status, error.code, bool(error.request_id)]
try:
    Tensor("x", "UINT8", [1], [256])
    raise AssertionError("256 was accepted as UINT8")
except ValueError as error:
    seen["outOfRange"] = str(error)

# --- registry, named features, feedback ---
anonymous = BerthClient(registry_url)
try:
    anonymous.models()
except BerthError as error:
    seen["anonymous"] = [error.status, error.code]
berth = BerthClient(registry_url, token=token)
registered = berth.register(bundle, filename="iris.berth", aliases=["production"], tags={"from": "python"})
seen["registered"] = [registered["version"]["model"], registered["version"]["version"], registered["version"]["aliases"]]
import time  # noqa: E402

for _ in range(200):
    try:
        if berth.model_ready("iris"):
            break
    except BerthError:
        pass
    time.sleep(0.05)
setosa = {"sepal_length_cm": 5.1, "sepal_width_cm": 3.5, "petal_length_cm": 1.4, "petal_width_cm": 0.2}
answer = berth.predict("iris@production", [setosa])
seen["label"] = answer["predictions"][0]["label"]
csv = "sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm\n7.7,3.0,6.1,2.3\n"
seen["csvLabel"] = berth.predict_csv("iris", csv)["predictions"][0]["label"]
accepted = 0
for _ in range(100):
    accepted = berth.feedback("iris", {"requestId": answer["requestId"], "actual": "setosa"})["accepted"]
    if accepted == 1:
        break
    time.sleep(0.1)
seen["feedbackAccepted"] = accepted
seen["models"] = [m["name"] for m in berth.models()]
seen["alias"] = berth.set_alias("iris", "staging", 1)["version"]
seen["versions"] = [v["version"] for v in berth.versions("iris")]
try:
    berth.delete_version("iris", 1)
except BerthError as error:
    seen["inUse"] = [error.status, error.code]
seen["audit"] = sorted({e["action"] for e in berth.audit(model="iris")})
print(json.dumps(seen))
