/**
 * Exporting fitted models as ONNX: linear models as MatMul/Add with Sigmoid or Softmax, tree
 * ensembles as `ai.onnx.ml` TreeEnsembleClassifier/TreeEnsembleRegressor. Every model takes one
 * FP32 `[n, k]` input and gives plain FP32 tensors with a dynamic batch dimension —
 * `probabilities` `[n, classes]` or `value` `[n, 1]` — and no ZipMap, since onnxruntime-node cannot
 * return maps.
 */
import { OnnxElementType, encodeOnnxModel, type OnnxNode, type OnnxTensorProto } from '../core/onnx-proto.js';
import { attribute, floatTensor, node, onnxModel, tensorValueInfo } from '../core/onnx-model-builder.js';
import { type FittedModel, type LinearModel, type TreeEnsembleModel, outputWidth } from './fitted-model.js';

/** Opsets written: ai.onnx 17 and ai.onnx.ml 3, both run by onnxruntime-node 1.30. */
const OPSETS = { '': 17, 'ai.onnx.ml': 3 } as const;

/** Options for {@link exportOnnx}. */
export interface ExportOptions {
  /** Input tensor name (the pipeline's `input`). */
  readonly input: string;
  /** Output tensor name (the pipeline's output `tensor`). */
  readonly output: string;
  /** Strings stored in the model's metadata_props (algorithm, target, ...). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Serialises a fitted model as the bytes of a `.onnx` file. */
export function exportOnnx(model: FittedModel, options: ExportOptions): Uint8Array {
  const { nodes, initializers } = model.kind === 'linear' ? linearGraph(model, options) : treeGraph(model, options);
  const width = outputWidth(model);
  return encodeOnnxModel(
    onnxModel({
      name: `berth_${model.kind}`,
      nodes,
      initializers,
      inputs: [tensorValueInfo(options.input, OnnxElementType.FLOAT, ['batch', model.inputs])],
      outputs: [tensorValueInfo(options.output, OnnxElementType.FLOAT, ['batch', width])],
      opsets: OPSETS,
      producer: 'berth',
      ...(options.metadata ? { metadata: options.metadata } : {}),
    }),
  );
}

function linearGraph(model: LinearModel, options: ExportOptions): { nodes: OnnxNode[]; initializers: OnnxTensorProto[] } {
  const initializers = [floatTensor('weights', [model.inputs, model.scores], model.weights), floatTensor('bias', [model.scores], model.bias)];
  const nodes = [node('MatMul', [options.input, 'weights'], ['product']), node('Add', ['product', 'bias'], [model.link === 'identity' ? options.output : 'scores'])];
  if (model.link === 'softmax') nodes.push(node('Softmax', ['scores'], [options.output], [attribute('axis', 1, 'int')]));
  if (model.link === 'sigmoid') {
    initializers.push(floatTensor('one', [1], [1]));
    nodes.push(
      node('Sigmoid', ['scores'], ['positive']),
      node('Sub', ['one', 'positive'], ['negative']),
      node('Concat', ['negative', 'positive'], [options.output], [attribute('axis', 1, 'int')]),
    );
  }
  return { nodes, initializers };
}

function treeGraph(model: TreeEnsembleModel, options: ExportOptions): { nodes: OnnxNode[]; initializers: OnnxTensorProto[] } {
  const ids: number[] = [];
  const nodeIds: number[] = [];
  const features: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const leafTrees: number[] = [];
  const leafNodes: number[] = [];
  const leafTargets: number[] = [];
  const leafWeights: number[] = [];
  model.trees.forEach((tree, t) => {
    for (let i = 0; i < tree.feature.length; i++) {
      const leaf = tree.left[i] === -1;
      ids.push(t);
      nodeIds.push(i);
      features.push(leaf ? 0 : tree.feature[i]!);
      modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      values.push(leaf ? 0 : tree.threshold[i]!);
      trueIds.push(leaf ? 0 : tree.left[i]!);
      falseIds.push(leaf ? 0 : tree.right[i]!);
      if (leaf) {
        leafTrees.push(t);
        leafNodes.push(i);
        leafTargets.push(tree.score);
        leafWeights.push(tree.value[i]!);
      }
    }
  });
  const structure = [
    attribute('nodes_treeids', ids, 'int'),
    attribute('nodes_nodeids', nodeIds, 'int'),
    attribute('nodes_featureids', features, 'int'),
    attribute('nodes_modes', modes),
    attribute('nodes_values', values),
    attribute('nodes_truenodeids', trueIds, 'int'),
    attribute('nodes_falsenodeids', falseIds, 'int'),
    attribute('base_values', Array.from(model.base)),
  ];
  if (model.link === 'identity') {
    const regressor = node(
      'TreeEnsembleRegressor',
      [options.input],
      [options.output],
      [
        ...structure,
        attribute('n_targets', model.scores, 'int'),
        attribute('target_treeids', leafTrees, 'int'),
        attribute('target_nodeids', leafNodes, 'int'),
        attribute('target_ids', leafTargets, 'int'),
        attribute('target_weights', leafWeights),
        attribute('aggregate_function', 'SUM'),
        attribute('post_transform', 'NONE'),
      ],
      'ai.onnx.ml',
    );
    return { nodes: [regressor], initializers: [] };
  }
  // Binary: every leaf scores class 0 with one base value and LOGISTIC, which onnxruntime (like
  // the ONNX reference) turns into [1 - p, p]; the export test pins that behaviour down.
  const classes = outputWidth(model);
  const classifier = node(
    'TreeEnsembleClassifier',
    [options.input],
    ['class_index', options.output],
    [
      ...structure,
      attribute('classlabels_int64s', Array.from({ length: classes }, (_, i) => i), 'int'),
      attribute('class_treeids', leafTrees, 'int'),
      attribute('class_nodeids', leafNodes, 'int'),
      attribute('class_ids', leafTargets, 'int'),
      attribute('class_weights', leafWeights),
      attribute('post_transform', model.link === 'sigmoid' ? 'LOGISTIC' : 'SOFTMAX'),
    ],
    'ai.onnx.ml',
  );
  return { nodes: [classifier], initializers: [] };
}
