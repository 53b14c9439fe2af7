"""The Python baseline: FastAPI + uvicorn + scikit-learn serving the bench MLP.

What a Python team deploys (MLflow's scoring server is the same stack): an MLPClassifier given
exactly the weights of Berth's mlp.onnx, behind a FastAPI route that takes the same Open Inference
Protocol JSON request and answers the same JSON response.

    BENCH_MLP_WEIGHTS=mlp-weights.json /usr/bin/python3 -m uvicorn python_server:app \
        --app-dir bench --workers 2
"""
import asyncio.base_events
import json
import os
import socket
import warnings

import numpy as np
from fastapi import FastAPI, Request
from sklearn.neural_network import MLPClassifier


def load_mlp(path):
    """An MLPClassifier with the weights written by bench/mlp-model.ts."""
    with open(path) as f:
        spec = json.load(f)
    n_in, n_hidden, n_out = spec["inputs"], spec["hidden"], spec["outputs"]
    model = MLPClassifier(hidden_layer_sizes=(n_hidden,), activation="relu", max_iter=1)
    # Fit one pass on dummy data to set up classes_, out_activation_ (softmax) and the layer
    # bookkeeping; the weights are then replaced by Berth's.
    rng = np.random.default_rng(0)
    x = rng.random((n_out * 2, n_in), dtype=np.float32)
    y = np.arange(n_out * 2) % n_out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, y)
    sizes = [n_in, n_hidden, n_out]
    model.coefs_ = [np.asarray(c, dtype=np.float32).reshape(sizes[i], sizes[i + 1]) for i, c in enumerate(spec["coefs"])]
    model.intercepts_ = [np.asarray(b, dtype=np.float32) for b in spec["intercepts"]]
    return model


def _set_nodelay(sock):
    if sock.family in {socket.AF_INET, socket.AF_INET6} and sock.type == socket.SOCK_STREAM:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


# With --workers, uvicorn 0.17 binds the listening socket itself with proto 0, and asyncio only
# sets TCP_NODELAY on sockets whose proto is IPPROTO_TCP: every answer would then wait ~40 ms
# for a delayed ACK (Nagle). Later uvicorn releases fix this; the baseline must not be slowed by it.
asyncio.base_events._set_nodelay = _set_nodelay

model = load_mlp(os.environ["BENCH_MLP_WEIGHTS"])
app = FastAPI()


@app.get("/v2/health/live")
def live():
    return {"live": True}


@app.post("/v2/models/{name}/infer")
async def infer(name: str, request: Request):
    body = await request.json()
    tensor = body["inputs"][0]
    x = np.asarray(tensor["data"], dtype=np.float32).reshape(tensor["shape"])
    probabilities = model.predict_proba(x)
    return {
        "model_name": name,
        "model_version": "1",
        "outputs": [
            {
                "name": "probabilities",
                "datatype": "FP32",
                "shape": list(probabilities.shape),
                "data": probabilities.ravel().tolist(),
            }
        ],
    }
