#!/usr/bin/python3
"""Expected values for test/monitor: every drift statistic and special function computed by scipy
(and numpy) on the same seeded data the tests use. The tests read the JSON written here; they never
run Python.

    /usr/bin/python3 scripts/scipy-reference.py [path/to/datasets]

Use Debian's interpreter (python3-scipy); the datasets folder defaults to ../shared/datasets. The
loans columns the tests need are copied into test/monitor/fixtures/loans.json.gz (gzipped JSON:
1.4 MB of columns shrink to a few hundred kB), since a clone of the repository has no ../shared.

Evidently's binning for PSI and Jensen-Shannon (evidently/calculations/stattests/utils.py,
get_binned_data) is re-stated below with numpy, since Evidently itself is not installed here.
"""
import gzip
import json
import math
import os
import sys

import numpy as np
import pandas as pd
import scipy
from scipy import special, stats
from scipy.spatial import distance

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'monitor', 'fixtures')
DATASETS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, '..', 'shared', 'datasets')

LOANS_NUMERIC = ['age', 'annual_income', 'loan_amount', 'term_months', 'credit_score', 'open_accounts', 'has_mortgage']
LOANS_CATEGORICAL = ['employment', 'region']
LOANS_OUTPUT = 'defaulted'  # stands in for a model output in the prediction-drift test


def write(name, payload):
    payload = {'generator': 'scripts/scipy-reference.py', 'scipy': scipy.__version__, 'numpy': np.__version__, **payload}
    text = json.dumps(payload, separators=(',', ':'), allow_nan=False) + '\n'
    if name.endswith('.gz'):
        # mtime=0: the same data gives the same bytes, so regenerating leaves git with nothing to commit.
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(gzip.compress(text.encode(), mtime=0))
    else:
        with open(os.path.join(OUT, name), 'w') as f:
            f.write(text)


def num(x):
    """A float for JSON: numpy scalars to Python floats."""
    return float(x)


def clean(values):
    """Finite values of a column as a float array (missing values dropped)."""
    a = np.asarray(values, dtype=float)
    return a[np.isfinite(a)]


# ---- Evidently's binning, restated ----------------------------------------------------------------

def binned(reference, current, numeric, fill_zeroes):
    reference = pd.Series(reference)
    current = pd.Series(current)
    if numeric and reference.nunique() > 20:
        bins = np.histogram_bin_edges(pd.concat([reference, current]).values, bins='sturges')
        ref = np.histogram(reference, bins)[0] / len(reference)
        cur = np.histogram(current, bins)[0] / len(current)
    else:
        keys = sorted(set(reference.unique()) | set(current.unique()))
        rv = reference.value_counts()
        cv = current.value_counts()
        ref = np.array([rv.get(k, 0) / len(reference) for k in keys])
        cur = np.array([cv.get(k, 0) / len(current) for k in keys])
    if fill_zeroes:
        for a in (ref, cur):
            smallest = min(a[a != 0])
            np.place(a, a == 0, smallest / 10 ** 6 if smallest <= 0.0001 else 0.0001)
    return ref, cur


def psi_of(reference, current, numeric=True):
    ref, cur = binned(reference, current, numeric, True)
    return num(np.sum((ref - cur) * np.log(ref / cur)))


def js_of(reference, current, numeric=True):
    ref, cur = binned(reference, current, numeric, False)
    return num(distance.jensenshannon(ref, cur, 2))


def wasserstein_norm(reference, current):
    return num(stats.wasserstein_distance(reference, current) / np.std(reference))


# ---- data -------------------------------------------------------------------------------------------

def load_loans():
    frames = {}
    for name in ['reference', 'current_stable', 'current_drifted']:
        frames[name] = pd.read_csv(os.path.join(DATASETS, f'loans_{name}.csv'))
    return frames


def loans_fixture(frames):
    out = {}
    for name, frame in frames.items():
        columns = {}
        for col in LOANS_NUMERIC + [LOANS_OUTPUT]:
            columns[col] = [None if pd.isna(v) else (int(v) if float(v).is_integer() else float(v)) for v in frame[col]]
        for col in LOANS_CATEGORICAL:
            columns[col] = [None if pd.isna(v) else str(v) for v in frame[col]]
        out[name] = columns
    return out


