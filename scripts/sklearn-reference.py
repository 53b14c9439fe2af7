#!/usr/bin/python3
"""Reference figures for Berth's trainers, from scikit-learn, on the same held-out splits.

Run with Debian's interpreter (python3-sklearn):

    /usr/bin/python3 scripts/sklearn-reference.py

For every CSV in test/fixtures/datasets/ (target: the last column) this

1. splits the rows exactly as Berth's `splitRows` does (mulberry32 seeded stream, stratified by
   class for classification, 25% held out, seed 2024; ported below bit for bit), and records the
   held-out row indices so the TypeScript test can check that both sides used the same rows;
2. fits, on the training side, scikit-learn's LogisticRegression (classification) or Ridge
   (regression) behind median/most-frequent imputation, standard scaling and one-hot encoding,
   and HistGradientBoostingClassifier/Regressor with native categorical support, all with their
   default hyperparameters;
3. scores them on the held-out side (accuracy, ROC AUC (one-vs-rest macro), log loss, macro F1;
   R², RMSE, MAE) and records each model's figures and the best of them per metric.

The output is test/train/fixtures/sklearn-reference.json, which test/train/quality.test.ts reads.
"""
import json
import math
import os
import re
import sys

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, f1_score, log_loss, mean_absolute_error, mean_squared_error, r2_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATASETS = os.path.join(ROOT, "test", "fixtures", "datasets")
OUT = os.path.join(ROOT, "test", "train", "fixtures", "sklearn-reference.json")
HOLDOUT_FRACTION = 0.25
SEED = 2024
MISSING = ["", "NA", "N/A", "NaN", "nan", "null", "NULL"]
DECIMAL = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class SeededRandom:
    """mulberry32, as src/train/seeded-random.ts implements it (32-bit integer arithmetic)."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFF

    def next(self):
        self.state = (self.state + 0x6D2B79F5) & 0xFFFFFFFF
        a = self.state
        t = ((a ^ (a >> 15)) * (1 | a)) & 0xFFFFFFFF
        t = ((t + (((t ^ (t >> 7)) * (61 | t)) & 0xFFFFFFFF)) & 0xFFFFFFFF) ^ t
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    def int(self, n):
        return math.floor(self.next() * n)

    def shuffle(self, array):
        for i in range(len(array) - 1, 0, -1):
            j = self.int(i + 1)
            array[i], array[j] = array[j], array[i]
        return array


def split_rows(n, fraction, seed, strata=None):
    """src/train/split-rows.ts: groups in ascending class order, one shared shuffled stream."""
    random = SeededRandom(seed)
    if strata is None:
        groups = [list(range(n))]
    else:
        groups = [[] for _ in range(max(strata) + 1)]
        for i, c in enumerate(strata):
            groups[c].append(i)
    train, validation = [], []
    for group in groups:
        if not group:
            continue
        random.shuffle(group)
        take = math.floor(len(group) * fraction + 0.5)
        take = min(max(take, 1), len(group) - 1) if len(group) >= 2 else 0
        validation += group[:take]
        train += group[take:]
    return sorted(train), sorted(validation)


def sort_labels(values):
    """src/train/infer-schema.ts sortLabels: numeric order when all are numbers, else code units."""
    values = list(values)
    if all(DECIMAL.match(v.strip()) for v in values):
        return sorted(values, key=lambda v: (float(v), v))
    return sorted(values)


def task_of(target):
    numeric = all(DECIMAL.match(v) for v in target)
    integers = numeric and all(float(v).is_integer() for v in target)
    return "classification" if not numeric or (integers and len(set(target)) <= 20) else "regression"


def classification_scores(y, proba, classes):
    predicted = proba.argmax(axis=1)
    auc = roc_auc_score(y, proba[:, 1]) if classes == 2 else roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=list(range(classes)))
    return {
        "accuracy": accuracy_score(y, predicted),
        "rocAuc": auc,
        "logLoss": log_loss(y, proba, labels=list(range(classes))),
        "macroF1": f1_score(y, predicted, average="macro"),
    }


def regression_scores(y, predicted):
    return {"r2": r2_score(y, predicted), "rmse": math.sqrt(mean_squared_error(y, predicted)), "mae": mean_absolute_error(y, predicted)}


def reference(path):
    name = os.path.splitext(os.path.basename(path))[0]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    target_name = frame.columns[-1]
    target = [v.strip() for v in frame[target_name]]
    features = frame.drop(columns=[target_name]).replace(MISSING, np.nan)
    numeric = [c for c in features.columns if features[c].dropna().map(lambda v: bool(DECIMAL.match(v.strip()))).all()]
    categorical = [c for c in features.columns if c not in numeric]
    for c in numeric:
        features[c] = features[c].astype(float)
    task = task_of(target)
    if task == "classification":
        labels = sort_labels(set(target))
        y = np.array([labels.index(v) for v in target])
        train, test = split_rows(len(y), HOLDOUT_FRACTION, SEED, list(y))
    else:
        y = np.array([float(v) for v in target])
        train, test = split_rows(len(y), HOLDOUT_FRACTION, SEED)
    x_train, x_test, y_train, y_test = features.iloc[train], features.iloc[test], y[train], y[test]

    linear_features = ColumnTransformer(
        [("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric)]
        + ([("categorical", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")), categorical)] if categorical else [])
    )
    tree_features = ColumnTransformer(
        [("numeric", "passthrough", numeric)]
        + ([("categorical", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan), categorical)] if categorical else [])
    )
    is_categorical = [False] * len(numeric) + [True] * len(categorical)
    models = {}
    if task == "classification":
        linear = make_pipeline(linear_features, LogisticRegression(max_iter=5000))
        trees = make_pipeline(tree_features, HistGradientBoostingClassifier(random_state=0, categorical_features=is_categorical if categorical else None))
        for key, model in [("logistic", linear), ("hgb", trees)]:
            model.fit(x_train, y_train)
            models[key] = classification_scores(y_test, model.predict_proba(x_test), len(labels))
        best = {
            "accuracy": max(m["accuracy"] for m in models.values()),
            "rocAuc": max(m["rocAuc"] for m in models.values()),
            "logLoss": min(m["logLoss"] for m in models.values()),
            "macroF1": max(m["macroF1"] for m in models.values()),
        }
    else:
        linear = make_pipeline(linear_features, Ridge())
        trees = make_pipeline(tree_features, HistGradientBoostingRegressor(random_state=0, categorical_features=is_categorical if categorical else None))
        for key, model in [("ridge", linear), ("hgb", trees)]:
            model.fit(x_train, y_train)
            models[key] = regression_scores(y_test, model.predict(x_test))
        best = {
            "r2": max(m["r2"] for m in models.values()),
            "rmse": min(m["rmse"] for m in models.values()),
            "mae": min(m["mae"] for m in models.values()),
        }
    return name, {
        "file": os.path.basename(path),
        "target": target_name,
        "task": task,
        "rows": len(y),
        "trainRows": len(train),
        "testRows": len(test),
        "testIndices": test,
        "models": models,
        "best": best,
    }


def main():
    files = sorted(f for f in os.listdir(DATASETS) if f.endswith(".csv"))
    result = {
        "method": (
            "Held-out split: Berth's splitRows (mulberry32, stratified for classification), "
            f"fraction {HOLDOUT_FRACTION}, seed {SEED}. scikit-learn defaults: LogisticRegression(max_iter=5000) or Ridge() "
            "after median/most-frequent imputation, StandardScaler and OneHotEncoder; HistGradientBoosting(random_state=0) "
            "with native categorical features. Generated by scripts/sklearn-reference.py."
        ),
        "sklearn": sklearn.__version__,
        "holdoutFraction": HOLDOUT_FRACTION,
        "seed": SEED,
        "datasets": dict(reference(os.path.join(DATASETS, f)) for f in files),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    for name, d in result["datasets"].items():
        print(name, d["task"], {k: round(v, 4) for k, v in d["best"].items()}, file=sys.stderr)


if __name__ == "__main__":
    main()