def samples():
    """Seeded synthetic samples, rounded so that the JSON stays small (scipy sees the rounded values)."""
    rng = np.random.default_rng(20240611)
    r = lambda a, d=4: np.round(a, d)
    return {
        'normal-100-vs-shifted-110': (r(rng.normal(0, 1, 100)), r(rng.normal(0.5, 1, 110))),
        'normal-200-vs-200': (r(rng.normal(0, 1, 200)), r(rng.normal(0.1, 1.2, 200))),
        'normal-1000-vs-800': (r(rng.normal(10, 2, 1000)), r(rng.normal(10.2, 2, 800))),
        'lognormal-3000-vs-2500': (r(rng.lognormal(3, 0.8, 3000), 2), r(rng.lognormal(3.05, 0.8, 2500), 2)),
        'poisson-ties-300-vs-250': (rng.poisson(4, 300).astype(float), rng.poisson(4.6, 250).astype(float)),
        'disjoint-5-vs-7': (np.array([1.0, 2, 3, 4, 5]), np.array([10.0, 11, 12, 13, 14, 15, 16])),
        'identical-50': (r(np.linspace(-3, 3, 50)), r(np.linspace(-3, 3, 50))),
        'tiny-3-vs-4': (np.array([0.1, 0.5, 0.9]), np.array([0.2, 0.3, 1.5, 2.0])),
        'negative-uniform-400-vs-300': (r(rng.uniform(-50, -10, 400)), r(rng.uniform(-48, -5, 300))),
        'few-values-900-vs-700': (rng.choice([1.0, 2.0, 3.0], 900, p=[0.5, 0.3, 0.2]), rng.choice([1.0, 2.0, 3.0], 700, p=[0.45, 0.3, 0.25])),
    }


# ---- fixtures ---------------------------------------------------------------------------------------

def special_functions():
    chi2 = []
    for dof in [1, 2, 3, 4, 5, 7, 10, 30, 50, 100, 1000, 10000]:
        for x in [0.001, 0.1, 0.5, 1, 2, 3.841458820694124, 5, 10, 20, 50, 100, 200, 500, 1000, 1100, 5000, 10500, 12000]:
            chi2.append({'x': x, 'dof': dof, 'sf': num(stats.chi2.sf(x, dof))})
    gammaln = [{'x': x, 'value': num(special.gammaln(x))} for x in [1e-8, 0.01, 0.5, 1, 1.5, 2, 2.5, 3, 7.3, 9.99, 10, 10.5, 25, 100.7, 1000, 123456.5, 1e7]]
    kstwo = []
    for n in [1, 2, 3, 5, 10, 20, 50, 100, 139, 140, 141, 200, 500, 1000, 2000, 4000, 8000, 20000, 100000, 200000]:
        for d in sorted(set([0.3 / n, 0.5 / n, 0.75 / n, 1.0 / n, 1.5 / n, 3.0 / n, 0.6 / math.sqrt(n), 0.8 / math.sqrt(n),
                             1.0 / math.sqrt(n), 1.2 / math.sqrt(n), 1.5 / math.sqrt(n), 2.0 / math.sqrt(n), 3.0 / math.sqrt(n),
                             5.0 / math.sqrt(n), 0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.5, 0.6, 0.9, 1 - 1.5 / n, 0.999])):
            if 0 < d < 1:
                kstwo.append({'n': n, 'd': d, 'sf': num(stats.kstwo.sf(d, n))})
    smirnov = []
    for n in [1, 2, 5, 10, 50, 100, 1000, 5000, 20000]:
        for d in [0.001, 0.5 / n, 1.0 / n, 0.01, 0.05, 0.1, 0.2, 0.5, 0.7, 0.95, 1 - 0.5 / n]:
            if 0 <= d <= 1:
                smirnov.append({'n': n, 'd': d, 'sf': num(special.smirnov(n, d))})
    write('special-functions.json', {'chi2': chi2, 'gammaln': gammaln, 'kstwo': kstwo, 'smirnov': smirnov})


def two_sample_statistics(data, frames):
    ks_cases, wasserstein_cases, binned_cases = [], [], []
    for name, (x, y) in data.items():
        entry = {'name': name, 'x': x.tolist(), 'y': y.tolist()}
        for method in ['auto', 'exact', 'asymp']:
            result = stats.ks_2samp(x, y, method=method)
            entry[method] = {'statistic': num(result.statistic), 'pvalue': num(result.pvalue)}
        ks_cases.append(entry)
        wasserstein_cases.append({'name': name, 'distance': num(stats.wasserstein_distance(x, y)),
                                  'normalised': wasserstein_norm(x, y)})
        binned_cases.append({'name': name, 'psi': psi_of(x, y), 'jensenshannon': js_of(x, y)})
    loans = []
    ref = frames['reference']
    for current in ['current_stable', 'current_drifted']:
        cur = frames[current]
        for col in LOANS_NUMERIC + [LOANS_OUTPUT]:
            x, y = clean(ref[col]), clean(cur[col])
            result = stats.ks_2samp(x, y)
            # A 9,000-row slice of the reference keeps both samples under 10,000: the exact p-value.
            xs = x[:9000]
            small = stats.ks_2samp(xs, y)
            loans.append({
                'current': current, 'column': col,
                'ks': {'statistic': num(result.statistic), 'pvalue': num(result.pvalue)},
                'ksFirst9000': {'statistic': num(small.statistic), 'pvalue': num(small.pvalue)},
                'wasserstein': {'distance': num(stats.wasserstein_distance(x, y)), 'normalised': wasserstein_norm(x, y)},
                'psi': psi_of(x, y), 'jensenshannon': js_of(x, y),
            })
    write('ks.json', {'cases': ks_cases})
    write('distances.json', {'wasserstein': wasserstein_cases, 'binned': binned_cases, 'loans': loans})


def categorical_statistics(frames):
    tables = {
        'three-categories': ([120, 80, 50], [100, 95, 60]),
        'two-by-two-yates': ([30, 70], [45, 55]),
        'two-by-two-small-diff': ([50, 50], [50, 51]),
        'unseen-in-production': ([500, 300, 200, 0], [400, 250, 150, 120]),
        'large-counts': ([400000, 300000, 300000], [401500, 299000, 299500]),
        'huge-sample-small-shift': ([400000, 300000, 300000], [403000, 298500, 298500]),
        'eight-categories': ([12, 30, 7, 55, 90, 3, 18, 41], [15, 25, 12, 60, 70, 9, 20, 30]),
        'one-category': ([40], [25]),
        'strong-shift': ([900, 100], [100, 900]),
    }
    chi = []
    for name, (ref, cur) in tables.items():
        result = stats.chi2_contingency(np.array([ref, cur]))
        entry = {'name': name, 'reference': ref, 'current': cur, 'statistic': num(result[0]), 'pvalue': num(result[1]), 'dof': int(result[2])}
        no_yates = stats.chi2_contingency(np.array([ref, cur]), correction=False)
        entry['noCorrection'] = {'statistic': num(no_yates[0]), 'pvalue': num(no_yates[1])}
        p = np.array(ref, dtype=float) / sum(ref)
        q = np.array(cur, dtype=float) / sum(cur)
        entry['jensenshannon'] = num(distance.jensenshannon(p, q, 2))
        rp, cp = p.copy(), q.copy()
        for a in (rp, cp):
            smallest = min(a[a != 0])
            np.place(a, a == 0, smallest / 10 ** 6 if smallest <= 0.0001 else 0.0001)
        entry['psi'] = num(np.sum((rp - cp) * np.log(rp / cp)))
        chi.append(entry)
    vectors = [
        ([1, 0], [0, 1], None), ([1, 0], [0, 1], 2), ([0.2, 0.3, 0.5], [0.5, 0.3, 0.2], None),
        ([0.2, 0.3, 0.5], [0.5, 0.3, 0.2], 2), ([3, 1, 0, 6], [1, 1, 4, 4], 2), ([1, 2, 3], [1, 2, 3], 2),
        ([10, 20, 30, 40], [4, 3, 2, 1], 10),
    ]
    js = [{'p': p, 'q': q, 'base': base, 'value': num(distance.jensenshannon(np.array(p, float), np.array(q, float), base))}
          for p, q, base in vectors]
    loans = []
    ref = frames['reference']
    for current in ['current_stable', 'current_drifted']:
        cur = frames[current]
        for col in LOANS_CATEGORICAL:
            x, y = ref[col].dropna().astype(str), cur[col].dropna().astype(str)
            keys = sorted(set(x) | set(y))
            rc = [int((x == k).sum()) for k in keys]
            cc = [int((y == k).sum()) for k in keys]
            result = stats.chi2_contingency(np.array([rc, cc]))
            loans.append({'current': current, 'column': col, 'categories': keys, 'reference': rc, 'current_counts': cc,
                          'chisquare': {'statistic': num(result[0]), 'pvalue': num(result[1]), 'dof': int(result[2])},
                          'jensenshannon': js_of(x, y, numeric=False), 'psi': psi_of(x, y, numeric=False)})
    write('categorical.json', {'tables': chi, 'jensenshannonVectors': js, 'loans': loans})


def multiple_testing():
    rng = np.random.default_rng(7)
    cases = []
    for p in [[0.01, 0.04, 0.03, 0.2, 0.5], rng.uniform(0, 0.1, 12).round(6).tolist(), [0.001, 0.001, 0.5, 0.02], [0.9]]:
        p = np.array(p)
        m = len(p)
        order = np.argsort(p, kind='mergesort')
        ranked = p[order] * m / np.arange(1, m + 1)
        bh_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
        bh = np.empty(m)
        bh[order] = np.minimum(bh_sorted, 1)
        cases.append({'p': p.tolist(), 'bonferroni': np.minimum(p * m, 1).tolist(), 'benjaminiHochberg': bh.tolist()})
    write('multiple-testing.json', {'cases': cases})


def profile(frames):
    ref = frames['reference']
    numeric = {}
    for col in LOANS_NUMERIC:
        x = clean(ref[col])
        counts, edges = np.histogram(x, bins='sturges')
        numeric[col] = {
            'count': int(len(ref)), 'missing': int(ref[col].isna().sum()), 'n': int(len(x)),
            'min': num(x.min()), 'max': num(x.max()), 'mean': num(x.mean()), 'variance': num(x.var()),
            'quantiles': [{'q': q, 'value': num(np.quantile(x, q))} for q in [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1]],
            'histogram': {'edges': edges.tolist(), 'counts': counts.tolist()},
        }
    categorical = {}
    for col in LOANS_CATEGORICAL:
        counts = ref[col].dropna().astype(str).value_counts()
        categorical[col] = {'count': int(len(ref)), 'missing': int(ref[col].isna().sum()),
                            'frequencies': {k: int(v) for k, v in counts.items()}}
    write('profile.json', {'numeric': numeric, 'categorical': categorical})


def bh(p):
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p, kind='mergesort')
    ranked = p[order] * m / np.arange(1, m + 1)
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1)
    return adjusted


def small_report(frames):
    """The drift report's numbers for a small reference (first 800 rows, so tests are the default
    methods) against the first 300 rows of each window (small enough for exact sketches)."""
    ref = frames['reference'].iloc[:800]
    out = {}
    for current in ['current_stable', 'current_drifted']:
        cur = frames[current].iloc[:300]
        features = []
        for col in LOANS_NUMERIC + LOANS_CATEGORICAL:
            if col in LOANS_NUMERIC:
                x, y = clean(ref[col]), clean(cur[col])
                values = sorted(set(x) | set(y))
            else:
                x, y = ref[col].dropna().astype(str), cur[col].dropna().astype(str)
                values = sorted(set(x) | set(y))
            if col in LOANS_CATEGORICAL or len(values) <= 5:
                table = np.array([[int((x == v).sum()) for v in values], [int((y == v).sum()) for v in values]])
                result = stats.chi2_contingency(table)
                features.append({'name': col, 'method': 'chisquare', 'statistic': num(result[0]), 'pvalue': num(result[1]),
                                 'effect': num(math.sqrt(result[0] / table.sum()))})
            else:
                result = stats.ks_2samp(x, y)
                features.append({'name': col, 'method': 'ks', 'statistic': num(result.statistic), 'pvalue': num(result.pvalue),
                                 'effect': num(result.statistic)})
        adjusted = bh([f['pvalue'] for f in features])
        bonferroni = np.minimum(np.array([f['pvalue'] for f in features]) * len(features), 1)
        for f, a, b in zip(features, adjusted, bonferroni):
            f['benjaminiHochberg'] = num(a)
            f['bonferroni'] = num(b)
        out[current] = features
    write('small-report.json', {'referenceRows': 800, 'currentRows': 300, 'reports': out})


def main():
    os.makedirs(OUT, exist_ok=True)
    frames = load_loans()
    write('loans.json.gz', {'columns': loans_fixture(frames)})
    special_functions()
    two_sample_statistics(samples(), frames)
    categorical_statistics(frames)
    multiple_testing()
    profile(frames)
    small_report(frames)


if __name__ == '__main__':
    main()
